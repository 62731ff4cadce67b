package diag

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// conjugate is the Gaussian model θ ~ N(0, τ²I_d), x | θ ~ N(θ, σ²I_d), whose posterior is
// N(μ(x), s²I) with s² = 1/(1/τ² + 1/σ²) and μ(x) = s²·x/σ², and whose evidence is
// p(x) = N(x; 0, (τ² + σ²)I).
type conjugate struct {
	d          int
	tau, sigma float64
}

func (c conjugate) postSD() float64 { return math.Sqrt(1 / (1/(c.tau*c.tau) + 1/(c.sigma*c.sigma))) }

func (c conjugate) postMean(x []float64, out []float64) {
	s2 := c.postSD() * c.postSD()
	for j := range x {
		out[j] = s2 * x[j] / (c.sigma * c.sigma)
	}
}

// simulate draws θ from the prior into theta and x ~ p(x | θ) into x.
func (c conjugate) simulate(rng *rand.Rand, theta, x []float64) {
	for j := range theta {
		theta[j] = c.tau * rng.NormFloat64()
		x[j] = theta[j] + c.sigma*rng.NormFloat64()
	}
}

// normLogPDF is log N(v; m, s²).
func normLogPDF(v, m, s float64) float64 {
	z := (v - m) / s
	return -0.5*z*z - math.Log(s) - 0.5*math.Log(2*math.Pi)
}

// estimate is a posterior estimate N(μ(x) + bias·s, (scale·s)²) of the conjugate model:
// exact for bias 0, scale 1.
type estimate struct{ bias, scale float64 }

// sbcPair returns an SBC callback over the conjugate model with posterior estimate e.
func sbcPair(c conjugate, e estimate, l int, seed uint64) func(i int, theta, draws []float64) error {
	x := make([]float64, c.d)
	mu := make([]float64, c.d)
	return func(i int, theta, draws []float64) error {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		c.simulate(rng, theta, x)
		c.postMean(x, mu)
		s := c.postSD()
		for k := range l {
			for j := range c.d {
				draws[k*c.d+j] = mu[j] + e.bias*s + e.scale*s*rng.NormFloat64()
			}
		}
		return nil
	}
}

// TestSBCConjugate runs SBC on the conjugate Gaussian: exact posterior draws must pass both
// uniformity tests in every dimension, and a biased, an over-dispersed and an
// under-dispersed estimate must fail both. With 1000 pairs a bias of 0.3 posterior
// standard deviations or a scale off by 30% moves the rank distribution far beyond what
// the tests allow at 1e-4; the exact one is rejected at 1% with probability 2% per test,
// and with these fixed seeds it is not.
func TestSBCConjugate(t *testing.T) {
	c := conjugate{d: 2, tau: 1, sigma: 0.5}
	const n, l = 1000, 99
	for _, tc := range []struct {
		name string
		e    estimate
		pass bool
	}{
		{"exact", estimate{0, 1}, true},
		{"biased", estimate{0.3, 1}, false},
		{"over-dispersed", estimate{0, 1.3}, false},
		{"over-confident", estimate{0, 0.7}, false},
	} {
		res, err := SBC(context.Background(), n, c.d, l, sbcPair(c, tc.e, l, 11), SBCOptions{Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		if res.N != n || res.D != c.d || res.L != l || len(res.Ranks) != n*c.d {
			t.Fatalf("%s: result shape N=%d D=%d L=%d ranks %d", tc.name, res.N, res.D, res.L, len(res.Ranks))
		}
		for j, rt := range res.Dims {
			if len(rt.Counts) != 20 || rt.DF != 19 {
				t.Errorf("%s: dimension %d has %d bins, DF %d; want the default 20 bins", tc.name, j, len(rt.Counts), rt.DF)
			}
			t.Logf("%s dim %d: χ² %.1f p %.3g, KS %.4f p %.3g", tc.name, j, rt.ChiSquare, rt.ChiSquareP, rt.KS, rt.KSP)
			if tc.pass && (rt.ChiSquareP < 0.01 || rt.KSP < 0.01) {
				t.Errorf("%s: dimension %d fails uniformity: χ² p %.3g, KS p %.3g", tc.name, j, rt.ChiSquareP, rt.KSP)
			}
			if !tc.pass && (rt.ChiSquareP > 1e-4 || rt.KSP > 1e-4) {
				t.Errorf("%s: dimension %d passes uniformity: χ² p %.3g, KS p %.3g", tc.name, j, rt.ChiSquareP, rt.KSP)
			}
		}
	}
}

// TestSBCTies checks that ties are split at random: with a discrete prior on 0..4 and an
// uninformative x, the posterior is the prior and its draws tie with θ about a fifth of
// the time; counting only draws strictly below θ would pile the ranks at the low end.
func TestSBCTies(t *testing.T) {
	const n, l = 2000, 49
	pair := func(i int, theta, draws []float64) error {
		rng := rand.New(rand.NewPCG(21, uint64(i)))
		theta[0] = float64(rng.IntN(5))
		for k := range draws {
			draws[k] = float64(rng.IntN(5))
		}
		return nil
	}
	res, err := SBC(context.Background(), n, 1, l, pair, SBCOptions{Seed: 4, Bins: 10})
	if err != nil {
		t.Fatal(err)
	}
	rt := res.Dims[0]
	if rt.ChiSquareP < 0.01 || rt.KSP < 0.01 {
		t.Errorf("tied ranks fail uniformity: χ² p %.3g, KS p %.3g (counts %v)", rt.ChiSquareP, rt.KSP, rt.Counts)
	}
	// The same ranks without tie-breaking (the strict count) are far from uniform.
	strict := make([]int, n)
	for i := range n {
		rng := rand.New(rand.NewPCG(21, uint64(i)))
		th := float64(rng.IntN(5))
		for range l {
			if float64(rng.IntN(5)) < th {
				strict[i]++
			}
		}
	}
	rs, err := SBCFromRanks(strict, n, 1, l, SBCOptions{Bins: 10})
	if err != nil {
		t.Fatal(err)
	}
	if rs.Dims[0].ChiSquareP > 1e-6 {
		t.Errorf("strict ranks of tied draws pass uniformity (p %.3g): the test lacks power", rs.Dims[0].ChiSquareP)
	}
}

// TestSBCBins checks the bins and expected counts when the bins do not divide L+1: each
// expected count is N times the bin's number of rank values over L+1, from a direct count.
func TestSBCBins(t *testing.T) {
	const n, l, bins = 505, 100, 20 // 101 rank values over 20 bins: one bin holds 6
	ranks := make([]int, n)
	for i := range ranks {
		ranks[i] = i % (l + 1) // every rank value exactly 5 times
	}
	res, err := SBCFromRanks(ranks, n, 1, l, SBCOptions{Bins: bins})
	if err != nil {
		t.Fatal(err)
	}
	rt := res.Dims[0]
	var total float64
	for b := range bins {
		values := 0
		for r := 0; r <= l; r++ {
			if r*bins/(l+1) == b {
				values++
			}
		}
		if rt.Counts[b] != 5*values {
			t.Errorf("bin %d: %d ranks, want %d", b, rt.Counts[b], 5*values)
		}
		if want := float64(n*values) / float64(l+1); math.Abs(rt.Expected[b]-want) > 1e-12 {
			t.Errorf("bin %d: expected %v, want %v", b, rt.Expected[b], want)
		}
		total += rt.Expected[b]
	}
	if math.Abs(total-n) > 1e-9 {
		t.Errorf("expected counts total %v, want %d", total, n)
	}
	// Perfectly uniform ranks: statistic 0, p-value 1.
	if rt.ChiSquare > 1e-12 || rt.ChiSquareP < 1-1e-12 {
		t.Errorf("uniform ranks: χ² %v, p %v; want 0 and 1", rt.ChiSquare, rt.ChiSquareP)
	}
}

// TestBandIsBinomial checks the 99% band against gonum's binomial distribution: below lo
// and above hi each have probability under 0.5%, and widening by one would not be needed.
func TestBandIsBinomial(t *testing.T) {
	ranks := make([]int, 1000)
	res, err := SBCFromRanks(ranks, 1000, 1, 99, SBCOptions{Bins: 20})
	if err != nil {
		t.Fatal(err)
	}
	lo, hi, err := res.Dims[0].Band(0.99)
	if err != nil {
		t.Fatal(err)
	}
	b := distuv.Binomial{N: 1000, P: 0.05}
	for k := range lo {
		if b.CDF(float64(lo[k])-1) >= 0.005 || b.CDF(float64(lo[k])) < 0.005 {
			t.Errorf("bin %d: lo %d, P(X < lo) = %.4g, P(X ≤ lo) = %.4g", k, lo[k], b.CDF(float64(lo[k])-1), b.CDF(float64(lo[k])))
		}
		if b.CDF(float64(hi[k])) < 0.995 || b.CDF(float64(hi[k])-1) >= 0.995 {
			t.Errorf("bin %d: hi %d, P(X ≤ hi) = %.4g, P(X ≤ hi−1) = %.4g", k, hi[k], b.CDF(float64(hi[k])), b.CDF(float64(hi[k])-1))
		}
	}
	if _, _, err := res.Dims[0].Band(1); err == nil {
		t.Error("Band(1): no error")
	}
}

// TestSBCErrors checks that bad input is an error naming it, never a panic.
func TestSBCErrors(t *testing.T) {
	ok := func(i int, theta, draws []float64) error { return nil }
	nan := func(i int, theta, draws []float64) error { draws[3] = math.NaN(); return nil }
	fails := func(i int, theta, draws []float64) error { return errSentinel }
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		name, want string
		run        func() error
	}{
		{"n", "want n ≥ 2", func() error { _, err := SBC(context.Background(), 1, 1, 10, ok, SBCOptions{}); return err }},
		{"nil pair", "pair is nil", func() error { _, err := SBC(context.Background(), 5, 1, 10, nil, SBCOptions{}); return err }},
		{"nan draw", "draws of pair 0", func() error { _, err := SBC(context.Background(), 5, 2, 10, nan, SBCOptions{}); return err }},
		{"callback error", "pair 0: sentinel", func() error { _, err := SBC(context.Background(), 5, 2, 10, fails, SBCOptions{}); return err }},
		{"cancelled", "context canceled", func() error { _, err := SBC(ctx, 5, 2, 10, ok, SBCOptions{}); return err }},
		{"rank range", "ranks[row 1, column 0] = 11", func() error { _, err := SBCFromRanks([]int{0, 11, 2}, 3, 1, 10, SBCOptions{}); return err }},
		{"rank count", "ranks has 3 values, want n·d = 4", func() error { _, err := SBCFromRanks([]int{0, 1, 2}, 2, 2, 10, SBCOptions{}); return err }},
		{"bins", "Bins = 12", func() error { _, err := SBCFromRanks([]int{0, 1, 2}, 3, 1, 10, SBCOptions{Bins: 12}); return err }},
	} {
		err := c.run()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

type sentinel struct{}

func (sentinel) Error() string { return "sentinel" }

var errSentinel error = sentinel{}
