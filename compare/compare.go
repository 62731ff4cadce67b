// Package compare trains the same network with the interpolant objective and with maximum
// likelihood for one wall-clock budget each and reports the test NLL along the way (the
// comparison behind `flowbench bench objectives`). It uses gen and mle only through their
// exported API.
package compare

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/mle"
	"github.com/interflow/flowbench/nn"
	"github.com/interflow/flowbench/solver"
)

// Config configures Objectives.
type Config struct {
	// Train is the training configuration of both runs (network, batch, optimizer, seed:
	// hence the same initialization). Its Steps is ignored (the budget ends each run); the
	// schedule should not depend on Steps (constant).
	Train gen.TrainConfig
	// MLE is the maximum-likelihood objective's configuration.
	MLE mle.Config
	// Budget is each objective's training wall time (evaluation excluded).
	Budget time.Duration
	// EvalEvery is the training time between test evaluations.
	EvalEvery time.Duration
	// Test holds the test points (n×d, data units).
	Test []float32
	// Eval configures the test likelihood (the path of `flowbench nll`).
	Eval gen.LikelihoodOptions
	// Objectives lists the objectives to run, in order ("interpolant", "mle"); empty: both.
	Objectives []string
}

// Point is one evaluation of a run of Objectives.
type Point struct {
	Objective string  `json:"objective"` // interpolant or mle
	Elapsed   float64 `json:"elapsed_s"` // training wall time so far (evaluations excluded)
	Step      int     `json:"step"`
	NLL       float64 `json:"nll"` // test NLL (nats, data units)
	NLLStderr float64 `json:"nll_stderr"`
	// NFEPerStep is the mean number of field evaluations per training step since the last
	// point: 1 for the interpolant (one batched forward/backward), the forward solve's
	// count for MLE; NFEBackward is MLE's backward count (0 for the interpolant).
	NFEPerStep  float64 `json:"nfe_per_step"`
	NFEBackward float64 `json:"nfe_backward_per_step"`
	EvalNFE     int     `json:"eval_nfe"` // field evaluations of the test likelihood
}

// Objectives trains the same network from the same initialization with the
// interpolant objective and with maximum likelihood, each for the same wall-clock budget,
// and reports the test NLL at regular training-time intervals (the time spent evaluating
// is not counted) through emit. It stops early, keeping what was emitted, when ctx is done.
func Objectives(ctx context.Context, cc Config, data *gen.TrainData, emit func(Point)) error {
	if cc.Budget <= 0 || cc.EvalEvery <= 0 {
		return fmt.Errorf("compare: budget %v and eval interval %v must be positive", cc.Budget, cc.EvalEvery)
	}
	d := 0
	switch {
	case data.Toy != nil:
		d = data.Toy.Dim()
	case data.Train != nil:
		d = data.Train.D
	default:
		return errors.New("compare: no training data")
	}
	objs := cc.Objectives
	if len(objs) == 0 {
		objs = []string{"interpolant", "mle"}
	}
	cfg := cc.Train
	cfg.Net.Dim = d
	cfg.Steps = math.MaxInt32
	cfg.CkptEvery = 0
	if err := cfg.Validate(); err != nil {
		return err
	}
	if len(cc.Test) == 0 || len(cc.Test)%cfg.Net.Dim != 0 {
		return fmt.Errorf("compare: %d test values is not a whole number of rows of dimension %d", len(cc.Test), cfg.Net.Dim)
	}
	for _, name := range objs {
		if err := compareRun(ctx, name, cfg, cc, data, emit); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
	return nil
}

func compareRun(ctx context.Context, name string, cfg gen.TrainConfig, cc Config, data *gen.TrainData, emit func(Point)) error {
	if name != "interpolant" && name != "mle" {
		return fmt.Errorf("compare: unknown objective %q (want interpolant or mle)", name)
	}
	// The network both runs start from: Train and TrainMLE initialize it from cfg.Seed.
	net, err := nn.New(cfg.Net, cfg.Seed)
	if err != nil {
		return fmt.Errorf("compare %s: %w", name, err)
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	info := gen.DataInfo{Name: data.Name, Stats: data.Stats}
	start := time.Now()
	var evalTime time.Duration
	next := time.Duration(0)
	lastStep, nfe, nfeB := 0, 0, 0
	var evalErr error
	trained := func() time.Duration { return time.Since(start) - evalTime }
	evaluate := func(step int, net *nn.MLP) {
		t0 := time.Now()
		el := trained()
		m := &gen.Model{Net: net, Data: info}
		lp, enfe, err := m.LogProb(ctx, cc.Test, cc.Eval)
		p := Point{Objective: name, Elapsed: el.Seconds(), Step: step, EvalNFE: enfe, NLL: math.NaN(), NLLStderr: math.NaN()}
		if err == nil {
			s := gen.SummarizeNLL(lp, m.Dim())
			p.NLL, p.NLLStderr = s.NLL, s.StdErr
		} else if ctx.Err() == nil {
			evalErr = fmt.Errorf("compare %s: step %d: test likelihood: %w", name, step, err)
			cancel()
		}
		if n := step - lastStep; n > 0 {
			if name == "mle" {
				p.NFEPerStep, p.NFEBackward = float64(nfe)/float64(n), float64(nfeB)/float64(n)
			} else {
				p.NFEPerStep = 1
			}
		}
		lastStep, nfe, nfeB = step, 0, 0
		if err == nil || ctx.Err() == nil {
			emit(p)
		}
		evalTime += time.Since(t0)
	}
	tick := func(step int, net *nn.MLP) {
		if el := trained(); el >= cc.Budget {
			evaluate(step, net)
			cancel()
		} else if el >= next {
			evaluate(step, net)
			next += cc.EvalEvery
		}
	}
	tick(0, net)
	opt := gen.TrainOptions{Progress: func(p gen.Progress) { tick(p.Step, p.Net) }}
	var runErr error
	if name == "interpolant" {
		_, runErr = gen.Train(rctx, cfg, data, opt)
	} else {
		_, runErr = gen.TrainMLE(rctx, cfg, cc.MLE, data, opt, func(e gen.MLELogEntry) {
			nfe += e.NFE
			nfeB += e.NFEBackward
		})
	}
	if evalErr != nil {
		return evalErr
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return fmt.Errorf("compare %s: %w", name, runErr)
	}
	return nil
}

// Defaults returns the comparison's defaults for data of dimension d: the default
// network (3×256 SiLU) at a constant learning rate of 1e-3 without EMA, batches of 512,
// the FFJORD-style MLE (mle.DefaultConfig) and the test likelihood by Dopri5 at
// rtol = atol = 1e-5.
func Defaults(d int) Config {
	cfg := gen.DefaultTrainConfig(d)
	cfg.Batch, cfg.LR, cfg.Schedule, cfg.Warmup, cfg.EMA, cfg.LogEvery = 512, 1e-3, gen.LRConstant, 0, 0, 0
	return Config{
		Train: cfg,
		MLE:   mle.DefaultConfig(),
		Eval:  gen.LikelihoodOptions{ODE: solver.Options{Method: solver.Dopri5, RTol: 1e-5, ATol: 1e-5}, Batch: 1000},
	}
}

// TimeToWithin returns the first elapsed time at which a run's NLL came within tol of its
// final NLL and stayed there, or NaN for no points.
func TimeToWithin(points []Point, tol float64) float64 {
	if len(points) == 0 {
		return math.NaN()
	}
	final := points[len(points)-1].NLL
	t := points[len(points)-1].Elapsed
	for i := len(points) - 1; i >= 0; i-- {
		if !(math.Abs(points[i].NLL-final) <= tol) {
			break
		}
		t = points[i].Elapsed
	}
	return t
}
