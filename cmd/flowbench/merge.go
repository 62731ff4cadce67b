package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/internal/atomicfile"
	"github.com/interflow/flowbench/metrics"
)

// The merge subcommand: the outputs of the N shards of a sample, nll or encode job joined
// into the output of one unsharded run, after checking every shard's manifest.

func init() {
	register(&command{name: "merge", summary: "join the outputs of a sharded sample, nll or encode job (--shard i/N)", run: runMerge})
}

// maxShards bounds a manifest's shard count (merge keeps one slot per shard).
const maxShards = 1 << 20

// mergeShard is one shard given to merge: its manifest and where it and its file are.
type mergeShard struct {
	m              shardManifest
	manifest, file string
}

// loadShard reads the manifest of arg (a shard's output file or its manifest) and checks that
// its file is the one the manifest describes.
func loadShard(arg string) (*mergeShard, error) {
	mp := arg
	if !strings.HasSuffix(arg, manifestSuffix) {
		mp = arg + manifestSuffix
	}
	b, err := os.ReadFile(mp)
	if err != nil {
		return nil, fmt.Errorf("merge: %s: no shard manifest (%v): give the outputs of flowbench sample|nll|encode --shard i/N", arg, err)
	}
	s := &mergeShard{manifest: mp}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s.m); err != nil || s.m.Format != shardFormat {
		if err == nil {
			err = fmt.Errorf("format %q, want %q", s.m.Format, shardFormat)
		}
		return nil, fmt.Errorf("merge: %s: not a shard manifest: %v", mp, err)
	}
	m := &s.m
	if m.File == "" || strings.ContainsRune(m.File, '/') || m.Shards < 1 || m.Shards > maxShards || m.Shard < 0 || m.Shard >= m.Shards || m.TotalRows < 0 ||
		m.RowsFrom < 0 || m.RowsTo < m.RowsFrom || m.RowsTo > m.TotalRows || m.Cols < 1 || m.HeaderBytes < 0 {
		return nil, fmt.Errorf("merge: %s: inconsistent manifest (shard %d/%d, rows %d–%d of %d, %d columns, file %q)", mp, m.Shard, m.Shards, m.RowsFrom, m.RowsTo, m.TotalRows, m.Cols, m.File)
	}
	if lo, hi := (gen.Shard{Index: m.Shard, Count: m.Shards}).Rows(m.TotalRows, m.Batch); lo != m.RowsFrom || hi != m.RowsTo {
		return nil, fmt.Errorf("merge: %s: shard %d/%d of %d rows in chunks of %d owns rows %d–%d, not %d–%d", mp, m.Shard, m.Shards, m.TotalRows, m.Batch, lo, hi, m.RowsFrom, m.RowsTo)
	}
	s.file = filepath.Join(filepath.Dir(mp), m.File)
	f, err := os.Open(s.file)
	if err != nil {
		return nil, fmt.Errorf("merge: %s: its output %v", mp, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return nil, fmt.Errorf("merge: %s: %v", s.file, err)
	}
	if n != m.FileBytes {
		return nil, fmt.Errorf("merge: %s: %d bytes, its manifest records %d (truncated or changed since the shard wrote it)", s.file, n, m.FileBytes)
	}
	if hex.EncodeToString(h.Sum(nil)) != m.FileSHA256 {
		return nil, fmt.Errorf("merge: %s: content differs from its manifest's SHA-256 (changed since the shard wrote it)", s.file)
	}
	if int64(m.HeaderBytes) > n {
		return nil, fmt.Errorf("merge: %s: header of %d bytes in a file of %d", mp, m.HeaderBytes, n)
	}
	return s, nil
}

// sameJob reports how shard b differs from shard a in what must be equal for them to be
// parts of one job ("" when they do not).
func sameJob(a, b *shardManifest) string {
	switch {
	case a.Command != b.Command:
		return fmt.Sprintf("command %s vs %s", a.Command, b.Command)
	case a.Shards != b.Shards:
		return fmt.Sprintf("shard count %d vs %d", a.Shards, b.Shards)
	case a.Inputs["model"] != b.Inputs["model"]:
		return fmt.Sprintf("model (sha256 %.12s… vs %.12s…)", a.Inputs["model"], b.Inputs["model"])
	case !maps.Equal(a.Inputs, b.Inputs):
		return "input files (--data or --cond content)"
	case !maps.Equal(a.Settings, b.Settings):
		for _, k := range slices.Sorted(maps.Keys(a.Settings)) {
			if a.Settings[k] != b.Settings[k] {
				return fmt.Sprintf("setting --%s (%q vs %q)", k, a.Settings[k], b.Settings[k])
			}
		}
		return "settings"
	case a.TotalRows != b.TotalRows || a.Batch != b.Batch || a.Cols != b.Cols || a.Dim != b.Dim || a.Data != b.Data:
		return fmt.Sprintf("rows, columns or data (%d×%d of %q vs %d×%d of %q)", a.TotalRows, a.Cols, a.Data, b.TotalRows, b.Cols, b.Data)
	case a.FileFormat != b.FileFormat || a.ItemSize != b.ItemSize:
		return fmt.Sprintf("file format %s vs %s", a.FileFormat, b.FileFormat)
	case !slices.Equal(slices.Sorted(maps.Keys(a.Stats)), slices.Sorted(maps.Keys(b.Stats))):
		return "summary statistics"
	}
	return ""
}

func runMerge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const cmd = "merge"
	fs := newFlags(cmd, "--out FILE SHARD... (each shard's output file or its "+manifestSuffix+" manifest; flags first)", stdout)
	out := fs.String("out", "", "merged output file, in the shards' format (.csv, .tsv or .npy)")
	jsonOut := fs.Bool("json", false, "print JSON lines")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := checkOut(cmd, "out", *out); err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("%s: no shards given (the output files of sample|nll|encode --shard i/N)", cmd)
	}
	shards := make([]*mergeShard, 0, len(rest))
	for _, a := range rest {
		if atomicfile.SameFile(*out, a) {
			return usagef("%s: --out %q is the same file as the shard %q: refusing to replace an input", cmd, *out, a)
		}
		s, err := loadShard(a)
		if err != nil {
			return err
		}
		if atomicfile.SameFile(*out, s.file) || atomicfile.SameFile(*out, s.manifest) {
			return usagef("%s: --out %q is the same file as the shard %q: refusing to replace an input", cmd, *out, s.file)
		}
		shards = append(shards, s)
	}
	first := &shards[0].m
	byIndex := make([]*mergeShard, first.Shards)
	for _, s := range shards {
		if d := sameJob(first, &s.m); d != "" {
			return fmt.Errorf("%s: %s and %s are not shards of one job: %s", cmd, shards[0].manifest, s.manifest, d)
		}
		if o := byIndex[s.m.Shard]; o != nil {
			return fmt.Errorf("%s: shard %d/%d given twice (%s and %s)", cmd, s.m.Shard, s.m.Shards, o.manifest, s.manifest)
		}
		byIndex[s.m.Shard] = s
	}
	var missing []string
	for i, s := range byIndex {
		if s == nil {
			missing = append(missing, fmt.Sprint(i))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: shard %s of %d missing (have %d of %d)", cmd, strings.Join(missing, ", "), first.Shards, len(shards), first.Shards)
	}
	if ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), "."); ext != first.FileFormat {
		return usagef("%s: --out %q: the shards are .%s files; the merged file keeps their format", cmd, *out, first.FileFormat)
	}
	// The combined summary.
	nfe := 0
	stats := map[string]*metrics.Moments{}
	for _, s := range byIndex {
		nfe += s.m.NFE
		for k, v := range s.m.Stats {
			if stats[k] == nil {
				stats[k] = new(metrics.Moments)
			}
			stats[k].Merge(v)
		}
	}
	var kv []any
	switch first.Command {
	case "nll":
		kv = append(nllKV(first.Data, first.Dim, nllParts{logp: stats["logp"], truth: stats["true_logp"], nfe: nfe}), "out", *out)
	case "sample":
		kv = sampleKV(*out, first.TotalRows, first.Dim, nfe, stats["logp"])
	case "encode":
		kv = encodeKV(*out, first.TotalRows, first.Dim, nfe, first.Data, stats["z"])
	default:
		return fmt.Errorf("%s: %s: unknown command %q", cmd, shards[0].manifest, first.Command)
	}
	if st := stats["logp"]; (first.Command == "nll" && st == nil) || (st != nil && st.N() != int64(first.TotalRows)) {
		return fmt.Errorf("%s: the shards' statistics count %d rows, the job has %d", cmd, statN(st), first.TotalRows)
	}
	write := func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		if first.FileFormat == "npy" {
			h, err := dataset.NPYHeader(first.TotalRows, first.Cols, first.ItemSize)
			if err != nil {
				return err
			}
			bw.Write(h)
		}
		for i, s := range byIndex {
			if err := copyBody(bw, s, i == 0 && first.FileFormat != "npy"); err != nil {
				return err
			}
		}
		return bw.Flush()
	}
	return saveThen(ctx, *out, write, func() error { return (&emitter{W: stdout, JSON: *jsonOut}).Summary(first.Command, kv...) })
}

// statN is the count of st (0 for nil).
func statN(st *metrics.Moments) int64 {
	if st == nil {
		return 0
	}
	return st.N()
}

// copyBody copies the rows of shard s to w, with its header when header is set (a CSV or
// TSV file's header line, the same in every shard of one command and format).
func copyBody(w io.Writer, s *mergeShard, header bool) error {
	f, err := os.Open(s.file)
	if err != nil {
		return fmt.Errorf("merge: %v", err)
	}
	defer f.Close()
	h := make([]byte, s.m.HeaderBytes)
	if _, err := io.ReadFull(f, h); err != nil {
		return fmt.Errorf("merge: %s: %v", s.file, err)
	}
	if header {
		if _, err := w.Write(h); err != nil {
			return err
		}
	}
	n, err := io.Copy(w, f)
	if err != nil {
		return fmt.Errorf("merge: %s: %v", s.file, err)
	}
	if n+int64(s.m.HeaderBytes) != s.m.FileBytes {
		return fmt.Errorf("merge: %s changed while being merged (%d bytes, its manifest records %d)", s.file, n+int64(s.m.HeaderBytes), s.m.FileBytes)
	}
	return nil
}
