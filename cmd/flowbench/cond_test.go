package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/interflow/flowbench/dataset"
)

// writeCSV writes rows of d columns as a CSV file.
func writeCSV(t *testing.T, path string, x []float64, d int) {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(x); i += d {
		for j := range d {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%g", x[i+j])
		}
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The conditional workflow through the CLI: train on (x, c) files, score with the
// training file's own contexts (split with it), with --cond and with --given; sample for one
// context and one per row; encode; a label model with guidance; the errors users meet.
func TestConditionalCLI(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	n := 1200
	x, c, lab := make([]float64, 2*n), make([]float64, n), make([]float64, n)
	for i := range n {
		c[i] = rng.NormFloat64()
		x[2*i] = 2*c[i] + 0.2*rng.NormFloat64()
		x[2*i+1] = -c[i] + 0.2*rng.NormFloat64()
		k := rng.IntN(2)
		lab[i] = float64(k)
	}
	xs, cs, ls := filepath.Join(dir, "x.csv"), filepath.Join(dir, "c.csv"), filepath.Join(dir, "labels.csv")
	writeCSV(t, xs, x, 2)
	writeCSV(t, cs, c, 1)
	writeCSV(t, ls, lab, 1)
	m := filepath.Join(dir, "m.safetensors")
	mustRun(t, "train", "--data", xs, "--cond", cs, "--out", m, "--steps", "300", "--width", "32", "--depth", "2", "--quiet")
	r := mustRun(t, "nll", "--model", m, "--split", "val", "--json")
	var s struct {
		NLL float64 `json:"nll"`
		N   int     `json:"n"`
	}
	if err := json.Unmarshal([]byte(lastLine(r.stdout)), &s); err != nil {
		t.Fatalf("%v: %q", err, r.stdout)
	}
	// x | c has sd 0.2 per coordinate: −log p ≈ 2·(0.5 log 2π + log 0.2 + 0.5) = −0.38; the
	// marginal of x spreads over sd ≈ 2: an unconditional density cannot go below ≈ 3.
	if s.N != 240 || !(s.NLL < 1.0) {
		t.Fatalf("conditional val NLL %v on %d rows (want < 1.0 on 240)", s.NLL, s.N)
	}
	// --given: one context for every row; its NLL of rows drawn for that context is low.
	out := filepath.Join(dir, "s.csv")
	mustRun(t, "sample", "--model", m, "--given", "1.5", "--n", "500", "--out", out, "--quiet")
	tab, err := dataset.ReadTable(out)
	if err != nil {
		t.Fatal(err)
	}
	var m0, m1 float64
	for i := range tab.N {
		m0 += float64(tab.Data[2*i]) / float64(tab.N)
		m1 += float64(tab.Data[2*i+1]) / float64(tab.N)
	}
	if tab.N != 500 || math.Abs(m0-3) > 0.25 || math.Abs(m1+1.5) > 0.25 {
		t.Fatalf("samples for c = 1.5: %d rows, mean (%.3f, %.3f), want (3, -1.5)", tab.N, m0, m1)
	}
	// Its draws score far better under their own context than under another.
	r = mustRun(t, "nll", "--model", m, "--data", out, "--given", "1.5", "--json")
	json.Unmarshal([]byte(lastLine(r.stdout)), &s)
	own := s.NLL
	r = mustRun(t, "nll", "--model", m, "--data", out, "--given", "0.5", "--json")
	json.Unmarshal([]byte(lastLine(r.stdout)), &s)
	if !(own < 2.5 && s.NLL > own+5) {
		t.Fatalf("NLL of the draws for c = 1.5: %v given 1.5, %v given 0.5", own, s.NLL)
	}
	// One sample per row of a context file; encode with contexts.
	mustRun(t, "sample", "--model", m, "--cond", cs, "--out", out, "--quiet")
	if tab, _ := dataset.ReadTable(out); tab.N != n {
		t.Fatalf("sample --cond: %d rows, want %d", tab.N, n)
	}
	enc := filepath.Join(dir, "z.csv")
	mustRun(t, "encode", "--model", m, "--data", xs, "--cond", cs, "--out", enc, "--quiet")
	// A label model with guidance dropout, sampled with guidance.
	ml := filepath.Join(dir, "ml.safetensors")
	mustRun(t, "train", "--data", xs, "--cond", ls, "--cond-labels", "--guidance-drop", "0.2", "--out", ml, "--steps", "100", "--width", "16", "--depth", "1", "--quiet")
	mustRun(t, "sample", "--model", ml, "--given", "1", "--guidance", "2", "--n", "50", "--out", out, "--quiet")
	mustRun(t, "nll", "--model", ml, "--data", xs, "--cond", ls, "--split", "val", "--guidance", "1", "--n", "100", "--quiet")
	// Class figures of a label model; labelled draws of a mixture.
	png := filepath.Join(dir, "classes.png")
	mustRun(t, "plot", "--model", ml, "--kind", "classes", "--guidance", "1", "--n", "200", "--out", png)
	if st, err := os.Stat(png); err != nil || st.Size() < 1000 {
		t.Fatalf("plot --kind classes: %v", err)
	}
	gx, gl := filepath.Join(dir, "g.csv"), filepath.Join(dir, "gl.csv")
	mustRun(t, "data", "--name", "8gaussians", "--n", "100", "--out", gx, "--labels", gl)
	if tab, err := dataset.ReadTable(gl); err != nil || tab.N != 100 || tab.D != 1 {
		t.Fatalf("data --labels: %v", err)
	}
	wantRejected(t, cli(t, "data", "--name", "moons", "--n", "10", "--out", gx, "--labels", gl), 2, "no components")
	wantRejected(t, cli(t, "plot", "--model", m, "--kind", "classes", "--out", png), 2, "class labels only")
	wantRejected(t, cli(t, "plot", "--model", m, "--out", png), 2, "the model is conditional")
	mustRun(t, "plot", "--model", m, "--given", "0.5", "--n", "200", "--grid", "20", "--out", png)
	// Errors.
	short := filepath.Join(dir, "short.csv")
	writeCSV(t, short, c[:10], 1)
	for _, tc := range []struct {
		code int
		args []string
		frag []string
	}{
		{1, []string{"train", "--data", xs, "--cond", short, "--out", filepath.Join(dir, "e.safetensors")}, []string{"short.csv has 10 rows", "x.csv has 1200"}},
		{1, []string{"train", "--data", xs, "--cond", xs, "--cond-labels", "--out", filepath.Join(dir, "e.safetensors")}, []string{"2 columns: a label file"}},
		{2, []string{"train", "--data", xs, "--guidance-drop", "0.1", "--out", filepath.Join(dir, "e.safetensors")}, []string{"need --cond"}},
		{2, []string{"sample", "--model", m, "--n", "5", "--out", out}, []string{"the model is conditional", "--given"}},
		{2, []string{"sample", "--model", m, "--given", "1,2", "--out", out}, []string{"--given: 2 values", "1 context columns"}},
		{2, []string{"sample", "--model", m, "--given", "1", "--guidance", "1", "--out", out}, []string{"--guidance needs a model trained with class labels"}},
		{2, []string{"sample", "--model", ml, "--given", "2", "--out", out}, []string{"label 2"}},
		{1, []string{"nll", "--model", m, "--data", xs, "--split", "all", "--cond", short}, []string{"short.csv has 10 rows"}},
		{2, []string{"sample", "--model", m, "--cond", cs, "--n", "7", "--out", out}, []string{"--n 7 but --cond", "1200 rows"}},
		{2, []string{"sample", "--model", m, "--cond", cs, "--out", cs}, []string{"cond"}},
	} {
		wantRejected(t, cli(t, tc.args...), tc.code, tc.frag...)
	}
	um := trainTiny(t, dir, "u.safetensors", 5)
	wantRejected(t, cli(t, "sample", "--model", um, "--given", "1", "--out", out), 2, "unconditional")
}

func lastLine(s string) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	return ls[len(ls)-1]
}
