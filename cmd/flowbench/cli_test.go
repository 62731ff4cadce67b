package main

// End-to-end tests of the binary: rejected command lines of train, sample, nll, eval,
// encode, plot and info, and one workflow through them all. The faults (signals, kills,
// resuming) are in reliability_test.go, data in data_test.go.

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/interflow/flowbench/dataset"
)

func TestGenCLIErrors(t *testing.T) {
	dir := t.TempDir()
	model := trainTiny(t, dir, "m.safetensors", 5)
	regular := filepath.Join(dir, "regular")
	os.WriteFile(regular, []byte("x"), 0o644)
	csv3 := filepath.Join(dir, "three.csv")
	os.WriteFile(csv3, []byte("1,2,3\n4,5,7\n7,8,8\n"), 0o644)
	trunc := filepath.Join(dir, "trunc.safetensors")
	b, _ := os.ReadFile(model)
	os.WriteFile(trunc, b[:len(b)/2], 0o644)
	out := filepath.Join(dir, "o.csv")
	train := func(a ...string) []string {
		return append([]string{"train", "--data", "8gaussians", "--out", filepath.Join(dir, "t.safetensors")}, a...)
	}
	cases := []struct {
		name string
		args []string
		code int
		frag string
	}{
		{"train zero steps", train("--steps", "0"), 2, "--steps must be a positive"},
		{"train negative steps", train("--steps", "-3"), 2, "--steps must be a positive"},
		{"train zero batch", train("--batch", "0"), 2, "--batch must be a positive"},
		{"train zero width", train("--width", "0"), 2, "--width must be a positive"},
		{"train negative depth", train("--depth", "-1"), 2, "--depth must be a positive"},
		{"train unknown act", train("--act", "swish"), 2, `unknown activation "swish"`},
		{"train unknown interp", train("--interp", "cubic"), 2, "--interp"},
		{"train unknown schedule", train("--schedule", "linear"), 2, `--schedule: unknown value "linear"`},
		{"train unknown time dist", train("--time-dist", "gamma"), 2, "--time-dist"},
		{"train unknown base", train("--base", "laplace"), 2, "--base"},
		{"train zero lr", train("--lr", "0"), 2, "--lr must be a positive"},
		{"train negative time limit", train("--time-limit", "-1"), 2, "--time-limit must be between 0"},
		{"train NaN time limit", train("--time-limit", "NaN"), 2, "--time-limit must be between 0"},
		{"train diverges", train("--lr", "1e30", "--warmup", "0", "--schedule", "constant", "--width", "16", "--depth", "2", "--batch", "32"), 1, "step 2: non-finite loss"},
		{"train unknown data", []string{"train", "--data", "ninegaussians", "--out", filepath.Join(dir, "t.st")}, 2, `"ninegaussians": not a generated data set`},
		{"train no data", []string{"train", "--out", filepath.Join(dir, "t.st")}, 2, "--data is required"},
		{"train no out", []string{"train", "--data", "moons"}, 2, "--out is required"},
		{"train out parent missing", []string{"train", "--data", "moons", "--out", filepath.Join(dir, "nope", "m.st")}, 2, "does not exist"},
		{"train out parent is a file", []string{"train", "--data", "moons", "--out", filepath.Join(regular, "m.st")}, 2, "is not a directory"},
		{"sample zero n", []string{"sample", "--model", model, "--n", "0", "--out", out}, 2, "--n must be a positive"},
		{"sample negative batch", []string{"sample", "--model", model, "--batch", "-1", "--out", out}, 2, "--batch must be a positive"},
		{"sample zero rtol", []string{"sample", "--model", model, "--rtol", "0", "--out", out}, 2, "--rtol must be a positive"},
		{"sample negative atol", []string{"sample", "--model", model, "--atol", "-1e-5", "--out", out}, 2, "--atol must be a positive"},
		{"sample unknown solver", []string{"sample", "--model", model, "--solver", "rk45", "--out", out}, 2, "--solver"},
		{"sample zero steps", []string{"sample", "--model", model, "--solver", "rk4", "--steps", "0", "--out", out}, 2, "--steps must be a positive"},
		{"sample bad eps", []string{"sample", "--model", model, "--sde", "--eps", "exp:1", "--out", out}, 2, "--eps"},
		{"sample bad extension", []string{"sample", "--model", model, "--out", filepath.Join(dir, "o.txt")}, 2, "unknown output format"},
		{"sample out parent missing", []string{"sample", "--model", model, "--out", filepath.Join(dir, "nope", "o.csv")}, 2, "does not exist"},
		{"sample missing model", []string{"sample", "--model", filepath.Join(dir, "none.st"), "--out", out}, 1, "none.st"},
		{"sample truncated model", []string{"sample", "--model", trunc, "--out", out}, 1, "trunc.safetensors"},
		{"nll wrong dimension", []string{"nll", "--model", model, "--data", csv3}, 1, "3 columns, but the model has dimension 2"},
		{"nll unknown data", []string{"nll", "--model", model, "--data", "ninegaussians"}, 2, "not a generated data set"},
		{"nll zero n", []string{"nll", "--model", model, "--n", "0"}, 2, "--n must be a positive"},
		{"nll negative hutchinson", []string{"nll", "--model", model, "--hutchinson", "-1"}, 2, "--hutchinson"},
		{"nll bad split", []string{"nll", "--model", model, "--split", "dev"}, 2, "--split"},
		{"eval wrong dimension", []string{"eval", "--model", model, "--data", csv3}, 1, "dimension 2"},
		{"encode wrong dimension", []string{"encode", "--model", model, "--data", csv3, "--out", out}, 1, "dimension 2"},
		{"plot bad kind", []string{"plot", "--model", model, "--out", filepath.Join(dir, "p.png"), "--kind", "violin"}, 2, "--kind"},
		{"plot not png", []string{"plot", "--model", model, "--out", filepath.Join(dir, "p.jpg")}, 2, ".png"},
		{"info no model", []string{"info"}, 2, "--model is required"},
		{"info truncated", []string{"info", trunc}, 1, "trunc.safetensors"},
		{"resume changes lr", []string{"train", "--data", "8gaussians", "--out", model, "--resume", "--lr", "0.1"}, 2, "--lr cannot be changed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := cli(t, c.args...)
			if r.code != c.code || !strings.Contains(r.stderr, c.frag) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, c.code, c.frag)
			}
			if strings.Contains(r.stderr, "goroutine") || strings.Contains(r.stderr, "panic") {
				t.Fatalf("stack trace on stderr: %s", r.stderr)
			}
		})
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a failed sample left an output file")
	}
}

func TestGenCLIWorkflow(t *testing.T) {
	dir := t.TempDir()
	model := trainTiny(t, dir, "m.safetensors", 12)
	csvOut := filepath.Join(dir, "s.csv")
	r := mustRun(t, "sample", "--model", model, "--n", "50", "--out", csvOut, "--solver", "rk4", "--steps", "4", "--with-logp", "--json")
	tab, err := dataset.ReadTable(csvOut)
	if err != nil || tab.N != 50 || tab.D != 3 {
		t.Fatalf("sample output: %v (%+v)", err, tab)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil || rec["summary"] != "sample" {
		t.Fatalf("sample --json: %q (%v)", r.stdout, err)
	}
	r = mustRun(t, "nll", "--model", model, "--n", "200", "--solver", "rk4", "--steps", "8", "--json")
	rec = nil
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil {
		t.Fatalf("nll --json: %q (%v)", r.stdout, err)
	}
	for _, k := range []string{"nll", "nll_stderr", "bpd", "true_nll", "nfe"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("nll output lacks %q: %s", k, r.stdout)
		}
	}
	r = mustRun(t, "eval", "--model", model, "--n", "200", "--solver", "rk4", "--steps", "8", "--json")
	if !strings.Contains(r.stdout, `"energy"`) || !strings.Contains(r.stdout, `"floor_energy"`) {
		t.Fatalf("eval: %s %s", r.stdout, r.stderr)
	}
	npyOut := filepath.Join(dir, "z.npy")
	mustRun(t, "encode", "--model", model, "--data", "8gaussians", "--n", "30", "--out", npyOut, "--solver", "rk4", "--steps", "4")
	if tab, err := dataset.ReadTable(npyOut); err != nil || tab.N != 30 {
		t.Fatalf("encode output: %v", err)
	}
	for _, kind := range []string{"", "loss", "trajectories"} {
		png := filepath.Join(dir, "p"+kind+".png")
		args := []string{"plot", "--model", model, "--out", png, "--n", "300", "--grid", "12"}
		if kind != "" {
			args = append(args, "--kind", kind)
		}
		mustRun(t, args...)
		if b, err := os.ReadFile(png); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Fatalf("plot %s: no PNG written (%v)", kind, err)
		}
	}
	if r = mustRun(t, "info", model, "--json"); !strings.Contains(r.stdout, `"resumable":true`) {
		t.Fatalf("info: %s %s", r.stdout, r.stderr)
	}
	// Scoring a single data row works.
	one := filepath.Join(dir, "one.csv")
	os.WriteFile(one, []byte("0.5,-1\n"), 0o644)
	if r = mustRun(t, "nll", "--model", model, "--data", one, "--solver", "rk4", "--steps", "4", "--json"); !strings.Contains(r.stdout, `"n":1`) {
		t.Fatalf("nll of one row: %s %s", r.stdout, r.stderr)
	}
}
