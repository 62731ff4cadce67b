package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
)

// gaussTable writes n rows of a correlated 3-D Gaussian (continuous values) as CSV.
func gaussTable(t *testing.T, dir, name string, n int, seed int64) string {
	t.Helper()
	var b strings.Builder
	x := uint64(seed)*0x9e3779b97f4a7c15 + 1
	norm := func() float64 { // Box–Muller from a small LCG: reproducible, no package state
		u := func() float64 {
			x = x*6364136223846793005 + 1442695040888963407
			return (float64(x>>11) + 0.5) / (1 << 53)
		}
		return math.Sqrt(-2*math.Log(u())) * math.Cos(2*math.Pi*u())
	}
	for range n {
		a := norm()
		fmt.Fprintf(&b, "%.6f,%.6f,%.6f\n", 10+3*a, -2+a+0.3*norm(), 0.5*norm())
	}
	return writeFile(t, dir, name, []byte(b.String()))
}

func summaryOf(t *testing.T, stdout string) map[string]json.RawMessage {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var rec map[string]json.RawMessage
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rec); err != nil {
		t.Fatalf("summary %q: %v", lines[len(lines)-1], err)
	}
	return rec
}

// TestTableDefaults trains on a data file with no flags but the output, and checks that the
// table rule was applied (validation on, plateau schedule, the batch and width of the rule),
// that the run reports its validation and training NLL, and that nll's default split on
// the training file (no test part by default) is refused while --test-frac makes one.
func TestTableDefaults(t *testing.T) {
	dir := t.TempDir()
	data := gaussTable(t, dir, "g.csv", 600, 1)
	model := filepath.Join(dir, "g.safetensors")
	r := mustRun(t, "train", "--data", data, "--out", model, "--json", "--quiet", "--threads", "1")
	s := summaryOf(t, r.stdout)
	for _, k := range []string{"best_val_nll", "train_nll", "best_step"} {
		if _, ok := s[k]; !ok {
			t.Fatalf("summary lacks %s: %s", k, r.stdout)
		}
	}
	info := mustRun(t, "info", model, "--json")
	// 480 training rows: batch 64, width 256, plateau; 600 rows: 20% validation, no test part.
	for _, want := range []string{`"schedule":"plateau"`, `"batch":64`, `"hidden":[256,256,256]`, `"lr":0.001`, `"patience":5`, `"val":0.2,"test":0`} {
		if !strings.Contains(info.stdout, want) {
			t.Errorf("info lacks %s:\n%s", want, info.stdout)
		}
	}
	wantRejected(t, cli(t, "nll", "--model", model, "--data", data), 1, "g.csv", "no test part", "--split")
	// Another file: every row.
	other := gaussTable(t, dir, "other.csv", 50, 2)
	o := summaryOf(t, mustRun(t, "nll", "--model", model, "--data", other, "--json").stdout)
	if string(o["n"]) != "50" {
		t.Errorf("another file: scored %s rows, want 50", o["n"])
	}
	// The training file changed since: an error, not a silent switch to every row.
	b, _ := os.ReadFile(data)
	os.WriteFile(data, append(b, []byte("10,-2,0\n")...), 0o644)
	wantRejected(t, cli(t, "nll", "--model", model, "--data", data), 1, "changed since the model was trained", "--split all")
	os.WriteFile(data, b, 0o644)
	v := summaryOf(t, mustRun(t, "nll", "--model", model, "--data", data, "--split", "val", "--json").stdout)
	if string(v["n"]) != "120" {
		t.Errorf("val split: %s rows, want 120", v["n"])
	}
	// --test-frac makes a test part, scored by default.
	m2 := filepath.Join(dir, "g2.safetensors")
	mustRun(t, "train", "--data", data, "--out", m2, "--test-frac", "0.25", "--steps", "50", "--quiet")
	ts := summaryOf(t, mustRun(t, "nll", "--model", m2, "--data", data, "--json").stdout)
	if string(ts["n"]) != "150" || !strings.Contains(string(ts["data"]), "test split") {
		t.Errorf("default split with a test part: n %s, data %s; want the 150 test rows", ts["n"], ts["data"])
	}
}

// TestTableMLE trains a data file by --objective mle with the table defaults and a time
// limit: the run validates by held-out NLL (at the MLE interval, every few steps), ends at
// the limit with time_limited in the summary, and its model scores the file.
func TestTableMLE(t *testing.T) {
	dir := t.TempDir()
	data := gaussTable(t, dir, "g.csv", 300, 4)
	model := filepath.Join(dir, "g.safetensors")
	r := mustRun(t, "train", "--data", data, "--out", model, "--objective", "mle", "--mle-grad", "discrete", "--mle-steps", "2",
		"--width", "32", "--time-limit", "0.5", "--json", "--quiet", "--threads", "1")
	s := summaryOf(t, r.stdout)
	for _, k := range []string{"best_val_nll", "train_nll", "best_step", "time_limited"} {
		if _, ok := s[k]; !ok {
			t.Fatalf("summary lacks %s: %s", k, r.stdout)
		}
	}
	var cfg struct {
		Train struct {
			ValEvery int `json:"val_every"`
			Steps    int `json:"steps"`
		} `json:"train"`
		State struct {
			Step int `json:"step"`
		} `json:"state"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "info", model, "--json").stdout), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Train.ValEvery < 1 || cfg.Train.ValEvery > 5 || cfg.State.Step >= cfg.Train.Steps {
		t.Fatalf("val_every %d (want the MLE interval, 1–5), step %d of %d", cfg.Train.ValEvery, cfg.State.Step, cfg.Train.Steps)
	}
	mustRun(t, "nll", "--model", model, "--data", data, "--split", "val", "--json")
}

// TestConstantColumn trains with no flags on a table one of whose columns holds one
// non-integer value: the column is recorded as constant, with dataset.ConstantStd as its
// scale, and the model's density along it is exactly that N(c, ConstantStd²) component,
// independent of the rest: moving every row one standard deviation off c costs ½ nat per
// row (to the solver's accuracy), three standard deviations 4½.
func TestConstantColumn(t *testing.T) {
	dir := t.TempDir()
	var b, shifted, far strings.Builder
	g, _ := os.ReadFile(gaussTable(t, dir, "g.csv", 400, 5))
	for _, l := range strings.Split(strings.TrimSpace(string(g)), "\n") {
		fmt.Fprintf(&b, "%s,0.25\n", l)
		fmt.Fprintf(&shifted, "%s,%.9g\n", l, 0.25+dataset.ConstantStd)
		fmt.Fprintf(&far, "%s,%.9g\n", l, 0.25-3*dataset.ConstantStd)
	}
	data := writeFile(t, dir, "c.csv", []byte(b.String()))
	off := writeFile(t, dir, "off.csv", []byte(shifted.String()))
	off3 := writeFile(t, dir, "off3.csv", []byte(far.String()))
	model := filepath.Join(dir, "c.safetensors")
	mustRun(t, "train", "--data", data, "--out", model, "--steps", "1500", "--width", "64", "--quiet", "--threads", "1")
	var info struct {
		Data struct {
			ConstantCols []int         `json:"constant_cols"`
			Stats        dataset.Stats `json:"stats"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "info", model, "--json").stdout), &info); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(info.Data.ConstantCols, []int{3}) || info.Data.Stats.Std[3] != dataset.ConstantStd || info.Data.Stats.Mean[3] != float64(float32(0.25)) {
		t.Fatalf("constant columns %v, column 3 %v ± %v; want [3], 0.25 ± %v", info.Data.ConstantCols, info.Data.Stats.Mean[3], info.Data.Stats.Std[3], dataset.ConstantStd)
	}
	nll := func(path string) float64 {
		var v float64
		json.Unmarshal(summaryOf(t, mustRun(t, "nll", "--model", model, "--data", path, "--split", "all", "--json").stdout)["nll"], &v)
		return v
	}
	at, away, away3 := nll(data), nll(off), nll(off3)
	t.Logf("NLL %.6f on the rows, %.6f and %.6f one and three standard deviations off the constant", at, away, away3)
	if d := away - at; math.IsNaN(d) || math.Abs(d-0.5) > 1e-3 {
		t.Errorf("moving the constant column by its scale costs %.6f nats per row, want 0.5", d)
	}
	if d := away3 - at; math.IsNaN(d) || math.Abs(d-4.5) > 1e-3 {
		t.Errorf("moving the constant column by 3 times its scale costs %.6f nats per row, want 4.5", d)
	}
	// --base learned would move and couple the column: refused.
	wantRejected(t, cli(t, "train", "--data", data, "--out", filepath.Join(dir, "l.safetensors"), "--steps", "5", "--base", "learned"), 1, "constant", "--base normal")
}

// TestPerRowScores checks nll --out: one log-density per scored row in input order, the
// same bits at one and two threads, their mean equal to the reported NLL, and encode
// --with-logp's last column equal to them (as float32).
func TestPerRowScores(t *testing.T) {
	dir := t.TempDir()
	data := gaussTable(t, dir, "g.csv", 300, 3)
	model := filepath.Join(dir, "g.safetensors")
	mustRun(t, "train", "--data", data, "--out", model, "--steps", "60", "--width", "32", "--quiet")
	score := func(threads string) ([]float64, map[string]json.RawMessage) {
		out := filepath.Join(dir, "s"+threads+".csv")
		r := mustRun(t, "nll", "--model", model, "--data", data, "--split", "all", "--out", out, "--threads", threads, "--json")
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if lines[0] != "logp" {
			t.Fatalf("header %q", lines[0])
		}
		var v []float64
		for _, l := range lines[1:] {
			x, err := strconv.ParseFloat(l, 64)
			if err != nil {
				t.Fatal(err)
			}
			v = append(v, x)
		}
		return v, summaryOf(t, r.stdout)
	}
	a, s := score("1")
	b, _ := score("2")
	if len(a) != 300 {
		t.Fatalf("%d scores for 300 rows", len(a))
	}
	mean := 0.0
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			t.Fatalf("row %d: %v at one thread, %v at two", i, a[i], b[i])
		}
		mean -= a[i] / float64(len(a))
	}
	var nll float64
	json.Unmarshal(s["nll"], &nll)
	if math.Abs(mean-nll) > 1e-9*math.Abs(nll) {
		t.Fatalf("mean of the rows' NLL %v, summary %v", mean, nll)
	}
	// The first row scored alone gives the same value: the rows are in input order.
	first := writeFile(t, dir, "first.csv", []byte(strings.SplitN(string(must(os.ReadFile(data))), "\n", 2)[0]+"\n"))
	out := filepath.Join(dir, "one.csv")
	mustRun(t, "nll", "--model", model, "--data", first, "--out", out)
	one, err := strconv.ParseFloat(strings.Split(strings.TrimSpace(string(must(os.ReadFile(out)))), "\n")[1], 64)
	if err != nil || math.Abs(one-a[0]) > 1e-4 {
		t.Fatalf("first row alone %v (%v), in the file %v", one, err, a[0])
	}
	enc := filepath.Join(dir, "z.csv")
	mustRun(t, "encode", "--model", model, "--data", data, "--out", enc, "--with-logp")
	lines := strings.Split(strings.TrimSpace(string(must(os.ReadFile(enc)))), "\n")
	for i, l := range lines {
		f := strings.Split(l, ",")
		if len(f) != 4 {
			t.Fatalf("encode row %d has %d columns, want 3 + logp", i, len(f))
		}
		x, _ := strconv.ParseFloat(f[3], 32)
		if float32(x) != float32(a[i]) {
			t.Fatalf("encode row %d logp %v, nll --out %v", i, x, a[i])
		}
	}
}

// TestDequantizeFlag checks that an integer table with a constant column trains by default
// (its integer columns dequantized) and with --dequantize none (the constant column then a
// Gaussian component).
func TestDequantizeFlag(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 200 {
		fmt.Fprintf(&b, "%d,%d,3\n", i%7, (i*5)%11)
	}
	data := writeFile(t, dir, "counts.csv", []byte(b.String()))
	mustRun(t, "train", "--data", data, "--out", filepath.Join(dir, "m.safetensors"), "--steps", "20", "--quiet")
	n := filepath.Join(dir, "n.safetensors")
	mustRun(t, "train", "--data", data, "--out", n, "--steps", "20", "--dequantize", "none", "--quiet")
	if info := mustRun(t, "info", n, "--json").stdout; !strings.Contains(info, `"constant_cols":[2]`) || strings.Contains(info, "dequantize_cols") {
		t.Errorf("--dequantize none: info lacks constant_cols [2] or dequantizes:\n%s", info)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestInputsReadOnce scores and trains on the same rows given as a file, on standard input
// ("-" and /dev/stdin) and through a FIFO: every reader reads its input once, so all give
// the same rows and the same NLL.
func TestInputsReadOnce(t *testing.T) {
	dir := t.TempDir()
	data := gaussTable(t, dir, "rows.csv", 3000, 5)
	model := filepath.Join(dir, "m.safetensors")
	mustRun(t, "train", "--data", data, "--out", model, "--steps", "10", "--width", "16", "--quiet")
	b := must(os.ReadFile(data))
	nll := func(args ...string) string {
		t.Helper()
		s := summaryOf(t, cliIn(t, b, append([]string{"nll", "--model", model, "--split", "all", "--json"}, args...)...).stdout)
		if string(s["n"]) != "3000" {
			t.Fatalf("%v: scored %s rows, want 3000", args, s["n"])
		}
		return string(s["nll"])
	}
	want := nll("--data", data)
	for _, src := range []string{"-", "/dev/stdin"} {
		if got := nll("--data", src); got != want {
			t.Errorf("--data %s: NLL %s, the file's %s", src, got, want)
		}
	}
	fifo := filepath.Join(dir, "rows.fifo")
	if err := mkfifo(fifo); err != nil {
		t.Skipf("no FIFO: %v", err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			f.Write(b)
			f.Close()
		}
	}()
	if got := nll("--data", fifo); got != want {
		t.Errorf("FIFO: NLL %s, the file's %s", got, want)
	}
	// Training from standard input sees every row too.
	r := cliIn(t, b, "train", "--data", "-", "--out", filepath.Join(dir, "p.safetensors"), "--steps", "5", "--width", "16", "--quiet", "--json")
	if r.code != 0 {
		t.Fatalf("train from stdin: exit %d: %s", r.code, r.stderr)
	}
	info := mustRun(t, "info", filepath.Join(dir, "p.safetensors"), "--json").stdout
	if !strings.Contains(info, `"n":2700`) { // 90% of 3000 rows train (--val-frac auto: 10% from 2,500 rows)
		t.Errorf("training from stdin did not see every row: %s", info)
	}
}

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o600) }

// TestOutputNeverAnInput runs every command that writes a file with its output naming one of
// its inputs (directly, through a symbolic link, or by a hard link) and checks the refusal
// and that the input is untouched; and that a FIFO or a device at --out is refused.
func TestOutputNeverAnInput(t *testing.T) {
	dir := t.TempDir()
	data := gaussTable(t, dir, "d.csv", 200, 7)
	model := filepath.Join(dir, "m.safetensors")
	mustRun(t, "train", "--data", data, "--out", model, "--steps", "5", "--width", "16", "--quiet")
	link := filepath.Join(dir, "link.csv")
	os.Symlink(data, link)
	hard := filepath.Join(dir, "hard.csv")
	os.Link(data, hard)
	for _, c := range [][]string{
		{"train", "--data", data, "--out", data, "--steps", "2"},
		{"train", "--data", data, "--out", link, "--steps", "2"},
		{"train", "--data", hard, "--out", data, "--steps", "2"},
		{"encode", "--model", model, "--data", data, "--out", link},
		{"encode", "--model", model, "--data", data, "--out", hard},
		{"nll", "--model", model, "--data", data, "--split", "all", "--out", hard},
	} {
		before := snapshot(t, data)
		mb := snapshot(t, model)
		r := cli(t, c...)
		wantRejected(t, r, 2, "same file", "refusing to replace an input")
		before.untouched(t)
		mb.untouched(t)
	}
	fifo := filepath.Join(dir, "out.csv")
	if err := mkfifo(fifo); err == nil {
		wantRejected(t, cli(t, "sample", "--model", model, "--n", "10", "--out", fifo), 2, "FIFO")
	}
	wantRejected(t, cli(t, "train", "--data", data, "--out", "/dev/null", "--steps", "2"), 2, "character device")
}

// TestClosedStdoutSavesCheckpoint runs `train --json | head -1`: the closed pipe stops the
// run cleanly (exit 141) with a checkpoint that loads, instead of a death by SIGPIPE that
// loses the work.
func TestClosedStdoutSavesCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a training process")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	cmd := exec.Command(genBin, longTrainArgs(path, "--json", "--log-every", "1", "--ckpt-every", "1000000")...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var se bytes.Buffer
	cmd.Stderr = &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1)
	out.Read(buf) // the first byte of the first line, as head -c 1 would
	out.Close()
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 141 {
		t.Fatalf("exit %d (stderr %q), want 141", code, se.String())
	}
	m, err := gen.LoadModel(path)
	if err != nil {
		t.Fatalf("no usable checkpoint after the pipe closed: %v", err)
	}
	if !m.Resumable() {
		t.Fatal("checkpoint not resumable")
	}
}
