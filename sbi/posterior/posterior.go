// Package posterior is simulation-based inference with this engine's conditional flows:
// flow-matching posterior estimation (Dax et al. 2023, "Flow Matching for Scalable
// Simulation-Based Inference"; the interpolant method of Albergo & Vanden-Eijnden 2023 with
// the observation as context). A conditional flow q(θ | x) is trained on simulated pairs
// (θ, x) — θ the data, x the context — and then gives, for any observation x_o, posterior
// draws (one ODE solve, x_o folded into the first layer's bias) and exact posterior
// log-densities (the backward solve with the divergence in θ).
//
// The package joins package gen (training, sampling, likelihood), package sbi (benchmark
// tasks, simulators and reference posteriors) and package sbi/diag (C2ST, simulation-based
// calibration, expected coverage, importance sampling): Train fits a posterior to n
// simulations of a task with the engine's table defaults, Sample and LogProb evaluate it,
// and the checks (check.go) score it against a task's reference posterior and for
// calibration.
package posterior

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/sbi"
	"github.com/interflow/flowbench/solver"
)

// ValFrac is the share of the simulations held out to validate (held-out NLL, best-of-run
// weights, plateau schedule): 10%, as ../shared/anchors/torch/cond_ref.py does.
const ValFrac = 0.1

// Data returns the training data of n simulations of task from seed: θ as the data and
// x as the context, the last ValFrac of the rows (the simulations are i.i.d.) held out for
// validation.
func Data(task sbi.Task, n int, seed uint64) (*gen.TrainData, error) {
	if n < 10 {
		return nil, fmt.Errorf("posterior: %d simulations: want at least 10", n)
	}
	th, x := sbi.Simulations(task, n, seed)
	return PairsData(task.Name(), th, x, task.ParamDim(), task.DataDim())
}

// PairsData returns the training data of simulated pairs: theta (n×p) and x (n×q),
// row-major, the last ValFrac of the rows held out for validation.
func PairsData(name string, theta, x []float64, p, q int) (*gen.TrainData, error) {
	if p < 1 || q < 1 || len(theta)%p != 0 || len(x)%q != 0 || len(theta)/p != len(x)/q {
		return nil, fmt.Errorf("posterior: %d θ values of dimension %d and %d x values of dimension %d are not the same number of pairs", len(theta), p, len(x), q)
	}
	n := len(theta) / p
	nv := int(math.Round(ValFrac * float64(n)))
	nt := n - nv
	table := func(src string, v []float64, d, r0, r1 int) (*dataset.Table, error) {
		t := &dataset.Table{Source: name + " " + src, N: r1 - r0, D: d, Data: make([]float32, (r1-r0)*d)}
		for i, f := range v[r0*d : r1*d] {
			if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > math.MaxFloat32 {
				return nil, fmt.Errorf("posterior: %s: row %d column %d is %v", src, r0+i/d+1, i%d+1, f)
			}
			t.Data[i] = float32(f)
		}
		return t, nil
	}
	td := &gen.TrainData{Name: name}
	var err error
	if td.Train, err = table("θ", theta, p, 0, nt); err != nil {
		return nil, err
	}
	if td.Cond, err = table("x", x, q, 0, nt); err != nil {
		return nil, err
	}
	if nv > 0 {
		if td.Val, err = table("θ", theta, p, nt, n); err != nil {
			return nil, err
		}
		if td.ValCond, err = table("x", x, q, nt, n); err != nil {
			return nil, err
		}
	}
	return td, nil
}

// Config returns the training configuration of a posterior on data: the engine's table
// defaults (gen.TableConfig: learning rate, width, batch, steps in epochs, plateau schedule,
// validation by held-out NLL at a cost share) for the θ dimension and the number of rows.
func Config(data *gen.TrainData) gen.TrainConfig {
	d := data.Train.D
	nVal := 0
	if data.Val != nil {
		nVal = data.Val.N
	}
	base := gen.DefaultTrainConfig(d)
	cfg := gen.TableConfig(base, d, data.Train.N, nVal)
	if nVal > 0 {
		cfg.ValEvery = gen.TableValEvery(cfg, d, cfg.ValN)
	}
	return cfg
}

// Train fits q(θ | x) to data with cfg (Config(data) when cfg is nil).
func Train(ctx context.Context, data *gen.TrainData, cfg *gen.TrainConfig, opt gen.TrainOptions) (*gen.Model, error) {
	c := Config(data)
	if cfg != nil {
		c = *cfg
	}
	m, err := gen.Train(ctx, c, data, opt)
	if err != nil {
		return nil, err
	}
	if m.Net.Config().Context != data.Cond.D {
		return nil, fmt.Errorf("posterior: trained model has context width %d, the data %d", m.Net.Config().Context, data.Cond.D)
	}
	return m, nil
}

// Options are the solver settings of Sample and LogProb.
type Options struct {
	// ODE is the solver (zero: RK4 with 50 steps for sampling, Dopri5 at
	// solver.DensityRTol for log-densities).
	ODE solver.Options
	// Batch bounds the rows solved together (0: all).
	Batch int
}

func (o Options) sampleODE() solver.Options {
	if o.ODE.Method == 0 && o.ODE.Steps == 0 && o.ODE.RTol == 0 {
		return solver.Options{Method: solver.RK4, Steps: 50}
	}
	return o.ODE
}

func (o Options) densityODE() solver.Options {
	if o.ODE.Method == 0 && o.ODE.Steps == 0 && o.ODE.RTol == 0 {
		return solver.Options{Method: solver.Dopri5, RTol: solver.DensityRTol, ATol: solver.DensityATol}
	}
	return o.ODE
}

func given(xo []float64) []float32 {
	c := make([]float32, len(xo))
	for i, v := range xo {
		c[i] = float32(v)
	}
	return c
}

// Sample draws n posterior samples θ ~ q(θ | x_o) (row-major n×p, float64).
func Sample(ctx context.Context, m *gen.Model, xo []float64, n int, seed uint64, opt Options) ([]float64, error) {
	res, err := m.Sample(ctx, n, gen.SampleOptions{ODE: opt.sampleODE(), Batch: opt.Batch, Seed: seed, Cond: gen.Shared(given(xo))})
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(res.X))
	for i, v := range res.X {
		out[i] = float64(v)
	}
	return out, nil
}

// SampleEach draws one posterior sample for each observation (x row-major k×q, one draw per
// row, the context per row): the amortized pass that simulation-based calibration needs
// many of.
func SampleEach(ctx context.Context, m *gen.Model, x []float64, seed uint64, opt Options) ([]float64, error) {
	q := m.Net.Config().Context
	if q == 0 || len(x)%q != 0 {
		return nil, fmt.Errorf("posterior: %d observation values for a context of %d", len(x), q)
	}
	res, err := m.Sample(ctx, len(x)/q, gen.SampleOptions{ODE: opt.sampleODE(), Batch: opt.Batch, Seed: seed, Cond: &gen.Condition{Values: given(x)}})
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(res.X))
	for i, v := range res.X {
		out[i] = float64(v)
	}
	return out, nil
}

// LogProb returns log q(θ | x_o) for every row of theta (n×p), in nats.
func LogProb(ctx context.Context, m *gen.Model, theta, xo []float64, opt Options) ([]float64, error) {
	th := given(theta)
	lp, _, err := m.LogProb(ctx, th, gen.LikelihoodOptions{ODE: opt.densityODE(), Batch: opt.Batch, Cond: gen.Shared(given(xo))})
	return lp, err
}

// rng returns a generator for one purpose of a check.
func rng(seed, stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }
