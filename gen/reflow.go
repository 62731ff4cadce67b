package gen

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/solver"
)

// Reflow (rectified flow, Liu, Gong and Liu 2022): a trained model's ODE joins each base
// point x0 to one data point x1 = X_1(x0). Training a new model on these (x0, x1) pairs,
// instead of on independent draws, gives a field whose paths cross less and are
// straighter, so fewer solver steps reach the same samples; training on the pairs with the
// times of a K-step Euler grid (interp.GridTimes) distils it into a K-step sampler.
//
// The pairs change only which x0 goes with which x1: x0 is still drawn from the N(0, I)
// base, so the new model is again a flow from that base and its likelihood (integrating the
// divergence) stays exact for whatever density it has learned.

// ReflowOptions are the settings of ReflowData.
type ReflowOptions struct {
	// N is the number of pairs (≥ 1).
	N int
	// Seed seeds the base draws x0 (the pairs are Sample's draws of that seed).
	Seed uint64
	// ODE is the solver taking x0 to x1 (the zero value: Dopri5 at rtol = atol = 1e-5).
	ODE solver.Options
	// Batch is the number of rows solved together (0: all).
	Batch int
	// Progress, when set, is called after each solved chunk.
	Progress func(done, total int)
}

// ReflowInfo records, in a reflowed model's DataInfo, where its training pairs came from.
type ReflowInfo struct {
	// Source is the model that generated the pairs (its path or name) and SourceSHA256 the
	// hash of its file when known.
	Source       string `json:"source"`
	SourceSHA256 string `json:"source_sha256,omitempty"`
	// Pairs and Seed are ReflowOptions.N and Seed; Solver names the solver of the pairs.
	Pairs  int    `json:"pairs"`
	Seed   uint64 `json:"seed"`
	Solver string `json:"solver"`
	// Round is 1 for pairs from a model trained on independent pairs, and one more than the
	// source's round for a reflowed source.
	Round int `json:"round"`
}

// DefaultReflowODE is the solver of the pairs when ReflowOptions.ODE is unset.
var DefaultReflowODE = solver.Options{Method: solver.Dopri5, RTol: 1e-5, ATol: 1e-5}

// ReflowData draws opt.N base points x0 ~ N(0, I), solves the model's ODE from each to its
// x1, and returns training data whose rows are the x1 and whose Pairs are the x0, both in
// the model's units and carrying the model's standardization (Raw, Stats), so that a model
// trained on them works in the same units. name names the source in the returned data and
// its ReflowInfo. Models with a learned base and conditional models are refused.
func ReflowData(ctx context.Context, m *Model, name string, opt ReflowOptions) (*TrainData, error) {
	switch {
	case opt.N < 1:
		return nil, fmt.Errorf("reflow: %d pairs: want ≥ 1", opt.N)
	case m.Base != nil:
		return nil, errors.New("reflow: the model has a learned base; reflow pairs start from the N(0, I) base")
	case m.Net.Config().Conditional():
		return nil, errors.New("reflow: conditional models are not supported")
	}
	ode := opt.ODE
	if ode == (solver.Options{}) {
		ode = DefaultReflowODE
	}
	res, err := m.Sample(ctx, opt.N, SampleOptions{ODE: ode, Batch: opt.Batch, Seed: opt.Seed, Progress: opt.Progress,
		keepBase: true, modelUnits: true})
	if err != nil {
		return nil, fmt.Errorf("reflow: %w", err)
	}
	d := m.Dim()
	round := 1
	if m.Data.Reflow != nil {
		round = m.Data.Reflow.Round + 1
	}
	td := &TrainData{
		Name:   fmt.Sprintf("reflow of %s", name),
		Train:  &dataset.Table{Source: "reflow", N: opt.N, D: d, Data: res.X, Columns: m.Data.Columns},
		Pairs:  &dataset.Table{Source: "reflow base", N: opt.N, D: d, Data: res.X0},
		Raw:    true,
		Reflow: &ReflowInfo{Source: name, Pairs: opt.N, Seed: opt.Seed, Solver: describeODE(ode), Round: round},
	}
	if st := m.Data.Stats; st != nil {
		s := *st
		td.Stats = &s
	}
	return td, nil
}

// ReflowConfig returns the training configuration of a reflow of m: m's own (network,
// batch, optimizer, schedule, EMA, seed) with the linear interpolant, whose pair paths
// x_t = (1 − t)·x0 + t·x1 are straight, and, when distil > 0, the times of a distil-step
// Euler grid (interp.GridTimes). Validation, max–min and couplings are turned off; steps
// replaces m's step count when > 0.
func ReflowConfig(m *Model, steps, distil int) (TrainConfig, error) {
	cfg := m.Config
	if cfg.Steps == 0 {
		return cfg, errors.New("reflow: the model records no training configuration")
	}
	if steps > 0 {
		cfg.Steps = steps
	}
	cfg.Interp = interp.Linear{}
	cfg.TimeDist = interp.UniformTimes{}
	if distil > 0 {
		if distil > interp.MaxGridSteps {
			return cfg, fmt.Errorf("reflow: distil to %d steps: want at most %d", distil, interp.MaxGridSteps)
		}
		cfg.TimeDist = interp.GridTimes{K: distil}
	}
	cfg.MaxMin, cfg.ValEvery, cfg.Patience = 0, 0, 0
	cfg.Coupling = TrainConfig{}.Coupling
	cfg.Base = BaseNormal
	return cfg, nil
}

// validatePairs checks TrainData.Pairs against the rest of the data.
func (d *TrainData) validatePairs() error {
	p := d.Pairs
	if p == nil {
		return nil
	}
	switch {
	case d.Train == nil:
		return fmt.Errorf("train data %s: pairs need training rows (not a generated data set)", d.Name)
	case p.N != d.Train.N || p.D != d.Train.D || len(p.Data) != p.N*p.D:
		return fmt.Errorf("train data %s: %d×%d base points paired with %d×%d training rows", d.Name, p.N, p.D, d.Train.N, d.Train.D)
	case d.Dequantize || len(d.DequantizeCols) > 0 || len(d.ConstantCols) > 0:
		return fmt.Errorf("train data %s: paired rows are used as they are (no dequantization or constant columns)", d.Name)
	case d.Cond != nil || d.Labels != nil:
		return fmt.Errorf("train data %s: pairs of a conditional model are not supported", d.Name)
	}
	return nil
}

// checkInit checks that an initialization model has the run's architecture.
func checkInit(cfg TrainConfig, init *Model) error {
	if init.Base != nil {
		return errors.New("train: the initialization model has a learned base")
	}
	if got, want := init.Net.Config(), cfg.Net; !reflect.DeepEqual(got, want) {
		return fmt.Errorf("train: the initialization model's network (%v) differs from the run's (%v)", got, want)
	}
	return nil
}

// describeODE names a solver and its setting ("dopri5 rtol=1e-05 atol=1e-05", "rk4 steps=8").
func describeODE(o solver.Options) string {
	if o.Method.Adaptive() {
		return fmt.Sprintf("%v rtol=%g atol=%g", o.Method, o.RTol, o.ATol)
	}
	return fmt.Sprintf("%v steps=%d", o.Method, o.Steps)
}
