package compare

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/interflow/flowbench/coupling"
	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/metrics"
	"github.com/interflow/flowbench/solver"
)

// Path methods (issue 16): ways of choosing the training pairs or paths, each trained for
// the same wall-clock budget on the same data and scored on the same test points.

// PathMethod is one row of Couplings: a coupling of the training pairs, the max–min over a
// learnable interpolant, or a reflow (optionally distilled) of the independent model.
//
// The couplings train with the linear interpolant x_t = (1 − t)·x0 + t·x1, as OT-CFM does:
// between matched pairs the trigonometric path cos(πt/2)·x0 + sin(πt/2)·x1 bows outward
// (its norm grows by up to √2 midway), so OT pairs joined by it give a flow with more
// kinetic energy than independent pairs (on 8gaussians 6.5 against 3.8), not less.
// "linear" is the independent coupling with that interpolant, their baseline.
type PathMethod struct {
	// Name is the method's configuration string: "independent", "linear", "ot",
	// "sinkhorn:EPS", "maxmin" or "reflow" / "reflow:K" (distilled to K Euler steps).
	Name     string
	Coupling coupling.Spec
	Linear   bool
	MaxMin   bool
	Reflow   bool
	Distil   int
}

// ParsePathMethod reads a PathMethod's name.
func ParsePathMethod(s string) (PathMethod, error) {
	name, arg, has := strings.Cut(s, ":")
	switch name {
	case "maxmin":
		if has {
			return PathMethod{}, fmt.Errorf("compare: method %q: maxmin takes no argument", s)
		}
		return PathMethod{Name: s, MaxMin: true}, nil
	case "linear":
		if has {
			return PathMethod{}, fmt.Errorf("compare: method %q: linear takes no argument", s)
		}
		return PathMethod{Name: s, Linear: true}, nil
	case "reflow":
		m := PathMethod{Name: s, Reflow: true}
		if has {
			if _, err := fmt.Sscanf(arg, "%d", &m.Distil); err != nil || m.Distil < 1 || fmt.Sprint(m.Distil) != arg {
				return PathMethod{}, fmt.Errorf("compare: method %q: want reflow:K with K ≥ 1 Euler steps", s)
			}
		}
		return m, nil
	}
	sp, err := coupling.Parse(s)
	if err != nil {
		return PathMethod{}, fmt.Errorf("compare: method %q: %w (or linear, maxmin, reflow, reflow:K)", s, err)
	}
	return PathMethod{Name: s, Coupling: sp, Linear: sp.Method != coupling.Independent}, nil
}

// PathsConfig configures Couplings.
type PathsConfig struct {
	// Train is the training configuration every method starts from (its Steps are set from
	// the budget; Coupling and MaxMin by the method).
	Train gen.TrainConfig
	// Budget is the training wall time of each method; a reflow gets it again for its
	// retraining, after its source (the independent model) and the pair generation.
	Budget time.Duration
	// Methods are the rows, in order; reflow rows need "independent" before them.
	Methods []PathMethod
	// Test holds the test points (data units) and Ref an independent draw of the same size
	// for the energy distance's floor (nil: no floor).
	Test, Ref []float32
	// Tol is the Dopri5 rtol = atol of the NFE and likelihood figures; EulerSteps the step
	// counts of the few-step energy distances; Pairs the reflow pairs.
	Tol        float64
	EulerSteps []int
	Pairs      int
	// Seed seeds the samples (the methods' training seeds are Train.Seed).
	Seed uint64
	// Log, when set, is told what runs.
	Log func(string)
}

// PathRow is one method's result.
type PathRow struct {
	Method string
	// Steps trained, the wall time per step (milliseconds, from a timing probe of the
	// method's own step) and the training time including a reflow's source and pairs.
	Steps     int
	StepMS    float64
	TrainS    float64
	StepShare float64 // the coupling's share of a training step (its time over the step's, both timed here)
	// TestNLL is the test NLL (nats, data units) and its standard error, by Dopri5 at Tol;
	// NFELogp its field evaluations and NFESample those of sampling TestN points.
	TestNLL, TestNLLStderr float64
	NFELogp, NFESample     int
	// Energy is the energy distance of TestN samples to the test points, by Dopri5 at Tol;
	// EulerEnergy[i] with EulerSteps[i] Euler steps; Floor that of Ref.
	Energy, Floor float64
	EulerEnergy   []float64
	// Kinetic and Straightness are gen.PathStats' (model units).
	Kinetic, Straightness float64
}

// probeSteps is the number of steps timed to turn a budget into a step count.
const probeSteps = 30

// Couplings trains each method for cc.Budget and emits its row.
func Couplings(ctx context.Context, cc PathsConfig, data *gen.TrainData, emit func(PathRow)) error {
	if cc.Budget <= 0 || len(cc.Methods) == 0 || len(cc.Test) == 0 {
		return errors.New("compare: couplings: want a positive budget, methods and test points")
	}
	var indep *gen.Model
	var indepS float64
	for _, pm := range cc.Methods {
		log := func(format string, a ...any) {
			if cc.Log != nil {
				cc.Log(pm.Name + ": " + fmt.Sprintf(format, a...))
			}
		}
		cfg := cc.Train
		cfg.Coupling, cfg.MaxMin = pm.Coupling, 0
		if pm.Linear {
			cfg.Interp = interp.Linear{}
		}
		if pm.MaxMin {
			// The paper's learnable interpolant: Fourier corrections to the trigonometric
			// path, one ascent step on them after every network step.
			cfg.Interp, cfg.MaxMin = interp.NewFourier(4), 1
		}
		train, init := data, (*gen.Model)(nil)
		var extra float64
		if pm.Reflow {
			if indep == nil {
				return fmt.Errorf("compare: method %s: reflow needs the independent method before it", pm.Name)
			}
			t0 := time.Now()
			log("generating %d pairs", cc.Pairs)
			td, err := gen.ReflowData(ctx, indep, "independent", gen.ReflowOptions{N: cc.Pairs, Seed: cc.Seed})
			if err != nil {
				return err
			}
			if cfg, err = gen.ReflowConfig(indep, 0, pm.Distil); err != nil {
				return err
			}
			train, init, extra = td, indep, indepS+time.Since(t0).Seconds()
		}
		ms, err := stepMS(ctx, cfg, train, init)
		if err != nil {
			return fmt.Errorf("compare: method %s: %w", pm.Name, err)
		}
		cfg.Steps = max(probeSteps, int(cc.Budget.Seconds()*1000/ms))
		cfg.Warmup = min(cfg.Warmup, cfg.Steps/10)
		log("%d steps at %.3g ms", cfg.Steps, ms)
		t0 := time.Now()
		m, err := gen.Train(ctx, cfg, train, gen.TrainOptions{Init: init})
		if err != nil {
			return fmt.Errorf("compare: method %s: %w", pm.Name, err)
		}
		row := PathRow{Method: pm.Name, Steps: cfg.Steps, StepMS: ms, TrainS: extra + time.Since(t0).Seconds()}
		if pm.Name == "independent" {
			indep, indepS = m, row.TrainS
		}
		if pm.Coupling.Method != coupling.Independent {
			cms, err := pairMS(pm.Coupling, cfg.Batch, data, cfg.Seed)
			if err != nil {
				return fmt.Errorf("compare: method %s: %w", pm.Name, err)
			}
			row.StepShare = min(1, cms/ms)
		}
		log("scoring")
		if err := scorePaths(ctx, cc, m, &row); err != nil {
			return fmt.Errorf("compare: method %s: %w", pm.Name, err)
		}
		emit(row)
	}
	return nil
}

// stepMS times probeSteps training steps of cfg on data (after as many untimed) and returns
// the milliseconds per step.
func stepMS(ctx context.Context, cfg gen.TrainConfig, data *gen.TrainData, init *gen.Model) (float64, error) {
	cfg.Steps, cfg.Warmup, cfg.LogEvery, cfg.CkptEvery = 2*probeSteps, 0, 0, 0
	var t0 time.Time
	_, err := gen.Train(ctx, cfg, data, gen.TrainOptions{Init: init, Progress: func(p gen.Progress) {
		if p.Step == probeSteps {
			t0 = time.Now()
		}
	}})
	if err != nil {
		return 0, err
	}
	return float64(time.Since(t0).Microseconds()) / 1000 / probeSteps, nil
}

// pairMS times the coupling alone on probeSteps batches of the data's rows (toys: fresh
// draws; tables: rows drawn with replacement) and base points, in milliseconds per batch.
// Timed beside the step it is a part of, the ratio holds on a loaded machine.
func pairMS(sp coupling.Spec, b int, data *gen.TrainData, seed uint64) (float64, error) {
	c, err := coupling.NewCoupler(sp)
	if err != nil {
		return 0, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x70616972))
	var d int
	switch {
	case data.Toy != nil:
		d = data.Toy.Dim()
	case data.Train != nil:
		d = data.Train.D
	default:
		return 0, errors.New("no data")
	}
	x0, x1, src := make([]float32, b*d), make([]float32, b*d), make([]int, b)
	var total time.Duration
	for range probeSteps {
		for i := range x0 {
			x0[i] = float32(rng.NormFloat64())
		}
		if data.Toy != nil {
			data.Toy.Sample(rng, x1)
		} else {
			for i := range b {
				r := rng.IntN(data.Train.N)
				copy(x1[i*d:i*d+d], data.Train.Data[r*d:r*d+d])
			}
		}
		t0 := time.Now()
		if err := c.Pair(x0, x1, b, d, rng, src); err != nil {
			return 0, err
		}
		total += time.Since(t0)
	}
	return float64(total.Microseconds()) / 1000 / probeSteps, nil
}

// scorePaths fills the row's test figures.
func scorePaths(ctx context.Context, cc PathsConfig, m *gen.Model, row *PathRow) error {
	d := m.Dim()
	n := len(cc.Test) / d
	dopri := solver.Options{Method: solver.Dopri5, RTol: cc.Tol, ATol: cc.Tol}
	lp, nfe, err := m.LogProb(ctx, cc.Test, gen.LikelihoodOptions{ODE: dopri})
	if err != nil {
		return err
	}
	s := gen.SummarizeNLL(lp, d)
	row.TestNLL, row.TestNLLStderr, row.NFELogp = s.NLL, s.StdErr, nfe
	energy := func(o solver.Options) (float64, int, error) {
		res, err := m.Sample(ctx, n, gen.SampleOptions{ODE: o, Seed: cc.Seed})
		if err != nil {
			return 0, 0, err
		}
		return metrics.EnergyDistance(res.X, cc.Test, d, 0), res.NFE, nil
	}
	if row.Energy, row.NFESample, err = energy(dopri); err != nil {
		return err
	}
	row.Floor = math.NaN()
	if cc.Ref != nil {
		row.Floor = metrics.EnergyDistance(cc.Ref, cc.Test, d, 0)
	}
	for _, k := range cc.EulerSteps {
		e, _, err := energy(solver.Options{Method: solver.Euler, Steps: k})
		if err != nil {
			return err
		}
		row.EulerEnergy = append(row.EulerEnergy, e)
	}
	ps, err := m.PathStats(ctx, min(n, 2000), cc.Seed, 0)
	if err != nil {
		return err
	}
	row.Kinetic, row.Straightness = ps.Kinetic, ps.Straightness
	return nil
}

// ToyTest returns n test points of a generated data set and an independent draw of n more
// (the energy distance's floor), from seed.
func ToyTest(s dataset.Sampler, n int, seed uint64) (test, ref []float32) {
	return dataset.SampleN(s, n, seed^0x74657374), dataset.SampleN(s, n, seed^0x666c6f6f72)
}
