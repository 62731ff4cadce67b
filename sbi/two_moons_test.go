package sbi

import (
	"math"
	"math/rand/v2"
	"testing"
)

// abcTwoMoons returns n draws of rejection ABC for x_o: θ ~ prior, x ~ simulator, θ kept
// when |x − x_o| < eps. It knows nothing of the reference sampler.
func abcTwoMoons(xo []float64, eps float64, n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 21))
	out := make([]float64, 0, 2*n)
	for len(out) < 2*n {
		t0, t1 := 2*rng.Float64()-1, 2*rng.Float64()-1
		// The simulator (TwoMoons.Simulate) inlined, without its allocation.
		p0, p1 := tmDrawP(rng)
		g0, g1 := tmG(t0, t1)
		if math.Hypot(p0+g0-xo[0], p1+g1-xo[1]) < eps {
			out = append(out, t0, t1)
		}
	}
	return out
}

// blurred returns n exact draws of the ABC target p(θ | |x − x_o| < eps) built from a
// reference proposal: x' uniform in the eps-disc around x_o, then one proposal of the exact
// sampler for x'. The proposal is valid with probability Z(x') ∝ p(x'), so an accepted θ is
// a draw of ∫_disc p(θ | x') p(x') dx' / ∫_disc p(x') dx', the ABC posterior with a uniform
// kernel. With propose = sbibmPropose it is the same construction from sbibm's sampler.
func blurred(propose func(rng *rand.Rand, x0, x1 float64) (float64, float64, bool), xo []float64, eps float64, n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 22))
	out := make([]float64, 0, 2*n)
	for len(out) < 2*n {
		var dx, dy float64
		for {
			dx, dy = 2*rng.Float64()-1, 2*rng.Float64()-1
			if dx*dx+dy*dy < 1 {
				break
			}
		}
		if t0, t1, ok := propose(rng, xo[0]+eps*dx, xo[1]+eps*dy); ok {
			out = append(out, t0, t1)
		}
	}
	return out
}

// sbibmPropose is one proposal of sbibm's two_moons reference sampler (tasks/two_moons/
// task.py, _sample_reference_posterior): q0 = p0 − x_o,0, its sign flipped with probability
// ½ whatever it is, q1 = x_o,1 − p1, θ = R(π/4)·q, kept when θ is in the prior box.
func sbibmPropose(rng *rand.Rand, x0, x1 float64) (t0, t1 float64, ok bool) {
	p0, p1 := tmDrawP(rng)
	q0, q1 := p0-x0, x1-p1
	if rng.Uint64()&1 == 1 {
		q0 = -q0
	}
	t0, t1 = (q0-q1)/math.Sqrt2, (q0+q1)/math.Sqrt2
	return t0, t1, math.Abs(t0) <= 1 && math.Abs(t1) <= 1
}

// compareTwoSample runs two-sample KS tests of a against b on θ1, θ2, θ1 + θ2 and θ2 − θ1 and
// returns the smallest p-value (Bonferroni over the four is left to the caller).
func compareTwoSample(a, b []float64) (minP float64, worst []float64) {
	minP = 1
	for _, w := range [][]float64{{1, 0}, {0, 1}, {1, 1}, {-1, 1}} {
		_, p := ks2(projection(a, w), projection(b, w), float64(len(a)/2), float64(len(b)/2))
		if p < minP {
			minP, worst = p, w
		}
	}
	return minP, worst
}

// TestTwoMoonsABC compares the reference posterior with rejection ABC near x_o (eps = 0.01,
// 0.02 under -short) for a reference observation with x_o,0 < 0.25 and for tmHighX (x_o,0 = 0.324): ABC draws
// against exact draws of the same ABC target built from the reference sampler. sbibm's
// sampler passes the first and must fail the second.
func TestTwoMoonsABC(t *testing.T) {
	nABC, eps := 3000, 0.01
	if testing.Short() {
		nABC, eps = 1500, 0.02
	}
	_, xo1, _ := TwoMoons{}.Observation(1)
	for i, xo := range [][]float64{xo1, tmHighX} {
		abc := abcTwoMoons(xo, eps, nABC, uint64(i))
		ref := blurred(tmPropose, xo, eps, 20000, uint64(i))
		p, w := compareTwoSample(abc, ref)
		t.Logf("x_o = %.4f: ABC (%d draws, eps %g) vs reference: min KS p = %.3g (direction %v)", xo, nABC, eps, p, w)
		if p < 1e-3/4 {
			t.Errorf("x_o = %v: reference and ABC differ along %v: KS p = %.3g", xo, w, p)
		}
		bad := blurred(sbibmPropose, xo, eps, 20000, uint64(i)+10)
		pb, wb := compareTwoSample(abc, bad)
		t.Logf("x_o = %.4f: ABC vs sbibm's sampler: min KS p = %.3g (direction %v)", xo, pb, wb)
		switch {
		case xo[0] <= tmOffset && pb < 1e-3/4:
			t.Errorf("x_o = %v (x_o,0 ≤ 0.25, where sbibm's sampler is exact): ABC rejects it, p = %.3g", xo, pb)
		case xo[0] > tmOffset && pb > 1e-6:
			t.Errorf("x_o = %v (x_o,0 > 0.25): ABC does not reject sbibm's sampler, p = %.3g", xo, pb)
		}
	}
}

// TestTwoMoonsSbibmSampler checks that tmHighX exercises sbibm's error (more than a tenth of
// the simulator's noise points have p0 < x_o,0, the proposals sbibm keeps and the reference
// rejects: Monte Carlo against a quadrature over the angle) and that the histogram test of
// TestDensityGrid rejects sbibm's draws there.
func TestTwoMoonsSbibmSampler(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	xo := tmHighX
	var bad, total int
	for total < 200000 {
		p0, _ := tmDrawP(rng)
		total++
		if p0 < xo[0] {
			bad++
		}
	}
	c := xo[0] - tmOffset // P(r cos a < c) = ∫ Φ((c/cos a − 0.1)/0.01) da/π
	frac := integrate(func(a float64) float64 {
		return normProb(math.Inf(-1), (c/math.Cos(a)-tmRLoc)/tmRScale) / math.Pi
	}, -math.Pi/2, math.Pi/2, 64, 1e-12)
	got := float64(bad) / float64(total)
	t.Logf("x_o,0 = %.4f: %.4f of noise points have p0 < x_o,0 (quadrature %.4f)", xo[0], got, frac)
	if math.Abs(got-frac) > 5*math.Sqrt(frac*(1-frac)/float64(total)) || frac < 0.1 {
		t.Errorf("fraction %.5f, quadrature %.5f", got, frac)
	}
	draws := make([]float64, 0, 2*50000)
	for len(draws) < cap(draws) {
		if t0, t1, ok := sbibmPropose(rng, xo[0], xo[1]); ok {
			draws = append(draws, t0, t1)
		}
	}
	dc := densityCase{task: TwoMoons{}, xo: xo}
	_, dof, p, _ := hist2DTest(draws, pointDensity(t, TwoMoons{}, xo), dc.breaks(), -1, 1, -1, 1, 40)
	t.Logf("sbibm's sampler against the density: χ² p = %.3g (dof %d)", p, dof)
	if p > 1e-6 {
		t.Errorf("the histogram test does not reject sbibm's sampler at x_o = %v: p = %.3g", xo, p)
	}
}
