package main

// Tests of `flowbench bench`, run in process: the JSON lines of the kernels, train and
// objectives groups, and an unknown --only.

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchKernelsJSON runs one GEMM shape of `bench kernels --json` and checks the fields of
// each line: op, m, k, n and threads as JSON integers, the rates consistent with ms and
// gflop, and a summary line last.
func TestBenchKernelsJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a timed benchmark")
	}
	lines := jsonLines(t, 3, "bench", "kernels", "--only", "sgemm_nn_1024_65_512,sgemm_tn_4096_256_256", "--json")
	for _, l := range lines[:2] {
		wantPositiveInts(t, l, "m", "k", "n", "threads")
		var r struct {
			Op        string
			M, K, N   int
			Impl      string
			Ms, Gflop float64
			Gflops    float64
			PeakGF    float64 `json:"peak_gflops"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(r.Op, "sgemm_") || r.Impl == "" || r.Ms <= 0 {
			t.Errorf("line %q: bad op, impl or ms", l)
		}
		if want := 2 * float64(r.M) * float64(r.K) * float64(r.N) / 1e9; r.Gflop != want {
			t.Errorf("line %q: gflop %v, want %v", l, r.Gflop, want)
		}
		if g := r.Gflop / (r.Ms / 1e3); (r.Gflops-g)/g > 1e-9 || (g-r.Gflops)/g > 1e-9 {
			t.Errorf("line %q: gflops %v, want gflop/seconds = %v", l, r.Gflops, g)
		}
	}
	if !strings.Contains(lines[2], `"summary":"kernels"`) {
		t.Errorf("last line %q is not the summary", lines[2])
	}
}

// TestBenchNNJSON runs the smallest nn workload (one W-train-64d step, timed) and checks the
// fields of its line and the summary.
func TestBenchNNJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a timed benchmark")
	}
	lines := jsonLines(t, 2, "bench", "train", "--only", "W-train-64d", "--json")
	wantPositiveInts(t, lines[0], "threads", "dim", "width", "batch")
	var r struct {
		Workload string
		Impl     string
		MS       float64 `json:"ms_per_step"`
		MinMS    float64 `json:"min_ms"`
		Gflop    float64
		Gflops   float64
	}
	if err := json.Unmarshal([]byte(lines[0]), &r); err != nil {
		t.Fatal(err)
	}
	if r.Workload != "W-train-64d" || r.Impl == "" || r.MS <= 0 || r.MinMS <= 0 || r.MinMS > r.MS {
		t.Errorf("bad line %q", lines[0])
	}
	// 6·B·Σ fan_in·fan_out for 65→512→512→512→64 at batch 1024.
	if want := 6 * 1024 * (65*512 + 2*512*512 + 512*64) / 1e9; math.Abs(r.Gflop-want) > 1e-12 {
		t.Errorf("gflop %v, want %v", r.Gflop, want)
	}
	if g := r.Gflop / (r.MS / 1e3); math.Abs(r.Gflops-g) > 1e-9*g {
		t.Errorf("gflops %v, want %v", r.Gflops, g)
	}
	if !strings.Contains(lines[1], `"summary":"train"`) {
		t.Errorf("last line %q is not the summary", lines[1])
	}
}

// An unknown --only name is a usage error (exit 2) on one line, in every group: it names
// the input and lists the group's workloads (objectives, which has none, says so), and
// nothing is run or printed.
func TestBenchNNOnlyUnknown(t *testing.T) {
	for group := range benchGroups {
		t.Run(group, func(t *testing.T) {
			r := runInProcess("bench", group, "--only", "W-nope", "--json")
			if r.code != 2 || r.stdout != "" {
				t.Fatalf("exit %d, stdout %q, want exit 2 and nothing: %s", r.code, r.stdout, r.stderr)
			}
			want := `"W-nope"`
			if group == "objectives" || group == "couplings" {
				want = "no workloads"
			}
			if !strings.Contains(r.stderr, want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Fatalf("stderr %q does not name the input on one line", r.stderr)
			}
			if group != "objectives" && group != "couplings" && !strings.Contains(r.stderr, "(want ") {
				t.Fatalf("stderr %q does not list the valid names", r.stderr)
			}
		})
	}
}

// TestBenchObjectives runs `flowbench bench objectives` in-process with a tiny budget and
// checks the JSON lines (both objectives, the fields the issue names, summaries) and the
// PNG; bad flags are usage errors.
func TestBenchObjectives(t *testing.T) {
	png := filepath.Join(t.TempDir(), "o.png")
	r := runInProcess("bench", "objectives", "--data", "8gaussians", "--budget", "0.4", "--every", "0.1",
		"--width", "16", "--depth", "2", "--batch", "64", "--test-n", "200", "--mle-steps", "4", "--png", png, "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	seen := map[string]int{}
	summaries := 0
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if m["summary"] == "objectives" {
			summaries++
			continue
		}
		for _, k := range []string{"objective", "elapsed_s", "nll", "nfe_per_step"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %q lacks %s", line, k)
			}
		}
		seen[m["objective"].(string)]++
	}
	if seen["interpolant"] < 2 || seen["mle"] < 2 || summaries != 2 {
		t.Errorf("points per objective %v, %d summaries", seen, summaries)
	}
	if b, err := os.ReadFile(png); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("no PNG written: %v", err)
	}
	for _, args := range [][]string{
		{"bench", "objectives", "--budget", "-1"},
		{"bench", "objectives", "--mle-grad", "sideways"},
		{"bench", "objectives", "--data", "nonesuch"},
	} {
		if r := runInProcess(args...); r.code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
}
