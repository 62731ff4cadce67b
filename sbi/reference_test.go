package sbi

import (
	"math"
	"math/rand/v2"
	"testing"
)

// These tests validate the reference posteriors without trusting their derivations:
// simulation-based calibration over prior draws, densities that integrate to one and match
// histograms of the samplers' draws, Bayes' rule, and (in two_moons_test.go) rejection ABC.

// sbcSizes returns the trials and draws per trial of the SBC tests.
func sbcSizes() (trials, L int) {
	if testing.Short() {
		return 4000, 99
	}
	return 10000, 99
}

func TestSBC(t *testing.T) {
	trials, L := sbcSizes()
	for _, task := range []Task{GaussianLinear{}, GaussianMixture{}, TwoMoons{}} {
		ranks := sbcRanks(t, task, trials, L, 1, task.ReferencePosterior)
		checkSBC(t, task.Name(), ranks, L, 10, 1e-3)
	}
}

// TestSBCPower checks that the SBC test rejects wrong posteriors of the size its passes
// would otherwise hide: gaussian_linear with the standard deviation 15% too large or too
// small, or the mean off by 0.03 (0.13 posterior standard deviations). (A mean shrunk by 10%
// towards the prior mean is not seen at this size: SBC is blind to errors that average out
// over the prior predictive.)
func TestSBCPower(t *testing.T) {
	trials, L := sbcSizes()
	var task GaussianLinear
	for name, f := range map[string]func(xo []float64, k int, z float64) float64{
		"sd ×1.15":   func(xo []float64, k int, z float64) float64 { return 0.5*xo[k] + 1.15*math.Sqrt(0.05)*z },
		"sd ×0.85":   func(xo []float64, k int, z float64) float64 { return 0.5*xo[k] + 0.85*math.Sqrt(0.05)*z },
		"mean +0.03": func(xo []float64, k int, z float64) float64 { return 0.5*xo[k] + 0.03 + math.Sqrt(0.05)*z },
	} {
		wrong := func(rng *rand.Rand, xo []float64, n int) ([]float64, error) {
			out := make([]float64, n*10)
			for i := range out {
				out[i] = f(xo, i%10, rng.NormFloat64())
			}
			return out, nil
		}
		ranks := sbcRanks(t, task, trials, L, 1, wrong)
		rejected := 0
		for _, r := range ranks {
			if _, p := rankUniformityP(r, L, 10); p < 1e-3 {
				rejected++
			}
		}
		t.Logf("%s: %d of 10 coordinates rejected", name, rejected)
		if rejected < 8 {
			t.Errorf("SBC rejects the %s posterior in only %d of 10 coordinates", name, rejected)
		}
	}
}

func TestGaussianLinearReference(t *testing.T) {
	var task GaussianLinear
	const n = 100000
	for j := 1; j <= 3; j++ {
		_, xo, _ := task.Observation(j)
		post, err := task.ReferencePosterior(rand.New(rand.NewPCG(4, uint64(j))), xo, n)
		if err != nil {
			t.Fatal(err)
		}
		mean, cov := meanCov(post, 10)
		for a := range 10 {
			if z := (mean[a] - xo[a]/2) / math.Sqrt(0.05/n); math.Abs(z) > 5 {
				t.Errorf("obs %d: mean θ%d = %.5f, want %.5f (%.1f se)", j, a+1, mean[a], xo[a]/2, z)
			}
			for b := range 10 {
				want, se := 0.0, 0.05/math.Sqrt(n) // var of a sample covariance: (σ_aa σ_bb + σ_ab²)/n
				if a == b {
					want, se = 0.05, 0.05*math.Sqrt(2.0/n)
				}
				if z := (cov[a*10+b] - want) / se; math.Abs(z) > 5 {
					t.Errorf("obs %d: cov[%d][%d] = %.6f, want %.6f (%.1f se)", j, a, b, cov[a*10+b], want, z)
				}
			}
		}
	}
}

// TestBayesRule checks every closed-form posterior density against prior × likelihood:
// log p(θ | x_o) − log p(θ) − log p(x_o | θ) must be the same constant −log p(x_o) for
// every θ in the support; for gaussian_linear the evidence is N(x_o; 0, 0.2·I) in closed
// form, for gaussian_mixture Z/20², for two_moons Z/2 (the prior densities times the
// samplers' acceptance probabilities, see the types), checked here against the Monte Carlo
// acceptance rates of independent draws.
func TestBayesRule(t *testing.T) {
	for _, task := range []Task{GaussianLinear{}, GaussianMixture{}, TwoMoons{}} {
		ep := task.(ExactPosterior)
		for j := 1; j <= 4; j++ {
			_, xo, _ := task.Observation(j)
			rng := rand.New(rand.NewPCG(5, uint64(j)))
			th := append(task.SamplePrior(rng, 200), mustRef(t, task, rng, xo, 200)...)
			lp, err := ep.PosteriorLogProb(th, xo)
			if err != nil {
				t.Fatal(err)
			}
			d := task.ParamDim()
			var c0 float64
			first := true
			for i := range lp {
				row := th[i*d : (i+1)*d]
				joint := task.PriorLogProb(row) + task.LogLikelihood(row, xo)
				if math.IsInf(joint, -1) {
					if !math.IsInf(lp[i], -1) {
						t.Errorf("%s obs %d: density %v where prior × likelihood is 0", task.Name(), j, lp[i])
					}
					continue
				}
				if joint < -600 {
					continue // the difference of two tiny logarithms carries no information
				}
				c := lp[i] - joint
				if first {
					c0, first = c, false
				} else if math.Abs(c-c0) > 1e-9*max(1, math.Abs(c0)) {
					t.Fatalf("%s obs %d: log posterior − log joint varies: %.12g vs %.12g", task.Name(), j, c, c0)
				}
			}
			var want float64
			switch task.Name() {
			case "gaussian_linear":
				for _, v := range xo {
					want -= normLogPDF(v, 0, math.Sqrt(0.2))
				}
			case "gaussian_mixture", "two_moons":
				// −log p(x_o) = −log(acceptance · c) with c = 1/400 or 1/2; estimate the
				// acceptance of the untruncated proposal by Monte Carlo, independently of
				// the quadrature or the CDF products.
				acc := acceptance(task, xo, rand.New(rand.NewPCG(6, uint64(j))), 400000)
				c := 1.0 / 400
				if task.Name() == "two_moons" {
					c = 0.5
				}
				want = -math.Log(acc * c)
				se := math.Sqrt(max(1-acc, 1.0/400000) / (acc * 400000)) // binomial, floored at one draw
				if math.Abs(c0-want) > 5*se {
					t.Errorf("%s obs %d: −log evidence %.6f, Monte Carlo %.6f ± %.6f", task.Name(), j, c0, want, se)
				}
				continue
			}
			if math.Abs(c0-want) > 1e-9*math.Abs(want) {
				t.Errorf("%s obs %d: −log evidence %.12g, want %.12g", task.Name(), j, c0, want)
			}
		}
	}
}

// acceptance is the Monte Carlo acceptance rate of the plain rejection sampler for x_o: the
// untruncated mixture around x_o kept in the box (gaussian_mixture), or tmPropose
// (two_moons).
func acceptance(task Task, xo []float64, rng *rand.Rand, n int) float64 {
	acc := 0
	for range n {
		switch task.(type) {
		case GaussianMixture:
			s := gmSigma[rng.IntN(2)]
			a, b := xo[0]+s*rng.NormFloat64(), xo[1]+s*rng.NormFloat64()
			if math.Abs(a) <= 10 && math.Abs(b) <= 10 {
				acc++
			}
		case TwoMoons:
			if _, _, ok := tmPropose(rng, xo[0], xo[1]); ok {
				acc++
			}
		}
	}
	return float64(acc) / float64(n)
}

// mustRef returns n reference draws or fails t.
func mustRef(t *testing.T, task Task, rng *rand.Rand, xo []float64, n int) []float64 {
	t.Helper()
	post, err := task.ReferencePosterior(rng, xo, n)
	if err != nil {
		t.Fatalf("%s: x_o = %v: %v", task.Name(), xo, err)
	}
	return post
}

// densityCase is an observation of a 2-D task with the grid of bins that covers its
// posterior.
type densityCase struct {
	task     Task
	name     string
	xo       []float64
	lo0, hi0 float64
	lo1, hi1 float64
	nbins    int // histogram bins per axis
}

// breaks returns, for two_moons, the θ2 where the posterior density jumps for a given θ1:
// the ends of the moons, p0 = 0.25 with p = x_o − g(θ), i.e. |θ1 + θ2| = √2·(0.25 − x_o,0).
func (c densityCase) breaks() func(a float64) []float64 {
	if _, ok := c.task.(TwoMoons); !ok || c.xo[0] >= tmOffset {
		return nil
	}
	w := math.Sqrt2 * (tmOffset - c.xo[0])
	return func(a float64) []float64 { return []float64{-a - w, -a + w} }
}

// densityCases returns the 2-D checks: every reference observation of gaussian_mixture and
// two_moons (the first three under -short), an x_o of two_moons with x_o,0 > 0.25, and a
// gaussian_mixture x_o outside the prior box.
func densityCases() []densityCase {
	nobs := NumObservations
	if testing.Short() {
		nobs = 3
	}
	var cs []densityCase
	for j := 1; j <= nobs; j++ {
		_, xo, _ := GaussianMixture{}.Observation(j)
		cs = append(cs, gmCase("obs", xo))
		_, xo, _ = TwoMoons{}.Observation(j)
		cs = append(cs, densityCase{TwoMoons{}, "obs", xo, -1, 1, -1, 1, 40})
	}
	cs = append(cs, gmCase("outside box", []float64{10.6, -9.7}))
	cs = append(cs, densityCase{TwoMoons{}, "x_o,0 > 0.25", tmHighX, -1, 1, -1, 1, 40})
	return cs
}

// tmHighX is a two_moons observation with x_o,0 > 0.25, where sbibm's reference sampler
// errs; it is x = p + g(θ) for θ = (0.05, −0.08) and p = (0.25 + 0.1·cos 0.3, 0.1·sin 0.3).
var tmHighX = func() []float64 {
	g0, g1 := tmG(0.05, -0.08)
	return []float64{0.25 + 0.1*math.Cos(0.3) + g0, 0.1*math.Sin(0.3) + g1}
}()

// gmCase covers the gaussian_mixture posterior of xo by a grid of ±6 around x_o clipped to the
// box (the mass outside is below 1e-8).
func gmCase(name string, xo []float64) densityCase {
	clip := func(v float64) float64 { return min(max(v, -10), 10) }
	return densityCase{GaussianMixture{}, name, xo, clip(xo[0] - 6), clip(xo[0] + 6), clip(xo[1] - 6), clip(xo[1] + 6), 50}
}

// TestDensityGrid checks, for the 2-D tasks, that PosteriorLogProb integrates to 1 over a
// grid of bins covering the posterior (each bin by nested adaptive quadrature, split where
// the two_moons density jumps) and that a histogram of ReferencePosterior's draws on that
// grid matches the bin integrals by χ².
func TestDensityGrid(t *testing.T) {
	n := 200000
	if testing.Short() {
		n = 50000
	}
	for i, c := range densityCases() {
		dens := pointDensity(t, c.task, c.xo)
		post := mustRef(t, c.task, rand.New(rand.NewPCG(7, uint64(i))), c.xo, n)
		stat, dof, p, mass := hist2DTest(post, dens, c.breaks(), c.lo0, c.hi0, c.lo1, c.hi1, c.nbins)
		t.Logf("%s %s x_o = %.4f: ∫ density = %.9f; histogram χ² = %.0f (dof %d), p = %.3g", c.task.Name(), c.name, c.xo, mass, stat, dof, p)
		if math.Abs(mass-1) > 1e-6 {
			t.Errorf("%s %s x_o = %v: density integrates to %.9f", c.task.Name(), c.name, c.xo, mass)
		}
		if p < 1e-3 {
			t.Errorf("%s %s x_o = %v: reference draws do not match the density: χ² = %.0f (dof %d), p = %.3g", c.task.Name(), c.name, c.xo, stat, dof, p)
		}
	}
}

// pointDensity returns θ → exp(PosteriorLogProb(θ, x_o)) without recomputing the normalizer
// at every point: exp(log prior + log likelihood + c), c = PosteriorLogProb − log prior −
// log likelihood at one reference draw (TestBayesRule checks that c does not depend on θ).
func pointDensity(t *testing.T, task Task, xo []float64) func(a, b float64) float64 {
	t.Helper()
	ep := task.(ExactPosterior)
	ref := mustRef(t, task, rand.New(rand.NewPCG(99, 99)), xo, 1)
	lp, err := ep.PosteriorLogProb(ref, xo)
	if err != nil {
		t.Fatal(err)
	}
	c := lp[0] - task.PriorLogProb(ref) - task.LogLikelihood(ref, xo)
	th := make([]float64, 2)
	return func(a, b float64) float64 {
		th[0], th[1] = a, b
		return math.Exp(task.PriorLogProb(th) + task.LogLikelihood(th, xo) + c)
	}
}

// TestGaussianMixtureRejection compares the inversion sampler with sbibm's plain rejection
// sampler (draw from the untruncated mixture around x_o, keep draws in the box) by
// two-sample KS tests on both coordinates and their sum.
func TestGaussianMixtureRejection(t *testing.T) {
	var task GaussianMixture
	const n = 20000
	for i, xo := range [][]float64{{0.3, -4}, {9.6, -9.9}, {10.5, 3}} {
		rng := rand.New(rand.NewPCG(8, uint64(i)))
		inv := mustRef(t, task, rng, xo, n)
		rej := make([]float64, 0, 2*n)
		for len(rej) < 2*n {
			s := gmSigma[rng.IntN(2)]
			a, b := xo[0]+s*rng.NormFloat64(), xo[1]+s*rng.NormFloat64()
			if math.Abs(a) <= 10 && math.Abs(b) <= 10 {
				rej = append(rej, a, b)
			}
		}
		for _, w := range [][]float64{{1, 0}, {0, 1}, {1, 1}} {
			if d, p := ks2(projection(inv, w), projection(rej, w), n, n); p < 1e-3 {
				t.Errorf("x_o = %v, direction %v: inversion and rejection differ, KS D = %.4f, p = %.3g", xo, w, d, p)
			}
		}
	}
	// Far outside the box the posterior has no mass in floating point: an error, not a hang.
	if _, err := task.ReferencePosterior(rand.New(rand.NewPCG(1, 1)), []float64{500, 0}, 10); err == nil {
		t.Errorf("x_o = (500, 0) did not fail")
	}
}
