package main

import (
	"context"
	"errors"
	"flag"
	"io"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
)

func init() {
	register(&command{name: "nll", summary: "negative log-likelihood of data under a model", run: runNLL})
}

// scoreFlags are the flags shared by nll and eval.
type scoreFlags struct {
	model, data, split *string
	n, batch, hutch    *int
	solver             *solverFlags
	common             *genCommon
}

func addScoreFlags(fs *flag.FlagSet) *scoreFlags {
	return &scoreFlags{
		model:  fs.String("model", "", "model checkpoint"),
		data:   fs.String("data", "", "generated data set or data file (default: the model's training data)"),
		split:  fs.String("split", "test", "part of the model's data file scored: all, train, val or test"),
		n:      fs.Int("n", 10000, "points (generated data: fresh draws; file: at most the first N rows of the split)"),
		batch:  fs.Int("batch", 10000, "rows solved together (bounds memory)"),
		hutch:  fs.Int("hutchinson", 0, "average K Hutchinson estimates instead of the exact divergence (0: exact for d ≤ 64)"),
		solver: addSolverFlags(fs, "dopri5"),
		common: addCommon(fs),
	}
}

// scoreSetup validates the flags, loads the model and the data scored.
func (f *scoreFlags) setup(cmd string, set map[string]bool) (*gen.Model, *gen.EvalData, gen.LikelihoodOptions, error) {
	var lo gen.LikelihoodOptions
	if err := mustPositive(cmd, "n", *f.n, "batch", *f.batch); err != nil {
		return nil, nil, lo, err
	}
	if *f.hutch < 0 {
		return nil, nil, lo, usagef("%s: --hutchinson must be ≥ 0, got %d", cmd, *f.hutch)
	}
	ode, err := f.solver.options(cmd)
	if err != nil {
		return nil, nil, lo, err
	}
	part, err := dataset.ParseSplitPart(*f.split)
	if err != nil {
		return nil, nil, lo, usagef("%s: --split: %v", cmd, err)
	}
	if err := f.common.apply(cmd); err != nil {
		return nil, nil, lo, err
	}
	m, err := loadModel(cmd, *f.model)
	if err != nil {
		return nil, nil, lo, err
	}
	data := *f.data
	if data == "" {
		data = m.Data.Name
		if data == "" {
			return nil, nil, lo, usagef("%s: --data is required (the model does not name its training data)", cmd)
		}
	}
	if err := checkDataArg(cmd, data); err != nil {
		return nil, nil, lo, err
	}
	ed, err := gen.LoadEvalData(m, data, part, *f.n, *f.common.seed)
	if errors.Is(err, gen.ErrNoSplit) && !set["split"] {
		// Another file than the training data: score all of it.
		ed, err = gen.LoadEvalData(m, data, dataset.PartAll, *f.n, *f.common.seed)
	}
	if err != nil {
		return nil, nil, lo, err
	}
	lo = gen.LikelihoodOptions{ODE: ode, Batch: *f.batch, Hutchinson: *f.hutch, Seed: *f.common.seed}
	return m, ed, lo, nil
}

// scoreNLL computes the NLL summary of the evaluation data and the fields common to nll and
// eval.
func scoreNLL(ctx context.Context, cmd string, m *gen.Model, ed *gen.EvalData, lo gen.LikelihoodOptions, quiet bool, stderr io.Writer) ([]any, error) {
	pb := newBar(stderr, quiet, ed.N, cmd)
	lo.Progress = func(done, _ int) { pb.set(done) }
	logp, nfe, err := m.LogProb(ctx, ed.X, lo)
	pb.done()
	if err != nil {
		return nil, err
	}
	s := gen.SummarizeNLL(logp, ed.D)
	kv := []any{"data", ed.Source, "n", s.N, "dim", ed.D, "nll", s.NLL, "nll_stderr", nanNull(s.StdErr), "bpd", s.BPD}
	if ed.Density != nil {
		var t float64
		for i := range ed.N {
			t -= ed.Density.LogProb(ed.X[i*ed.D : i*ed.D+ed.D])
		}
		t /= float64(ed.N)
		kv = append(kv, "true_nll", t, "gap", s.NLL-t)
	}
	kv = append(kv, "nfe", nfe)
	return kv, nil
}

// nanNull maps NaN to nil so that JSON output stays valid.
func nanNull(v float64) any {
	if v != v {
		return nil
	}
	return v
}

func runNLL(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const cmd = "nll"
	fs := newFlags(cmd, "--model MODEL [--data NAME|PATH] [flags]", stdout)
	f := addScoreFlags(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(cmd, rest); err != nil {
		return err
	}
	m, ed, lo, err := f.setup(cmd, setFlags(fs))
	if err != nil {
		return err
	}
	kv, err := scoreNLL(ctx, cmd, m, ed, lo, *f.common.quiet, stderr)
	if err != nil {
		return err
	}
	e := &emitter{w: stdout, json: *f.common.json}
	return e.emit(append([]any{"summary", cmd}, kv...)...)
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	return set
}
