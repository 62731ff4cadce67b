package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/internal/atomicfile"
)

func init() {
	register(&command{name: "data", summary: "write draws from a generated data set to .csv, .tsv or .npy", run: runData})
}

// dataOutputWriter returns the writer for an output file name, by extension.
func dataOutputWriter(path string) (func(w io.Writer, data []float32, n, d int) error, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".npy":
		return dataset.WriteNPY, nil
	case ".csv":
		return func(w io.Writer, data []float32, n, d int) error { return dataset.WriteCSV(w, data, n, d, nil) }, nil
	case ".tsv":
		return func(w io.Writer, data []float32, n, d int) error { return writeTSV(w, data, n, d) }, nil
	}
	return nil, fmt.Errorf("%q: unknown output format %q (want .csv, .tsv or .npy)", path, filepath.Ext(path))
}

// writeTSV writes tab-separated values (WriteCSV's output with tabs for commas).
func writeTSV(w io.Writer, data []float32, n, d int) error {
	return dataset.WriteCSV(&tabWriter{w}, data, n, d, nil)
}

// tabWriter turns the commas of WriteCSV's numeric output into tabs.
type tabWriter struct{ w io.Writer }

func (t *tabWriter) Write(p []byte) (int, error) {
	q := make([]byte, len(p))
	for i, c := range p {
		if c == ',' {
			c = '\t'
		}
		q[i] = c
	}
	return t.w.Write(q)
}

func runData(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("data", "--name NAME --n N --out FILE(.csv|.tsv|.npy) [--seed S] [--json]\ndata sets: "+strings.Join(dataset.ToyNames(), ", "), stdout)
	name := fs.String("name", "", "generated data set (one of "+strings.Join(dataset.ToyNames(), ", ")+")")
	n := fs.Int("n", 0, "number of points (> 0)")
	out := fs.String("out", "", "output file; the extension (.csv, .tsv, .npy) selects the format")
	seed := fs.Uint64("seed", 0, "random seed")
	js := fs.Bool("json", false, "print the summary as JSON")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("data: unexpected argument %q", rest[0])
	}
	if *name == "" {
		return usagef("data: --name is required (one of %s)", strings.Join(dataset.ToyNames(), ", "))
	}
	s, err := dataset.NewToy(*name)
	if err != nil {
		return usagef("data: --name: %v", err)
	}
	if *n <= 0 {
		return usagef("data: --n must be a positive number of points, got %d", *n)
	}
	if *out == "" {
		return usagef("data: --out is required")
	}
	write, err := dataOutputWriter(*out)
	if err != nil {
		return usagef("data: --out %v", err)
	}
	if err := atomicfile.CheckPath(*out); err != nil {
		return usagef("data: --out %v", err)
	}
	d := s.Dim()
	if int64(*n)*int64(d) > 1<<31 {
		return usagef("data: --n %d is too large (at most %d points of dimension %d)", *n, (1<<31)/d, d)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	pts := dataset.SampleN(s, *n, *seed)
	if err := atomicfile.Write(*out, func(w io.Writer) error { return write(w, pts, *n, d) }); err != nil {
		return err
	}
	e := &emitter{w: stdout, json: *js}
	return e.emit("data", s.Name(), "n", *n, "dim", d, "seed", *seed, "out", *out)
}
