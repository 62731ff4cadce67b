package main

import (
	"context"
	"io"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/internal/atomicfile"
)

func init() {
	register(&command{name: "data", summary: "write draws from a generated data set to .csv, .tsv or .npy", run: runData})
}

func runData(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const cmd = "data"
	names := joinNames(dataset.ToyNames())
	fs := newFlags(cmd, "--name NAME --n N --out FILE(.csv|.tsv|.npy) [--seed S] [--json]\ndata sets: "+names, stdout)
	name := fs.String("name", "", "generated data set (one of "+names+")")
	n := fs.Int("n", 0, "number of points (> 0)")
	out := fs.String("out", "", "output file; the extension (.csv, .tsv, .npy) selects the format")
	seed := fs.Uint64("seed", 1, "random seed")
	js := fs.Bool("json", false, "print the summary as JSON")
	labelsOut := fs.String("labels", "", "also write each point's component (an integer class label, one per row) to this file, for train --cond FILE --cond-labels (mixtures: 8gaussians, gmm64)")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return usagef("%s: --name is required (one of %s)", cmd, names)
	}
	s, err := dataset.NewToy(*name)
	if err != nil {
		return usagef("%s: --name: %v", cmd, err)
	}
	if *n <= 0 {
		return usagef("%s: --n must be a positive number of points, got %d", cmd, *n)
	}
	pf, err := pointOutput(cmd, *out)
	if err != nil {
		return err
	}
	if err := atomicfile.CheckPath(*out); err != nil {
		return usagef("%s: --out %v", cmd, err) // unlike checkOut's "--out: %v"
	}
	d := s.Dim()
	if int64(*n)*int64(d) > 1<<31 {
		return usagef("%s: --n %d is too large (at most %d points of dimension %d)", cmd, *n, (1<<31)/d, d)
	}
	if err := ctx.Err(); err != nil {
		return err // before drawing the points, which may take a while
	}
	e := &emitter{W: stdout, JSON: *js}
	report := func() error { return e.Summary(cmd, "name", s.Name(), "n", *n, "dim", d, "seed", *seed, "out", *out) }
	if *labelsOut == "" {
		return pf.save(ctx, dataset.SampleN(s, *n, *seed), *n, d, report)
	}
	ls, ok := s.(dataset.Labeled)
	if !ok {
		return usagef("%s: --labels: %s has no components to label", cmd, s.Name())
	}
	lf, err := pointOutput(cmd, *labelsOut)
	if err != nil {
		return err
	}
	if err := checkNotInput(cmd, *labelsOut, "--out", *out); err != nil {
		return err
	}
	pts, labels := dataset.SampleNLabeled(ls, *n, *seed)
	lv := make([]float32, len(labels))
	for i, l := range labels {
		lv[i] = float32(l)
	}
	if err := lf.save(ctx, lv, *n, 1, func() error { return nil }); err != nil {
		return err
	}
	return pf.save(ctx, pts, *n, d, report)
}
