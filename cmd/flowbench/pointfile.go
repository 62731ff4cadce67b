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
	path   string
	format string // csv, tsv or npy
	write  func(w io.Writer, data []float32, n, d int) error
}

// pointOutput returns the point file at path, reporting a missing --out or an unknown
// extension as a usage error.
func pointOutput(cmd, path string) (*pointFile, error) {
	if path == "" {
		return nil, usagef("%s: --out is required", cmd)
	}
	p := &pointFile{path: path, format: strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")}
	switch "." + p.format {
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

// save writes n rows of d columns atomically, then runs report (the command's summary)
// before the file replaces p.path: an interrupted run, or one whose report fails, leaves
// the previous file (saveThen).
func (p *pointFile) save(ctx context.Context, data []float32, n, d int, report func() error) error {
	return p.saveAs(ctx, nil, data, n, d, report)
}

// saveAs is save for the shard job j (a manifest beside the file; nil: save).
func (p *pointFile) saveAs(ctx context.Context, j *shardJob, data []float32, n, d int, report func() error) error {
	if j != nil {
		return j.save(ctx, p.path, p.format, false, func(w io.Writer) error { return p.write(w, data, n, d) }, report)
	}
	return saveThen(ctx, p.path, func(w io.Writer) error { return p.write(w, data, n, d) }, report)
}

// saveThen writes path atomically with write, unless ctx is done, and runs report once the
// new content is complete: path is replaced only if report (the last step that can fail,
// the summary on stdout) succeeds and ctx is still live, so an output is written only after
// everything else has succeeded.
func saveThen(ctx context.Context, path string, write func(w io.Writer) error, report func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return atomicfile.WriteThen(path, write, func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return report()
	})
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
	path   string
	format string // csv, tsv or npy
	write  func(w io.Writer, v []float64) error
}

// scoreOutput returns the score file at path, reporting an unknown extension as a usage
// error.
func scoreOutput(cmd, path string) (*scoreFile, error) {
	if err := checkOut(cmd, "out", path); err != nil {
		return nil, err
	}
	f := &scoreFile{path: path, format: strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")}
	switch "." + f.format {
	case ".npy":
		f.write = func(w io.Writer, v []float64) error { return dataset.WriteNPY64(w, v, len(v), 1) }
	case ".csv", ".tsv": // one column: the same text
		f.write = func(w io.Writer, v []float64) error { return dataset.WriteCSV64(w, v, len(v), 1, []string{"logp"}) }
	default:
		return nil, usagef("%s: --out %q: unknown output format %q (want .csv, .tsv or .npy)", cmd, path, filepath.Ext(path))
	}
	return f, nil
}

// save writes the values atomically and runs report before the rename (saveThen).
func (f *scoreFile) save(ctx context.Context, v []float64, report func() error) error {
	return saveThen(ctx, f.path, func(w io.Writer) error { return f.write(w, v) }, report)
}
