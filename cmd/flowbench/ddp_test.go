package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/interflow/flowbench/gen"
)

// TestTorchDDPCheckpoint trains a model with scripts/torch_train_ddp.py under
// `torchrun --nproc_per_node 2` (DistributedDataParallel, gloo) from a flowbench training
// configuration, loads the checkpoint in flowbench, and checks (a) that flowbench's network
// gives PyTorch's velocities at 256 (t, x) points to 1e-5 and (b) that `flowbench nll` with
// RK4 at 32 steps gives the log-density PyTorch's own evaluation (the same solver, exact
// divergence by autograd) gives each row, to 1e-4 nats.
func TestTorchDDPCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("the PyTorch DDP run is not made in -short mode")
	}
	if _, err := exec.LookPath("/usr/bin/torchrun"); err != nil {
		t.Skip("no /usr/bin/torchrun (apt-get install -y python3-torch)")
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import torch.distributed").Run(); err != nil {
		t.Skipf("/usr/bin/python3 cannot import torch.distributed: %v", err)
	}
	dir := t.TempDir()
	train, eval := filepath.Join(dir, "train.csv"), filepath.Join(dir, "eval.csv")
	mustRun(t, "data", "--name", "moons", "--n", "2000", "--seed", "1", "--out", train)
	mustRun(t, "data", "--name", "moons", "--n", "256", "--seed", "9", "--out", eval)
	cfg := gen.DefaultTrainConfig(2)
	cfg.Net.Hidden = []int{32, 32}
	cfg.Steps, cfg.Batch, cfg.Warmup = 300, 256, 20
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ckpt, evalOut := filepath.Join(dir, "ddp.safetensors"), filepath.Join(dir, "torch-eval.json")
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "torch_train_ddp.py"))
	if err != nil {
		t.Fatal(err)
	}
	// --redirects 1 --tee 1: torch 1.13's torchrun cannot parse its default "0" under Python
	// 3.11 (enum iteration skips the zero flag), so stdout is teed explicitly.
	cmd := exec.Command("/usr/bin/torchrun", "--standalone", "--nproc_per_node", "2", "--redirects", "1", "--tee", "1",
		script, "--config", cfgPath, "--data", train, "--out", ckpt,
		"--eval", eval, "--eval-out", evalOut, "--eval-steps", "32")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("torchrun: %v\n%s", err, out)
	}
	var ev struct {
		X    [][]float32 `json:"x"`
		T    []float64   `json:"t"`
		V    [][]float32 `json:"v"`
		LogP []float64   `json:"logp"`
	}
	raw, err := os.ReadFile(evalOut)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.X) != 256 || len(ev.V) != 256 || len(ev.T) != 256 || len(ev.LogP) != 256 {
		t.Fatalf("torch evaluation has %d/%d/%d/%d rows, want 256", len(ev.X), len(ev.T), len(ev.V), len(ev.LogP))
	}
	m, err := gen.LoadModel(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	// (a) Velocities of the EMA network (the one flowbench samples and scores with).
	worst := 0.0
	out := make([]float32, 2)
	for i, x := range ev.X {
		m.Net.Velocity(ev.T[i], x, out)
		for j, v := range out {
			worst = math.Max(worst, math.Abs(float64(v-ev.V[i][j]))/(1+math.Abs(float64(ev.V[i][j]))))
		}
	}
	if worst > 1e-5 {
		t.Fatalf("velocities differ from PyTorch's by %.3g (relative to 1+|v|), want ≤ 1e-5", worst)
	}
	// (b) Log-densities, row by row, and the mean NLL.
	lp := filepath.Join(dir, "logp.csv")
	mustRun(t, "nll", "--model", ckpt, "--data", eval, "--solver", "rk4", "--steps", "32", "--out", lp, "--quiet", "--threads", "1")
	text, err := os.ReadFile(lp)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(text))[1:] // after the "logp" header
	if len(lines) != 256 {
		t.Fatalf("nll wrote %d rows, want 256", len(lines))
	}
	var maxDiff, fbNLL, torchNLL float64
	for i, s := range lines {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		maxDiff = math.Max(maxDiff, math.Abs(v-ev.LogP[i]))
		fbNLL -= v / 256
		torchNLL -= ev.LogP[i] / 256
	}
	if maxDiff > 1e-4 || math.Abs(fbNLL-torchNLL) > 1e-4 {
		t.Fatalf("flowbench NLL %.7f vs PyTorch %.7f (largest row difference %.3g nats), want within 1e-4", fbNLL, torchNLL, maxDiff)
	}
	// The model learned something: the base alone, N(0, I) on the standardized rows, scores
	// d/2·log(2πe) + Σ log σ_j ≈ 2.84 + 0.55 = 3.39 nats here.
	if !(fbNLL < 3.2) {
		t.Fatalf("the DDP-trained model's NLL %.4f is no better than the base's", fbNLL)
	}
	t.Logf("velocities within %.2g; NLL flowbench %.7f, PyTorch %.7f, largest row difference %.2g nats", worst, fbNLL, torchNLL, maxDiff)
}
