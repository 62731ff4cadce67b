package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/solver"
)

func init() {
	register(&command{name: "demo", summary: "train on an embedded toy density, print the test NLL beside the truth, plot samples and density", run: runDemo})
}

// runDemo trains the default configuration (gen.DefaultTrainConfig: 3000 steps of batch
// 4096) on a toy density with a known log-density, scores test points against it and plots
// the model; the README gives a measured run time.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const cmd = "demo"
	fs := newFlags(cmd, "[--data 8gaussians|checkerboard] [--dir DIR] [--steps N] [--batch N] [flags]", stdout)
	data := fs.String("data", "8gaussians", "toy density with a known log-density: 8gaussians or checkerboard")
	dir := fs.String("dir", ".", "directory for the model (demo-DATA.safetensors) and the plot (demo-DATA.png), named after --data")
	def := gen.DefaultTrainConfig(2)
	steps := fs.Int("steps", def.Steps, "training steps")
	batch := fs.Int("batch", def.Batch, "rows per training step")
	n := fs.Int("n", 10000, "test points scored")
	c := addCommon(fs)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if err := parseChoice(cmd, "data", *data, "8gaussians", "checkerboard"); err != nil {
		return err
	}
	if err := mustPositive(cmd, "steps", *steps, "batch", *batch, "n", *n); err != nil {
		return err
	}
	// Named after the data set, so that one demo does not replace another's files.
	modelPath := filepath.Join(*dir, "demo-"+*data+".safetensors")
	pngPath := filepath.Join(*dir, "demo-"+*data+".png")
	for _, p := range []string{modelPath, pngPath} {
		if err := checkOut(cmd, "dir", p); err != nil {
			return err
		}
	}
	if err := c.apply(cmd); err != nil {
		return err
	}
	td, err := gen.LoadTrainData(*data, gen.DefaultSplit)
	if err != nil {
		return err
	}
	cfg := def
	cfg.Steps, cfg.Batch, cfg.Seed = *steps, *batch, *c.seed
	cfg.LogEvery = max(1, *steps/10)
	em := c.emitter(stdout)
	if !*c.json {
		fmt.Fprintf(stdout, "demo: training on %s: MLP 3×256 SiLU, %s interpolant, t ~ %s, Adam lr %g (%s), EMA %g, %d steps of batch %d, seed %d\n",
			*data, interp.Spec(cfg.Interp), cfg.TimeDist.Name(), cfg.LR, cfg.Schedule, cfg.EMA, cfg.Steps, cfg.Batch, cfg.Seed)
	}
	start := time.Now()
	pb := newBar(stderr, *c.quiet, cfg.Steps, "train")
	m, err := gen.Train(ctx, cfg, td, gen.TrainOptions{
		Command:  commandLine,
		CkptPath: modelPath,
		Progress: func(p gen.Progress) { pb.set(p.Step) },
		Log: func(e gen.LogEntry) {
			pb.clear()
			em.Emit(logFields(e)...)
		},
	})
	pb.done()
	if err != nil {
		return err
	}
	trainTime := time.Since(start).Seconds()
	ed, err := gen.LoadEvalData(m, *data, dataset.PartTest, *n, *c.seed)
	if err != nil {
		return err
	}
	lo := gen.LikelihoodOptions{Batch: 10000}
	lo.ODE.Method, lo.ODE.RTol, lo.ODE.ATol = solver.Dopri5, 1e-5, 1e-5
	kv, _, _, err := scoreNLL(ctx, cmd, m, ed, lo, *c.quiet, stderr)
	if err != nil {
		return err
	}
	return writePlot(ctx, m, pngPath, plotOpts{n: 10000, grid: 100, lim: 4.5, seed: *c.seed, batch: 10000}, func() error {
		kv = append(kv, "train_s", trainTime, "total_s", time.Since(start).Seconds(), "model", modelPath, "plot", pngPath)
		return em.Summary(cmd, kv...)
	})
}
