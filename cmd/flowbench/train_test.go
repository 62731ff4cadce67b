package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
)

// genBin is the flowbench binary built once by TestMain for the CLI tests.
var genBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "flowbench-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	genBin = filepath.Join(dir, "flowbench")
	if out, err := exec.Command("go", "build", "-o", genBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runBin runs the binary and returns its exit code, stdout and stderr.
func runBin(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(genBin, args...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, so.String(), se.String()
}

// tiny are training flags for a fast run.
var tiny = []string{"--width", "16", "--depth", "2", "--batch", "32", "--warmup", "2", "--threads", "1"}

// trainTiny trains a small 8gaussians model into dir and returns its path.
func trainTiny(t *testing.T, dir string, steps int) string {
	t.Helper()
	path := filepath.Join(dir, "m.safetensors")
	args := append([]string{"train", "--data", "8gaussians", "--out", path, "--steps", fmt.Sprint(steps)}, tiny...)
	if code, _, se := runBin(t, args...); code != 0 {
		t.Fatalf("train exited %d: %s", code, se)
	}
	return path
}

func TestGenCLIErrors(t *testing.T) {
	dir := t.TempDir()
	model := trainTiny(t, dir, 5)
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
		{"info no model", []string{"info"}, 2, "checkpoint is required"},
		{"info truncated", []string{"info", trunc}, 1, "trunc.safetensors"},
		{"resume changes lr", []string{"train", "--data", "8gaussians", "--out", model, "--resume", "--lr", "0.1"}, 2, "--lr cannot be changed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, se := runBin(t, c.args...)
			if code != c.code || !strings.Contains(se, c.frag) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, se, c.code, c.frag)
			}
			if strings.Contains(se, "goroutine") || strings.Contains(se, "panic") {
				t.Fatalf("stack trace on stderr: %s", se)
			}
		})
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a failed sample left an output file")
	}
}

func TestGenCLIWorkflow(t *testing.T) {
	dir := t.TempDir()
	model := trainTiny(t, dir, 12)
	csvOut := filepath.Join(dir, "s.csv")
	code, so, se := runBin(t, "sample", "--model", model, "--n", "50", "--out", csvOut, "--solver", "rk4", "--steps", "4", "--with-logp", "--json")
	if code != 0 {
		t.Fatalf("sample: exit %d: %s", code, se)
	}
	tab, err := dataset.ReadTable(csvOut)
	if err != nil || tab.N != 50 || tab.D != 3 {
		t.Fatalf("sample output: %v (%+v)", err, tab)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(so), &rec); err != nil || rec["summary"] != "sample" {
		t.Fatalf("sample --json: %q (%v)", so, err)
	}
	code, so, se = runBin(t, "nll", "--model", model, "--n", "200", "--solver", "rk4", "--steps", "8", "--json")
	if code != 0 {
		t.Fatalf("nll: exit %d: %s", code, se)
	}
	rec = nil
	if err := json.Unmarshal([]byte(so), &rec); err != nil {
		t.Fatalf("nll --json: %q (%v)", so, err)
	}
	for _, k := range []string{"nll", "nll_stderr", "bpd", "true_nll", "nfe"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("nll output lacks %q: %s", k, so)
		}
	}
	code, so, se = runBin(t, "eval", "--model", model, "--n", "200", "--solver", "rk4", "--steps", "8", "--json")
	if code != 0 || !strings.Contains(so, `"energy"`) || !strings.Contains(so, `"floor_energy"`) {
		t.Fatalf("eval: exit %d: %s %s", code, so, se)
	}
	npyOut := filepath.Join(dir, "z.npy")
	if code, _, se = runBin(t, "encode", "--model", model, "--data", "8gaussians", "--n", "30", "--out", npyOut, "--solver", "rk4", "--steps", "4"); code != 0 {
		t.Fatalf("encode: exit %d: %s", code, se)
	}
	if tab, err := dataset.ReadTable(npyOut); err != nil || tab.N != 30 {
		t.Fatalf("encode output: %v", err)
	}
	for _, kind := range []string{"", "loss", "trajectories"} {
		png := filepath.Join(dir, "p"+kind+".png")
		args := []string{"plot", "--model", model, "--out", png, "--n", "300", "--grid", "12"}
		if kind != "" {
			args = append(args, "--kind", kind)
		}
		if code, _, se = runBin(t, args...); code != 0 {
			t.Fatalf("plot %s: exit %d: %s", kind, code, se)
		}
		if b, err := os.ReadFile(png); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Fatalf("plot %s: no PNG written (%v)", kind, err)
		}
	}
	if code, so, se = runBin(t, "info", model, "--json"); code != 0 || !strings.Contains(so, `"resumable":true`) {
		t.Fatalf("info: exit %d: %s %s", code, so, se)
	}
	// Scoring a single data row works.
	one := filepath.Join(dir, "one.csv")
	os.WriteFile(one, []byte("0.5,-1\n"), 0o644)
	if code, so, se = runBin(t, "nll", "--model", model, "--data", one, "--solver", "rk4", "--steps", "4", "--json"); code != 0 || !strings.Contains(so, `"n":1`) {
		t.Fatalf("nll of one row: exit %d: %s %s", code, so, se)
	}
}

// startTrain starts a long tiny training run writing path and waits for its first
// checkpoint.
func startTrain(t *testing.T, path string, extra ...string) *exec.Cmd {
	t.Helper()
	args := append([]string{"train", "--data", "8gaussians", "--out", path, "--steps", "1000000", "--ckpt-every", "25", "--log-every", "1000"}, tiny...)
	cmd := exec.Command(genBin, append(args, extra...)...)
	var se bytes.Buffer
	cmd.Stderr = &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return cmd
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("no checkpoint within 60 s: %s", se.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestGenCLISignals(t *testing.T) {
	if testing.Short() {
		t.Skip("runs training processes")
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.safetensors")
			cmd := startTrain(t, path)
			time.Sleep(200 * time.Millisecond)
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 128+int(sig) {
				t.Fatalf("exit %v, want %d (%s)", err, 128+int(sig), cmd.Stderr)
			}
			if se := fmt.Sprint(cmd.Stderr); !strings.Contains(se, "checkpoint") || !strings.Contains(se, "stopped at step") {
				t.Fatalf("stderr %q does not report the saved checkpoint", se)
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

func TestGenCLIKillKeepsCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("runs training processes")
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 4 {
		cmd := startTrain(t, path)
		if i > 0 {
			cmd.Process.Kill()
			cmd.Wait()
			cmd = startTrain(t, path)
		}
		time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if _, err := gen.LoadModel(path); err != nil {
			t.Fatalf("kill %d: checkpoint not loadable: %v", i, err)
		}
	}
}

func TestGenCLIResumeBitIdentical(t *testing.T) {
	if testing.Short() {
		t.Skip("runs training processes")
	}
	dir := t.TempDir()
	const steps = "400"
	full := filepath.Join(dir, "full.safetensors")
	args := append([]string{"train", "--data", "8gaussians", "--out", full, "--steps", steps, "--ckpt-every", "25", "--val-every", "50"}, tiny...)
	if code, _, se := runBin(t, args...); code != 0 {
		t.Fatalf("train: exit %d: %s", code, se)
	}
	part := filepath.Join(dir, "part.safetensors")
	args = append([]string{"train", "--data", "8gaussians", "--out", part, "--steps", steps, "--ckpt-every", "25", "--val-every", "50"}, tiny...)
	cmd := exec.Command(genBin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(part); err == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	m, err := gen.LoadModel(part)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("interrupted at step %d", m.State.Step)
	if m.State.Step < 400 {
		code, _, se := runBin(t, "train", "--data", "8gaussians", "--out", part, "--resume", "--threads", "2")
		if code != 0 {
			t.Fatalf("resume: exit %d: %s", code, se)
		}
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

func TestGenCLISampleInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a long sampling process")
	}
	dir := t.TempDir()
	model := trainTiny(t, dir, 3)
	out := filepath.Join(dir, "big.npy")
	cmd := exec.Command(genBin, "sample", "--model", model, "--n", "3000000", "--batch", "100000", "--out", out, "--solver", "rk4", "--steps", "200", "--threads", "1")
	var se bytes.Buffer
	cmd.Stderr = &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
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
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Fatalf("temporary file %s left behind", e.Name())
		}
	}
}
