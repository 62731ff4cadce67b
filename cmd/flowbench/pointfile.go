package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/internal/atomicfile"
)

// pointFile is an output file of points (--out of sample, encode and data); its extension,
// .csv, .tsv or .npy, selects the format.
type pointFile struct {
	path  string
	write func(w io.Writer, data []float32, n, d int) error
}

// pointOutput returns the point file at path, reporting a missing --out or an unknown
// extension as a usage error.
func pointOutput(cmd, path string) (*pointFile, error) {
	if path == "" {
		return nil, usagef("%s: --out is required", cmd)
	}
	p := &pointFile{path: path}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".npy":
		p.write = dataset.WriteNPY
	case ".csv":
		p.write = func(w io.Writer, data []float32, n, d int) error { return dataset.WriteCSV(w, data, n, d, nil) }
	case ".tsv":
		p.write = writeTSV
	default:
		return nil, usagef("%s: --out %q: unknown output format %q (want .csv, .tsv or .npy)", cmd, path, filepath.Ext(path))
	}
	return p, nil
}

// save writes n rows of d columns atomically, unless ctx is done: an interrupted run
// writes no file.
func (p *pointFile) save(ctx context.Context, data []float32, n, d int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return atomicfile.Write(p.path, func(w io.Writer) error { return p.write(w, data, n, d) })
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

// scoreFile is an output file of per-row values (nll --out): one float64 column, its
// format chosen by the extension as for pointFile.
type scoreFile struct {
	path  string
	write func(w io.Writer, v []float64) error
}

// scoreOutput returns the score file at path, reporting an unknown extension as a usage
// error.
func scoreOutput(cmd, path string) (*scoreFile, error) {
	if err := checkOut(cmd, "out", path); err != nil {
		return nil, err
	}
	f := &scoreFile{path: path}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".npy":
		f.write = func(w io.Writer, v []float64) error { return dataset.WriteNPY64(w, v, len(v), 1) }
	case ".csv", ".tsv": // one column: the same text
		f.write = func(w io.Writer, v []float64) error { return dataset.WriteCSV64(w, v, len(v), 1, []string{"logp"}) }
	default:
		return nil, usagef("%s: --out %q: unknown output format %q (want .csv, .tsv or .npy)", cmd, path, filepath.Ext(path))
	}
	return f, nil
}

// save writes the values atomically, unless ctx is done.
func (f *scoreFile) save(ctx context.Context, v []float64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return atomicfile.Write(f.path, func(w io.Writer) error { return f.write(w, v) })
}
