package sbi

import (
	"math"
	"math/rand/v2"
	"testing"
)

// These tests check each simulator against its closed-form likelihood by routes that do not
// share the likelihood's code.

func TestGaussianLinearSimulator(t *testing.T) {
	var task GaussianLinear
	rng := rand.New(rand.NewPCG(3, 1))
	theta := task.SamplePrior(rng, 1)
	const n = 20000
	th := make([]float64, 0, n*10)
	for range n {
		th = append(th, theta...)
	}
	x := task.Simulate(rng, th)
	for k := range 10 {
		cdf := func(v float64) float64 { return normCDF((v - theta[k]) / math.Sqrt(0.1)) }
		if _, p := ks1(column(x, 10, k), cdf); p < 1e-3 {
			t.Errorf("x%d | θ fails KS against N(θ%d, 0.1): p = %.3g", k+1, k+1, p)
		}
	}
	// Coordinates are independent: sample correlations within 5 standard errors of 0.
	_, cov := meanCov(x, 10)
	for a := range 10 {
		for b := range a {
			if r := cov[a*10+b] / math.Sqrt(cov[a*10+a]*cov[b*10+b]); math.Abs(r) > 5/math.Sqrt(n) {
				t.Errorf("corr(x%d, x%d) = %.4f", a+1, b+1, r)
			}
		}
	}
	// LogLikelihood against −|x − θ|²/(2·0.1) − 5·log(2π·0.1).
	for i := range 20 {
		xi := x[i*10 : (i+1)*10]
		var s float64
		for k := range 10 {
			s += (xi[k] - theta[k]) * (xi[k] - theta[k])
		}
		want := -s/0.2 - 5*math.Log(2*math.Pi*0.1)
		if got := task.LogLikelihood(theta, xi); math.Abs(got-want) > 1e-12*math.Abs(want) {
			t.Errorf("LogLikelihood = %.15g, want %.15g", got, want)
		}
	}
}

// histLikelihood simulates n draws of x for one θ of a 2-D task and compares their
// histogram with bin integrals of exp(loglik(θ, ·)) by χ², returning the p-value and the
// integral of the likelihood over the grid.
func histLikelihood(task Task, theta []float64, loglik func(theta, x []float64) float64, n int, seed uint64, lo0, hi0, lo1, hi1 float64, nb int) (p, mass float64, dof int) {
	rng := rand.New(rand.NewPCG(seed, 9))
	th := make([]float64, 0, 2*n)
	for range n {
		th = append(th, theta...)
	}
	x := task.Simulate(rng, th)
	dens := func(a, b float64) float64 { return math.Exp(loglik(theta, []float64{a, b})) }
	_, dof, p, mass = hist2DTest(x, dens, nil, lo0, hi0, lo1, hi1, nb)
	return p, mass, dof
}

func TestTwoMoonsSimulator(t *testing.T) {
	var task TwoMoons
	n := 200000
	if testing.Short() {
		n = 50000
	}
	for i, theta := range [][]float64{{0.3, -0.5}, {-0.7, 0.1}, {0.02, -0.01}} {
		g0, g1 := tmG(theta[0], theta[1])
		// The noise point p lies in the half-annulus of radii 0.05..0.15 right of (0.25, 0);
		// the density jumps at p0 = 0.25, the left edge of the grid.
		lo0, hi0, lo1, hi1 := g0+0.25, g0+0.40, g1-0.15, g1+0.15
		p, mass, dof := histLikelihood(task, theta, task.LogLikelihood, n, uint64(i), lo0, hi0, lo1, hi1, 30)
		t.Logf("θ = %v: histogram vs likelihood χ² p = %.3g (dof %d), ∫ likelihood over the grid = %.6f", theta, p, dof, mass)
		if p < 1e-3 || math.Abs(mass-1) > 2e-3 {
			t.Errorf("θ = %v: simulator and LogLikelihood disagree: p = %.3g, mass %.6f", theta, p, mass)
		}
		if i > 0 {
			continue
		}
		// Power: sbibm's likelihood N(ρ; 0.1, 0.01²) lacks the Jacobian 1/(πρ); normalized
		// over the same grid it must be rejected.
		sbibm := func(th, x []float64) float64 {
			a, b := tmG(th[0], th[1])
			u, v := x[0]-a-tmOffset, x[1]-b
			if u < 0 {
				return math.Inf(-1)
			}
			return normLogPDF(math.Hypot(u, v), tmRLoc, tmRScale)
		}
		_, m0, _ := histLikelihood(task, theta, sbibm, 10, 0, lo0, hi0, lo1, hi1, 30)
		norm := func(th, x []float64) float64 { return sbibm(th, x) - math.Log(m0) }
		p, _, _ = histLikelihood(task, theta, norm, n, uint64(i), lo0, hi0, lo1, hi1, 30)
		t.Logf("sbibm's likelihood without the polar Jacobian, normalized on the grid: p = %.3g", p)
		if p > 1e-6 {
			t.Errorf("the histogram test does not reject the likelihood without Jacobian: p = %.3g", p)
		}
	}
}

func TestGaussianMixtureSimulator(t *testing.T) {
	var task GaussianMixture
	n := 200000
	if testing.Short() {
		n = 50000
	}
	for i, theta := range [][]float64{{1.5, -2}, {-9.9, 9.5}} {
		// Two grids: the broad component over ±4.5, and the narrow one over ±0.4.
		p, mass, dof := histLikelihood(task, theta, task.LogLikelihood, n, uint64(i), theta[0]-4.5, theta[0]+4.5, theta[1]-4.5, theta[1]+4.5, 30)
		t.Logf("θ = %v: broad grid χ² p = %.3g (dof %d), mass %.6f", theta, p, dof, mass)
		if p < 1e-3 || math.Abs(mass-1) > 1e-3 {
			t.Errorf("θ = %v broad grid: p = %.3g, mass %.6f", theta, p, mass)
		}
		p, mass, dof = histLikelihood(task, theta, task.LogLikelihood, n, uint64(i)+10, theta[0]-0.4, theta[0]+0.4, theta[1]-0.4, theta[1]+0.4, 30)
		// Mass on the narrow grid: ½·P(|z| < 4)² for σ = 0.1 plus ½·P(|z| < 0.4)² for σ = 1.
		want := 0.5*math.Pow(normProb(-4, 4), 2) + 0.5*math.Pow(normProb(-0.4, 0.4), 2)
		t.Logf("θ = %v: narrow grid χ² p = %.3g (dof %d), mass %.6f (closed form %.6f)", theta, p, dof, mass, want)
		if p < 1e-3 || math.Abs(mass-want) > 1e-4 {
			t.Errorf("θ = %v narrow grid: p = %.3g, mass %.6f, want %.6f", theta, p, mass, want)
		}
	}
}

func TestSLCPSimulator(t *testing.T) {
	var task SLCP
	const n = 20000
	for i, theta := range [][]float64{{0.7, -1.2, 1.1, -0.8, 0.9}, {-2.5, 2.9, -0.4, 1.9, -2.7}} {
		rng := rand.New(rand.NewPCG(11, uint64(i)))
		th := make([]float64, 0, n*5)
		for range n {
			th = append(th, theta...)
		}
		x := task.Simulate(rng, th)
		// Σ from the definition, computed here: s = θ², ρ = tanh θ5, ε = 1e-6.
		s1, s2, rho := math.Pow(theta[2], 2), math.Pow(theta[3], 2), math.Tanh(theta[4])
		S := [3]float64{s1*s1 + 1e-6, rho * s1 * s2, s2*s2 + 1e-6}
		// Pool the four pairs: each is N(m, Σ), and pairs are independent.
		pairs := make([]float64, 0, 8*n)
		pairs = append(pairs, x...)
		mean, cov := meanCov(pairs, 2) // rows of 2
		N := float64(4 * n)
		se := [3]float64{math.Sqrt(S[0] / N), 0, math.Sqrt(S[2] / N)}
		for k := range 2 {
			if z := (mean[k] - theta[k]) / se[2*k]; math.Abs(z) > 5 {
				t.Errorf("θ = %v: mean of x_%d off by %.1f standard errors", theta, k+1, z)
			}
		}
		// Var(ŝ_ab) ≈ (Σ_aa Σ_bb + Σ_ab²)/N for Gaussian data.
		for ab, idx := range [3][2]int{{0, 0}, {0, 1}, {1, 1}} {
			a, b := idx[0], idx[1]
			saa, sbb := S[2*a], S[2*b]
			sab := S[ab]
			if z := (cov[a*2+b] - sab) / math.Sqrt((saa*sbb+sab*sab)/N); math.Abs(z) > 5 {
				t.Errorf("θ = %v: Σ_%d%d estimated %.6g, want %.6g (%.1f standard errors)", theta, a+1, b+1, cov[a*2+b], sab, z)
			}
		}
		// Within a simulation the pairs are independent: correlation of x_1,1 and x_2,1.
		_, c8 := meanCov(x, 8)
		if r := c8[0*8+2] / math.Sqrt(c8[0]*c8[2*8+2]); math.Abs(r) > 5/math.Sqrt(n) {
			t.Errorf("θ = %v: corr(x_1,1, x_2,1) = %.4f", theta, r)
		}
		// Mahalanobis d² of each pair is χ²₂, so exp(−d²/2) is U(0, 1).
		det := S[0]*S[2] - S[1]*S[1]
		u := make([]float64, 0, 4*n)
		for j := 0; j < len(x); j += 2 {
			d0, d1 := x[j]-theta[0], x[j+1]-theta[1]
			d2 := (S[2]*d0*d0 - 2*S[1]*d0*d1 + S[0]*d1*d1) / det
			u = append(u, math.Exp(-d2/2))
		}
		if _, p := ks1(u, func(v float64) float64 { return min(max(v, 0), 1) }); p < 1e-3 {
			t.Errorf("θ = %v: Mahalanobis distances fail KS against χ²₂, p = %.3g", theta, p)
		}
		// LogLikelihood against the factorization p(x1) p(x2 | x1) of each pair.
		for r := range 10 {
			xr := x[r*8 : (r+1)*8]
			var want float64
			for j := range 4 {
				a, b := xr[2*j], xr[2*j+1]
				cm := theta[1] + S[1]/S[0]*(a-theta[0])
				cv := S[2] - S[1]*S[1]/S[0]
				want += normLogPDF(a, theta[0], math.Sqrt(S[0])) + normLogPDF(b, cm, math.Sqrt(cv))
			}
			if got := task.LogLikelihood(theta, xr); math.Abs(got-want) > 1e-9*math.Abs(want) {
				t.Errorf("θ = %v: LogLikelihood = %.12g, want %.12g", theta, got, want)
			}
		}
	}
}
