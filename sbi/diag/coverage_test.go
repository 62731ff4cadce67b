package diag

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// coverageData simulates n pairs of the conjugate model with l draws each from estimate e,
// returning the true parameters (n×d), the draws (n×l×d) and the estimate's log-densities
// at the truth (n) and at the draws (n×l).
func coverageData(c conjugate, e estimate, n, l int, seed uint64) (theta, draws, lqTrue, lqDraws []float64) {
	d := c.d
	theta = make([]float64, n*d)
	draws = make([]float64, n*l*d)
	lqTrue = make([]float64, n)
	lqDraws = make([]float64, n*l)
	x := make([]float64, d)
	mu := make([]float64, d)
	s := c.postSD()
	logq := func(v []float64) float64 {
		var lp float64
		for j := range d {
			lp += normLogPDF(v[j], mu[j]+e.bias*s, e.scale*s)
		}
		return lp
	}
	for i := range n {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		th := theta[i*d : (i+1)*d]
		c.simulate(rng, th, x)
		c.postMean(x, mu)
		lqTrue[i] = logq(th)
		for k := range l {
			row := draws[(i*l+k)*d : (i*l+k+1)*d]
			for j := range d {
				row[j] = mu[j] + e.bias*s + e.scale*s*rng.NormFloat64()
			}
			lqDraws[i*l+k] = logq(row)
		}
	}
	return
}

// TestCoverageConjugate checks both coverage diagnostics on the conjugate Gaussian: the
// exact posterior covers within three binomial standard errors of every nominal level
// (each check fails by chance with probability 0.3%; with these fixed seeds none does),
// and an over-confident estimate (standard deviation halved) covers far less: more than ten
// standard errors below nominal at every level for HPD. TARP's balls around random
// references are large, and its curve for an over-confident estimate is S-shaped,
// crossing the diagonal near the middle (Lemos et al. 2023, fig. 2), so there the
// under-coverage is asked for at 80% and 95% only, with the KS test of the whole curve.
func TestCoverageConjugate(t *testing.T) {
	c := conjugate{d: 2, tau: 1, sigma: 0.5}
	const n, l = 1000, 200
	for _, tc := range []struct {
		name  string
		e     estimate
		exact bool
	}{{"exact", estimate{0, 1}, true}, {"over-confident", estimate{0, 0.5}, false}} {
		theta, draws, lqt, lqd := coverageData(c, tc.e, n, l, 17)
		hpd, err := HPDCoverage(lqt, lqd, l, CoverageOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		tarp, err := TARP(theta, draws, l, c.d, TARPOptions{CoverageOptions: CoverageOptions{Seed: 2}})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []struct {
			method string
			res    *CoverageResult
		}{{"HPD", hpd}, {"TARP", tarp}} {
			res := r.res
			if len(res.Levels) != 3 || len(res.Nominal) != 101 || res.N != n || len(res.Credibility) != n {
				t.Fatalf("%s %s: %d levels, %d curve points, N %d", tc.name, r.method, len(res.Levels), len(res.Nominal), res.N)
			}
			if res.Empirical[0] != 0 || res.Empirical[100] != 1 {
				t.Errorf("%s %s: curve runs from %v to %v, want 0 to 1", tc.name, r.method, res.Empirical[0], res.Empirical[100])
			}
			for k, a := range res.Levels {
				se := math.Sqrt(a * (1 - a) / n)
				if math.Abs(res.StdErr[k]-se) > 1e-15 {
					t.Errorf("StdErr %v, want %v", res.StdErr[k], se)
				}
				dev := (res.Coverage[k] - a) / se
				t.Logf("%s %s: coverage at %.2f = %.3f (%+.1f SE); KS p %.3g", tc.name, r.method, a, res.Coverage[k], dev, res.KSP)
				if tc.exact && math.Abs(dev) > 3 {
					t.Errorf("%s %s: coverage %.3f at level %.2f is %.1f standard errors off", tc.name, r.method, res.Coverage[k], a, dev)
				}
				if !tc.exact && (r.method == "HPD" || a > 0.7) && dev > -10 {
					t.Errorf("%s %s: coverage %.3f at level %.2f: want under-coverage by more than 10 standard errors, got %.1f", tc.name, r.method, res.Coverage[k], a, dev)
				}
				// The curve at the level (it is on the grid) is the same fraction.
				if g := res.Empirical[int(math.Round(a*100))]; g != res.Coverage[k] {
					t.Errorf("%s %s: curve at %.2f = %v, coverage %v", tc.name, r.method, a, g, res.Coverage[k])
				}
			}
			if tc.exact && res.KSP < 0.01 {
				t.Errorf("%s %s: credibility levels fail the KS test (p %.3g)", tc.name, r.method, res.KSP)
			}
			if !tc.exact && res.KSP > 1e-6 {
				t.Errorf("%s %s: over-confident credibility levels pass the KS test (p %.3g)", tc.name, r.method, res.KSP)
			}
		}
	}
}

// TestHPDClosedForm checks HPDCoverage against the closed form of a 1-D Gaussian estimate
// N(0, s²) when the truth is drawn from N(0, 1): θ lies in the estimate's HPD region of
// level α when |θ| < s·Φ⁻¹((1+α)/2), which has probability 2Φ(s·Φ⁻¹((1+α)/2)) − 1.
func TestHPDClosedForm(t *testing.T) {
	const n, l, s = 4000, 400, 0.7
	rng := rand.New(rand.NewPCG(4, 4))
	lqt := make([]float64, n)
	lqd := make([]float64, n*l)
	for i := range n {
		lqt[i] = normLogPDF(rng.NormFloat64(), 0, s)
		for k := range l {
			lqd[i*l+k] = normLogPDF(s*rng.NormFloat64(), 0, s)
		}
	}
	res, err := HPDCoverage(lqt, lqd, l, CoverageOptions{Levels: []float64{0.3, 0.5, 0.9}, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	phi := func(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }
	for k, a := range res.Levels {
		want := 2*phi(s*math.Sqrt2*math.Erfinv(a)) - 1
		// The binomial error of the fraction plus the O(1/√L) error of the sampled region.
		se := math.Sqrt(want*(1-want)/n) + 1/math.Sqrt(l)*0.5
		if math.Abs(res.Coverage[k]-want) > 3*se {
			t.Errorf("level %.2f: coverage %.4f, closed form %.4f (3 SE %.4f)", a, res.Coverage[k], want, 3*se)
		}
	}
}

// TestTARPReferences checks that given reference points are used: with every reference
// far outside the box, the balls are huge and TARP reduces to distance from an outside
// point, still calibrated for the exact posterior (the theorem holds for any reference
// independent of θ given x).
func TestTARPReferences(t *testing.T) {
	c := conjugate{d: 2, tau: 1, sigma: 0.5}
	const n, l = 800, 100
	theta, draws, _, _ := coverageData(c, estimate{0, 1}, n, l, 23)
	ref := make([]float64, n*2)
	for i := range n {
		ref[2*i], ref[2*i+1] = 10, -3
	}
	for _, m := range []TARPMetric{Euclidean, Manhattan} {
		res, err := TARP(theta, draws, l, 2, TARPOptions{References: ref, Metric: m, CoverageOptions: CoverageOptions{Seed: 6}})
		if err != nil {
			t.Fatal(err)
		}
		for k, a := range res.Levels {
			if dev := (res.Coverage[k] - a) / res.StdErr[k]; math.Abs(dev) > 3 {
				t.Errorf("metric %d: coverage %.3f at %.2f, %.1f SE off", m, res.Coverage[k], a, dev)
			}
		}
	}
	// A reference at each true parameter makes every draw farther than the truth: u < 1/(L+1).
	res, err := TARP(theta, draws, l, 2, TARPOptions{References: theta})
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range res.Credibility {
		if u >= 1/float64(l+1) {
			t.Fatalf("reference at the truth: pair %d has credibility %v, want < 1/(L+1)", i, u)
		}
	}
}

// TestCoverageErrors checks that bad input is an error naming it.
func TestCoverageErrors(t *testing.T) {
	th := []float64{0, 0, 1, 1}
	dr := make([]float64, 2*3*2)
	for _, c := range []struct {
		name, want string
		run        func() error
	}{
		{"hpd length", "logqDraws has 5 values", func() error {
			_, err := HPDCoverage([]float64{0, 0}, make([]float64, 5), 3, CoverageOptions{})
			return err
		}},
		{"hpd nan", "logqTrue[1] = NaN", func() error {
			_, err := HPDCoverage([]float64{0, math.NaN()}, make([]float64, 6), 3, CoverageOptions{})
			return err
		}},
		{"hpd +inf", "logqDraws[2] = +Inf", func() error {
			_, err := HPDCoverage([]float64{0, 0}, []float64{0, 0, math.Inf(1), 0, 0, 0}, 3, CoverageOptions{})
			return err
		}},
		{"levels", "Levels[1] = 1", func() error {
			_, err := HPDCoverage([]float64{0, 0}, make([]float64, 6), 3, CoverageOptions{Levels: []float64{0.5, 1}})
			return err
		}},
		{"tarp draws", "draws has 11 values", func() error { _, err := TARP(th, dr[:11], 3, 2, TARPOptions{}); return err }},
		{"tarp theta rows", "theta has 3 values", func() error { _, err := TARP(th[:3], dr, 3, 2, TARPOptions{}); return err }},
		{"tarp inf", "draws[row 1, column 0] = +Inf", func() error {
			d := append([]float64(nil), dr...)
			d[2] = math.Inf(1)
			_, err := TARP(th, d, 3, 2, TARPOptions{})
			return err
		}},
		{"tarp refs", "References has 2 values", func() error { _, err := TARP(th, dr, 3, 2, TARPOptions{References: []float64{0, 0}}); return err }},
		{"tarp metric", "unknown Metric", func() error { _, err := TARP(th, dr, 3, 2, TARPOptions{Metric: 7}); return err }},
		{"credibility range", "u[0] = 1.5", func() error { _, err := CoverageFromCredibility([]float64{1.5, 0.2}, CoverageOptions{}); return err }},
		{"curve points", "CurvePoints = 1", func() error {
			_, err := CoverageFromCredibility([]float64{0.5, 0.2}, CoverageOptions{CurvePoints: 1})
			return err
		}},
	} {
		err := c.run()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
