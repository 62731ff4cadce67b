package main

import (
	"context"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/solver"
)

// The solver benchmark groups (issue 4): sample (W-sample-rk4, W-sample-dopri5) and nll
// (W-nll), the workloads of ../shared/anchors/torch/bench.py. Every line also reports the
// time spent inside field evaluations (field_ms) and the solver's own share of the solve
// (overhead_frac = 1 − field_ms/ms).

// timedField wraps a field and accumulates the wall time of its evaluations.
type timedField struct {
	solver.DivField
	in time.Duration
}

// since adds the time since t0 to the field's time.
func (w *timedField) since(t0 time.Time) { w.in += time.Since(t0) }

// Velocity implements solver.Field, timing the wrapped call.
func (w *timedField) Velocity(t float64, x, out []float32) {
	defer w.since(time.Now())
	w.DivField.Velocity(t, x, out)
}

// VelocityDiv implements solver.DivField, timing the wrapped call.
func (w *timedField) VelocityDiv(t float64, x, out []float32, div []float64) {
	defer w.since(time.Now())
	w.DivField.VelocityDiv(t, x, out, div)
}

// VelocityDivHutchinson implements solver.DivField, timing the wrapped call.
func (w *timedField) VelocityDivHutchinson(t float64, x, out []float32, div []float64, probe []float32) {
	defer w.since(time.Now())
	w.DivField.VelocityDivHutchinson(t, x, out, div, probe)
}

// heavyRun is one timed solve: total and in-field wall time and the solver's statistics.
type heavyRun struct {
	ms, fieldMS float64
	st          solver.Stats
}

// measureHeavy runs warm once (a cheap solve that sizes every buffer), then run `repeats`
// times, and returns the run with the median wall time. Like bench.py's heavy workloads it
// stops early, keeping what it has, when ctx is done.
func measureHeavy(ctx context.Context, repeats int, warm func() error, run func(tf *timedField) (solver.Stats, error), tf *timedField) (heavyRun, error) {
	if err := warm(); err != nil {
		return heavyRun{}, err
	}
	var runs []heavyRun
	for len(runs) < repeats {
		if ctx.Err() != nil && len(runs) > 0 {
			break
		}
		tf.in = 0
		t0 := time.Now()
		st, err := run(tf)
		if err != nil {
			return heavyRun{}, err
		}
		runs = append(runs, heavyRun{ms: float64(time.Since(t0).Nanoseconds()) / 1e6, fieldMS: float64(tf.in.Nanoseconds()) / 1e6, st: st})
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].ms < runs[j].ms })
	return runs[len(runs)/2], nil
}

// heavyRepeats is the number of timed repeats of the sample and nll workloads (bench.py's
// --heavy-repeats default).
const heavyRepeats = 3

// sampleWorkloads are the sample group's workloads: 100 000 points by RK4 at 100 steps and
// by Dopri5 at 1e-5.
var sampleWorkloads = []struct {
	name string
	opt  solver.Options
}{
	{"W-sample-rk4", solver.Options{Method: solver.RK4, Steps: 100}},
	{"W-sample-dopri5", solver.Options{Method: solver.Dopri5, RTol: 1e-5, ATol: 1e-5}},
}

func benchSample(ctx context.Context, o *benchOpts) error {
	const n = 100_000
	lines := 0
	err := forEachSetting(o, func(impl string, th int) error {
		for _, w := range sampleWorkloads {
			if !o.want(w.name) || ctx.Err() != nil {
				continue
			}
			m := benchNet(2, 256) // untrained weights, seed 0: compare per evaluation
			tf := &timedField{DivField: m}
			x := make([]float32, 2*n)
			var ws solver.Workspace
			draw := func() {
				rng := rand.New(rand.NewPCG(1, 0))
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
			}
			warmOpt := w.opt
			warmOpt.Steps, warmOpt.RTol, warmOpt.ATol = 1, 1e-2, 1e-2
			warm := func() error {
				draw()
				_, err := ws.Solve(ctx, tf, x, 0, 1, &warmOpt)
				return err
			}
			opt := w.opt
			r, err := measureHeavy(ctx, heavyRepeats, warm, func(tf *timedField) (solver.Stats, error) {
				draw()
				return ws.Solve(ctx, tf, x, 0, 1, &opt)
			}, tf)
			if err != nil {
				return err
			}
			gflop := float64(r.st.NFE) * n * m.Config().FLOPsPerRow() / 1e9
			extra := []any{"nfe", r.st.NFE, "ms_per_nfe", r.ms / float64(r.st.NFE), "field_ms", r.fieldMS,
				"overhead_frac", 1 - r.fieldMS/r.ms, "n", n, "dim", 2, "width", 256, "method", opt.Method.String(),
				"accepted", r.st.Accepted, "rejected", r.st.Rejected, "samples_per_s", n / r.ms * 1e3, "weights", "untrained-seed0"}
			if opt.Method == solver.Dopri5 {
				extra = append(extra, "rtol", 1e-5, "atol", 1e-5)
			} else {
				extra = append(extra, "steps", opt.Steps)
			}
			lines++
			if err := emitRun(o, w.name, impl, th, "ms", r.ms, gflop, extra...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return o.out.Summary("sample", "results", lines, "impls", o.impls, "threads", o.threads)
}

func benchNLL(ctx context.Context, o *benchOpts) error {
	const name, n, steps = "W-nll", 10_000, 100
	lines := 0
	err := forEachSetting(o, func(impl string, th int) error {
		if !o.want(name) || ctx.Err() != nil {
			return nil
		}
		m := benchNet(2, 256)
		tf := &timedField{DivField: m}
		data := make([]float32, 2*n)
		dataset.Checkerboard{}.Sample(rand.New(rand.NewPCG(2, 0)), data)
		x := make([]float32, 2*n)
		logp := make([]float64, n)
		var ws solver.Workspace
		opt := solver.Options{Method: solver.RK4, Steps: steps}
		warmOpt := solver.Options{Method: solver.RK4, Steps: 1}
		warm := func() error {
			copy(x, data)
			_, err := ws.LogDensity(ctx, tf, 1, x, logp, nil, &warmOpt)
			return err
		}
		r, err := measureHeavy(ctx, heavyRepeats, warm, func(tf *timedField) (solver.Stats, error) {
			copy(x, data)
			return ws.LogDensity(ctx, tf, 1, x, logp, nil, &opt)
		}, tf)
		if err != nil {
			return err
		}
		nll := 0.0
		for _, v := range logp {
			nll -= v
		}
		nll /= n
		lines++
		return emitRun(o, name, impl, th, "ms", r.ms, float64(r.st.NFE)*divFLOPs(m, n)/1e9,
			"nfe", r.st.NFE, "ms_per_nfe", r.ms/float64(r.st.NFE), "field_ms", r.fieldMS, "overhead_frac", 1-r.fieldMS/r.ms,
			"n", n, "dim", 2, "width", 256, "steps", steps, "divergence", "exact-forward-mode", "nll", nll,
			"points_per_s", n/r.ms*1e3, "weights", "untrained-seed0")
	})
	if err != nil {
		return err
	}
	return o.out.Summary("nll", "results", lines, "impls", o.impls, "threads", o.threads)
}
