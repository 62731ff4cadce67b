package main

import (
	"context"
	"io"
	"math"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/solver"
)

// The sample and encode subcommands: the flow from the base to data points, and back.

func init() {
	register(&command{name: "sample", summary: "draw samples from a trained model", run: runSample})
	register(&command{name: "encode", summary: "map data points to the base (inverse flow)", run: runEncode})
}

func runSample(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const cmd = "sample"
	fs := newFlags(cmd, "--model MODEL --n N --out FILE(.csv|.tsv|.npy) [flags]", stdout)
	model := fs.String("model", "", "model checkpoint")
	n := fs.Int("n", 10000, "number of samples")
	out := fs.String("out", "", "output file (.csv, .tsv or .npy); with --with-logp the last column is log ρ(x)")
	sf := addSolverFlags(fs, "dopri5", 1e-5, true)
	batch := fs.Int("batch", 10000, "rows solved together (bounds memory)")
	sde := fs.Bool("sde", false, "sample with the score-based SDE (N(0, I) base only)")
	eps := fs.String("eps", "linear:1", "SDE diffusion ε(t): const:C, linear:C or cos:C")
	sdeMethod := fs.String("sde-method", "heun", "SDE scheme: euler-maruyama or heun")
	tEnd := fs.Float64("t-end", 1, "integrate from 0 to this time")
	withLogp := fs.Bool("with-logp", false, "also compute each sample's log-density (ODE only)")
	hutch := fs.Bool("hutchinson", false, "with --with-logp: Hutchinson divergence instead of exact")
	cf := addCondFlags(fs, "output")
	c := addCommon(fs)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if err := mustPositive(cmd, "n", *n, "batch", *batch); err != nil {
		return err
	}
	if !(*tEnd > 0 && *tEnd <= 1) {
		return usagef("%s: --t-end must be in (0, 1], got %v", cmd, *tEnd)
	}
	opt := gen.SampleOptions{Batch: *batch, Seed: *c.seed, WithLogP: *withLogp, TEnd: *tEnd}
	var err error
	if opt.ODE, err = sf.options(cmd); err != nil {
		return err
	}
	if *withLogp && opt.ODE.Method.Adaptive() {
		densityTol(&opt.ODE, setFlags(fs))
	}
	if *hutch {
		opt.ODE.Div = solver.DivRademacher
		opt.ODE.ProbeSeed = *c.seed
	}
	if *sde {
		if *withLogp {
			return usagef("%s: --with-logp needs the ODE sampler (drop --sde)", cmd)
		}
		sch, err := solver.ParseSchedule(*eps)
		if err != nil {
			return usagef("%s: --eps: %v", cmd, err)
		}
		meth, err := solver.ParseSDEMethod(*sdeMethod)
		if err != nil {
			return usagef("%s: --sde-method: %v", cmd, err)
		}
		steps := *sf.steps
		if !setFlags(fs)["steps"] {
			steps = 500
		}
		opt.SDE = &solver.SDEOptions{Method: meth, Steps: steps, Eps: sch}
	}
	pf, m, err := c.outAndModel(cmd, *out, *model, "--cond", *cf.cond)
	if err != nil {
		return err
	}
	if err := cf.check(cmd, m); err != nil {
		return err
	}
	if opt.Cond, err = cf.shared(cmd, m); err != nil {
		return err
	}
	if opt.Cond == nil {
		var rows int
		if opt.Cond, rows, err = cf.fromFile(m); err != nil {
			return err
		}
		if opt.Cond != nil {
			if setFlags(fs)["n"] && *n != rows {
				return usagef("%s: --n %d but --cond %s has %d rows (one sample per context row)", cmd, *n, *cf.cond, rows)
			}
			*n = rows
		}
	}
	if err := need(cmd, m, opt.Cond); err != nil {
		return err
	}
	d := m.Dim()
	if int64(*n)*int64(d+1) > 1<<31 {
		return usagef("%s: --n %d is too large", cmd, *n)
	}
	pb := newBar(stderr, *c.quiet, *n, "sample")
	opt.Progress = func(done, _ int) { pb.set(done) }
	res, err := m.Sample(ctx, *n, opt)
	pb.done()
	if err != nil {
		return err
	}
	pts, cols := res.X, d
	if *withLogp {
		cols = d + 1
		pts = make([]float32, *n*cols)
		for i := range *n {
			copy(pts[i*cols:], res.X[i*d:i*d+d])
			pts[i*cols+d] = float32(res.LogP[i])
		}
	}
	kv := []any{"out", *out, "n", *n, "dim", d, "nfe", res.NFE}
	if *withLogp {
		s := gen.SummarizeNLL(res.LogP, d)
		kv = append(kv, "mean_logp", -s.NLL)
	}
	return pf.save(ctx, pts, *n, cols, func() error { return c.emitter(stdout).Summary(cmd, kv...) })
}

func runEncode(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const cmd = "encode"
	fs := newFlags(cmd, "--model MODEL --data NAME|PATH --out FILE(.csv|.tsv|.npy) [flags]", stdout)
	model := fs.String("model", "", "model checkpoint")
	data := fs.String("data", "", "generated data set or data file to encode")
	n := fs.Int("n", 10000, "points (generated data: fresh draws; file: at most the first N rows of the split)")
	split := fs.String("split", "all", "part of a data file: all, train, val or test")
	out := fs.String("out", "", "output file of base points (.csv, .tsv or .npy)")
	sf := addSolverFlags(fs, "dopri5", 1e-5, false)
	batch := fs.Int("batch", 10000, "rows solved together (bounds memory)")
	withLogp := fs.Bool("with-logp", false, "add a last column with each row's log-density (nats, data units, as nll computes it; stored as float32)")
	cf := addCondFlags(fs, "input")
	c := addCommon(fs)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if err := mustPositive(cmd, "n", *n, "batch", *batch); err != nil {
		return err
	}
	ode, err := sf.options(cmd)
	if err != nil {
		return err
	}
	part, err := dataset.ParseSplitPart(*split)
	if err != nil {
		return usagef("%s: --split: %v", cmd, err)
	}
	if *data == "" {
		return usagef("%s: --data is required", cmd)
	}
	pf, m, err := c.outAndModel(cmd, *out, *model, "--data", *data, "--cond", *cf.cond)
	if err != nil {
		return err
	}
	if err := checkDataArg(cmd, *data); err != nil {
		return err
	}
	ed, cond, err := cf.evalData(cmd, m, *data, gen.EvalOptions{Part: part, N: *n, Seed: *c.seed})
	if err != nil {
		return err
	}
	pb := newBar(stderr, *c.quiet, ed.N, cmd)
	lo := gen.LikelihoodOptions{ODE: ode, Batch: *batch, Seed: *c.seed, Progress: func(done, _ int) { pb.set(done) }, Cond: cond}
	z, nfe, err := m.Encode(ctx, ed.X, lo)
	pb.done()
	if err != nil {
		return err
	}
	cols := ed.D
	rows := z
	if *withLogp {
		pb := newBar(stderr, *c.quiet, ed.N, cmd+" log-density")
		lo.Progress = func(done, _ int) { pb.set(done) }
		if lo.ODE.Method.Adaptive() {
			densityTol(&lo.ODE, setFlags(fs))
		}
		logp, lnfe, err := m.LogProb(ctx, ed.X, lo)
		pb.done()
		if err != nil {
			return err
		}
		nfe += lnfe
		cols++
		rows = make([]float32, 0, ed.N*cols)
		for i := range ed.N {
			rows = append(rows, z[i*ed.D:(i+1)*ed.D]...)
			rows = append(rows, float32(logp[i]))
		}
	}
	mean, sd := moments(z)
	return pf.save(ctx, rows, ed.N, cols, func() error {
		return c.emitter(stdout).Summary(cmd, "out", *out, "n", ed.N, "dim", ed.D, "nfe", nfe, "data", ed.Source, "mean", mean, "std", sd)
	})
}

// moments returns the mean and standard deviation over all coordinates of x.
func moments(x []float32) (mean, sd float64) {
	var s, s2 float64
	for _, v := range x {
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	n := float64(len(x))
	mean = s / n
	return mean, math.Sqrt(math.Max(0, s2/n-mean*mean))
}
