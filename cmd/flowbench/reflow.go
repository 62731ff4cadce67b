package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"

	"github.com/interflow/flowbench/gen"
)

// The reflow subcommand: rectified flow's reflow and few-step distillation (gen/reflow.go).

func init() {
	register(&command{name: "reflow", summary: "retrain a model on its own (x0, x1) pairs: straighter paths, few-step sampling with --distill K", run: runReflow})
}

func runReflow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const cmd = "reflow"
	fs := newFlags(cmd, "--model MODEL --out NEW.safetensors [--pairs N] [--train-steps S] [--distill K] [flags]", stdout)
	model := fs.String("model", "", "the trained model whose ODE pairs base points with samples")
	out := fs.String("out", "", "checkpoint of the reflowed model")
	pairs := fs.Int("pairs", 20000, "number of (x0, x1) pairs generated (x0 from the seed's base draws)")
	steps := fs.Int("train-steps", 0, "training steps (0: the source model's)")
	distil := fs.Int("distill", 0, "train at the times of a K-step Euler grid, for sample --solver euler --steps K (0: every t, for any solver)")
	lr := fs.Float64("lr", 0, "learning rate (0: the source model's)")
	fresh := fs.Bool("fresh", false, "start from a random initialization instead of the source model's weights")
	sf := addSolverFlags(fs, "dopri5", 1e-5, false)
	batch := fs.Int("batch", 10000, "rows solved together when generating the pairs")
	ckptEvery := fs.Int("ckpt-every", 0, "steps between checkpoints (0: the source model's)")
	c := addCommon(fs)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if err := mustPositive(cmd, "pairs", *pairs, "batch", *batch); err != nil {
		return err
	}
	if *steps < 0 || *distil < 0 || *ckptEvery < 0 || !(*lr >= 0) {
		return usagef("%s: --train-steps, --distill, --ckpt-every and --lr must be ≥ 0", cmd)
	}
	if err := checkOut(cmd, "out", *out); err != nil {
		return err
	}
	if err := checkNotInput(cmd, *out, "--model", *model); err != nil {
		return err
	}
	ode, err := sf.options(cmd)
	if err != nil {
		return err
	}
	m, err := c.loadModel(cmd, *model)
	if err != nil {
		return err
	}
	cfg, err := gen.ReflowConfig(m, *steps, *distil)
	if err != nil {
		return err
	}
	cfg.Seed = *c.seed
	if *lr > 0 {
		cfg.LR, cfg.MinLR = *lr, min(cfg.MinLR, *lr)
	}
	if *ckptEvery > 0 {
		cfg.CkptEvery = *ckptEvery
	}
	pb := newBar(stderr, *c.quiet, *pairs, "pairs")
	data, err := gen.ReflowData(ctx, m, *model, gen.ReflowOptions{N: *pairs, Seed: *c.seed, ODE: ode, Batch: *batch,
		Progress: func(done, _ int) { pb.set(done) }})
	pb.done()
	if err != nil {
		return err
	}
	if b, err := os.ReadFile(*model); err == nil { // the file loadModel read
		data.Reflow.SourceSHA256 = fmt.Sprintf("%x", sha256.Sum256(b))
	}
	opt := gen.TrainOptions{Command: commandLine, CkptPath: *out}
	if !*fresh {
		opt.Init = m
	}
	return trainAndReport(ctx, cmd, c, cfg, opt, stdout, stderr, func(ctx context.Context, opt gen.TrainOptions, _ *emitter, _ *bar, _ func(error)) (*gen.Model, error) {
		return gen.Train(ctx, cfg, data, opt)
	}, "pairs", *pairs, "round", data.Reflow.Round, "distill", *distil)
}
