package main

import (
	"context"
	"io"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/metrics"
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
	shard := addShardFlag(fs)
	c := addCommon(fs)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if err := mustPositive(cmd, "n", *n, "batch", *batch); err != nil {
		return err
	}
	job, err := newShardJob(cmd, *shard, fs)
	if err != nil {
		return err
	}
	if !(*tEnd > 0 && *tEnd <= 1) {
		return usagef("%s: --t-end must be in (0, 1], got %v", cmd, *tEnd)
	}
	opt := gen.SampleOptions{Batch: *batch, Seed: *c.seed, WithLogP: *withLogp, TEnd: *tEnd}
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
	lo, hi := 0, *n
	if job != nil {
		lo, hi = job.rows(*n, min(*batch, *n))
		opt.Shard = job.shard
	}
	rows := hi - lo
	pb := newBar(stderr, *c.quiet, rows, "sample")
	opt.Progress = func(done, _ int) { pb.set(done) }
	res, err := m.Sample(ctx, *n, opt)
	pb.done()
	if err != nil {
		return err
	}
	pts, cols := res.X, d
	if *withLogp {
		cols = d + 1
		pts = make([]float32, rows*cols)
		for i := range rows {
			copy(pts[i*cols:], res.X[i*d:i*d+d])
			pts[i*cols+d] = float32(res.LogP[i])
		}
	}
	var logp *metrics.Moments
	if *withLogp {
		logp = momentsOf(res.LogP)
	}
	kv := sampleKV(*out, rows, d, res.NFE, logp)
	if job != nil {
		job.m.Cols, job.m.Dim, job.m.NFE = cols, d, res.NFE
		if logp != nil {
			job.m.Stats["logp"] = logp
		}
		kv = job.summary(kv, *out)
	}
	return pf.saveAs(ctx, job, pts, rows, cols, func() error { return c.emitter(stdout).Summary(cmd, kv...) })
}

// sampleKV returns the fields of sample's summary: out, n, dim, nfe, and mean_logp when the
// log-densities (logp) were computed.
func sampleKV(out string, n, d, nfe int, logp *metrics.Moments) []any {
	kv := []any{"out", out, "n", n, "dim", d, "nfe", nfe}
	if logp != nil {
		kv = append(kv, "mean_logp", -gen.SummarizeLogP(logp, d).NLL)
	}
	return kv
}

// encodeKV returns the fields of encode's summary: out, n, dim, nfe, data, and the mean and
// standard deviation over every coordinate of the encodings (z).
func encodeKV(out string, n, d, nfe int, data string, z *metrics.Moments) []any {
	return []any{"out", out, "n", n, "dim", d, "nfe", nfe, "data", data, "mean", z.Mean(), "std", z.Std()}
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
	shard := addShardFlag(fs)
	c := addCommon(fs)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if err := mustPositive(cmd, "n", *n, "batch", *batch); err != nil {
		return err
	}
	job, err := newShardJob(cmd, *shard, fs)
	if err != nil {
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
	a, b := 0, ed.N
	if job != nil {
		a, b = job.rows(ed.N, min(*batch, ed.N))
	}
	rows := b - a
	pb := newBar(stderr, *c.quiet, rows, cmd)
	lo := gen.LikelihoodOptions{ODE: ode, Batch: *batch, Seed: *c.seed, Progress: func(done, _ int) { pb.set(done) }, Cond: cond}
	if job != nil {
		lo.Shard = job.shard
	}
	z, nfe, err := m.Encode(ctx, ed.X, lo)
	pb.done()
	if err != nil {
		return err
	}
	cols := ed.D
	pts := z
	if *withLogp {
		pb := newBar(stderr, *c.quiet, rows, cmd+" log-density")
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
		pts = make([]float32, 0, rows*cols)
		for i := range rows {
			pts = append(pts, z[i*ed.D:(i+1)*ed.D]...)
			pts = append(pts, float32(logp[i]))
		}
	}
	zm := momentsOf(z)
	kv := encodeKV(*out, rows, ed.D, nfe, ed.Source, zm)
	if job != nil {
		job.m.Cols, job.m.Dim, job.m.Data, job.m.NFE = cols, ed.D, ed.Source, nfe
		job.m.Stats["z"] = zm
		kv = job.summary(kv, *out)
	}
	return pf.saveAs(ctx, job, pts, rows, cols, func() error { return c.emitter(stdout).Summary(cmd, kv...) })
}
