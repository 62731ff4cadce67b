package nn

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	"github.com/interflow/flowbench/kernels"
)

const python = "/usr/bin/python3"

// needTorch skips the test unless /usr/bin/python3 can import torch.
func needTorch(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("PyTorch interop is not run in -short mode")
	}
	if err := exec.Command(python, "-c", "import torch").Run(); err != nil {
		t.Skipf("%s cannot import torch (apt-get install -y python3-torch): %v", python, err)
	}
}

func runScript(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(python, append([]string{filepath.Join("..", "scripts", "torch_safetensors.py")}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("torch_safetensors.py %v: %v\n%s", args, err, out)
	}
}

// writeTensors writes a plain safetensors file (no flowbench metadata).
func writeTensors(t *testing.T, path string, ts map[string]Tensor) {
	t.Helper()
	names := make([]string, 0, len(ts))
	for n := range ts {
		names = append(names, n)
	}
	sort.Strings(names)
	hdr := map[string]any{}
	var data []byte
	for _, n := range names {
		x := ts[n]
		var b []byte
		dtype := "F32"
		if x.F64 != nil {
			dtype = "F64"
			for _, v := range x.F64 {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
			}
		} else {
			b = f32Bytes(x.F32)
		}
		hdr[n] = map[string]any{"dtype": dtype, "shape": x.Shape, "data_offsets": []int{len(data), len(data) + len(b)}}
		data = append(data, b...)
	}
	h, _ := json.Marshal(hdr)
	if err := os.WriteFile(path, header(string(h), data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readV(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, ts, err := parseSafetensors(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	v, ok := ts["v"]
	if !ok || v.Dtype != "F32" {
		t.Fatalf("%s: no F32 tensor v", path)
	}
	return f32From(v.data)
}

func compareRows(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d vs %d values", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 1e-5*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("%s: element %d: PyTorch %v, flowbench %v", what, i, got[i], want[i])
		}
	}
}

// Networks saved here load into PyTorch's nn.Sequential and give the same outputs, and
// networks made by PyTorch load here and give the same outputs (to 1e-5).
func TestPyTorchInterop(t *testing.T) {
	needTorch(t)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	B := 64
	io := func(d int) ([]float32, []float64) {
		x := randVec(rng, B*d, 1.5)
		ts := make([]float64, B)
		for i := range ts {
			ts[i] = rng.Float64()
		}
		return x, ts
	}
	type job struct {
		name string
		m    *MLP // nil: made by PyTorch, loaded after the script ran
		ckpt string
		x    []float32
		ts   []float64
		c    []float32 // per-row context (nil: unconditional)
	}
	var jobs []job
	var script []map[string]any
	forwardCond := func(name string, m *MLP, ckpt string, d int, cfg Config) {
		i := len(jobs)
		x, ts := io(d)
		in := filepath.Join(dir, fmt.Sprintf("%d.in", i))
		tens := map[string]Tensor{"x": {Shape: []int{B, d}, F32: x}, "t": {Shape: []int{B}, F64: ts}}
		var c []float32
		if cw := cfg.ContextWidth(); cw > 0 {
			c = randContext(rng, cfg, B)
			tens["c"] = Tensor{Shape: []int{B, cw}, F32: c}
		}
		writeTensors(t, in, tens)
		script = append(script, map[string]any{"op": "forward", "ckpt": ckpt, "in": in, "out": filepath.Join(dir, fmt.Sprintf("%d.out", i))})
		jobs = append(jobs, job{name, m, ckpt, x, ts, c})
	}
	forward := func(name string, m *MLP, ckpt string, d int) { forwardCond(name, m, ckpt, d, Config{}) }
	// Go → PyTorch, every activation and both time features.
	for i, c := range []Config{
		{Dim: 2, Hidden: []int{32, 32, 32}, Act: kernels.SiLU},
		{Dim: 3, Hidden: []int{16}, Act: kernels.ReLU},
		{Dim: 2, Hidden: []int{16, 8}, Act: kernels.Tanh},
		{Dim: 2, Hidden: []int{16}, Act: kernels.Softplus},
		{Dim: 4, Hidden: []int{16, 16}, Act: kernels.GELU, Time: TimeFourier, Fourier: 3},
		{Dim: 2, Hidden: []int{16}, Act: kernels.ELU},
	} {
		m := newTestNet(t, c, uint64(i))
		ck := filepath.Join(dir, fmt.Sprintf("go%d.safetensors", i))
		if err := (&Checkpoint{Net: m, Meta: map[string]string{"train_state": "{}"}}).Save(ck); err != nil {
			t.Fatal(err)
		}
		forward(cfgName(c), m, ck, c.Dim)
	}
	// Conditional networks, Go → PyTorch: the context is part of the first Linear's input
	// [x, context, t].
	for i, c := range []Config{
		{Dim: 3, Hidden: []int{32, 32}, Act: kernels.SiLU, Context: 4},
		{Dim: 2, Hidden: []int{16}, Act: kernels.GELU, Context: 2, Classes: 3},
		{Dim: 2, Hidden: []int{16, 16}, Act: kernels.Tanh, Time: TimeFourier, Fourier: 2, Classes: 5},
	} {
		m := newTestNet(t, c, uint64(50+i))
		ck := filepath.Join(dir, fmt.Sprintf("gocond%d.safetensors", i))
		if err := (&Checkpoint{Net: m, Meta: map[string]string{"train_state": "{}"}}).Save(ck); err != nil {
			t.Fatal(err)
		}
		forwardCond("conditional "+cfgName(c), m, ck, c.Dim, c)
	}
	// PyTorch → Go, conditional: made by PyTorch with the reference's xdim.
	for i, mk := range []map[string]any{
		{"dim": 2, "hidden": []int{24, 24}, "act": "silu", "seed": 7, "context": 3},
		{"dim": 3, "hidden": []int{20}, "act": "relu", "seed": 8, "context": 2, "classes": 4},
	} {
		ck := filepath.Join(dir, fmt.Sprintf("pycond%d.safetensors", i))
		mk["op"], mk["ckpt"] = "make", ck
		script = append(script, mk)
		forwardCond(fmt.Sprintf("pytorch-made conditional %d", i), nil, ck, mk["dim"].(int),
			Config{Context: mk["context"].(int), Classes: func() int { k, _ := mk["classes"].(int); return k }()})
	}
	// PyTorch → Go: networks made (and initialized) by PyTorch.
	for i, mk := range []map[string]any{
		{"dim": 2, "hidden": []int{24, 24, 24}, "act": "silu", "seed": 3},
		{"dim": 3, "hidden": []int{20}, "act": "gelu", "time": "fourier", "fourier": 2, "seed": 4},
	} {
		ck := filepath.Join(dir, fmt.Sprintf("py%d.safetensors", i))
		mk["op"], mk["ckpt"] = "make", ck
		script = append(script, mk)
		forward(fmt.Sprintf("pytorch-made %d", i), nil, ck, mk["dim"].(int))
	}
	// Makes first, then forwards, all in one Python process.
	sort.SliceStable(script, func(i, j int) bool { return script[i]["op"] == "make" && script[j]["op"] != "make" })
	jb, _ := json.Marshal(script)
	jf := filepath.Join(dir, "jobs.json")
	os.WriteFile(jf, jb, 0o644)
	runScript(t, "jobs", jf)
	for i, j := range jobs {
		if j.m == nil {
			c, err := LoadCheckpoint(j.ckpt)
			if err != nil {
				t.Fatalf("loading PyTorch's checkpoint: %v", err)
			}
			j.m = c.Net
		}
		out := script[len(script)-len(jobs)+i]["out"].(string)
		want := make([]float32, len(j.x))
		j.m.SetContext(j.c)
		j.m.Forward(j.ts, j.x, want)
		compareRows(t, j.name, readV(t, out), want)
		// The scalar-t path (bias folding, with the first row's context shared) agrees too,
		// at one time.
		v := make([]float32, len(j.x))
		if cw := j.m.Config().ContextWidth(); cw > 0 {
			j.m.SetContext(j.c[:cw])
		}
		j.m.Velocity(j.ts[0], j.x[:j.m.Dim()], v[:j.m.Dim()])
		compareRows(t, j.name+" folded", v[:j.m.Dim()], want[:j.m.Dim()])
	}
}
