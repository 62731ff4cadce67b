package sbi

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// This file holds the statistical tests the validation tests rely on, themselves checked
// against closed forms in TestStatsHelpers.

// gammaQ returns the regularized upper incomplete gamma function Q(a, x) = Γ(a, x)/Γ(a):
// the series for P when x < a + 1, Lentz's continued fraction for Q otherwise.
func gammaQ(a, x float64) float64 {
	if x <= 0 {
		return 1
	}
	lg, _ := math.Lgamma(a)
	pre := math.Exp(-x + a*math.Log(x) - lg)
	if x < a+1 {
		sum, term := 1/a, 1/a
		for n := 1; n < 10000; n++ {
			term *= x / (a + float64(n))
			sum += term
			if math.Abs(term) < math.Abs(sum)*1e-16 {
				break
			}
		}
		return 1 - pre*sum
	}
	const tiny = 1e-300
	b := x + 1 - a
	c, d := 1/tiny, 1/b
	h := d
	for i := 1; i < 10000; i++ {
		an := -float64(i) * (float64(i) - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = b + an/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 1e-16 {
			break
		}
	}
	return pre * h
}

// chiSquareSF returns P(χ²_k > x).
func chiSquareSF(x float64, k int) float64 { return gammaQ(float64(k)/2, x/2) }

// kolmogorovSF returns P(K > λ) for the Kolmogorov distribution: 2·Σ_{j≥1} (−1)^{j−1}
// exp(−2j²λ²).
func kolmogorovSF(lambda float64) float64 {
	if lambda < 0.2 {
		return 1
	}
	var s float64
	for j := 1; j <= 100; j++ {
		t := math.Exp(-2 * float64(j*j) * lambda * lambda)
		if j%2 == 1 {
			s += t
		} else {
			s -= t
		}
		if t < 1e-17 {
			break
		}
	}
	return min(max(2*s, 0), 1)
}

// ksPValue returns the asymptotic p-value of a Kolmogorov–Smirnov statistic d with effective
// sample size n, with Stephens' correction (√n + 0.12 + 0.11/√n)·d.
func ksPValue(d, n float64) float64 {
	sn := math.Sqrt(n)
	return kolmogorovSF((sn + 0.12 + 0.11/sn) * d)
}

// ks1 returns the one-sample Kolmogorov–Smirnov statistic of xs against cdf and its p-value.
func ks1(xs []float64, cdf func(float64) float64) (d, p float64) {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := float64(len(s))
	for i, v := range s {
		f := cdf(v)
		d = max(d, f-float64(i)/n, float64(i+1)/n-f)
	}
	return d, ksPValue(d, n)
}

// ks2 returns the two-sample Kolmogorov–Smirnov statistic of a and b and its p-value for
// effective sizes na and nb (pass len(a), len(b) for independent draws).
func ks2(a, b []float64, na, nb float64) (d, p float64) {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		v := min(a[i], b[j])
		for i < len(a) && a[i] <= v {
			i++
		}
		for j < len(b) && b[j] <= v {
			j++
		}
		d = max(d, math.Abs(float64(i)/float64(len(a))-float64(j)/float64(len(b))))
	}
	return d, ksPValue(d, na*nb/(na+nb))
}

// column returns coordinate k of the rows of xs (d per row), optionally transformed.
func column(xs []float64, d, k int) []float64 {
	out := make([]float64, len(xs)/d)
	for i := range out {
		out[i] = xs[i*d+k]
	}
	return out
}

// projection returns w·row for every row of xs.
func projection(xs []float64, w []float64) []float64 {
	d := len(w)
	out := make([]float64, len(xs)/d)
	for i := range out {
		for k, wk := range w {
			out[i] += wk * xs[i*d+k]
		}
	}
	return out
}

// meanCov returns the sample mean and the unbiased sample covariance (d×d) of the rows of xs.
func meanCov(xs []float64, d int) (mean, cov []float64) {
	n := len(xs) / d
	mean, cov = make([]float64, d), make([]float64, d*d)
	for i := range n {
		for k := range d {
			mean[k] += xs[i*d+k] / float64(n)
		}
	}
	for i := range n {
		for a := range d {
			for b := range d {
				cov[a*d+b] += (xs[i*d+a] - mean[a]) * (xs[i*d+b] - mean[b]) / float64(n-1)
			}
		}
	}
	return mean, cov
}

// rankUniformityP returns the p-value of Pearson's χ² test that ranks in 0..L are uniform,
// the L+1 values grouped into bins equal groups (bins must divide L+1).
func rankUniformityP(ranks []int, L, bins int) (stat, p float64) {
	counts := make([]float64, bins)
	per := (L + 1) / bins
	for _, r := range ranks {
		counts[r/per]++
	}
	e := float64(len(ranks)) / float64(bins)
	for _, c := range counts {
		stat += (c - e) * (c - e) / e
	}
	return stat, chiSquareSF(stat, bins-1)
}

// sbcRanks runs simulation-based calibration (Talts et al. 2018): for each of trials draws
// θ* ~ prior and x ~ p(x | θ*), it draws L posterior samples for x with sample and records,
// per coordinate, how many of them are below θ*. Under a correct sampler each coordinate's
// ranks are uniform on 0..L. ranks[k] holds coordinate k's ranks.
func sbcRanks(t *testing.T, task Task, trials, L int, seed uint64, sample func(rng *rand.Rand, xo []float64, n int) ([]float64, error)) [][]int {
	t.Helper()
	d := task.ParamDim()
	rng := rand.New(rand.NewPCG(seed, 77))
	ranks := make([][]int, d)
	for range trials {
		th := task.SamplePrior(rng, 1)
		x := task.Simulate(rng, th)
		post, err := sample(rng, x, L)
		if err != nil {
			t.Fatalf("%s: posterior for x = %v (θ* = %v): %v", task.Name(), x, th, err)
		}
		for k := range d {
			r := 0
			for i := range L {
				if post[i*d+k] < th[k] {
					r++
				}
			}
			ranks[k] = append(ranks[k], r)
		}
	}
	return ranks
}

// checkSBC fails t unless every coordinate's SBC ranks pass the uniformity test at level
// alpha; it logs the statistics.
func checkSBC(t *testing.T, name string, ranks [][]int, L, bins int, alpha float64) {
	t.Helper()
	for k, r := range ranks {
		stat, p := rankUniformityP(r, L, bins)
		t.Logf("%s SBC θ%d: χ²(%d) = %.1f, p = %.3g", name, k+1, bins-1, stat, p)
		if p < alpha {
			t.Errorf("%s: SBC ranks of θ%d are not uniform: χ²(%d) = %.1f, p = %.3g < %g", name, k+1, bins-1, stat, p, alpha)
		}
	}
}

// binMass2D returns ∫∫ density over [a0, a1]×[b0, b1] by nested adaptive Gauss–Kronrod
// quadrature (absolute tolerance about tol). breaks, if not nil, lists for a first
// coordinate a the second coordinates where the density jumps; the inner integral is split
// there, so that each piece is smooth and converges quickly.
func binMass2D(density func(a, b float64) float64, breaks func(a float64) []float64, a0, a1, b0, b1, tol float64) float64 {
	inner := func(a float64) float64 {
		f := func(b float64) float64 { return density(a, b) }
		itol := tol / (a1 - a0)
		if breaks == nil {
			return integrate(f, b0, b1, 1, itol)
		}
		lo, s := b0, 0.0
		for _, c := range breaks(a) { // ascending
			if c > lo && c < b1 {
				s += integrate(f, lo, c, 1, itol)
				lo = c
			}
		}
		return s + integrate(f, lo, b1, 1, itol)
	}
	return integrate(inner, a0, a1, 1, tol)
}

// hist2DTest bins the points (rows of 2) on an nb×nb grid over [lo0, hi0]×[lo1, hi1] and
// compares the counts with n·∫_bin density (binMass2D with breaks, tolerance 1e-9 per bin) by Pearson's
// χ²; bins expecting fewer than 5 points are pooled, together with the mass and the points
// outside the grid, into one cell. It returns the statistic, its degrees of freedom, the
// p-value and the density's integral over the grid.
func hist2DTest(pts []float64, density func(a, b float64) float64, breaks func(a float64) []float64, lo0, hi0, lo1, hi1 float64, nb int) (stat float64, dof int, p, mass float64) {
	n := float64(len(pts) / 2)
	w0, w1 := (hi0-lo0)/float64(nb), (hi1-lo1)/float64(nb)
	obs := make([]float64, nb*nb)
	var outside float64
	for i := 0; i < len(pts); i += 2 {
		a, b := int(math.Floor((pts[i]-lo0)/w0)), int(math.Floor((pts[i+1]-lo1)/w1))
		if a < 0 || a >= nb || b < 0 || b >= nb {
			outside++
			continue
		}
		obs[a*nb+b]++
	}
	exp := make([]float64, nb*nb)
	for a := range nb {
		for b := range nb {
			a0, b0 := lo0+float64(a)*w0, lo1+float64(b)*w1
			exp[a*nb+b] = binMass2D(density, breaks, a0, a0+w0, b0, b0+w1, 1e-9)
			mass += exp[a*nb+b]
		}
	}
	poolO, poolE := outside, n*max(0, 1-mass)
	for i := range obs {
		e := n * exp[i]
		if e < 5 {
			poolO += obs[i]
			poolE += e
			continue
		}
		stat += (obs[i] - e) * (obs[i] - e) / e
		dof++
	}
	if poolE >= 5 {
		stat += (poolO - poolE) * (poolO - poolE) / poolE
		dof++
	} else {
		stat += poolO // a cell expecting almost nothing: count it as evidence (conservative)
	}
	dof-- // the counts sum to n
	return stat, dof, chiSquareSF(stat, dof), mass
}

func TestStatsHelpers(t *testing.T) {
	for _, x := range []float64{0.01, 0.5, 1, 3, 10, 40} {
		// Closed forms: χ²₁ SF = erfc(√(x/2)), χ²₂ SF = e^{−x/2}, χ²₄ SF = e^{−x/2}(1 + x/2).
		for k, want := range map[int]float64{
			1: math.Erfc(math.Sqrt(x / 2)),
			2: math.Exp(-x / 2),
			4: math.Exp(-x/2) * (1 + x/2),
		} {
			if got := chiSquareSF(x, k); math.Abs(got-want) > 1e-12*max(1, want) && math.Abs(got/want-1) > 1e-10 {
				t.Errorf("chiSquareSF(%g, %d) = %.15g, want %.15g", x, k, got, want)
			}
		}
	}
	// Kolmogorov distribution: the classical critical values 1.3581 (5%) and 1.6276 (1%).
	for lam, want := range map[float64]float64{1.3581: 0.05, 1.6276: 0.01} {
		if got := kolmogorovSF(lam); math.Abs(got-want) > 2e-4 {
			t.Errorf("kolmogorovSF(%g) = %g, want %g", lam, got, want)
		}
	}
	// KS has power and size: uniforms pass against U(0,1), squared uniforms do not.
	rng := rand.New(rand.NewPCG(1, 1))
	u, v := make([]float64, 2000), make([]float64, 2000)
	for i := range u {
		u[i] = rng.Float64()
		v[i] = rng.Float64() * rng.Float64()
	}
	id := func(x float64) float64 { return min(max(x, 0), 1) }
	if _, p := ks1(u, id); p < 0.01 {
		t.Errorf("KS rejects uniforms: p = %g", p)
	}
	if _, p := ks1(v, id); p > 1e-6 {
		t.Errorf("KS accepts products of uniforms: p = %g", p)
	}
	if _, p := ks2(u, v, 2000, 2000); p > 1e-6 {
		t.Errorf("two-sample KS accepts different samples: p = %g", p)
	}
}
