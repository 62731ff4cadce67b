package main

import (
	"context"
	"flag"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/interflow/flowbench/compare"
	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/internal/atomicfile"
	"github.com/interflow/flowbench/kernels"
)

// The objectives group (issue 8): the interpolant objective against maximum likelihood
// (a continuous normalizing flow trained FFJORD-style), both from the same initialization
// for the same wall-clock budget, with the test NLL at regular intervals.

// objectivesFlags are the flags of the objectives group.
type objectivesFlags struct {
	data, png, grad, objectives, div string
	budget, every                    float64
	testN, batch, width, depth       int
	mleSteps                         int
	lr, rtol, kinetic, jacobian      float64
	seed                             uint64
}

// objFlags holds the objectives group's flags, set by parsing when the group is named
// before them.
var objFlags objectivesFlags

// add adds the group's flags to fs.
func (o *objectivesFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&o.data, "data", "8gaussians", "data set: a generated one, gmm64 (the 64-D Gaussian mixture) or a file")
	fs.Float64Var(&o.budget, "budget", 60, "training wall time per objective, seconds")
	fs.Float64Var(&o.every, "every", 0, "training seconds between test evaluations (0: budget/20)")
	fs.StringVar(&o.png, "png", "", "write the plot of test NLL against wall time here (default objectives_<data>.png; - for none)")
	fs.IntVar(&o.testN, "test-n", 2000, "test points")
	fs.IntVar(&o.batch, "batch", 512, "training batch (both objectives)")
	fs.IntVar(&o.width, "width", 256, "hidden width")
	fs.IntVar(&o.depth, "depth", 3, "hidden layers")
	fs.Float64Var(&o.lr, "lr", 1e-3, "learning rate (constant, Adam)")
	fs.StringVar(&o.grad, "mle-grad", "adjoint", "MLE gradient: adjoint (Dopri5 forward, FFJORD) or discrete (RK4 backprop)")
	fs.IntVar(&o.mleSteps, "mle-steps", 16, "RK4 steps of the MLE gradient's backward (adjoint) or whole (discrete) solve")
	fs.Float64Var(&o.rtol, "mle-tol", 1e-5, "rtol = atol of the MLE forward Dopri5 solve (adjoint)")
	fs.StringVar(&o.div, "mle-div", "", "MLE divergence: exact, hutchinson or empty (exact for d ≤ 2)")
	fs.Float64Var(&o.kinetic, "kinetic", 0, "RNODE kinetic-energy weight of the MLE objective")
	fs.Float64Var(&o.jacobian, "jacobian", 0, "RNODE Jacobian-Frobenius weight of the MLE objective")
	fs.StringVar(&o.objectives, "objectives", "interpolant,mle", "objectives to run, in order")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the initialization, batches and test draws")
}

// objectivesData returns the training data and test points of --data.
func objectivesData(name string, n int, seed uint64) (*gen.TrainData, []float32, error) {
	if name == "gmm64" {
		g := dataset.GMM64()
		return &gen.TrainData{Name: "gmm64", Toy: g}, dataset.SampleN(g, n, seed^0x74657374), nil
	}
	if _, err := dataset.NewToy(name); err != nil {
		if st, err := os.Stat(name); name == dataset.Stdin || err == nil && st.Mode()&(os.ModeNamedPipe|os.ModeCharDevice|os.ModeSocket) != 0 {
			return nil, nil, usagef("bench objectives: --data %q: a stream cannot be read here (its training and test rows are read in two passes): save it to a file", name)
		}
	}
	data, err := gen.LoadTrainData(name, gen.DefaultSplit)
	if err != nil {
		return nil, nil, err
	}
	if data.Toy != nil {
		return data, dataset.SampleN(data.Toy, n, seed^0x74657374), nil
	}
	f, err := dataset.LoadFile(name, gen.DefaultSplit)
	if err != nil {
		return nil, nil, err
	}
	test, err := f.Part(dataset.PartTest)
	if err != nil {
		return nil, nil, err // names the file
	}
	x := test.Data
	if n > 0 && n < test.N {
		x = x[:n*test.D]
	}
	if test.Bytes8 {
		dataset.Dequantize(dataset.ToyRNG(seed, 0x6465717561), x)
	}
	return data, x, nil
}

func benchObjectives(ctx context.Context, o *benchOpts) error {
	f := objFlags
	switch {
	case len(o.only) > 0:
		return usagef("bench objectives: --only: the group has no workloads to select (choose the objectives with --objectives interpolant,mle)")
	case !(f.budget > 0) || math.IsInf(f.budget, 0):
		return usagef("bench objectives: --budget %g: want a positive number of seconds", f.budget)
	case f.every < 0 || math.IsNaN(f.every):
		return usagef("bench objectives: --every %g: want ≥ 0", f.every)
	case f.testN < 1:
		return usagef("bench objectives: --test-n %d: want ≥ 1", f.testN)
	case f.depth < 1:
		return usagef("bench objectives: --depth %d: want ≥ 1", f.depth)
	}
	mc, err := mleConfig("bench objectives", f.grad, f.mleSteps, f.rtol, f.div, f.kinetic, f.jacobian)
	if err != nil {
		return err
	}
	png := f.png
	if png == "" {
		png = "objectives_" + strings.NewReplacer("/", "_", "\\", "_").Replace(f.data) + ".png"
	}
	if png != "-" { // checked before the budget is spent
		if err := checkOut("bench objectives", "png", png); err != nil {
			return err
		}
		if err := checkOutNotInput("bench objectives", "png", png, "--data", f.data); err != nil {
			return err
		}
	}
	data, test, err := objectivesData(f.data, f.testN, f.seed)
	if err != nil {
		return err
	}
	d := len(test) / max(1, f.testN)
	if data.Toy != nil {
		d = data.Toy.Dim()
	} else if data.Train != nil {
		d = data.Train.D
	}
	cc := compare.Defaults(d)
	cc.Train.Seed, cc.Train.Batch, cc.Train.LR = f.seed, f.batch, f.lr
	cc.Train.Net.Hidden = make([]int, f.depth)
	for i := range cc.Train.Net.Hidden {
		cc.Train.Net.Hidden[i] = f.width
	}
	cc.MLE = mc
	cc.Budget = time.Duration(f.budget * float64(time.Second))
	every := f.every
	if every == 0 {
		every = f.budget / 20
	}
	cc.EvalEvery = time.Duration(every * float64(time.Second))
	cc.Test = test
	cc.Objectives = strings.Split(f.objectives, ",")
	cc.Eval.Seed = f.seed
	threads := o.threads[0]
	kernels.SetThreads(threads)
	byObj := map[string][]compare.Point{}
	var emitErr error
	err = compare.Objectives(ctx, cc, data, func(p compare.Point) {
		byObj[p.Objective] = append(byObj[p.Objective], p)
		kv := []any{"group", "objectives", "data", data.Name, "objective", p.Objective, "threads", threads,
			"elapsed_s", round3(p.Elapsed), "step", p.Step, "nll", p.NLL}
		if f.testN > 1 {
			kv = append(kv, "nll_stderr", p.NLLStderr)
		}
		kv = append(kv, "nfe_per_step", p.NFEPerStep, "nfe_backward_per_step", p.NFEBackward)
		if e := o.out.Emit(kv...); e != nil && emitErr == nil {
			emitErr = e
		}
	})
	if err != nil {
		return err
	}
	if emitErr != nil {
		return emitErr
	}
	for _, name := range cc.Objectives {
		ps := byObj[name]
		if len(ps) == 0 {
			continue
		}
		last := ps[len(ps)-1]
		if err := o.out.Summary("objectives", "data", data.Name, "objective", name,
			"final_nll", last.NLL, "steps", last.Step, "elapsed_s", round3(last.Elapsed),
			"time_to_within_0.05_s", round3(compare.TimeToWithin(ps, 0.05))); err != nil {
			return err
		}
	}
	if png != "-" {
		if err := objectivesPlot(png, data.Name, cc.Objectives, byObj); err != nil {
			return err
		}
	}
	return nil
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// objectivesPlot writes test NLL against training wall time, one line per objective.
func objectivesPlot(path, title string, names []string, by map[string][]compare.Point) error {
	p := plot.New()
	p.Title.Text = "test NLL vs training time: " + title
	p.X.Label.Text = "training wall time (s)"
	p.Y.Label.Text = "test NLL (nats)"
	colors := map[string]color.Color{"interpolant": color.RGBA{B: 200, A: 255}, "mle": color.RGBA{R: 200, A: 255}}
	for _, name := range names {
		var xy plotter.XYs
		for _, pt := range by[name] {
			if !math.IsNaN(pt.NLL) && !math.IsInf(pt.NLL, 0) {
				xy = append(xy, plotter.XY{X: pt.Elapsed, Y: pt.NLL})
			}
		}
		if len(xy) == 0 {
			continue
		}
		l, s, err := plotter.NewLinePoints(xy)
		if err != nil {
			return fmt.Errorf("bench objectives: plot: %w", err)
		}
		if c, ok := colors[name]; ok {
			l.Color, s.Color = c, c
		}
		p.Add(l, s)
		p.Legend.Add(name, l, s)
	}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	wt, err := p.WriterTo(7*vg.Inch, 4.5*vg.Inch, "png")
	if err != nil {
		return fmt.Errorf("bench objectives: plot: %w", err)
	}
	return atomicfile.Write(path, func(w io.Writer) error { _, err := wt.WriteTo(w); return err })
}
