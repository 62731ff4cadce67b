package main

import (
	"bytes"
	"encoding/json"
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
	var out, errb bytes.Buffer
	code := run([]string{"bench", "kernels", "--only", "sgemm_nn_1024_65_512,sgemm_tn_4096_256_256", "--json"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 2 results and a summary:\n%s", len(lines), out.String())
	}
	for _, l := range lines[:2] {
		var rec map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		for _, f := range []string{"m", "k", "n", "threads"} {
			var v int
			if err := json.Unmarshal(rec[f], &v); err != nil || v < 1 {
				t.Errorf("line %q: field %s = %s is not a positive JSON integer", l, f, rec[f])
			}
		}
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
