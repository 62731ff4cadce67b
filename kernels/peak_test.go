package kernels

import (
	"testing"
	"time"
)

func TestFMAPeak(t *testing.T) {
	// Only a sanity range: no timing assertion beyond "positive and not absurd".
	for _, th := range []int{1, 2} {
		g := FMAPeak(th, 20*time.Millisecond)
		if !(g > 0.01 && g < 1e5) {
			t.Errorf("FMAPeak(%d) = %g GFLOP/s", th, g)
		}
		t.Logf("FMAPeak(%d threads) = %.1f GFLOP/s", th, g)
	}
}

func TestFMAPeakKernelCounts(t *testing.T) {
	// The probe's loop really runs: it returns the sum of its accumulators, each of which
	// gained 1 per iteration, so the sum is FLOPs/2 per iteration times n (exact here).
	run, fpi := peakKernel()
	for _, n := range []int{1, 2, 1000} {
		if got, want := run(n), float32(fpi/2*float64(n)); got != want {
			t.Errorf("probe(%d) accumulated %g, want %g", n, got, want)
		}
	}
}
