package main

import (
	"context"
	"flag"
	"math"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/mle"
	"github.com/interflow/flowbench/solver"
)

// mleFlags are the `flowbench train` flags of the maximum-likelihood objective (issue 8).
type mleFlags struct {
	objective, grad, div *string
	steps                *int
	tol, kinetic, jacob  *float64
}

func addMLEFlags(fs *flag.FlagSet) *mleFlags {
	def := mle.DefaultConfig()
	return &mleFlags{
		objective: fs.String("objective", "interpolant", "training objective: interpolant, or mle (maximum likelihood through the ODE, the FFJORD-style baseline)"),
		grad:      fs.String("mle-grad", def.Gradient.String(), "mle: gradient by adjoint (Dopri5 forward) or discrete (backprop through RK4)"),
		steps:     fs.Int("mle-steps", def.Steps, "mle: RK4 steps of the adjoint's backward solve, or of the whole discrete solve"),
		tol:       fs.Float64("mle-tol", def.Forward.RTol, "mle: rtol = atol of the adjoint's Dopri5 forward solve"),
		div:       fs.String("mle-div", "", "mle: divergence exact or hutchinson (default exact for d ≤ 2)"),
		kinetic:   fs.Float64("kinetic", 0, "mle: RNODE kinetic-energy weight"),
		jacob:     fs.Float64("jacobian", 0, "mle: RNODE Jacobian-Frobenius weight"),
	}
}

// config returns the MLE objective's configuration of the flags.
func (f *mleFlags) config() (mle.Config, error) {
	return mleConfig("train", *f.grad, *f.steps, *f.tol, *f.div, *f.kinetic, *f.jacob)
}

// isMLE reports whether --objective names the MLE objective (an unknown objective is
// reported by train).
func (f *mleFlags) isMLE() bool { return *f.objective == "mle" }

// tableValEvery returns the validation interval of the table defaults for the objective:
// gen.TableValEvery's for the interpolant, gen.TableValEveryMLE's (an MLE step costs some
// hundred times more) for mle.
func (f *mleFlags) tableValEvery(cfg gen.TrainConfig, d, nVal int) int {
	if f.isMLE() {
		if mc, err := f.config(); err == nil {
			return gen.TableValEveryMLE(cfg, mc, d, nVal)
		}
	}
	return gen.TableValEvery(cfg, d, nVal)
}

// train runs gen.Train, or gen.TrainMLE for --objective mle, whose per-step JSON lines
// carry step, loss, nll, kinetic, jacobian, nfe, nfe_backward, lr and elapsed_s; a line
// that cannot be printed goes to logFailed.
func (f *mleFlags) train(ctx context.Context, cfg gen.TrainConfig, data *gen.TrainData, opt gen.TrainOptions, em *emitter, pb *bar, logFailed func(error)) (*gen.Model, error) {
	switch *f.objective {
	case "interpolant":
		return gen.Train(ctx, cfg, data, opt)
	case "mle":
	default:
		return nil, usagef("train: --objective %q: want interpolant or mle", *f.objective)
	}
	mc, err := f.config()
	if err != nil {
		return nil, err
	}
	opt.Log = nil // the MLE log below replaces the interval log
	return gen.TrainMLE(ctx, cfg, mc, data, opt, func(e gen.MLELogEntry) {
		pb.clear()
		if err := em.Emit("step", e.Step, "loss", e.Loss, "nll", e.NLL, "kinetic", e.Kinetic, "jacobian", e.Jacobian,
			"nfe", e.NFE, "nfe_backward", e.NFEBackward, "lr", e.LR, "elapsed_s", e.Elapsed); err != nil {
			logFailed(err)
		}
	})
}

// mleConfig checks the MLE flags that train and bench objectives share (--mle-grad,
// --mle-steps, --mle-tol, --mle-div, --kinetic, --jacobian), each error naming its flag,
// and returns the objective's configuration.
func mleConfig(cmd, grad string, steps int, tol float64, div string, kinetic, jacobian float64) (mle.Config, error) {
	g, err := mle.ParseGradient(grad)
	if err != nil {
		return mle.Config{}, usagef("%s: --mle-grad: %v", cmd, err)
	}
	if steps < 1 || steps > 1<<16 {
		return mle.Config{}, usagef("%s: --mle-steps must be in [1, 65536], got %d", cmd, steps)
	}
	if err := mustPositiveFloat(cmd, "mle-tol", tol); err != nil {
		return mle.Config{}, err
	}
	if div != "" {
		if err := parseChoice(cmd, "mle-div", div, "exact", "hutchinson"); err != nil {
			return mle.Config{}, err
		}
	}
	for _, w := range []struct {
		name string
		v    float64
	}{{"kinetic", kinetic}, {"jacobian", jacobian}} {
		if !(w.v >= 0) || math.IsInf(w.v, 0) {
			return mle.Config{}, usagef("%s: --%s must be a finite number ≥ 0, got %v", cmd, w.name, w.v)
		}
	}
	mc := mle.Config{Gradient: g, Steps: steps, Div: div, Kinetic: kinetic, Jacobian: jacobian,
		Forward: solver.Options{Method: solver.Dopri5, RTol: tol, ATol: tol}}
	if err := mc.Validate(); err != nil {
		return mc, usagef("%s: %v", cmd, err)
	}
	return mc, nil
}
