package main

import (
	"context"
	"io"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/internal/emit"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/metrics"
	"github.com/interflow/flowbench/solver"
)

func init() {
	register(&command{name: "eval", summary: "NLL and sample distances (energy, MMD, SW2) of a model, with the data floor", run: runEval})
}

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const cmd = "eval"
	fs := newFlags(cmd, "--model MODEL [--data NAME|PATH] [flags]", stdout)
	f := addScoreFlags(fs)
	sampleSteps := fs.Int("sample-steps", 0, "RK4 steps of the sampling solve (0: the likelihood's --solver and tolerances); with --sde, steps of the SDE (0: 500)")
	sde := fs.Bool("sde", false, "draw the samples with the score-based SDE (stochastic Heun, ε(t) = 1−t)")
	paths := fs.Bool("paths", false, "also report how straight the sampling paths are (model units, ≤ 2,000 paths, RK4 with 64 steps): flow_kinetic E∫|v|²dt, displacement E|X1−X0|², straightness their difference E∫|v−(X1−X0)|²dt (0: straight, one Euler step exact)")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if *sampleSteps < 0 {
		return usagef("%s: --sample-steps must be ≥ 0, got %d", cmd, *sampleSteps)
	}
	s, err := f.score(ctx, cmd, setFlags(fs), stderr)
	if err != nil {
		return err
	}
	ed, kv := s.data, s.kv
	e := f.common.emitter(stdout)
	// Samples against held-out data; the floor is the same distance between two
	// independent data draws of the same size.
	ref, floorRef := ed.X, []float32(nil)
	n := ed.N
	if ed.Toy != nil {
		floorRef = dataset.SampleN(ed.Toy, n, *f.common.seed^0x666c6f6f72)
	} else {
		n = ed.N / 2
		if n < 2 {
			kv = emit.AddNote(kv, "too few rows for sample distances")
			return e.Summary(cmd, kv...)
		}
		ref, floorRef = ed.X[:n*ed.D], ed.X[n*ed.D:2*n*ed.D]
	}
	so := gen.SampleOptions{ODE: s.opt.ODE, Batch: *f.batch, Seed: *f.common.seed}
	if *sampleSteps > 0 {
		so.ODE = solver.Options{Method: solver.RK4, Steps: *sampleSteps}
	}
	if *sde {
		so.SDE = &solver.SDEOptions{Method: solver.StochasticHeun, Steps: 500, Eps: solver.LinearEps(1)}
		if *sampleSteps > 0 {
			so.SDE.Steps = *sampleSteps
		}
	}
	pb := newBar(stderr, *f.common.quiet, n, "sample")
	so.Progress = func(done, _ int) { pb.set(done) }
	res, err := s.model.Sample(ctx, n, so)
	pb.done()
	if err != nil {
		return err
	}
	thr := kernels.Threads()
	dm := metrics.Compare(res.X, ref, ed.D, *f.common.seed, thr)
	fl := metrics.Compare(floorRef, ref, ed.D, *f.common.seed, thr)
	kv = append(kv, "energy", dm.Energy, "mmd", dm.MMD, "sw2", dm.SW2,
		"floor_energy", fl.Energy, "floor_mmd", fl.MMD, "floor_sw2", fl.SW2, "sample_n", n, "sample_nfe", res.NFE)
	if *paths {
		ps, err := s.model.PathStats(ctx, min(n, 2000), *f.common.seed, 0)
		if err != nil {
			return err
		}
		kv = append(kv, "flow_kinetic", ps.Kinetic, "displacement", ps.Displacement, "straightness", ps.Straightness)
	}
	return e.Summary(cmd, kv...)
}
