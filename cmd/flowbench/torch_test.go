package main

import (
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/nn"
)

// torchPython is the interpreter with Debian's python3-torch.
const torchPython = "/usr/bin/python3"

// scripts/flowbench_torch.py, given the base draws flowbench starts from (gen.BaseNoise),
// reproduces `flowbench sample --solver rk4` to 1e-5 in data units: with the EMA weights,
// Fourier time features and a learned base on a toy; with the best-validation weights, a
// learnable Fourier interpolant and standardization on a table; with the raw weights when
// there is no EMA. Loading the raw weights of the EMA model misses by far more, so the
// comparison tells the weights apart.
func TestTorchLoaderReproducesSample(t *testing.T) {
	if testing.Short() {
		t.Skip("PyTorch interop is not run in -short mode")
	}
	if err := exec.Command(torchPython, "-c", "import torch, numpy").Run(); err != nil {
		t.Skipf("%s cannot import torch (apt-get install -y python3-torch): %v", torchPython, err)
	}
	dir := t.TempDir()
	table := gaussTable(t, dir, "g.csv", 400, 11)
	const n, steps, seed = 300, 20, 6
	for _, c := range []struct {
		name   string
		args   []string
		tensor string // a tensor the checkpoint must hold for the case to test its rule
		raw    bool   // also load the raw weights, which must miss
	}{
		{"toy ema fourier base", []string{"--data", "moons", "--steps", "60", "--ema", "0.9", "--time", "fourier", "--time-freqs", "3", "--base", "learned"}, "base.L", true},
		{"table best standardized", []string{"--data", table, "--steps", "60", "--val-every", "20", "--interp", "fourier:2"}, "best.params", false},
		{"raw weights", []string{"--data", "8gaussians", "--steps", "30", "--ema", "0"}, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := filepath.Join(dir, c.name+".safetensors")
			mustRun(t, append(append([]string{"train", "--out", m}, c.args...), tiny...)...)
			ck, err := nn.LoadCheckpoint(m)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := ck.Tensors[c.tensor]; c.tensor != "" && !ok {
				t.Fatalf("the checkpoint has no %s", c.tensor)
			}
			d := ck.Net.Dim()
			z := gen.BaseNoise(seed, n, d)
			vs := make([]float64, len(z))
			for i, v := range z {
				vs[i] = float64(v)
			}
			noise := writeFile(t, dir, c.name+"-z.npy", npyFile(npyDict("<f4", false, fmt.Sprintf("(%d, %d)", n, d)), le32(vs...)))
			want := filepath.Join(dir, c.name+"-flowbench.npy")
			mustRun(t, "sample", "--model", m, "--n", strconv.Itoa(n), "--seed", strconv.Itoa(seed), "--solver", "rk4", "--steps", strconv.Itoa(steps), "--out", want, "--quiet")
			dist := func(weights string) float64 {
				got := filepath.Join(dir, c.name+"-torch-"+weights+".npy")
				out, err := exec.Command(torchPython, filepath.Join("..", "..", "scripts", "flowbench_torch.py"), "sample", m,
					"--noise", noise, "--out", got, "--steps", strconv.Itoa(steps), "--weights", weights).CombinedOutput()
				if err != nil {
					t.Fatalf("flowbench_torch.py: %v\n%s", err, out)
				}
				a, b := readPoints(t, want), readPoints(t, got)
				if len(a) != len(b) {
					t.Fatalf("%d values from flowbench, %d from the loader", len(a), len(b))
				}
				worst := 0.0
				for i := range a {
					worst = math.Max(worst, math.Abs(float64(a[i])-float64(b[i])))
				}
				return worst
			}
			if w := dist("auto"); w > 1e-5 {
				t.Errorf("the loader's samples differ from flowbench's by up to %.3g (want ≤ 1e-5)", w)
			} else {
				t.Logf("largest difference %.3g", w)
			}
			if c.raw {
				if ck.EMA == nil {
					t.Fatal("no EMA weights to tell from the raw ones")
				}
				if w := dist("net"); w < 1e-3 {
					t.Errorf("the raw weights give samples within %.3g of flowbench's: the test cannot tell the weights apart", w)
				}
			}
		})
	}
}

// readPoints reads a point file's values.
func readPoints(t *testing.T, path string) []float32 {
	t.Helper()
	tab, err := dataset.ReadTable(path)
	if err != nil {
		t.Fatal(err)
	}
	return tab.Data
}
