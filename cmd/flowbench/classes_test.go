package main

// The class matrix of issue 14 against the real binary: every class of bad input (missing,
// a directory, empty, truncated, non-finite, wrong width, huge, out of float32's range,
// unreadable, a FIFO, a hostile name) given to every command that reads it, and every class
// of bad output (an input, a device, a FIFO, a directory, a missing parent, a full or closed
// stdout) given to every command that writes one. Each run must fail with one stderr line
// that names the input (quoted when its name holds a newline or an escape) and, where the
// class has one, the position; no stack trace; and nothing saved before may change.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/interflow/flowbench/internal/quote"
	"github.com/interflow/flowbench/nn"
)

// hostile is a file name that would forge a second line and clear the terminal if printed
// as it is.
const hostile = "two\nlines\x1b[2J"

// cliTo is cli with the binary's standard output on the file so (a full or closed one).
func cliTo(t *testing.T, so *os.File, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, genBin, args...)
	var se bytes.Buffer
	cmd.Stdout, cmd.Stderr = so, &se
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("flowbench %q: no exit within %v (hang?)", args, cliTimeout)
	}
	r := cliResult{stderr: se.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// wantFailed checks a run that must fail (exit 1 or 2): one stderr line with no raw control
// or escape character, naming the input as quote.Name prints it, holding every fragment,
// and no stack trace.
func wantFailed(t *testing.T, r cliResult, input string, frags ...string) {
	t.Helper()
	checkNoCrash(t, r)
	if r.code != 1 && r.code != 2 {
		t.Fatalf("exit %d, want 1 or 2; stderr %q", r.code, r.stderr)
	}
	msg, ok := strings.CutSuffix(r.stderr, "\n")
	if !ok || msg == "" || strings.ContainsAny(msg, "\n\r\x1b") {
		t.Fatalf("stderr must be one line without control characters, got %q", r.stderr)
	}
	if input != "" && !strings.Contains(msg, quote.Name(input)) && !strings.Contains(msg, strconv.Quote(input)) {
		t.Fatalf("stderr %q does not name %s", msg, quote.Name(input))
	}
	for _, f := range frags {
		if !strings.Contains(msg, f) {
			t.Fatalf("stderr %q lacks %q", msg, f)
		}
	}
}

// gz returns b gzip-compressed.
func gz(b []byte) []byte {
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(b)
	w.Close()
	return z.Bytes()
}

// badInput is one class of bad input file: its name, how to make it (nil: missing), the
// fragments its error must hold besides the name, and the commands it does not apply to.
type badInput struct {
	class, name string
	make        func(t *testing.T, path string)
	frags       []string
	not         string // space-separated command keys the class does not apply to
}

// content returns a maker that writes b.
func content(b []byte) func(*testing.T, string) {
	return func(t *testing.T, p string) {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// procMem links p to /proc/self/mem: a file that opens but fails to read (EIO), for the
// class "unreadable" (permission bits do not stop root).
func procMem(t *testing.T, p string) {
	if _, err := os.Stat("/proc/self/mem"); err != nil {
		t.Skip("no /proc/self/mem")
	}
	if err := os.Symlink("/proc/self/mem", p); err != nil {
		t.Fatal(err)
	}
}

func fifo(t *testing.T, p string) {
	if err := mkfifo(p); err != nil {
		t.Skip(err)
	}
}

// TestClassMatrixData gives every class of bad data file to every command that reads data
// (train --data and --val, nll, eval, encode, plot --data, bench objectives --data).
func TestClassMatrixData(t *testing.T) {
	dir := t.TempDir()
	model := trainTiny(t, dir, "m.safetensors", 5)
	good := writeFile(t, dir, "good.csv", []byte(textRows(rows2(40), ",", "\n")))
	huge := []byte("\x93NUMPY\x01\x00")
	h := "{'descr': '<f4', 'fortran_order': False, 'shape': (536870912, 16), }"
	h += strings.Repeat(" ", 63-(10+len(h))%64) + "\n"
	huge = append(binary.LittleEndian.AppendUint16(huge, uint16(len(h))), h...)
	csvCut := gz([]byte(textRows(rows2(3000), ",", "\n")))
	classes := []badInput{
		{"missing", "missing.csv", nil, nil, ""},
		{"directory", "dir.csv", func(t *testing.T, p string) { os.Mkdir(p, 0o755) }, []string{"directory"}, ""},
		{"empty", "empty.csv", content(nil), []string{"empty file"}, ""},
		{"empty npy", "empty.npy", content(nil), []string{"magic"}, ""},
		{"truncated npy", "cut.npy", content(npyFile(npyDict("<f4", false, "(5, 2)"), le32(1, 2, 3, 4, 5, 6, 7))), []string{"truncated", "holds 28 bytes"}, ""},
		{"truncated gzip", "cut.csv.gz", content(csvCut[:len(csvCut)/2]), []string{".csv.gz:", "truncated gzip stream"}, ""},
		{"truncated idx", "cut.idx", content(idxFile([]uint32{3, 2}, []byte{1, 2, 3, 4, 5})), []string{"truncated", "holds 5 bytes"}, ""},
		{"NaN", "nan.csv", content([]byte("1,2\n3,NaN\n4,5\n")), []string{"nan.csv:2", "column 2", "NaN"}, ""},
		{"Inf npy", "inf.npy", content(npyFile(npyDict("<f8", false, "(2, 2)"), le64(1, 2, 3, math.Inf(1)))), []string{"row 1: column 2", "Inf"}, ""},
		{"wrong width", "three.csv", content([]byte("1,2,3\n4,5,7\n7,8,8\n1,1,2\n")), []string{"3 columns"}, "train bench"},
		{"ragged", "ragged.csv", content([]byte("1,2\n3,4,5\n")), []string{"ragged.csv:2", "ragged"}, ""},
		{"huge npy.gz", "huge.npy.gz", content(gz(append(huge, make([]byte, 64)...))), []string{"536870912 rows"}, ""},
		{"huge idx.gz", "huge-idx3-ubyte.gz", content(gz(append(idxFile([]uint32{1<<31 - 1, 28, 28}, nil), 0, 0))), []string{"too large"}, ""},
		{"value too large", "big.csv", content([]byte("1,2\n3,1.8446744e+19\n")), []string{"big.csv:2", "column 2", "at most 1.844674352395373e+19"}, ""},
		{"value rounds to 0", "tiny.csv", content([]byte("1e-50,2\n2e-50,3\n3e-50,5\n")), []string{"tiny.csv:1", "column 1", "value 1e-50 is too small"}, ""},
		{"unreadable", "unreadable.csv", procMem, []string{"unreadable.csv:1", "input/output error"}, ""},
		{"hostile name", hostile + ".csv", content([]byte("1,2\n3,x\n")), []string{":2", "column 2"}, ""},
		{"hostile name missing", hostile + ".npy", nil, nil, ""},
	}
	type command struct {
		key  string
		args func(data, out string) []string
	}
	rk := []string{"--solver", "rk4", "--steps", "2"}
	commands := []command{
		{"train", func(d, o string) []string {
			return append([]string{"train", "--data", d, "--out", o + ".st", "--steps", "3", "--val-every", "0"}, tiny...)
		}},
		{"val", func(d, o string) []string {
			return append([]string{"train", "--data", good, "--val", d, "--out", o + ".st", "--steps", "3"}, tiny...)
		}},
		{"nll", func(d, o string) []string {
			return append([]string{"nll", "--model", model, "--data", d, "--out", o + ".csv"}, rk...)
		}},
		{"eval", func(d, o string) []string { return append([]string{"eval", "--model", model, "--data", d}, rk...) }},
		{"encode", func(d, o string) []string {
			return append([]string{"encode", "--model", model, "--data", d, "--out", o + ".csv"}, rk...)
		}},
		{"plot", func(d, o string) []string {
			return []string{"plot", "--model", model, "--data", d, "--out", o + ".png", "--kind", "samples", "--n", "20"}
		}},
		{"bench", func(d, o string) []string {
			return []string{"bench", "objectives", "--data", d, "--budget", "1", "--png", o + ".png"}
		}},
	}
	if testing.Short() {
		commands = commands[2:3]
	}
	for _, c := range classes {
		t.Run(c.class, func(t *testing.T) {
			sub := t.TempDir()
			p := filepath.Join(sub, c.name)
			if c.make != nil {
				c.make(t, p)
			}
			var before *fileState
			if st, err := os.Lstat(p); err == nil && st.Mode().IsRegular() {
				s := snapshot(t, p)
				before = &s
			}
			for _, cmd := range commands {
				if strings.Contains(" "+c.not+" ", " "+cmd.key+" ") {
					continue
				}
				out := filepath.Join(sub, "out")
				saved := []fileState{sentinel(t, out+".st"), sentinel(t, out+".csv"), sentinel(t, out+".png")}
				wantFailed(t, cli(t, cmd.args(p, out)...), p, c.frags...)
				for _, s := range saved {
					s.untouched(t)
				}
				if before != nil {
					before.untouched(t)
				}
				if n := tempFiles(t, sub); len(n) > 0 {
					t.Fatalf("%s: temporary files left: %v", cmd.key, n)
				}
			}
		})
	}
}

// TestClassMatrixModel gives every class of bad checkpoint to every command that reads one.
func TestClassMatrixModel(t *testing.T) {
	dir := t.TempDir()
	model := trainTiny(t, dir, "m.safetensors", 5)
	b, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	nanST := readST(t, model)
	copy(nanST.tensors["net.0.weight"].data, le32(math.NaN()))
	classes := []badInput{
		{"missing", "none.st", nil, []string{"no such file"}, ""},
		{"directory", "dir.st", func(t *testing.T, p string) { os.Mkdir(p, 0o755) }, []string{"directory"}, ""},
		{"empty", "empty.st", content(nil), []string{"too short"}, ""},
		{"truncated", "cut.st", content(b[:len(b)/2]), nil, ""},
		{"non-finite", "nan.st", content(nanST.bytes()), []string{`"net.0.weight"`, "NaN"}, ""},
		{"huge", "huge.st", func(t *testing.T, p string) {
			f, err := os.Create(p)
			if err == nil {
				err = f.Truncate(nn.MaxCheckpointBytes + 1) // sparse
				f.Close()
			}
			if err != nil {
				t.Skip(err)
			}
		}, []string{"more than a checkpoint may hold"}, ""},
		{"unreadable", "unreadable.st", procMem, []string{"input/output error"}, ""},
		{"FIFO", "fifo.st", fifo, []string{"not a regular file"}, ""},
		{"hostile name", hostile + ".st", content(b[:len(b)/3]), nil, ""},
	}
	commands := []struct {
		key  string
		args func(m, out string) []string
	}{
		{"info", func(m, o string) []string { return []string{"info", m} }},
		{"sample", func(m, o string) []string { return []string{"sample", "--model", m, "--n", "5", "--out", o + ".csv"} }},
		{"nll", func(m, o string) []string {
			return []string{"nll", "--model", m, "--data", "8gaussians", "--n", "5", "--out", o + ".csv"}
		}},
		{"eval", func(m, o string) []string { return []string{"eval", "--model", m, "--data", "8gaussians", "--n", "5"} }},
		{"encode", func(m, o string) []string {
			return []string{"encode", "--model", m, "--data", "8gaussians", "--n", "5", "--out", o + ".csv"}
		}},
		{"plot", func(m, o string) []string { return []string{"plot", "--model", m, "--out", o + ".png"} }},
		{"resume", func(m, o string) []string { return []string{"train", "--data", "8gaussians", "--out", m, "--resume"} }},
	}
	if testing.Short() {
		commands = commands[:2]
	}
	for _, c := range classes {
		t.Run(c.class, func(t *testing.T) {
			sub := t.TempDir()
			p := filepath.Join(sub, c.name)
			if c.make != nil {
				c.make(t, p)
			}
			var before *fileState
			if st, err := os.Lstat(p); err == nil && st.Mode().IsRegular() && st.Size() < 1<<20 {
				s := snapshot(t, p)
				before = &s
			}
			for _, cmd := range commands {
				if strings.Contains(" "+c.not+" ", " "+cmd.key+" ") {
					continue
				}
				out := filepath.Join(sub, "out")
				saved := []fileState{sentinel(t, out+".csv"), sentinel(t, out+".png")}
				wantFailed(t, cli(t, cmd.args(p, out)...), p, c.frags...)
				for _, s := range saved {
					s.untouched(t)
				}
				if before != nil {
					before.untouched(t)
				}
				if st, err := os.Lstat(p); c.make != nil && (err != nil || c.class == "unreadable" && st.Mode()&os.ModeSymlink == 0) {
					t.Fatalf("%s: the input was replaced or removed (%v)", cmd.key, err)
				}
				if n := tempFiles(t, sub); len(n) > 0 {
					t.Fatalf("%s: temporary files left: %v", cmd.key, n)
				}
			}
		})
	}
}

// writer is a command line that writes a file at out.
type writer struct {
	key  string
	args func(out string) []string
}

// writers returns every command that writes a file, each writing out: train's checkpoint,
// sample, encode, data, nll --out, plot, bench objectives' plot (model and data are its
// inputs).
func writers(model, data string) []writer {
	rk := []string{"--solver", "rk4", "--steps", "2"}
	return []writer{
		{"train", func(o string) []string {
			return append([]string{"train", "--data", data, "--out", o, "--steps", "2", "--val-every", "0"}, tiny...)
		}},
		{"sample", func(o string) []string {
			return append([]string{"sample", "--model", model, "--n", "5", "--out", o}, rk...)
		}},
		{"encode", func(o string) []string {
			return append([]string{"encode", "--model", model, "--data", data, "--out", o}, rk...)
		}},
		{"data", func(o string) []string { return []string{"data", "--name", "moons", "--n", "5", "--out", o} }},
		{"nll", func(o string) []string {
			return append([]string{"nll", "--model", model, "--data", data, "--split", "all", "--out", o}, rk...)
		}},
		{"plot", func(o string) []string { return []string{"plot", "--model", model, "--out", o, "--kind", "loss"} }},
		{"bench", func(o string) []string {
			return []string{"bench", "objectives", "--data", data, "--png", o, "--budget", "0.2", "--test-n", "20", "--width", "8", "--depth", "1"}
		}},
	}
}

// ext returns name with the extension the writer's format needs.
func (w writer) ext(name string) string {
	switch w.key {
	case "train":
		return name + ".st"
	case "plot", "bench":
		return name + ".png"
	}
	return name + ".csv"
}

// TestClassMatrixOutputs gives every writer each class of bad output: an existing device,
// FIFO or directory, a missing parent, a hostile name in a missing directory, and a stdout
// that is full or closed after the work is done. Nothing that existed may change; a run
// that fails on its stdout leaves the previous file at --out.
func TestClassMatrixOutputs(t *testing.T) {
	dir := t.TempDir()
	model := trainTiny(t, dir, "m.safetensors", 5)
	data := writeFile(t, dir, "d.csv", []byte(textRows(rows2(60), ",", "\n")))
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full")
	}
	defer full.Close()
	ins := []fileState{snapshot(t, model), snapshot(t, data)}
	ws := writers(model, data)
	if testing.Short() {
		ws = ws[1:2]
	}
	for _, w := range ws {
		t.Run(w.key, func(t *testing.T) {
			sub := t.TempDir()
			fifoOut := w.ext(filepath.Join(sub, "fifo"))
			if err := mkfifo(fifoOut); err != nil {
				t.Skip(err)
			}
			dirOut := w.ext(filepath.Join(sub, "dir"))
			os.Mkdir(dirOut, 0o755)
			devOut := w.ext(filepath.Join(sub, "null")) // a link to a device, with the writer's extension
			if err := os.Symlink("/dev/null", devOut); err != nil {
				t.Skip(err)
			}
			for _, c := range []struct {
				class, out, frag string
			}{
				{"device", devOut, "character device"},
				{"FIFO", fifoOut, "FIFO"},
				{"directory", dirOut, "is a directory"},
				{"missing parent", w.ext(filepath.Join(sub, "nope", "x")), "does not exist"},
				{"hostile name", w.ext(filepath.Join(sub, hostile, "x")), "does not exist"},
			} {
				wantFailed(t, cli(t, w.args(c.out)...), c.out, c.frag)
			}
			if st, err := os.Lstat(fifoOut); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
				t.Fatal("the FIFO was replaced")
			}
			if st, err := os.Stat(devOut); err != nil || st.Mode()&os.ModeCharDevice == 0 {
				t.Fatal("the device was replaced")
			}
			if w.key == "train" || w.key == "bench" {
				return // their stdout failures: TestFullStdoutStopsTraining; bench writes last
			}
			prev := sentinel(t, w.ext(filepath.Join(sub, "prev")))
			r := cliTo(t, full, w.args(prev.path)...)
			wantFailed(t, r, "", "no space left on device")
			prev.untouched(t)
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			pr.Close()
			r = cliTo(t, pw, w.args(prev.path)...)
			pw.Close()
			if r.code != 141 {
				t.Fatalf("closed stdout: exit %d, want 141 (%q)", r.code, r.stderr)
			}
			prev.untouched(t)
			if n := tempFiles(t, sub); len(n) > 0 {
				t.Fatalf("temporary files left: %v", n)
			}
			// The same run with a working stdout does replace it.
			if r := cli(t, w.args(prev.path)...); r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if b, _ := os.ReadFile(prev.path); bytes.Equal(b, prev.data) {
				t.Fatal("a successful run did not write its output")
			}
		})
	}
	for _, s := range ins {
		s.untouched(t)
	}
}

// TestOutputNeverAnyInput runs every writer with its output naming each of its inputs, by
// a hard link: the model, the data, nll's recorded training file when --data is omitted,
// train's --val, plot's --data and bench objectives' --data.
func TestOutputNeverAnyInput(t *testing.T) {
	dir := t.TempDir()
	data := gaussTable(t, dir, "d.csv", 200, 3)
	val := gaussTable(t, dir, "v.csv", 50, 4)
	model := filepath.Join(dir, "m.safetensors")
	mustRun(t, "train", "--data", data, "--out", model, "--steps", "5", "--width", "16", "--quiet")
	link := func(p, ext string) string { // a hard link to p named with the output's extension
		l := filepath.Join(t.TempDir(), "link"+ext)
		if err := os.Link(p, l); err != nil {
			t.Skip(err)
		}
		return l
	}
	for _, c := range [][]string{
		{"sample", "--model", model, "--n", "5", "--out", link(model, ".csv")},
		{"plot", "--model", model, "--out", link(model, ".png")},
		{"plot", "--model", model, "--data", data, "--out", link(data, ".png")},
		{"nll", "--model", model, "--split", "all", "--out", data}, // the model's training file
		{"nll", "--model", model, "--split", "all", "--out", link(data, ".npy")},
		{"nll", "--model", model, "--split", "all", "--out", link(model, ".csv")},
		{"train", "--data", data, "--val", val, "--out", link(val, ".st"), "--steps", "2"},
		{"bench", "objectives", "--data", data, "--png", link(data, ".png"), "--budget", "1"},
	} {
		saved := []fileState{snapshot(t, data), snapshot(t, val), snapshot(t, model)}
		r := cli(t, c...)
		wantRejected(t, r, 2, "same file", "refusing to replace an input")
		for _, s := range saved {
			s.untouched(t)
		}
	}
}

// TestFullStdoutStopsTraining: a log line that cannot be written (stdout is /dev/full)
// stops training at once, naming stdout, with a checkpoint that loads and resumes.
func TestFullStdoutStopsTraining(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full")
	}
	defer full.Close()
	path := filepath.Join(t.TempDir(), "m.safetensors")
	r := cliTo(t, full, longTrainArgs(path, "--log-every", "5")...)
	wantFailed(t, r, path, "stopped at step 5", "writing the log to stdout", "no space left on device")
	if r := cli(t, "info", path, "--json"); r.code != 0 || !strings.Contains(r.stdout, `"resumable":true`) {
		t.Fatalf("checkpoint after a full stdout: %s %s", r.stdout, r.stderr)
	}
}

// TestMessages checks the message classes of issue 14: a flag is named as the user wrote
// it (not as a configuration field), a failure before the first checkpoint does not claim
// one was kept, one row has no standard error (said so, in text and JSON), and a file is
// named once.
func TestMessages(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.safetensors")
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--mle-tol", "nan"}, "--mle-tol"},
		{[]string{"--mle-tol", "-1"}, "--mle-tol"},
		{[]string{"--mle-tol", "inf"}, "--mle-tol"},
		{[]string{"--mle-steps", "0"}, "--mle-steps"},
		{[]string{"--mle-div", "foo"}, "--mle-div"},
		{[]string{"--kinetic", "nan"}, "--kinetic"},
		{[]string{"--jacobian", "-1"}, "--jacobian"},
		{[]string{"--min-lr", "nan"}, "--min-lr"},
		{[]string{"--maxmin-lr", "-1"}, "--maxmin-lr"},
		{[]string{"--clip", "nan"}, "--clip"},
		{[]string{"--ema", "2"}, "--ema"},
	} {
		args := append([]string{"train", "--data", "8gaussians", "--out", out, "--objective", "mle", "--steps", "2"}, c.flags...)
		r := cli(t, append(args, tiny...)...)
		wantRejected(t, r, 2, c.want)
		if strings.Contains(r.stderr, "Options.") || strings.Contains(r.stderr, "config:") {
			t.Errorf("%v: names an internal field: %s", c.flags, r.stderr)
		}
	}
	r := cli(t, "bench", "objectives", "--mle-tol", "nan", "--budget", "1")
	wantRejected(t, r, 2, "--mle-tol")
	// A forward solve that cannot meet its tolerance fails at step 1, before any checkpoint.
	r = cli(t, append([]string{"train", "--data", "8gaussians", "--out", out, "--objective", "mle", "--mle-tol", "1e-300", "--steps", "3"}, tiny...)...)
	wantRejected(t, r, 1, "step 1", "no checkpoint had been written yet")
	if strings.Contains(r.stderr, "kept") {
		t.Fatalf("claims a kept checkpoint: %s", r.stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a checkpoint was written")
	}
	// One row: no nll_stderr, and a note that says why.
	model := trainTiny(t, dir, "t.safetensors", 5)
	one := writeFile(t, dir, "one.csv", []byte("0.5,-1\n"))
	for _, js := range []bool{false, true} {
		args := []string{"nll", "--model", model, "--data", one, "--solver", "rk4", "--steps", "2"}
		if js {
			args = append(args, "--json")
		}
		r := mustRun(t, args...)
		if strings.Contains(r.stdout, "nll_stderr=") || strings.Contains(r.stdout, `"nll_stderr"`) || strings.Contains(r.stdout, "nil") ||
			strings.Contains(r.stdout, "null") || !strings.Contains(r.stdout, "a standard error needs at least 2 rows") {
			t.Errorf("one row (json %v): %s", js, r.stdout)
		}
	}
	r = mustRun(t, "eval", "--model", model, "--data", one, "--solver", "rk4", "--steps", "2", "--json")
	if strings.Count(r.stdout, `"note"`) != 1 || !strings.Contains(r.stdout, "2 rows; too few rows") {
		t.Errorf("eval of one row: %s", r.stdout)
	}
	// A file is named once: a model's training file whose split has no test part.
	two := gaussTable(t, dir, "two.csv", 40, 9)
	tm := filepath.Join(dir, "two.safetensors")
	mustRun(t, "train", "--data", two, "--out", tm, "--steps", "2", "--width", "8", "--test-frac", "0.001", "--quiet")
	for _, args := range [][]string{
		{"nll", "--model", tm, "--data", two},
		{"nll", "--model", tm, "--data", two, "--split", "test"},
	} {
		r := cli(t, args...)
		wantFailed(t, r, two)
		if n := strings.Count(r.stderr, two); n != 1 {
			t.Errorf("%v: the file is named %d times: %s", args, n, r.stderr)
		}
	}
	// The text summary quotes a hostile output name: one line on stdout.
	hs := filepath.Join(dir, hostile+".csv")
	r = mustRun(t, "sample", "--model", model, "--n", "3", "--out", hs, "--solver", "rk4", "--steps", "2")
	if strings.Count(r.stdout, "\n") != 1 || strings.Contains(r.stdout, "\x1b") || !strings.Contains(r.stdout, strconv.Quote(hs)) {
		t.Errorf("summary with a hostile --out: %q", r.stdout)
	}
	hm := filepath.Join(dir, hostile+".st")
	if err := os.Link(model, hm); err != nil {
		t.Fatal(err)
	}
	r = mustRun(t, "info", hm)
	if first, _, _ := strings.Cut(r.stdout, "\n"); strings.Contains(r.stdout, "\x1b") || !strings.Contains(first, strconv.Quote(hm)) {
		t.Errorf("info of a hostile name: %q", r.stdout)
	}
}
