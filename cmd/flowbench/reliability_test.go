package main

// Reliability tests of issue 6 against the real binary: every input that must be rejected
// is rejected with exit 1 (2 for flag misuse), one stderr line naming the file and position
// or the flag, no stack trace, no NaN, and no pre-existing output touched; every input that
// must be accepted is; and the faults (SIGKILL, SIGINT/SIGTERM, a diverging loss, an
// unreachable tolerance, resuming) keep what was saved.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/nn"
	"github.com/interflow/flowbench/solver"
)

// rows2 returns n deterministic 2-D rows whose values print exactly (float32 values).
func rows2(n int) [][2]float32 {
	rng := rand.New(rand.NewPCG(7, 8))
	r := make([][2]float32, n)
	for i := range r {
		r[i] = [2]float32{float32(math.Round(rng.NormFloat64()*4096) / 1024), float32(math.Round(rng.NormFloat64()*4096) / 1024)}
	}
	return r
}

// textRows formats rows with a delimiter and line ending.
func textRows(rows [][2]float32, delim, eol string) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%v%s%v%s", r[0], delim, r[1], eol)
	}
	return b.String()
}

// Data files that must be rejected, by every command that reads data.
func TestReliabilityRejectsData(t *testing.T) {
	dir := t.TempDir()
	model := trainTiny(t, dir, "m.safetensors", 5)
	modelState := snapshot(t, model)
	good := textRows(rows2(30), ",", "\n")
	tinyVar := strings.Repeat("1e6,2.5\n1000000.0625,-3\n", 20) // a spread float32 cannot standardize (a constant column is a Gaussian component)
	f4 := le32(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	cases := []struct {
		name, file string
		content    []byte
		trainOnly  bool
		frags      []string
	}{
		{"csv empty", "empty.csv", nil, false, []string{"empty.csv", "empty"}},
		{"csv header only", "hdr.csv", []byte("x,y\n"), false, []string{"hdr.csv:1", "header only"}},
		{"csv non-numeric", "word.csv", []byte(good + "3,abc\n"), false, []string{"word.csv:31", "column 2", `"abc"`}},
		{"csv non-numeric named column", "named.csv", []byte("x,y\n1,2\n3,4\n5e,6\n"), false, []string{"named.csv:4", `column 1 ("x")`, `"5e"`}},
		{"csv NaN", "nan.csv", []byte("1,2\nNaN,3\n4,5\n"), false, []string{"nan.csv:2", "column 1", "NaN"}},
		{"csv Inf", "inf.csv", []byte("1,2\n3,4\n4,-Inf\n"), false, []string{"inf.csv:3", "column 2", "Inf"}},
		{"csv ragged short", "ragged.csv", []byte("1,2\n3\n4,5\n"), false, []string{"ragged.csv:2", "ragged"}},
		{"csv ragged long", "ragged2.csv", []byte("1,2\n3,4\n4,5,6\n"), false, []string{"ragged2.csv:3", "ragged"}},
		{"csv square overflows", "big.csv", []byte("1,2\n3,4e19\n"), false, []string{"big.csv:2", "column 2", "too large"}},
		{"csv tiny variance", "tvar.csv", []byte(tinyVar), true, []string{"tvar.csv", "column 1", "variance too small"}},
		{"tsv non-numeric", "w.tsv", []byte("1\t2\n3\tx\n"), false, []string{"w.tsv:2", "column 2", `"x"`}},
		{"tsv ragged", "r.tsv", []byte("1\t2\n3\t4\t5\n"), false, []string{"r.tsv:2", "ragged"}},
		{"npy wrong magic", "magic.npy", append([]byte("\x93NUMPX"), npyFile(npyDict("<f4", false, "(5, 2)"), f4)[6:]...), false, []string{"magic.npy", "wrong magic"}},
		{"npy int32", "int.npy", npyFile(npyDict("<i4", false, "(5, 2)"), f4), false, []string{"int.npy", "integer dtype"}},
		{"npy uint8", "u8.npy", npyFile(npyDict("|u1", false, "(5, 2)"), make([]byte, 10)), false, []string{"u8.npy", "integer dtype"}},
		{"npy complex", "c.npy", npyFile(npyDict("<c8", false, "(5, 1)"), f4), false, []string{"c.npy", "complex dtype"}},
		{"npy big-endian", "be.npy", npyFile(npyDict(">f4", false, "(5, 2)"), f4), false, []string{"be.npy", "big-endian"}},
		{"npy fortran", "fo.npy", npyFile(npyDict("<f4", true, "(5, 2)"), f4), false, []string{"fo.npy", "Fortran"}},
		{"npy truncated data", "tr.npy", npyFile(npyDict("<f4", false, "(5, 2)"), f4[:30]), false, []string{"tr.npy", "truncated"}},
		{"npy header claims more", "more.npy", npyFile(npyDict("<f8", false, "(500, 2)"), le64(1, 2, 3, 4)), false, []string{"more.npy", "truncated", "(500, 2)"}},
		{"npy header length beyond file", "hl.npy", []byte("\x93NUMPY\x01\x00\xff\x7f{'descr': '<f4'"), false, []string{"hl.npy", "header length"}},
		{"npy truncated preamble", "pre.npy", []byte("\x93NUMPY\x01"), false, []string{"pre.npy"}},
		{"npy 1-D", "one.npy", npyFile(npyDict("<f4", false, "(10,)"), f4), false, []string{"one.npy", "2-D"}},
		{"npy 3-D", "three.npy", npyFile(npyDict("<f4", false, "(5, 1, 2)"), f4), false, []string{"three.npy", "2-D"}},
		{"npy NaN value", "nanv.npy", npyFile(npyDict("<f8", false, "(2, 2)"), le64(1, 2, math.NaN(), 4)), false, []string{"nanv.npy", "row 1", "column 1", "NaN"}},
		{"idx wrong magic", "bad.idx", append([]byte{1, 0, 8, 2}, idxFile([]uint32{3, 2}, make([]byte, 6))[4:]...), false, []string{"bad.idx", "wrong magic"}},
		{"idx truncated data", "tr.idx", idxFile([]uint32{3, 2}, []byte{1, 2, 3, 4, 5}), false, []string{"tr.idx", "truncated"}},
		{"idx truncated header", "th.idx", idxFile([]uint32{3}, nil)[:6], false, []string{"th.idx", "truncated"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sub := t.TempDir()
			data := writeFile(t, sub, c.file, c.content)
			out := sentinel(t, filepath.Join(sub, "model.safetensors"))
			r := cli(t, append([]string{"train", "--data", data, "--out", out.path, "--steps", "3", "--val-every", "0"}, tiny...)...)
			wantRejected(t, r, 1, c.frags...)
			out.untouched(t)
			if c.trainOnly {
				return
			}
			pts := sentinel(t, filepath.Join(sub, "z.csv"))
			runs := [][]string{
				{"nll", "--model", model, "--data", data, "--solver", "rk4", "--steps", "2"},
				{"encode", "--model", model, "--data", data, "--out", pts.path, "--solver", "rk4", "--steps", "2"},
				{"eval", "--model", model, "--data", data, "--solver", "rk4", "--steps", "2"},
			}
			if testing.Short() {
				runs = runs[:2]
			}
			for _, args := range runs {
				wantRejected(t, cli(t, args...), 1, c.frags...)
			}
			pts.untouched(t)
			if n := tempFiles(t, sub); len(n) > 0 {
				t.Fatalf("temporary files left: %v", n)
			}
		})
	}
	modelState.untouched(t)
}

// Checkpoints that must be rejected by every command that loads one.
func TestReliabilityRejectsCheckpoints(t *testing.T) {
	dir := t.TempDir()
	model := trainTiny(t, dir, "m.safetensors", 5)
	b, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	st := readST(t, model)
	hlen := int(b[0]) | int(b[1])<<8 | int(b[2])<<16
	type ckCase struct {
		name  string
		bytes []byte
		frags []string
	}
	edit := func(name string, f func(s *stFile), frags ...string) ckCase {
		s := st.clone()
		f(s)
		return ckCase{name, s.bytes(), frags}
	}
	var cases []ckCase
	// Truncated anywhere: in the length, in the header, at its end, in the data.
	for _, n := range []int{0, 1, 7, 8, 9, 8 + hlen/2, 8 + hlen - 1, 8 + hlen, 8 + hlen + 1, (len(b) + 8 + hlen) / 2, len(b) - 4, len(b) - 1} {
		cases = append(cases, ckCase{fmt.Sprintf("truncated at %d of %d", n, len(b)), b[:n], nil})
	}
	longer := slices.Clone(b)
	longer[0], longer[1], longer[2], longer[3] = 0xff, 0xff, 0xff, 0
	cases = append(cases,
		ckCase{"header length larger than the file", longer, []string{"header length"}},
		ckCase{"header length 2^63", append([]byte{0, 0, 0, 0, 0, 0, 0, 0x80}, b[8:]...), []string{"header length"}},
		ckCase{"malformed header JSON", bytes.Replace(b, []byte(`{"__metadata__":`), []byte(`{"__metadata__";`), 1), []string{"JSON"}},
		ckCase{"trailing data bytes", append(slices.Clone(b), 0, 0, 0, 0), []string{"data bytes"}},
		edit("malformed config JSON", func(s *stFile) { s.meta["config"] = `{"dim": 2,` }, "config"),
		edit("malformed train_state JSON", func(s *stFile) { s.meta["train_state"] = `{"step": "many"}` }, "train_state"),
		edit("newer format_version", func(s *stFile) { s.meta["format_version"] = "2" }, `format_version "2"`),
		edit("missing format_version", func(s *stFile) { delete(s.meta, "format_version") }, "format_version"),
		edit("missing tensor", func(s *stFile) { delete(s.tensors, "net.2.bias") }, `missing tensor "net.2.bias"`),
		edit("missing EMA tensor", func(s *stFile) { delete(s.tensors, "ema.net.0.weight") }, `"ema.net.0.weight"`),
		edit("unknown tensor", func(s *stFile) { s.tensors["extra.w"] = &stTensor{"F32", []int64{1}, le32(1)} }, `unknown tensor "extra.w"`),
		edit("unexpected layer", func(s *stFile) { s.tensors["net.8.bias"] = &stTensor{"F32", []int64{1}, le32(1)} }, `"net.8.bias"`),
		edit("wrong dtype F64", func(s *stFile) {
			e := s.tensors["net.0.bias"]
			v := make([]float64, len(e.data)/4)
			e.Dtype, e.data = "F64", le64(v...)
		}, `"net.0.bias"`, "F64"),
		edit("unsupported dtype", func(s *stFile) { s.tensors["net.0.bias"].Dtype = "BF16" }, `"net.0.bias"`, "BF16"),
		edit("wrong shape", func(s *stFile) {
			e := s.tensors["net.0.weight"]
			e.Shape[0], e.Shape[1] = e.Shape[1], e.Shape[0]
		}, `"net.0.weight"`),
		edit("shape and bytes disagree", func(s *stFile) { s.tensors["net.2.bias"].Shape = []int64{3} }, `"net.2.bias"`),
		edit("NaN weight", func(s *stFile) { copy(s.tensors["net.0.weight"].data, le32(math.NaN())) }, `"net.0.weight"`, "NaN"),
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sub := t.TempDir()
			bad := snapshot(t, writeFile(t, sub, "bad.safetensors", c.bytes))
			out := sentinel(t, filepath.Join(sub, "s.csv"))
			frags := append([]string{"bad.safetensors"}, c.frags...)
			runs := [][]string{
				{"info", bad.path},
				{"sample", "--model", bad.path, "--n", "5", "--out", out.path},
				{"train", "--data", "8gaussians", "--out", bad.path, "--resume"},
				{"nll", "--model", bad.path, "--data", "8gaussians", "--n", "5"},
				{"encode", "--model", bad.path, "--data", "8gaussians", "--n", "5", "--out", out.path},
				{"plot", "--model", bad.path, "--out", filepath.Join(sub, "p.png")},
			}
			if testing.Short() {
				runs = runs[:3]
			}
			for _, args := range runs {
				wantRejected(t, cli(t, args...), 1, frags...)
			}
			bad.untouched(t)
			out.untouched(t)
			if _, err := os.Stat(filepath.Join(sub, "p.png")); err == nil {
				t.Fatal("plot wrote a PNG from a bad checkpoint")
			}
		})
	}
}

// A model whose dimension differs from the data given to nll, eval and encode.
func TestReliabilityDimensionMismatch(t *testing.T) {
	dir := t.TempDir()
	model := trainTiny(t, dir, "m.safetensors", 5)
	three := writeFile(t, dir, "three.csv", []byte("1,2,3\n4,5,7\n7,8,8\n"))
	npy := writeFile(t, dir, "one.npy", npyFile(npyDict("<f4", false, "(3, 1)"), le32(1, 2, 3)))
	out := sentinel(t, filepath.Join(dir, "z.npy"))
	for _, data := range []string{three, npy, "gmm64"} {
		for _, cmd := range []string{"nll", "eval", "encode"} {
			t.Run(cmd+" "+filepath.Base(data), func(t *testing.T) {
				args := []string{cmd, "--model", model, "--data", data, "--n", "5", "--solver", "rk4", "--steps", "2"}
				if cmd == "encode" {
					args = append(args, "--out", out.path)
				}
				wantRejected(t, cli(t, args...), 1, "dimension", "2")
			})
		}
	}
	out.untouched(t)
	// Resuming on data of another dimension.
	part := filepath.Join(dir, "part.safetensors")
	mustRun(t, append([]string{"train", "--data", "8gaussians", "--out", part, "--steps", "40", "--ckpt-every", "10"}, tiny...)...)
	ck := readST(t, part)
	ck.meta["train_state"] = strings.Replace(ck.meta["train_state"], `"step":40`, `"step":20`, 1)
	os.WriteFile(part, ck.bytes(), 0o644)
	if m, err := gen.LoadModel(part); err != nil || m.State.Step != 20 {
		t.Fatalf("edited checkpoint: %v", err)
	}
	saved := snapshot(t, part)
	for _, data := range []string{three, "gmm64"} {
		wantRejected(t, cli(t, "train", "--data", data, "--out", part, "--resume"), 1, "dimension")
	}
	saved.untouched(t)
}

// Flag misuse: exit 2, one line naming the flag, nothing written.
func TestReliabilityRejectsFlags(t *testing.T) {
	dir := t.TempDir()
	model := trainTiny(t, dir, "m.safetensors", 5)
	modelState := snapshot(t, model)
	regular := sentinel(t, filepath.Join(dir, "regular"))
	outCSV := sentinel(t, filepath.Join(dir, "o.csv"))
	outST := sentinel(t, filepath.Join(dir, "o.safetensors"))
	outPNG := sentinel(t, filepath.Join(dir, "o.png"))
	adir := filepath.Join(dir, "d.csv")
	if err := os.Mkdir(adir, 0o755); err != nil {
		t.Fatal(err)
	}
	base := map[string][]string{
		"train":  {"train", "--data", "8gaussians", "--out", outST.path, "--steps", "3"},
		"sample": {"sample", "--model", model, "--n", "5", "--out", outCSV.path},
		"nll":    {"nll", "--model", model, "--n", "5"},
		"eval":   {"eval", "--model", model, "--n", "5"},
		"encode": {"encode", "--model", model, "--data", "8gaussians", "--n", "5", "--out", outCSV.path},
		"data":   {"data", "--name", "moons", "--n", "5", "--out", outCSV.path},
		"plot":   {"plot", "--model", model, "--n", "5", "--out", outPNG.path},
	}
	type flagCase struct {
		cmds        []string
		flag, value string
		frag        string // besides the flag's name
	}
	ints := func(flag string, cmds ...string) []flagCase {
		return []flagCase{{cmds, flag, "0", "positive"}, {cmds, flag, "-1", "positive"}}
	}
	floats := func(flag string, cmds ...string) []flagCase {
		return []flagCase{{cmds, flag, "0", "positive"}, {cmds, flag, "-1e-5", "positive"}, {cmds, flag, "NaN", "positive"}}
	}
	var cases []flagCase
	cases = append(cases, ints("steps", "train", "sample", "nll", "eval", "encode")...)
	cases = append(cases, ints("batch", "train", "sample", "nll", "eval", "encode", "plot")...)
	cases = append(cases, ints("n", "sample", "nll", "eval", "encode", "data", "plot")...)
	cases = append(cases, ints("width", "train")...)
	cases = append(cases, ints("depth", "train")...)
	cases = append(cases, floats("rtol", "sample", "nll", "eval", "encode")...)
	cases = append(cases, floats("atol", "sample", "nll", "eval", "encode")...)
	cases = append(cases, floats("lr", "train")...)
	cases = append(cases,
		flagCase{[]string{"sample", "nll", "eval", "encode"}, "solver", "rk45", `"rk45"`},
		flagCase{[]string{"train"}, "act", "swish", `"swish"`},
		flagCase{[]string{"train"}, "interp", "cubic", "cubic"},
		flagCase{[]string{"train"}, "schedule", "linear", `"linear"`},
		flagCase{[]string{"train"}, "time-dist", "gamma", "gamma"},
		flagCase{[]string{"train"}, "base", "laplace", `"laplace"`},
		flagCase{[]string{"train", "nll", "eval", "encode"}, "data", "ninegaussians", `"ninegaussians"`},
		flagCase{[]string{"data"}, "name", "ninegaussians", `"ninegaussians"`},
		flagCase{[]string{"sample"}, "eps", "exp:1", "exp:1"}, // with --sde below
		flagCase{[]string{"nll", "eval", "encode"}, "split", "dev", `"dev"`},
		flagCase{[]string{"train"}, "threads", "-2", "-2"},
		flagCase{[]string{"train", "sample", "encode", "data"}, "out", filepath.Join(dir, "missing", "f.csv"), "does not exist"},
		flagCase{[]string{"train", "sample", "encode", "data"}, "out", filepath.Join(regular.path, "f.csv"), "not a directory"},
		flagCase{[]string{"train", "sample", "encode", "data"}, "out", adir, "is a directory"},
		flagCase{[]string{"plot"}, "out", filepath.Join(dir, "missing", "p.png"), "does not exist"},
		flagCase{[]string{"plot"}, "out", filepath.Join(regular.path, "p.png"), "not a directory"},
	)
	for _, c := range cases {
		for _, cmd := range c.cmds {
			t.Run(fmt.Sprintf("%s --%s %s", cmd, c.flag, c.value), func(t *testing.T) {
				args := append(slices.Clone(base[cmd]), "--"+c.flag, c.value)
				if c.flag == "eps" {
					args = append(args, "--sde")
				}
				if c.flag == "steps" && cmd != "train" {
					args = append(args, "--solver", "rk4")
				}
				wantRejected(t, cli(t, args...), 2, "--"+c.flag, c.frag)
			})
		}
	}
	for _, s := range []fileState{modelState, regular, outCSV, outST, outPNG} {
		s.untouched(t)
	}
	if n := tempFiles(t, dir); len(n) > 0 {
		t.Fatalf("temporary files left: %v", n)
	}
}

// Inputs that must be accepted: CRLF, a byte-order mark, a header or none, TSV, .npy of
// either float type; all variants of the same rows give the same NLL, bit for bit.
func TestReliabilityAcceptsData(t *testing.T) {
	dir := t.TempDir()
	model := trainTiny(t, dir, "m.safetensors", 10)
	rows := rows2(40)
	var vals []float64
	for _, r := range rows {
		vals = append(vals, float64(r[0]), float64(r[1]))
	}
	bom := "\xef\xbb\xbf"
	variants := map[string]string{
		"plain.csv":      textRows(rows, ",", "\n"),
		"crlf.csv":       textRows(rows, ",", "\r\n"),
		"bom.csv":        bom + textRows(rows, ",", "\n"),
		"header.csv":     "x,y\n" + textRows(rows, ",", "\n"),
		"all.csv":        bom + "x,y\r\n" + textRows(rows, ",", "\r\n"),
		"noeol.csv":      strings.TrimSuffix(textRows(rows, ",", "\n"), "\n"),
		"plain.tsv":      textRows(rows, "\t", "\n"),
		"header.tsv":     bom + "x\ty\r\n" + textRows(rows, "\t", "\r\n"),
		"spaces.csv":     strings.ReplaceAll(textRows(rows, ", ", "\n"), "\n", " \n"),
		"f32.npy":        string(npyFile(npyDict("<f4", false, "(40, 2)"), le32(vals...))),
		"f64.npy":        string(npyFile(npyDict("<f8", false, "(40, 2)"), le64(vals...))),
		"f32_v1_pad.npy": string(npyFile("{'descr':'<f4','fortran_order':False,'shape':(40,2)}", le32(vals...))),
	}
	var want string
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range variants {
			if !yield(k) {
				return
			}
		}
	}) {
		p := writeFile(t, dir, name, []byte(variants[name]))
		r := cli(t, "nll", "--model", model, "--data", p, "--solver", "rk4", "--steps", "4", "--json")
		if r.code != 0 {
			t.Errorf("%s: exit %d: %s", name, r.code, r.stderr)
			continue
		}
		var rec struct {
			N   int             `json:"n"`
			NLL json.RawMessage `json:"nll"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil || rec.N != 40 {
			t.Errorf("%s: output %q (%v), want n = 40", name, r.stdout, err)
			continue
		}
		if want == "" {
			want = string(rec.NLL)
		} else if string(rec.NLL) != want {
			t.Errorf("%s: nll %s, other variants %s", name, rec.NLL, want)
		}
	}
	// Training reads the variants alike: same parameters bit for bit.
	var ref []float32
	for _, name := range []string{"plain.csv", "all.csv", "f64.npy"} {
		out := filepath.Join(dir, name+".safetensors")
		mustRun(t, append([]string{"train", "--data", filepath.Join(dir, name), "--out", out, "--steps", "4", "--val-every", "2", "--val-n", "4"}, tiny...)...)
		m, err := gen.LoadModel(out)
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = m.Net.Params()
		} else if !slices.Equal(ref, m.Net.Params()) {
			t.Errorf("training on %s gives other parameters than on plain.csv", name)
		}
	}
	// A single data row for nll and eval.
	one := writeFile(t, dir, "one.csv", []byte("x,y\r\n0.5,-1\r\n"))
	for _, cmd := range []string{"nll", "eval"} {
		r := mustRun(t, cmd, "--model", model, "--data", one, "--solver", "rk4", "--steps", "4", "--json")
		if !strings.Contains(r.stdout, `"n":1,`) || strings.Contains(r.stdout, "NaN") {
			t.Errorf("%s of one row: %s", cmd, r.stdout)
		}
	}
}

// SIGKILL at random moments of training never leaves a checkpoint that does not load.
func TestReliabilityKillDuringTraining(t *testing.T) {
	if testing.Short() {
		t.Skip("kills training processes")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	rng := rand.New(rand.NewPCG(3, 4))
	kills := 8
	for i := range kills {
		// --ckpt-every 1: a checkpoint write is in progress much of the time.
		args := longTrainArgs(path, "--ckpt-every", "1")
		if i%2 == 1 {
			args = []string{"train", "--data", "8gaussians", "--out", path, "--resume", "--steps", "1000000", "--ckpt-every", "1", "--quiet"}
		}
		cmd, se := start(t, args...)
		if i == 0 {
			waitFile(t, path, cmd, se)
		}
		time.Sleep(time.Duration(rng.IntN(600)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() {
			t.Fatalf("kill %d: the process ended by itself: %s", i, se.String())
		}
		r := cli(t, "info", path, "--json")
		if r.code != 0 || !strings.Contains(r.stdout, `"resumable":true`) {
			t.Fatalf("kill %d: info exit %d: %s %s", i, r.code, r.stdout, r.stderr)
		}
	}
	t.Logf("temporary files left by %d kills: %v", kills, tempFiles(t, dir))
}

// SIGKILL of a training run checkpointing every 25 steps, at a random moment or right
// after the start, leaves a checkpoint that loads.
func TestGenCLIKillKeepsCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("runs training processes")
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 4 {
		cmd, _ := startTrain(t, path)
		if i > 0 {
			cmd.Process.Kill()
			cmd.Wait()
			cmd, _ = startTrain(t, path)
		}
		time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if _, err := gen.LoadModel(path); err != nil {
			t.Fatalf("kill %d: checkpoint not loadable: %v", i, err)
		}
	}
}

// startTrain starts a long tiny training run writing path, checkpointing every 25 steps,
// and waits for its first checkpoint.
func startTrain(t *testing.T, path string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd, se := start(t, longTrainArgs(path, "--ckpt-every", "25")...)
	waitFile(t, path, cmd, se)
	return cmd, se
}

// SIGINT, SIGTERM and SIGHUP save a final checkpoint and exit 130/143/129 with a message.
func TestReliabilitySignalsDuringTraining(t *testing.T) {
	if testing.Short() {
		t.Skip("runs training processes")
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "m.safetensors")
			cmd, se := start(t, longTrainArgs(path, "--ckpt-every", "1000000")...)
			waitFile(t, path, cmd, se) // the time-triggered first checkpoint
			first, err := gen.LoadModel(path)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
			cmd.Process.Signal(sig)
			cmd.Wait()
			r := cliResult{code: cmd.ProcessState.ExitCode(), stderr: se.String()}
			wantRejected(t, r, 128+int(sig), "interrupted", path)
			m, err := gen.LoadModel(path)
			if err != nil {
				t.Fatalf("checkpoint after %v: %v", sig, err)
			}
			if !m.Resumable() || m.State.Step <= first.State.Step {
				t.Fatalf("final checkpoint at step %d (first at %d), resumable %v", m.State.Step, first.State.Step, m.Resumable())
			}
			if n := tempFiles(t, dir); len(n) > 0 {
				t.Fatalf("temporary files left: %v", n)
			}
		})
	}
}

// SIGINT and SIGTERM during a run checkpointing every 25 steps: exit 130/143, stderr
// reports the checkpoint, which loads and can be resumed.
func TestGenCLISignals(t *testing.T) {
	if testing.Short() {
		t.Skip("runs training processes")
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.safetensors")
			cmd, se := startTrain(t, path)
			time.Sleep(200 * time.Millisecond)
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 128+int(sig) {
				t.Fatalf("exit %v, want %d (%s)", err, 128+int(sig), se)
			}
			if s := se.String(); !strings.Contains(s, "checkpoint") || !strings.Contains(s, "stopped at step") {
				t.Fatalf("stderr %q does not report the saved checkpoint", s)
			}
			m, err := gen.LoadModel(path)
			if err != nil {
				t.Fatalf("checkpoint after %v: %v", sig, err)
			}
			if !m.Resumable() || m.State.Step == 0 {
				t.Fatalf("checkpoint after %v: step %d, resumable %v", sig, m.State.Step, m.Resumable())
			}
		})
	}
}

// During sampling, the output is complete or absent (or the old file), never half-written.
func TestReliabilitySampleInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("interrupts sampling processes")
	}
	dir := t.TempDir()
	model := trainTiny(t, dir, "m.safetensors", 5)
	const n = 40000
	args := func(out string) []string {
		return []string{"sample", "--model", model, "--n", fmt.Sprint(n), "--batch", "4000", "--solver", "rk4", "--steps", "20", "--out", out, "--threads", "1", "--quiet"}
	}
	// Time a full run to pick signal moments that fall before, during and after the write.
	t0 := time.Now()
	full := filepath.Join(dir, "full.npy")
	mustRun(t, args(full)...)
	dur := time.Since(t0)
	fullBytes, _ := os.ReadFile(full)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 8 {
		sig := []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL, syscall.SIGKILL}[i%4]
		out := filepath.Join(dir, fmt.Sprintf("s%d.npy", i))
		var old *fileState
		if i%2 == 0 {
			s := sentinel(t, out)
			old = &s
		}
		cmd, se := start(t, args(out)...)
		time.Sleep(time.Duration(rng.Float64() * float64(dur)))
		cmd.Process.Signal(sig)
		cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		checkNoCrash(t, cliResult{stderr: se.String()})
		b, err := os.ReadFile(out)
		switch {
		case err == nil && bytes.Equal(b, fullBytes):
			t.Logf("%v at run %d: sampling had finished (exit %d)", sig, i, code)
		case old != nil && err == nil:
			old.untouched(t)
		case old == nil && errors.Is(err, os.ErrNotExist):
		default:
			t.Fatalf("%v at run %d: output neither complete nor untouched (%d bytes, %v, exit %d)", sig, i, len(b), err, code)
		}
		ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if sig != syscall.SIGKILL && code != 0 && code != 128+int(sig) && !(ws.Signaled() && ws.Signal() == sig) {
			t.Fatalf("%v: exit %d: %s", sig, code, se.String())
		}
		// A signal that arrives before the Go runtime installs the handlers ends the
		// process by the default action: the output is absent, as checked above.
		if sig != syscall.SIGKILL {
			if n := tempFiles(t, dir); len(n) > 0 {
				t.Fatalf("%v: temporary files left: %v", sig, n)
			}
		}
	}
}

// SIGINT during a long sampling run: exit 130, no output file and no temporary file.
func TestGenCLISampleInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a long sampling process")
	}
	dir := t.TempDir()
	model := trainTiny(t, dir, "m.safetensors", 3)
	out := filepath.Join(dir, "big.npy")
	cmd, se := start(t, "sample", "--model", model, "--n", "3000000", "--batch", "100000", "--out", out, "--solver", "rk4", "--steps", "200", "--threads", "1")
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130 (%s)", err, se.String())
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("interrupted sample left %s (%v)", out, err)
	}
	if n := tempFiles(t, dir); len(n) > 0 {
		t.Fatalf("temporary files left behind: %v", n)
	}
}

// A loss that becomes non-finite stops training naming the step; the last good checkpoint
// is kept (and loads), and a checkpoint from an earlier run is not replaced by a bad one.
func TestReliabilityNonFiniteLoss(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	diverge := []string{"--lr", "1e9", "--clip", "0", "--warmup", "20", "--steps", "300"}
	r := cli(t, append(longTrainArgs(path, "--ckpt-every", "1"), diverge...)...)
	wantRejected(t, r, 1, "step ", "non-finite", "the last checkpoint (", ") was kept")
	m, err := gen.LoadModel(path)
	if err != nil {
		t.Fatalf("the last checkpoint does not load: %v", err)
	}
	var step int
	if _, err := fmt.Sscanf(r.stderr[strings.Index(r.stderr, "step "):], "step %d", &step); err != nil {
		t.Fatal(err)
	}
	if m.State.Step >= step || m.State.Step < 1 {
		t.Fatalf("checkpoint at step %d, failure reported at step %d", m.State.Step, step)
	}
	if r := cli(t, "info", path); r.code != 0 {
		t.Fatalf("info: %s", r.stderr)
	}
	// The maximum-likelihood objective as well.
	mle := filepath.Join(dir, "mle.safetensors")
	r = cli(t, append(longTrainArgs(mle, "--ckpt-every", "1", "--objective", "mle", "--mle-grad", "discrete", "--mle-steps", "2"), diverge...)...)
	wantRejected(t, r, 1, "step ", "the last checkpoint (", ") was kept")
	if r := cli(t, "info", mle); r.code != 0 {
		t.Fatalf("info after a diverging mle run: %s", r.stderr)
	}
	// An earlier good checkpoint at the same path survives a run that diverges before its
	// first checkpoint.
	good := snapshot(t, trainTiny(t, dir, "good.safetensors", 5))
	r = cli(t, append(longTrainArgs(good.path, "--ckpt-every", "1000"), diverge...)...)
	wantRejected(t, r, 1, "non-finite")
	good.untouched(t)
}

// An adaptive solve that cannot meet its tolerance fails with t, h and the number of
// evaluations, quickly.
func TestReliabilityUnreachableTolerance(t *testing.T) {
	dir := t.TempDir()
	model := trainTiny(t, dir, "m.safetensors", 5)
	out := sentinel(t, filepath.Join(dir, "s.csv"))
	for _, tol := range []string{"1e-300", "1e-20"} {
		for _, args := range [][]string{
			{"sample", "--model", model, "--n", "10", "--out", out.path},
			{"nll", "--model", model, "--n", "10"},
			{"encode", "--model", model, "--data", "8gaussians", "--n", "10", "--out", out.path},
		} {
			for _, method := range []string{"dopri5", "bosh3"} {
				if tol == "1e-20" && (testing.Short() || args[0] != "sample" || method != "bosh3") {
					continue // reaches the step limit: 300 000 evaluations, seconds
				}
				t.Run(args[0]+" "+method+" "+tol, func(t *testing.T) {
					r := cli(t, append(args, "--solver", method, "--rtol", tol, "--atol", tol, "--threads", "1")...)
					wantRejected(t, r, 1, method, "t = ", "h = ", "evaluations")
					if strings.Contains(r.stderr, "NaN") {
						t.Fatalf("NaN in the error: %s", r.stderr)
					}
				})
			}
		}
	}
	out.untouched(t)
}

// relTensors returns every tensor of a checkpoint as named float32/float64/int64 values.
func relTensors(t *testing.T, path string) map[string]any {
	t.Helper()
	ck, err := nn.LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	ts := map[string]any{"net": ck.Net.Params()}
	if ck.EMA != nil {
		ts["ema"] = ck.EMA.Net.Params()
	}
	if ck.Optim != nil {
		ts["adam.m"], ts["adam.v"], ts["adam.step"] = ck.Optim.M, ck.Optim.V, ck.Optim.Step
	}
	for k, v := range ck.Tensors {
		ts[k] = v
	}
	return ts
}

// sameTensors reports the first tensor that differs between a and b, bit for bit.
func sameTensors(a, b map[string]any) string {
	for k, v := range a {
		w, ok := b[k]
		if !ok {
			return k + " (missing)"
		}
		if fmt.Sprintf("%#v", v) != fmt.Sprintf("%#v", w) {
			return k
		}
	}
	if len(a) != len(b) {
		return "(tensor count)"
	}
	return ""
}

// --resume continues a run, killed or interrupted at a random moment, to the same final
// tensors bit for bit as an uninterrupted run, at 1 and 2 threads.
func TestReliabilityResume(t *testing.T) {
	if testing.Short() {
		t.Skip("runs training processes")
	}
	dir := t.TempDir()
	const steps = 300
	train := []string{"--data", "8gaussians", "--steps", fmt.Sprint(steps), "--ckpt-every", "7", "--val-every", "20", "--val-n", "64",
		"--width", "32", "--depth", "2", "--batch", "64", "--warmup", "10", "--quiet", "--ema", "0.99", "--log-every", "10"}
	full := filepath.Join(dir, "full.safetensors")
	mustRun(t, append([]string{"train", "--out", full, "--threads", "1"}, train...)...)
	want := relTensors(t, full)
	full2 := filepath.Join(dir, "full2.safetensors")
	mustRun(t, append([]string{"train", "--out", full2, "--threads", "2"}, train...)...)
	if k := sameTensors(want, relTensors(t, full2)); k != "" {
		t.Fatalf("2 threads: tensor %s differs from 1 thread", k)
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for i, c := range []struct {
		sig             syscall.Signal
		threads, resume string
	}{{syscall.SIGKILL, "1", "2"}, {syscall.SIGINT, "2", "1"}, {syscall.SIGKILL, "2", "2"}, {syscall.SIGTERM, "1", "1"}} {
		part := filepath.Join(dir, fmt.Sprintf("part%d.safetensors", i))
		cmd, se := start(t, append([]string{"train", "--out", part, "--threads", c.threads}, train...)...)
		waitFile(t, part, cmd, se)
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		cmd.Process.Signal(c.sig)
		cmd.Wait()
		m, err := gen.LoadModel(part)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v at step %d; resuming at %s threads", c.sig, m.State.Step, c.resume)
		if m.State.Step < steps {
			mustRun(t, "train", "--data", "8gaussians", "--out", part, "--resume", "--threads", c.resume, "--quiet")
		}
		if k := sameTensors(want, relTensors(t, part)); k != "" {
			t.Fatalf("run %d (%v, resumed at step %d): tensor %s differs from the uninterrupted run", i, c.sig, m.State.Step, k)
		}
	}
}

// A run interrupted by SIGINT at its first checkpoint and resumed at another thread count
// ends with the parameters of the uninterrupted run, bit for bit.
func TestGenCLIResumeBitIdentical(t *testing.T) {
	if testing.Short() {
		t.Skip("runs training processes")
	}
	dir := t.TempDir()
	const steps = "400"
	train := func(out string) []string {
		return append([]string{"train", "--data", "8gaussians", "--out", out, "--steps", steps, "--ckpt-every", "25", "--val-every", "50"}, tiny...)
	}
	full := filepath.Join(dir, "full.safetensors")
	mustRun(t, train(full)...)
	part := filepath.Join(dir, "part.safetensors")
	cmd, se := start(t, train(part)...)
	waitFile(t, part, cmd, se)
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	m, err := gen.LoadModel(part)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("interrupted at step %d", m.State.Step)
	if m.State.Step < 400 {
		mustRun(t, "train", "--data", "8gaussians", "--out", part, "--resume", "--threads", "2")
	}
	a, err := gen.LoadModel(full)
	if err != nil {
		t.Fatal(err)
	}
	b, err := gen.LoadModel(part)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Net.Params(), b.Net.Params()) {
		t.Fatal("resumed run's parameters differ from the uninterrupted run's")
	}
}

// Same seed, any thread count: the same output files (sample, SDE sample, encode) and the
// same NLL, bit for bit.
func TestReliabilityThreadInvariance(t *testing.T) {
	dir := t.TempDir()
	model := trainTiny(t, dir, "m.safetensors", 20)
	runs := [][]string{
		{"sample", "--model", model, "--n", "3000", "--batch", "1000", "--solver", "dopri5", "--with-logp", "--out"},
		{"sample", "--model", model, "--n", "3000", "--sde", "--steps", "20", "--out"},
		{"encode", "--model", model, "--data", "8gaussians", "--n", "3000", "--solver", "rk4", "--steps", "8", "--out"},
		{"nll", "--model", model, "--n", "3000", "--solver", "rk4", "--steps", "8", "--hutchinson", "2", "--json"},
	}
	for i, args := range runs {
		var want []byte
		for _, threads := range []string{"1", "2", "3"} {
			a := slices.Clone(args)
			out := filepath.Join(dir, fmt.Sprintf("r%d_%s.npy", i, threads))
			if a[len(a)-1] == "--out" {
				a = append(a, out)
			}
			r := mustRun(t, append(a, "--threads", threads, "--seed", "11")...)
			got := []byte(r.stdout)
			if args[len(args)-1] == "--out" {
				got, _ = os.ReadFile(out)
			} else {
				// elapsed times aside, the JSON line is the result
				var rec map[string]any
				if err := json.Unmarshal(got, &rec); err != nil {
					t.Fatal(err)
				}
				got = fmt.Appendf(nil, "%v %v %v", rec["nll"], rec["nll_stderr"], rec["nfe"])
			}
			if want == nil {
				want = got
			} else if !bytes.Equal(got, want) {
				t.Fatalf("%s at %s threads differs from 1 thread", args[0], threads)
			}
		}
	}
}

// Random byte mutations of checkpoints (plain with validation weights, and with a learned
// base and Fourier max–min tensors) go through nn's decoder and gen's model validation:
// never a panic, and every model that loads computes a log-density. (A fuzz target here would
// rebuild the binary in every fuzz worker through TestMain; this seeded loop is cheap.)
func TestReliabilityCheckpointMutations(t *testing.T) {
	dir := t.TempDir()
	n := 3000
	if testing.Short() {
		n = 500
	}
	rng := rand.New(rand.NewPCG(12, 13))
	for i, extra := range [][]string{
		{"--val-every", "2", "--val-n", "8"},
		{"--base", "learned", "--interp", "fourier:2", "--maxmin", "2"},
	} {
		p := filepath.Join(dir, fmt.Sprintf("m%d.safetensors", i))
		mustRun(t, append([]string{"train", "--data", "8gaussians", "--out", p, "--steps", "4", "--width", "4", "--depth", "1", "--batch", "8", "--quiet"}, extra...)...)
		b0, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		loaded := 0
		for range n {
			b := slices.Clone(b0)
			for range 1 + rng.IntN(3) {
				b[rng.IntN(len(b))] = byte(rng.IntN(256))
			}
			ck, err := nn.DecodeCheckpoint(b)
			if err != nil {
				continue
			}
			m, err := gen.ModelFromCheckpoint(ck)
			if err != nil {
				continue
			}
			loaded++
			_ = m.Describe()
			x := make([]float32, m.Dim())
			if _, _, err := m.LogProb(t.Context(), x, gen.LikelihoodOptions{ODE: solver.Options{Method: solver.RK4, Steps: 2}}); err != nil && !strings.Contains(err.Error(), "solver") {
				t.Fatalf("log-density of a loaded mutant: %v", err)
			}
		}
		t.Logf("%s: %d of %d mutants load", extra[0], loaded, n)
	}
}
