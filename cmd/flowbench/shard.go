package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"hash"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/internal/atomicfile"
	"github.com/interflow/flowbench/internal/emit"
	"github.com/interflow/flowbench/metrics"
)

// Sharded runs of sample, nll and encode (--shard i/N) and their manifests. A shard computes
// the rows gen.Shard gives it (whole --batch chunks, so that every row is solved exactly as in
// one unsharded run), writes them to --out in the format of an unsharded run, and beside it
// a manifest OUT.shard.json: the command, the shard, its rows, every setting that changes the
// result, the SHA-256 of the model and of the input files, the output file's size and
// SHA-256, and the partial statistics of the summary as exact sums (metrics.Moments), so
// that merge can check the shards and print the summary of the whole job.

// shardFormat names the manifest's layout.
const shardFormat = "flowbench-shard/1"

// manifestSuffix is appended to --out to name a shard's manifest.
const manifestSuffix = ".shard.json"

// shardManifest is the JSON sidecar of one shard's output.
type shardManifest struct {
	Format    string `json:"format"`
	Command   string `json:"command"`
	Shard     int    `json:"shard"`
	Shards    int    `json:"shards"`
	RowsFrom  int    `json:"rows_from"` // first row of the whole job this shard owns
	RowsTo    int    `json:"rows_to"`   // one past its last
	TotalRows int    `json:"total_rows"`
	Batch     int    `json:"batch"`
	Cols      int    `json:"cols"`
	Dim       int    `json:"dim"`
	Data      string `json:"data,omitempty"` // the summary's data field (nll, encode)
	// Settings are the flags that change the result, by name, as given or defaulted; Inputs
	// the SHA-256 of each input file by flag (--model, and --data, --cond when files).
	Settings map[string]string `json:"settings"`
	Inputs   map[string]string `json:"inputs"`
	// The output file: its name beside the manifest, format (csv, tsv, npy), the bytes
	// before the first row (header), the item size of a .npy, its size and content hash.
	File        string `json:"file"`
	FileFormat  string `json:"file_format"`
	HeaderBytes int    `json:"header_bytes"`
	ItemSize    int    `json:"item_size,omitempty"`
	FileBytes   int64  `json:"file_bytes"`
	FileSHA256  string `json:"file_sha256"`
	// NFE are the field evaluations of the shard; Stats the exact partial sums of the
	// summary: "logp" (nll; sample --with-logp), "true_logp" (nll of a known density), "z"
	// (encode: every coordinate).
	NFE   int                         `json:"nfe"`
	Stats map[string]*metrics.Moments `json:"stats"`
}

// shardJob is a command's --shard: the shard and the manifest being built.
type shardJob struct {
	shard gen.Shard
	m     shardManifest
}

// addShardFlag adds --shard to fs.
func addShardFlag(fs *flag.FlagSet) *string {
	return fs.String("shard", "", "i/N: compute only shard i (0 ≤ i < N) of the rows, in whole --batch chunks, and write a manifest OUT"+manifestSuffix+" beside --out; flowbench merge joins the N outputs into the unsharded one, byte for byte")
}

// parseShard reads --shard "i/N".
func parseShard(cmd, spec string) (gen.Shard, error) {
	a, b, ok := strings.Cut(spec, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return gen.Shard{}, usagef("%s: --shard %q: want i/N with 0 ≤ i < N (e.g. 0/4)", cmd, spec)
	}
	return gen.Shard{Index: i, Count: n}, nil
}

// unshardedFlags are the flags that do not change a result: they are left out of a
// manifest's settings.
var unshardedFlags = map[string]bool{"shard": true, "out": true, "threads": true, "json": true, "quiet": true}

// inputFlags are the flags that name input files, recorded by content hash.
var inputFlags = map[string]bool{"model": true, "data": true, "cond": true}

// newShardJob returns the job of --shard spec of command cmd (nil when spec is empty): it
// records the settings of fs (parsed) and hashes the input files.
func newShardJob(cmd, spec string, fs *flag.FlagSet) (*shardJob, error) {
	if spec == "" {
		return nil, nil
	}
	sh, err := parseShard(cmd, spec)
	if err != nil {
		return nil, err
	}
	j := &shardJob{shard: sh, m: shardManifest{Format: shardFormat, Command: cmd, Shard: sh.Index, Shards: sh.Count,
		Settings: map[string]string{}, Inputs: map[string]string{}, Stats: map[string]*metrics.Moments{}}}
	var ferr error
	fs.VisitAll(func(f *flag.Flag) {
		name, v := f.Name, f.Value.String()
		switch {
		case unshardedFlags[name] || ferr != nil:
		case inputFlags[name] && v == dataset.Stdin:
			ferr = usagef("%s: --%s -: a sharded run reads its inputs from files (every shard reads them whole)", cmd, name)
		case inputFlags[name] && v != "" && isFile(v):
			sum, err := fileSHA256(v)
			if err != nil {
				ferr = fmt.Errorf("%s: --%s: %w", cmd, name, err)
			}
			j.m.Inputs[name] = sum
		default:
			j.m.Settings[name] = v
		}
	})
	return j, ferr
}

// isFile reports whether path names an existing regular file.
func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// fileSHA256 returns the hexadecimal SHA-256 of the file at path.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// rows sets the rows of the job (n in all, in chunks of batch) and returns the shard's.
func (j *shardJob) rows(n, batch int) (lo, hi int) {
	lo, hi = j.shard.Rows(n, batch)
	j.m.RowsFrom, j.m.RowsTo, j.m.TotalRows, j.m.Batch = lo, hi, n, batch
	return lo, hi
}

// summary appends the shard's fields to a shard's summary record.
func (j *shardJob) summary(kv []any, out string) []any {
	kv = append(kv, "shard", fmt.Sprintf("%d/%d", j.shard.Index, j.shard.Count), "rows_from", j.m.RowsFrom, "rows_to", j.m.RowsTo, "manifest", out+manifestSuffix)
	if j.m.RowsFrom == j.m.RowsTo {
		kv = emit.AddNote(kv, fmt.Sprintf("this shard owns no rows (%d rows in chunks of %d for %d shards)", j.m.TotalRows, j.m.Batch, j.shard.Count))
	}
	return kv
}

// hashWriter passes bytes on while hashing and counting them and keeping the first few.
type hashWriter struct {
	w    io.Writer
	h    hash.Hash
	n    int64
	head []byte
}

func (w *hashWriter) Write(p []byte) (int, error) {
	if k := min(len(p), 1<<16-len(w.head)); k > 0 {
		w.head = append(w.head, p[:k]...)
	}
	n, err := w.w.Write(p)
	w.h.Write(p[:n])
	w.n += int64(n)
	return n, err
}

// save writes the shard's output at path (format csv, tsv or npy; header: a CSV or TSV
// file starts with a header line) atomically with write, then its manifest, then runs
// report; the output replaces path last, so a manifest never describes a file being written.
func (j *shardJob) save(ctx context.Context, path, format string, header bool, write func(io.Writer) error, report func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var hw *hashWriter
	return atomicfile.WriteThen(path, func(w io.Writer) error {
		hw = &hashWriter{w: w, h: sha256.New()}
		return write(hw)
	}, func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		m := &j.m
		m.File, m.FileFormat, m.FileBytes = baseName(path), format, hw.n
		m.FileSHA256 = hex.EncodeToString(hw.h.Sum(nil))
		switch {
		case format == "npy":
			_, size, hb, err := npyLayout(hw.head)
			if err != nil {
				return err
			}
			m.HeaderBytes, m.ItemSize = hb, size
		case header:
			m.HeaderBytes = strings.IndexByte(string(hw.head), '\n') + 1
		}
		b, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			return err
		}
		if err := atomicfile.Write(path+manifestSuffix, func(w io.Writer) error {
			_, err := w.Write(append(b, '\n'))
			return err
		}); err != nil {
			return err
		}
		return report()
	})
}

// baseName is the last element of path (the manifest names its file relative to itself).
func baseName(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// npyLayout reads the start of a .npy file as WriteNPY writes it: the rows and item size
// its header declares and the header's length.
func npyLayout(head []byte) (rows, size, headerBytes int, err error) {
	if len(head) < 10 || string(head[:6]) != "\x93NUMPY" || head[6] != 1 {
		return 0, 0, 0, fmt.Errorf("not a version 1.0 .npy file")
	}
	hb := 10 + int(binary.LittleEndian.Uint16(head[8:10]))
	if len(head) < hb {
		return 0, 0, 0, fmt.Errorf(".npy header of %d bytes is cut short", hb)
	}
	h := string(head[10:hb])
	switch {
	case strings.Contains(h, "'descr': '<f4'"):
		size = 4
	case strings.Contains(h, "'descr': '<f8'"):
		size = 8
	default:
		return 0, 0, 0, fmt.Errorf(".npy header %q: want dtype <f4 or <f8", strings.TrimSpace(h))
	}
	i := strings.Index(h, "'shape': (")
	if i < 0 {
		return 0, 0, 0, fmt.Errorf(".npy header %q has no shape", strings.TrimSpace(h))
	}
	r, _, _ := strings.Cut(h[i+len("'shape': ("):], ",")
	if rows, err = strconv.Atoi(r); err != nil {
		return 0, 0, 0, fmt.Errorf(".npy header %q: shape %q", strings.TrimSpace(h), r)
	}
	return rows, size, hb, nil
}

// moments returns the exact Moments of values.
func momentsOf[T float32 | float64](values []T) *metrics.Moments {
	m := new(metrics.Moments)
	for _, v := range values {
		m.Add(float64(v))
	}
	return m
}
