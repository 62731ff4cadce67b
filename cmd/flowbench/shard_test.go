package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// shardCases are the sharded jobs the CLI tests run: a command line without --model,
// --out, --shard and --threads ({x} and {c} stand for the files of a conditional model's rows
// and contexts; those cases run on a conditional model), and the output's extension.
var shardCases = []struct {
	name string
	args []string
	ext  string
}{
	{"posterior-sample-given", []string{"sample", "--given", "1.5", "--n", "300", "--batch", "40"}, ".csv"},
	{"sample-cond-per-row", []string{"sample", "--cond", "{c}", "--batch", "40"}, ".npy"},
	{"nll-cond-per-row", []string{"nll", "--data", "{x}", "--cond", "{c}", "--batch", "40"}, ".csv"},
	{"sample-csv", []string{"sample", "--n", "300", "--batch", "40"}, ".csv"},
	{"sample-logp-npy", []string{"sample", "--n", "300", "--batch", "40", "--with-logp", "--seed", "3"}, ".npy"},
	{"sample-sde-tsv", []string{"sample", "--n", "300", "--batch", "40", "--sde", "--steps", "30"}, ".tsv"},
	{"nll-csv", []string{"nll", "--data", "8gaussians", "--n", "300", "--batch", "40"}, ".csv"},
	{"nll-hutchinson-npy", []string{"nll", "--data", "8gaussians", "--n", "300", "--batch", "40", "--hutchinson", "2"}, ".npy"},
	{"encode-logp-csv", []string{"encode", "--data", "8gaussians", "--n", "300", "--batch", "40", "--with-logp"}, ".csv"},
}

// TestShardedCLIMatchesUnsharded runs every sharded command for N ∈ {1, 2, 3, 7} at one and
// two threads, merges the shards, and checks that the merged file has the bytes of one
// unsharded run and that merge prints the unsharded run's summary (the adaptive default
// solver picks its steps per chunk of --batch rows, so the shards must own whole chunks).
// With -short (CI's -race run) the shards run at two threads only.
func TestShardedCLIMatchesUnsharded(t *testing.T) {
	dir := t.TempDir()
	model := trainTiny(t, dir, "m.safetensors", 30)
	// A conditional model: x ≈ (2c, −c) plus noise, trained on 400 rows; 300 new rows to
	// score and sample for.
	rng := rand.New(rand.NewPCG(5, 6))
	rows := func(n int) (x, c []float64) {
		x, c = make([]float64, 2*n), make([]float64, n)
		for i := range n {
			c[i] = rng.NormFloat64()
			x[2*i], x[2*i+1] = 2*c[i]+0.2*rng.NormFloat64(), -c[i]+0.2*rng.NormFloat64()
		}
		return x, c
	}
	xt, ct := rows(400)
	xs, cs := rows(300)
	paths := map[string]string{}
	for _, f := range []struct {
		name string
		v    []float64
		d    int
	}{{"xt", xt, 2}, {"ct", ct, 1}, {"x", xs, 2}, {"c", cs, 1}} {
		paths[f.name] = filepath.Join(dir, f.name+".csv")
		writeCSV(t, paths[f.name], f.v, f.d)
	}
	condModel := filepath.Join(dir, "cond.safetensors")
	mustRun(t, append([]string{"train", "--data", paths["xt"], "--cond", paths["ct"], "--out", condModel, "--steps", "30"}, tiny...)...)
	for _, c := range shardCases {
		t.Run(c.name, func(t *testing.T) {
			m := model
			var args []string
			for _, a := range c.args {
				if p, ok := strings.CutPrefix(a, "{"); ok {
					a, m = paths[strings.TrimSuffix(p, "}")], condModel
				}
				args = append(args, a)
			}
			if slices.Contains(c.args, "--given") {
				m = condModel
			}
			base := append(args, "--model", m, "--quiet")
			want := filepath.Join(dir, c.name+"-whole"+c.ext)
			r := runInProcess(append(base, "--out", want, "--threads", "1")...)
			if r.code != 0 {
				t.Fatalf("unsharded run: exit %d: %s", r.code, r.stderr)
			}
			wantBytes, err := os.ReadFile(want)
			if err != nil {
				t.Fatal(err)
			}
			threadCounts := []string{"1", "2"}
			if testing.Short() { // the -race run: the unsharded run is at one thread already
				threadCounts = []string{"2"}
			}
			for _, threads := range threadCounts {
				for _, n := range []int{1, 2, 3, 7} {
					var parts []string
					for i := range n {
						p := filepath.Join(dir, fmt.Sprintf("%s-t%s-%d-of-%d%s", c.name, threads, i, n, c.ext))
						if s := runInProcess(append(base, "--out", p, "--threads", threads, "--shard", fmt.Sprintf("%d/%d", i, n))...); s.code != 0 {
							t.Fatalf("shard %d/%d: exit %d: %s", i, n, s.code, s.stderr)
						}
						parts = append(parts, p)
					}
					merged := filepath.Join(dir, fmt.Sprintf("%s-t%s-merged-%d%s", c.name, threads, n, c.ext))
					m := runInProcess(append([]string{"merge", "--out", merged}, parts...)...)
					if m.code != 0 {
						t.Fatalf("merge of %d shards: exit %d: %s", n, m.code, m.stderr)
					}
					got, err := os.ReadFile(merged)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, wantBytes) {
						t.Fatalf("threads %s, %d shards: merged file (%d bytes) differs from the unsharded one (%d bytes)", threads, n, len(got), len(wantBytes))
					}
					if g := strings.ReplaceAll(m.stdout, merged, want); g != r.stdout {
						t.Fatalf("threads %s, %d shards: merge printed\n%s\nthe unsharded run\n%s", threads, n, m.stdout, r.stdout)
					}
				}
			}
		})
	}
}

// TestMergeRefuses checks merge's refusals, each one line naming the fault, and that no
// merged file is left: a missing shard, one given twice, shards of another model, of other
// settings, a truncated or edited shard file, a file without manifest or with a corrupt one,
// the wrong output format, and an output that is one of the shards.
func TestMergeRefuses(t *testing.T) {
	dir := t.TempDir()
	m1 := trainTiny(t, dir, "m1.safetensors", 20)
	m2 := trainTiny(t, dir, "m2.safetensors", 21)
	shard := func(model, name string, i, n int, extra ...string) string {
		p := filepath.Join(dir, name)
		args := append([]string{"nll", "--model", model, "--data", "8gaussians", "--n", "200", "--batch", "50", "--quiet", "--out", p, "--shard", fmt.Sprintf("%d/%d", i, n)}, extra...)
		if r := runInProcess(args...); r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		return p
	}
	a0, a1, a2 := shard(m1, "a0.csv", 0, 3), shard(m1, "a1.csv", 1, 3), shard(m1, "a2.csv", 2, 3)
	b1 := shard(m2, "b1.csv", 1, 3)
	c1 := shard(m1, "c1.csv", 1, 3, "--seed", "2")
	d1 := shard(m1, "d1.csv", 1, 3)
	if err := os.WriteFile(d1, []byte("logp\n-1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e1 := shard(m1, "e1.csv", 1, 3)
	raw, _ := os.ReadFile(e1)
	if err := os.WriteFile(e1, raw[:len(raw)-3], 0o644); err != nil { // truncated
		t.Fatal(err)
	}
	f1 := shard(m1, "f1.csv", 1, 3)
	if err := os.WriteFile(f1+manifestSuffix, []byte(`{"format":"flowbench-shard/1","shards":1099511627776}`), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain.csv")
	os.WriteFile(plain, []byte("logp\n1\n"), 0o644)
	out := filepath.Join(dir, "merged.csv")
	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		frags []string
	}{
		{"missing", []string{a0, a2}, 1, []string{"shard 1 of 3 missing"}},
		{"twice", []string{a0, a1, a1, a2}, 1, []string{"shard 1/3 given twice"}},
		{"other model", []string{a0, b1, a2}, 1, []string{"not shards of one job", "model"}},
		{"other settings", []string{a0, c1, a2}, 1, []string{"not shards of one job", "--seed"}},
		{"edited", []string{a0, d1, a2}, 1, []string{"d1.csv", "bytes, its manifest records"}},
		{"truncated", []string{a0, e1, a2}, 1, []string{"e1.csv", "truncated"}},
		{"no manifest", []string{a0, plain, a2}, 1, []string{"plain.csv", "no shard manifest"}},
		{"bad manifest", []string{a0, f1, a2}, 1, []string{"f1.csv.shard.json", "inconsistent manifest"}},
		{"none", nil, 2, []string{"no shards given"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runInProcess(append([]string{"merge", "--out", out}, tc.args...)...)
			wantRejected(t, r, tc.code, tc.frags...)
			if _, err := os.Stat(out); err == nil {
				t.Fatal("a refused merge left an output")
			}
		})
	}
	wantRejected(t, runInProcess("merge", "--out", filepath.Join(dir, "m.npy"), a0, a1, a2), 2, "the shards are .csv files")
	wantRejected(t, runInProcess("merge", "--out", a1, a0, a1, a2), 2, "refusing to replace an input")
	wantRejected(t, runInProcess("nll", "--model", m1, "--data", "8gaussians", "--shard", "3/3", "--out", out), 2, "--shard \"3/3\"")
	wantRejected(t, runInProcess("nll", "--model", m1, "--data", "8gaussians", "--shard", "0/3"), 2, "--shard needs --out")
	if r := runInProcess("merge", "--out", out, a0, a1, a2); r.code != 0 {
		t.Fatalf("merge of good shards: %s", r.stderr)
	}
}
