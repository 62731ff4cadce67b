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
	// The probe's loop really runs: a longer run takes longer (guards against a kernel that
	// returns at once, which would report an absurd rate).
	run, fpi := peakKernel()
	if fpi <= 0 {
		t.Fatal("no FLOPs per iteration")
	}
	t0 := time.Now()
	run(1)
	short := time.Since(t0)
	t0 = time.Now()
	run(int(2e9 / fpi)) // ~2 GFLOP: tens of ms on any machine
	long := time.Since(t0)
	if long < 10*short || long < time.Millisecond {
		t.Errorf("probe of ~2 GFLOP took %v (one iteration %v)", long, short)
	}
}
