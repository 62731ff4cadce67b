package kernels

import (
	"math"
	"testing"
)

// TestActDeriv2 checks act” against a central finite difference of act' (computed in
// float64 from RefActDeriv's formulas via float32 inputs spaced far enough apart).
func TestActDeriv2(t *testing.T) {
	for a := Identity; a < numActs; a++ {
		t.Run(a.String(), func(t *testing.T) {
			for _, x := range []float64{-6, -3.3, -1.7, -1, -0.4, -0.05, 0.05, 0.3, 0.9, 1.6, 2.5, 4, 7} {
				if a == ReLU || a == ELU {
					if math.Abs(x) < 0.1 {
						continue // kink at 0
					}
				}
				const h = 1.0 / 256 // exact in float32
				fp := float64(RefActDeriv(a, float32(x+h)))
				fm := float64(RefActDeriv(a, float32(x-h)))
				fd := (fp - fm) / (2 * h)
				got := float64(RefActDeriv2(a, float32(x)))
				// FD truncation O(h²·act''''), plus float32 rounding of act' / h.
				tol := 2e-4 + 1e-3*math.Abs(fd)
				if math.Abs(got-fd) > tol {
					t.Errorf("%v''(%g) = %g, finite difference %g", a, x, got, fd)
				}
			}
			xs := []float32{-2, -0.5, 0, 0.5, 2, float32(math.NaN())}
			d := make([]float32, len(xs))
			ActDeriv2(a, xs, d)
			for i, x := range xs[:5] {
				if d[i] != RefActDeriv2(a, x) {
					t.Errorf("ActDeriv2(%g) = %g, want %g", x, d[i], RefActDeriv2(a, x))
				}
			}
			if !math.IsNaN(float64(d[5])) && a != Identity && a != ReLU {
				t.Errorf("ActDeriv2(NaN) = %g, want NaN", d[5])
			}
		})
	}
}
