package main

import (
	"context"
	"flag"
	"io"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/internal/emit"
	"github.com/interflow/flowbench/metrics"
	"github.com/interflow/flowbench/solver"
)

// The nll subcommand, and the scoring of data under a model that eval and demo share.

func init() {
	register(&command{name: "nll", summary: "negative log-likelihood of data under a model", run: runNLL})
}

// scoreFlags are the flags shared by nll and eval.
type scoreFlags struct {
	out                string // nll --out, checked against every input once they are known
	model, data, split *string
	n, batch, hutch    *int
	solver             *solverFlags
	common             *genCommon
	cond               *condFlags
	shard              *shardJob // nll --shard; nil for the whole job
}

func addScoreFlags(fs *flag.FlagSet) *scoreFlags {
	return &scoreFlags{
		model:  fs.String("model", "", "model checkpoint"),
		data:   fs.String("data", "", "generated data set or data file (default: the model's training data)"),
		split:  fs.String("split", "", "rows scored: all, train, val or test part of the model's split (default: the test part of the model's training file, which must have one; every row of any other file)"),
		n:      fs.Int("n", 10000, "points (generated data: fresh draws; file: at most the first N rows of the split)"),
		batch:  fs.Int("batch", 10000, "rows solved together (bounds memory)"),
		hutch:  fs.Int("hutchinson", 0, "average K Hutchinson estimates instead of the exact divergence (0: exact for d ≤ 64)"),
		solver: addSolverFlags(fs, "dopri5", solver.DensityRTol, false),
		common: addCommon(fs),
		cond:   addCondFlags(fs, "scored"),
	}
}

// scoring is the outcome of scoreFlags.score.
type scoring struct {
	model *gen.Model
	data  *gen.EvalData // the points scored
	opt   gen.LikelihoodOptions
	kv    []any     // the fields of the NLL summary (scoreNLL)
	logp  []float64 // the log-density of every row scored, in order
}

// score validates the flags (set holds those given), loads the model and the data, and
// scores the data.
func (f *scoreFlags) score(ctx context.Context, cmd string, set map[string]bool, stderr io.Writer) (*scoring, error) {
	if err := mustPositive(cmd, "n", *f.n, "batch", *f.batch); err != nil {
		return nil, err
	}
	if *f.hutch < 0 {
		return nil, usagef("%s: --hutchinson must be ≥ 0, got %d", cmd, *f.hutch)
	}
	ode, err := f.solver.options(cmd)
	if err != nil {
		return nil, err
	}
	part := dataset.PartAll
	if *f.split != "" {
		p, err := dataset.ParseSplitPart(*f.split)
		if err != nil {
			return nil, usagef("%s: --split: %v", cmd, err)
		}
		part = p
	}
	m, err := f.common.loadModel(cmd, *f.model)
	if err != nil {
		return nil, err
	}
	data := *f.data
	if data == "" {
		data = m.Data.Name
		if data == "" {
			return nil, usagef("%s: --data is required (the model does not name its training data)", cmd)
		}
	}
	if err := checkDataArg(cmd, data); err != nil {
		return nil, err
	}
	if f.out != "" {
		label := "--data"
		if *f.data == "" {
			label = "the model's training file" // recorded in the model: an input all the same
		}
		if err := checkNotInput(cmd, f.out, "--model", *f.model, label, data, "--cond", *f.cond.cond); err != nil {
			return nil, err
		}
	}
	ed, cond, err := f.cond.evalData(cmd, m, data, gen.EvalOptions{Part: part, DefaultPart: *f.split == "", N: *f.n, Seed: *f.common.seed})
	if err != nil {
		return nil, err
	}
	lo := gen.LikelihoodOptions{ODE: ode, Batch: *f.batch, Hutchinson: *f.hutch, Seed: *f.common.seed, Cond: cond}
	if f.shard != nil {
		lo.Shard = f.shard.shard
		f.shard.rows(ed.N, min(*f.batch, ed.N))
	}
	kv, logp, parts, err := scoreNLL(ctx, cmd, m, ed, lo, *f.common.quiet, stderr)
	if err != nil {
		return nil, err
	}
	if j := f.shard; j != nil {
		j.m.Cols, j.m.Dim, j.m.Data, j.m.NFE = 1, ed.D, ed.Source, parts.nfe
		j.m.Stats["logp"] = parts.logp
		if parts.truth != nil {
			j.m.Stats["true_logp"] = parts.truth
		}
	}
	return &scoring{model: m, data: ed, opt: lo, kv: kv, logp: logp}, nil
}

// nllParts are the exact partial sums of an NLL summary: the log-densities, those of the
// known density (nil without one) and the field evaluations.
type nllParts struct {
	logp, truth *metrics.Moments
	nfe         int
}

// nllKV returns the fields of the NLL summary of data source src in dimension d: data, n,
// dim, nll, nll_stderr (from 2 rows on; a note says why it is missing), bpd, true_nll and
// gap where the density is known, nfe.
func nllKV(src string, d int, p nllParts) []any {
	s := gen.SummarizeLogP(p.logp, d)
	kv := []any{"data", src, "n", s.N, "dim", d, "nll", s.NLL}
	if s.N > 1 {
		kv = append(kv, "nll_stderr", s.StdErr)
	}
	kv = append(kv, "bpd", s.BPD)
	if p.truth != nil {
		t := -p.truth.Mean()
		kv = append(kv, "true_nll", t, "gap", s.NLL-t)
	}
	kv = append(kv, "nfe", p.nfe)
	if s.N < 2 {
		kv = emit.AddNote(kv, "no nll_stderr: a standard error needs at least 2 rows")
	}
	return kv
}

// scoreNLL computes the NLL of the evaluation data (the rows of lo.Shard) and returns the
// fields of its summary (nllKV), the log-densities and the partial sums.
func scoreNLL(ctx context.Context, cmd string, m *gen.Model, ed *gen.EvalData, lo gen.LikelihoodOptions, quiet bool, stderr io.Writer) ([]any, []float64, nllParts, error) {
	a, b := lo.Shard.Rows(ed.N, lo.Batch)
	pb := newBar(stderr, quiet, b-a, cmd)
	lo.Progress = func(done, _ int) { pb.set(done) }
	logp, nfe, err := m.LogProb(ctx, ed.X, lo)
	pb.done()
	if err != nil {
		return nil, nil, nllParts{}, err
	}
	p := nllParts{logp: momentsOf(logp), nfe: nfe}
	if ed.Density != nil {
		p.truth = new(metrics.Moments)
		for i := a; i < b; i++ {
			p.truth.Add(ed.Density.LogProb(ed.X[i*ed.D : i*ed.D+ed.D]))
		}
	}
	return nllKV(ed.Source, ed.D, p), logp, p, nil
}

func runNLL(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const cmd = "nll"
	fs := newFlags(cmd, "--model MODEL [--data NAME|PATH] [flags]", stdout)
	f := addScoreFlags(fs)
	shard := addShardFlag(fs)
	out := fs.String("out", "", "also write the log-density of every scored row, in input order, to this file (.csv with a logp header, .tsv or .npy of shape (n, 1); float64)")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	var sf *scoreFile
	if *shard != "" && *out == "" {
		return usagef("%s: --shard needs --out (the shard's log-densities, beside which its manifest is written)", cmd)
	}
	if *out != "" {
		var err error
		if sf, err = scoreOutput(cmd, *out); err != nil {
			return err
		}
		f.out = *out
	}
	var err error
	if f.shard, err = newShardJob(cmd, *shard, fs); err != nil {
		return err
	}
	s, err := f.score(ctx, cmd, setFlags(fs), stderr)
	if err != nil {
		return err
	}
	report := func() error { return f.common.emitter(stdout).Summary(cmd, s.kv...) }
	if sf == nil {
		return report()
	}
	s.kv = append(s.kv, "out", *out)
	if f.shard != nil {
		s.kv = f.shard.summary(s.kv, *out)
		return f.shard.save(ctx, sf.path, sf.format, true, func(w io.Writer) error { return sf.write(w, s.logp) }, report)
	}
	return sf.save(ctx, s.logp, report)
}
