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
			// The vectorized kernel against the reference over a range crossing every
			// branch, in chunks longer than its internal one, aliased in place.
			var xs []float32
			for v := -30.0; v <= 30; v += 0.0371 {
				xs = append(xs, float32(v))
			}
			xs = append(xs, 0, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)))
			d := append([]float32(nil), xs...)
			ActDeriv2(a, d, d)
			for i, x := range xs {
				want := RefActDeriv2(a, x)
				if x != x {
					if d[i] == d[i] {
						t.Errorf("ActDeriv2(NaN) = %g, want NaN", d[i])
					}
					continue
				}
				if !(math.Abs(float64(d[i]-want)) <= 2e-6*(1+math.Abs(float64(want)))) {
					t.Errorf("ActDeriv2(%g) = %g, reference %g", x, d[i], want)
				}
			}
		})
	}
}
