package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/internal/atomicfile"
	"github.com/interflow/flowbench/solver"
)

func init() {
	register(&command{name: "sample", summary: "draw samples from a trained model", run: runSample})
	register(&command{name: "encode", summary: "map data points to the base (inverse flow)", run: runEncode})
}

// solverFlags are the ODE flags of sample, encode, nll and eval.
type solverFlags struct {
	method     *string
	steps      *int
	rtol, atol *float64
}

func addSolverFlags(fs *flag.FlagSet, defMethod string) *solverFlags {
	return &solverFlags{
		method: fs.String("solver", defMethod, "ODE solver: euler, midpoint, heun, rk4, dopri5, bosh3"),
		steps:  fs.Int("steps", 100, "steps of a fixed-step solver (SDE: steps of the SDE scheme)"),
		rtol:   fs.Float64("rtol", 1e-5, "relative tolerance of an adaptive solver"),
		atol:   fs.Float64("atol", 1e-5, "absolute tolerance of an adaptive solver"),
	}
}

func (f *solverFlags) options(cmd string) (solver.Options, error) {
	m, err := solver.ParseMethod(*f.method)
	if err != nil {
		return solver.Options{}, usagef("%s: --solver: %v", cmd, err)
	}
	if err := mustPositive(cmd, "steps", *f.steps); err != nil {
		return solver.Options{}, err
	}
	if err := mustPositiveFloat(cmd, "rtol", *f.rtol, "atol", *f.atol); err != nil {
		return solver.Options{}, err
	}
	o := solver.Options{Method: m, Steps: *f.steps, RTol: *f.rtol, ATol: *f.atol}
	if err := o.Validate(); err != nil {
		return o, usagef("%s: %v", cmd, err)
	}
	return o, nil
}

// loadModel loads --model, reporting a missing flag as a usage error.
func loadModel(cmd, path string) (*gen.Model, error) {
	if path == "" {
		return nil, usagef("%s: --model is required", cmd)
	}
	return gen.LoadModel(path)
}

// outputWriter returns the writer of a point file by extension (.csv, .tsv, .npy).
func outputWriter(cmd, path string) (func(w io.Writer, data []float32, n, d int) error, error) {
	if path == "" {
		return nil, usagef("%s: --out is required", cmd)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".tsv", ".npy":
	default:
		return nil, usagef("%s: --out %q: unknown output format %q (want .csv, .tsv or .npy)", cmd, path, filepath.Ext(path))
	}
	if err := checkOut(cmd, "out", path); err != nil {
		return nil, err
	}
	return dataOutputWriter(path)
}

func runSample(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const cmd = "sample"
	fs := newFlags(cmd, "--model MODEL --n N --out FILE(.csv|.tsv|.npy) [flags]", stdout)
	model := fs.String("model", "", "model checkpoint")
	n := fs.Int("n", 10000, "number of samples")
	out := fs.String("out", "", "output file (.csv, .tsv or .npy); with --with-logp the last column is log ρ(x)")
	sf := addSolverFlags(fs, "dopri5")
	batch := fs.Int("batch", 10000, "rows solved together (bounds memory)")
	sde := fs.Bool("sde", false, "sample with the score-based SDE (N(0, I) base only)")
	eps := fs.String("eps", "linear:1", "SDE diffusion ε(t): const:C, linear:C or cos:C")
	sdeMethod := fs.String("sde-method", "heun", "SDE scheme: euler-maruyama or heun")
	tEnd := fs.Float64("t-end", 1, "integrate from 0 to this time")
	withLogp := fs.Bool("with-logp", false, "also compute each sample's log-density (ODE only)")
	hutch := fs.Bool("hutchinson", false, "with --with-logp: Hutchinson divergence instead of exact")
	c := addCommon(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(cmd, rest); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if err := mustPositive(cmd, "n", *n, "batch", *batch); err != nil {
		return err
	}
	if !(*tEnd > 0 && *tEnd <= 1) {
		return usagef("%s: --t-end must be in (0, 1], got %v", cmd, *tEnd)
	}
	opt := gen.SampleOptions{Batch: *batch, Seed: *c.seed, WithLogP: *withLogp, TEnd: *tEnd}
	if opt.ODE, err = sf.options(cmd); err != nil {
		return err
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
		if !set["steps"] {
			steps = 500
		}
		opt.SDE = &solver.SDEOptions{Method: meth, Steps: steps, Eps: sch}
	}
	write, err := outputWriter(cmd, *out)
	if err != nil {
		return err
	}
	if err := c.apply(cmd); err != nil {
		return err
	}
	m, err := loadModel(cmd, *model)
	if err != nil {
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
	if err := ctx.Err(); err != nil {
		return err // never write a file for an interrupted run
	}
	if err := atomicfile.Write(*out, func(w io.Writer) error { return write(w, pts, *n, cols) }); err != nil {
		return err
	}
	e := &emitter{w: stdout, json: *c.json}
	kv := []any{"summary", cmd, "out", *out, "n", *n, "dim", d, "nfe", res.NFE}
	if *withLogp {
		s := gen.SummarizeNLL(res.LogP, d)
		kv = append(kv, "mean_logp", -s.NLL)
	}
	return e.emit(kv...)
}

func runEncode(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const cmd = "encode"
	fs := newFlags(cmd, "--model MODEL --data NAME|PATH --out FILE(.csv|.tsv|.npy) [flags]", stdout)
	model := fs.String("model", "", "model checkpoint")
	data := fs.String("data", "", "generated data set or data file to encode")
	n := fs.Int("n", 10000, "points (generated data: fresh draws; file: at most the first N rows of the split)")
	split := fs.String("split", "all", "part of a data file: all, train, val or test")
	out := fs.String("out", "", "output file of base points (.csv, .tsv or .npy)")
	sf := addSolverFlags(fs, "dopri5")
	batch := fs.Int("batch", 10000, "rows solved together (bounds memory)")
	c := addCommon(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(cmd, rest); err != nil {
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
	write, err := outputWriter(cmd, *out)
	if err != nil {
		return err
	}
	if err := c.apply(cmd); err != nil {
		return err
	}
	m, err := loadModel(cmd, *model)
	if err != nil {
		return err
	}
	if err := checkDataArg(cmd, *data); err != nil {
		return err
	}
	ed, err := gen.LoadEvalData(m, *data, part, *n, *c.seed)
	if err != nil {
		return err
	}
	pb := newBar(stderr, *c.quiet, ed.N, cmd)
	z, nfe, err := m.Encode(ctx, ed.X, gen.LikelihoodOptions{ODE: ode, Batch: *batch, Progress: func(done, _ int) { pb.set(done) }})
	pb.done()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := atomicfile.Write(*out, func(w io.Writer) error { return write(w, z, ed.N, ed.D) }); err != nil {
		return err
	}
	mean, sd := moments(z, ed.D)
	e := &emitter{w: stdout, json: *c.json}
	return e.emit("summary", cmd, "out", *out, "n", ed.N, "dim", ed.D, "nfe", nfe, "data", ed.Source, "mean", mean, "std", sd)
}

// moments returns the mean and standard deviation over all coordinates of rows of x.
func moments(x []float32, d int) (mean, sd float64) {
	var s, s2 float64
	for _, v := range x {
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	n := float64(len(x))
	mean = s / n
	return mean, math.Sqrt(math.Max(0, s2/n-mean*mean))
}

var _ = fmt.Sprint
