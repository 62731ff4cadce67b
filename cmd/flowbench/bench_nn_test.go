package main

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestBenchNNJSON runs the smallest nn workload (one W-train-64d step, timed) and checks the
// fields of its line and the summary.
func TestBenchNNJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a timed benchmark")
	}
	var out, errb bytes.Buffer
	code := run([]string{"bench", "train", "--only", "W-train-64d", "--json"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 1 result and a summary:\n%s", len(lines), out.String())
	}
	var rec map[string]json.RawMessage
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"threads", "dim", "width", "batch"} {
		var v int
		if err := json.Unmarshal(rec[f], &v); err != nil || v < 1 {
			t.Errorf("field %s = %s is not a positive JSON integer", f, rec[f])
		}
	}
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

// An unknown --only name is a usage error (exit 2) that names it.
func TestBenchNNOnlyUnknown(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"bench", "divergence", "--only", "W-nope", "--json"}, &out, &errb); code != 2 {
		t.Fatalf("exit %d, want 2: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), `"W-nope"`) || strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 {
		t.Fatalf("stderr %q does not name the input on one line", errb.String())
	}
}
