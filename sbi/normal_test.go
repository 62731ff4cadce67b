package sbi

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestNormQuantile(t *testing.T) {
	// Φ(Φ⁻¹(p)) = p in relative terms on both tails, Φ computed by math.Erfc.
	for e := -300.0; e <= -0.31; e += 0.37 {
		for _, p := range []float64{math.Pow(10, e), 1 - math.Pow(10, e)} {
			x := normQuantile(p)
			var rel float64
			if p < 0.5 {
				rel = math.Abs(normCDF(x)/p - 1)
			} else {
				rel = math.Abs(normCDF(-x)/(1-p) - 1) // the upper tail, where p's rounding is exact
			}
			if rel > 1e-12 {
				t.Fatalf("normQuantile(%g) = %.17g: relative error of Φ %.3g", p, x, rel)
			}
		}
	}
	if q := normQuantile(0.5); q != 0 {
		t.Errorf("normQuantile(0.5) = %g", q)
	}
	if !math.IsInf(normQuantile(0), -1) || !math.IsInf(normQuantile(1), 1) || !math.IsNaN(normQuantile(-0.1)) {
		t.Errorf("normQuantile edge cases wrong")
	}
	// normProb keeps precision far in the upper tail: Φ(−9) − Φ(−10) by the lower tail.
	if got, want := normProb(9, 10), normCDF(-9)-normCDF(-10); math.Abs(got/want-1) > 1e-14 {
		t.Errorf("normProb(9, 10) = %g, want %g", got, want)
	}
}

func TestTruncNormal(t *testing.T) {
	// KS of draws against the truncated normal CDF (Φ(x) − Φ(a))/(Φ(b) − Φ(a)), computed in
	// the tail that keeps precision, on central, one-sided and far-tail intervals.
	for i, iv := range [][2]float64{{-1, 2}, {-0.5, 0.5}, {1, 8}, {8, 9}, {-30, -29.5}, {-3, 35}} {
		a, b := iv[0], iv[1]
		rng := rand.New(rand.NewPCG(5, uint64(i)))
		xs := make([]float64, 5000)
		for j := range xs {
			xs[j] = truncNormal(rng, a, b)
			if xs[j] < a || xs[j] > b {
				t.Fatalf("[%g, %g]: draw %g outside", a, b, xs[j])
			}
		}
		cdf := func(x float64) float64 { return normProb(a, x) / normProb(a, b) }
		if d, p := ks1(xs, cdf); p < 1e-3 {
			t.Errorf("[%g, %g]: KS D = %.4f, p = %.3g", a, b, d, p)
		}
	}
}

func TestIntegrate(t *testing.T) {
	var s float64
	for _, w := range wgk {
		s += 2 * w
	}
	s -= wgk[7]
	var g float64
	for _, w := range wg {
		g += 2 * w
	}
	g -= wg[3]
	if math.Abs(s-2) > 1e-15 || math.Abs(g-2) > 1e-15 {
		t.Errorf("Kronrod weights sum to %v, Gauss weights to %v; want 2", s, g)
	}
	cases := []struct {
		name      string
		f         func(float64) float64
		a, b, ref float64
	}{
		{"x^21", func(x float64) float64 { return math.Pow(x, 21) }, 0, 1, 1.0 / 22},
		{"cos", math.Cos, 0, math.Pi / 2, 1},
		{"kink |x-0.3|", func(x float64) float64 { return math.Abs(x - 0.3) }, 0, 1, 0.29},
		{"narrow bump", func(x float64) float64 { return math.Exp(normLogPDF(x, 0.123, 1e-3)) }, 0, 1, 1},
		{"step", func(x float64) float64 {
			if x > 1/math.Pi {
				return 1
			}
			return 0
		}, 0, 1, 1 - 1/math.Pi},
	}
	for _, c := range cases {
		got := integrate(c.f, c.a, c.b, 64, 1e-11)
		if math.Abs(got-c.ref) > 1e-9 {
			t.Errorf("%s: ∫ = %.15g, want %.15g", c.name, got, c.ref)
		}
	}
}
