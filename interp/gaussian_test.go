package interp

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func gaussTest(t *testing.T, ip Interpolant) *GaussianField {
	g, err := NewGaussianField(ip, []float64{1, -2}, []float64{0.5, 2})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestGaussianFieldIsTheFlow: v = ∂t Flow, the divergence is the trace of the Jacobian, and
// the log-density satisfies the continuity equation ∂t log ρ + v·∇log ρ + div v = 0, all
// checked by finite differences in float64 around float32 points.
func TestGaussianFieldIsTheFlow(t *testing.T) {
	for _, ip := range allInterps(t) {
		g := gaussTest(t, ip)
		x := []float32{0.4, -1.1}
		for _, tt := range []float64{0.1, 0.5, 0.9} {
			const h = 1e-4
			xp, xm := make([]float32, 2), make([]float32, 2)
			g.Flow(tt, tt+h, x, xp)
			g.Flow(tt, tt-h, x, xm)
			v := make([]float32, 2)
			g.Velocity(tt, x, v)
			for j := range v {
				fd := (float64(xp[j]) - float64(xm[j])) / (2 * h)
				if math.Abs(fd-float64(v[j])) > 2e-3 {
					t.Errorf("%s t=%v: v[%d] = %v, ∂t Flow = %v", ip.Name(), tt, j, v[j], fd)
				}
			}
			// Jacobian trace by differences in x (the field is affine: exact up to rounding)
			tr := 0.0
			for j := range x {
				y := append([]float32(nil), x...)
				y[j] += 0.5
				vp := make([]float32, 2)
				g.Velocity(tt, y, vp)
				tr += (float64(vp[j]) - float64(v[j])) / 0.5
			}
			if math.Abs(tr-g.Divergence(tt)) > 1e-5 {
				t.Errorf("%s t=%v: divergence %v, Jacobian trace %v", ip.Name(), tt, g.Divergence(tt), tr)
			}
			div := make([]float64, 1)
			g.VelocityDiv(tt, x, v, div)
			if math.Abs(div[0]-g.Divergence(tt)) > 1e-12 {
				t.Errorf("%s: VelocityDiv %v vs Divergence %v", ip.Name(), div[0], g.Divergence(tt))
			}
			// continuity equation
			dlt := (g.LogDensity(tt+h, x) - g.LogDensity(tt-h, x)) / (2 * h)
			s := make([]float32, 2)
			g.Score(tt, x, s)
			res := dlt + float64(v[0])*float64(s[0]) + float64(v[1])*float64(s[1]) + g.Divergence(tt)
			if math.Abs(res) > 1e-4 {
				t.Errorf("%s t=%v: continuity residual %g", ip.Name(), tt, res)
			}
		}
	}
}

// TestGaussianFieldIsConditionalExpectation: v(t, x_t) = E[İ | x_t], so the residual
// İ − v(x_t) is orthogonal to 1 and to x_t (Monte Carlo over x0, x1, z).
func TestGaussianFieldIsConditionalExpectation(t *testing.T) {
	const n = 40000
	rng := rand.New(rand.NewPCG(3, 4))
	for _, ip := range allInterps(t) {
		g := gaussTest(t, ip)
		n0, isNoisy := ip.(Noisy)
		for _, tt := range []float64{0.3, 0.8} {
			a, b, da, db := ip.Coeffs(tt)
			var gm, dg float64
			if isNoisy {
				gm, dg = n0.Gamma(tt)
			}
			var sum [2][3]float64
			var sq [2][3]float64
			xt, v := make([]float32, 2), make([]float32, 2)
			for i := 0; i < n; i++ {
				var it [2]float64
				for j := 0; j < 2; j++ {
					x0, z := rng.NormFloat64(), rng.NormFloat64()
					x1 := g.Mean[j] + g.Std[j]*rng.NormFloat64()
					xt[j] = float32(a*x0 + b*x1 + gm*z)
					it[j] = da*x0 + db*x1 + dg*z
				}
				g.Velocity(tt, xt, v)
				for j := 0; j < 2; j++ {
					r := it[j] - float64(v[j])
					for k, phi := range [3]float64{1, float64(xt[0]), float64(xt[1])} {
						sum[j][k] += r * phi
						sq[j][k] += r * r * phi * phi
					}
				}
			}
			for j := 0; j < 2; j++ {
				for k := 0; k < 3; k++ {
					m := sum[j][k] / n
					se := math.Sqrt((sq[j][k]/n - m*m) / n)
					if math.Abs(m) > 4.5*se+1e-6 {
						t.Errorf("%s t=%v: E[(İ−v)_%d·φ_%d] = %.4f ± %.4f", ip.Name(), tt, j, k, m, se)
					}
				}
			}
		}
	}
}

// TestScoreFromVelocity: the score recovered from the exact velocity equals the exact score
// of the marginal; for Trig it is −x + (2/π)·tan(πt/2)·v; it is refused at t = 1.
func TestScoreFromVelocity(t *testing.T) {
	x := []float32{0.4, -1.1, 2.5, 0.3}
	v, s, want := make([]float32, 4), make([]float32, 4), make([]float32, 4)
	for _, ip := range allInterps(t) {
		g := gaussTest(t, ip)
		for _, tt := range []float64{0.05, 0.3, 0.7, 0.95, 0.999} {
			g.Velocity(tt, x, v)
			if err := ScoreFromVelocity(ip, tt, x, v, s); err != nil {
				if tt == 0.999 && errors.Is(err, ErrScoreSingular) {
					continue // (1 − t)² interpolant: a·(a·ḃ − ȧ·b) ≈ 2e-9 is refused
				}
				t.Fatal(err)
			}
			g.Score(tt, x, want)
			for i := range s {
				tol := 1e-4 * (1 + math.Abs(float64(want[i]))) / max(1e-3, 1-tt)
				if math.Abs(float64(s[i]-want[i])) > tol {
					t.Errorf("%s t=%v: score[%d] = %v, exact %v", ip.Name(), tt, i, s[i], want[i])
				}
			}
			if _, ok := ip.(Trig); ok {
				c := 2 / math.Pi * math.Tan(math.Pi/2*tt)
				for i := range s {
					w := -float64(x[i]) + c*float64(v[i])
					if math.Abs(float64(s[i])-w) > 1e-5*(1+math.Abs(w)) {
						t.Errorf("trig t=%v: score %v, closed form %v", tt, s[i], w)
					}
				}
			}
		}
		for _, tt := range []float64{1, 1.5, -0.1, math.NaN()} {
			if err := ScoreFromVelocity(ip, tt, x, v, s); !errors.Is(err, ErrScoreSingular) {
				t.Errorf("%s t=%v: got %v, want ErrScoreSingular", ip.Name(), tt, err)
			}
		}
	}
}

func TestNewGaussianFieldRejects(t *testing.T) {
	for _, c := range []struct{ m, s []float64 }{
		{nil, nil}, {[]float64{1}, []float64{1, 2}}, {[]float64{1}, []float64{0}},
		{[]float64{1}, []float64{math.Inf(1)}}, {[]float64{math.NaN()}, []float64{1}},
	} {
		if _, err := NewGaussianField(Trig{}, c.m, c.s); err == nil {
			t.Errorf("mean %v std %v: no error", c.m, c.s)
		}
	}
}
