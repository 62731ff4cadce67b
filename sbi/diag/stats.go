package diag

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mathext"
)

// ChiSquareTest returns Pearson's statistic Σ_b (O_b − E_b)²/E_b of the observed counts
// against the expected ones and its p-value P(χ²_k ≥ stat) with k = len(observed) − 1 − ddof
// degrees of freedom, the upper regularized incomplete gamma Q(k/2, stat/2) — what
// scipy.stats.chisquare(observed, expected, ddof) returns. The totals of observed and
// expected must agree to a relative 1e-8, every expected count be positive and k ≥ 1.
func ChiSquareTest(observed, expected []float64, ddof int) (stat, p float64, err error) {
	if len(observed) != len(expected) {
		return 0, 0, fmt.Errorf("diag: ChiSquareTest: observed has %d bins, expected %d", len(observed), len(expected))
	}
	k := len(observed) - 1 - ddof
	if ddof < 0 || k < 1 {
		return 0, 0, fmt.Errorf("diag: ChiSquareTest: %d bins with ddof = %d leave %d degrees of freedom, want ≥ 1", len(observed), ddof, k)
	}
	if err := checkFinite("ChiSquareTest", "observed", observed, 1); err != nil {
		return 0, 0, err
	}
	if err := checkFinite("ChiSquareTest", "expected", expected, 1); err != nil {
		return 0, 0, err
	}
	var so, se float64
	for b := range observed {
		if observed[b] < 0 {
			return 0, 0, fmt.Errorf("diag: ChiSquareTest: observed[%d] = %v, want a count ≥ 0", b, observed[b])
		}
		if !(expected[b] > 0) {
			return 0, 0, fmt.Errorf("diag: ChiSquareTest: expected[%d] = %v, want > 0", b, expected[b])
		}
		so += observed[b]
		se += expected[b]
	}
	if math.Abs(so-se) > 1e-8*math.Max(so, se) {
		return 0, 0, fmt.Errorf("diag: ChiSquareTest: observed counts total %v, expected %v; they must agree", so, se)
	}
	for b := range observed {
		e := observed[b] - expected[b]
		stat += e * e / expected[b]
	}
	return stat, ChiSquareSF(stat, k), nil
}

// ChiSquareSF returns P(χ²_k ≥ x), the upper regularized incomplete gamma function
// Q(k/2, x/2) (1 for x ≤ 0).
func ChiSquareSF(x float64, k int) float64 {
	if x <= 0 {
		return 1
	}
	return mathext.GammaIncRegComp(float64(k)/2, x/2)
}

// KSUniform returns the two-sided one-sample Kolmogorov–Smirnov statistic of u against the
// uniform distribution on [0, 1],
//
//	D = max_i max(i/n − u_(i), u_(i) − (i−1)/n)  (u sorted, i = 1..n),
//
// and its exact p-value P(D_n ≥ D) from KolmogorovSF: what scipy.stats.kstest(u,
// "uniform", method="exact") returns. Every u must lie in [0, 1]; u is not modified.
func KSUniform(u []float64) (stat, p float64, err error) {
	if len(u) == 0 {
		return 0, 0, fmt.Errorf("diag: KSUniform: u is empty")
	}
	for i, v := range u {
		if !(v >= 0 && v <= 1) {
			return 0, 0, fmt.Errorf("diag: KSUniform: u[%d] = %v, want a value in [0, 1]", i, v)
		}
	}
	s := slices.Clone(u)
	slices.Sort(s)
	n := float64(len(s))
	for i, v := range s {
		stat = math.Max(stat, math.Max(float64(i+1)/n-v, v-float64(i)/n))
	}
	return stat, KolmogorovSF(len(s), stat), nil
}

// KolmogorovSF returns P(D_n ≥ x) for the two-sided one-sample Kolmogorov–Smirnov
// statistic D_n of n uniform draws, choosing the method by (n, x) as Simard and L'Ecuyer
// (2011, "Computing the Two-Sided Kolmogorov-Smirnov Distribution", J. Stat. Softw. 39(11))
// and scipy.stats.kstwo do:
//
//   - the closed forms of Ruben and Gambino for n·x ≤ 1 and n·x ≥ n − 1;
//   - 2·P(D_n⁺ ≥ x), exact for x ≥ 1/2 (the one-sided tail by the Birnbaum–Tingey sum), and
//     used as Miller's approximation where the tail is small (n·x² > 4 for n ≤ 140, ≥ 2.2
//     above; its error is below the square of the tail);
//   - otherwise 1 − P(D_n < x) from the Durbin matrix (Marsaglia, Tsang and Wang 2003), exact,
//     except for n > 140 with n·x^1.5 > 1.4, where the Pelz–Good (1976) expansion is used.
//
// (For n ≤ 140 and 0.754693 < n·x² ≤ 4, scipy uses Pomeranz's recursion; the Durbin matrix
// computes the same exact probability here.)
func KolmogorovSF(n int, x float64) float64 {
	if n < 1 || math.IsNaN(x) {
		return math.NaN()
	}
	if x >= 1 {
		return 0
	}
	fn := float64(n)
	t := fn * x
	if t <= 0.5 {
		return 1
	}
	if t <= 1 {
		// P(D_n < x) = n!/n^n·(2t − 1)^n for 1/2n < x ≤ 1/n.
		lcdf := lgamma(fn+1) - fn*math.Log(fn) + fn*math.Log(2*t-1)
		return clip01(-math.Expm1(lcdf))
	}
	if t >= fn-1 {
		return clip01(2 * math.Pow(1-x, fn))
	}
	if x >= 0.5 {
		return clip01(2 * smirnovSF(n, x))
	}
	nx2 := t * x
	if n <= 140 {
		if nx2 <= 4 {
			return clip01(1 - durbinCDF(n, x))
		}
		return clip01(2 * smirnovSF(n, x))
	}
	if nx2 >= 370 {
		return 0
	}
	if nx2 >= 2.2 {
		return clip01(2 * smirnovSF(n, x))
	}
	if n <= 100000 && fn*math.Pow(x, 1.5) <= 1.4 {
		return clip01(1 - durbinCDF(n, x))
	}
	return clip01(1 - pelzGoodCDF(n, x))
}

func clip01(p float64) float64 { return min(max(p, 0), 1) }

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// smirnovSF returns the exact one-sided tail P(D_n⁺ ≥ x) for 0 < x < 1 by the
// Birnbaum–Tingey sum
//
//	x·Σ_{j=0}^{⌊n(1−x)⌋} C(n, j)·(1 − x − j/n)^{n−j}·(x + j/n)^{j−1},
//
// every term positive and computed in logarithms.
func smirnovSF(n int, x float64) float64 {
	fn := float64(n)
	jmax := int(math.Floor(fn * (1 - x)))
	var s float64
	lnf := lgamma(fn + 1)
	for j := 0; j <= jmax; j++ {
		fj := float64(j)
		a := 1 - x - fj/fn
		if a <= 0 {
			if n-j > 0 {
				continue // (1 − x − j/n)^{n−j} = 0
			}
			a = 1
		}
		l := lnf - lgamma(fj+1) - lgamma(fn-fj+1) + (fn-fj)*math.Log(a) + (fj-1)*math.Log(x+fj/fn)
		s += math.Exp(l)
	}
	return x * s
}

// durbinCDF returns P(D_n < x) by Durbin's matrix formula as Marsaglia, Tsang and Wang
// (2003) evaluate it: with x = (k − h)/n, k a positive integer and 0 ≤ h < 1, the
// probability is n!/n^n times element (k, k) of H^n, H the m×m matrix (m = 2k − 1)
//
//	H[i][j] = 1/(i−j+1)! for i − j + 1 ≥ 0 (else 0), except
//	H[i][0] = (1 − h^{i+1})/(i+1)!,  H[m−1][j] = (1 − h^{m−j})/(m−j)!,
//	H[m−1][0] = (1 − 2h^m + max(0, 2h − 1)^m)/m!,
//
// powered by repeated squaring with the scale kept in a separate binary exponent.
func durbinCDF(n int, x float64) float64 {
	fn := float64(n)
	k := int(math.Ceil(fn * x))
	h := float64(k) - fn*x
	m := 2*k - 1
	H := make([]float64, m*m)
	fact := make([]float64, m+1) // 1/j!
	fact[0] = 1
	for j := 1; j <= m; j++ {
		fact[j] = fact[j-1] / float64(j)
	}
	for i := range m {
		for j := range m {
			if i-j+1 >= 0 {
				H[i*m+j] = fact[i-j+1]
			}
		}
	}
	for i := range m {
		H[i*m] -= math.Pow(h, float64(i+1)) * fact[i+1]
		H[(m-1)*m+i] -= math.Pow(h, float64(m-i)) * fact[m-i]
	}
	H[(m-1)*m] += math.Pow(math.Max(0, 2*h-1), float64(m)) * fact[m]

	const scaleExp = 128
	big := math.Ldexp(1, scaleExp)
	mul := func(a, b []float64) []float64 {
		c := make([]float64, m*m)
		for i := range m {
			for p := range m {
				aip := a[i*m+p]
				if aip == 0 {
					continue
				}
				for j := range m {
					c[i*m+j] += aip * b[p*m+j]
				}
			}
		}
		return c
	}
	pw := make([]float64, m*m) // the identity
	for i := range m {
		pw[i*m+i] = 1
	}
	pwExp, hExp := 0, 0
	for e := n; e > 0; e >>= 1 {
		if e&1 == 1 {
			pw = mul(pw, H)
			pwExp += hExp
			if math.Abs(pw[(k-1)*m+k-1]) > big {
				for i := range pw {
					pw[i] /= big
				}
				pwExp += scaleExp
			}
		}
		if e > 1 {
			H = mul(H, H)
			hExp *= 2
			if math.Abs(H[(k-1)*m+k-1]) > big {
				for i := range H {
					H[i] /= big
				}
				hExp += scaleExp
			}
		}
	}
	p := pw[(k-1)*m+k-1]
	// Multiply by n!/n^n in steps that keep p in range.
	for i := 1; i <= n; i++ {
		p = p * float64(i) / fn
		if math.Abs(p) < 1/big {
			p *= big
			pwExp -= scaleExp
		}
	}
	return clip01(math.Ldexp(p, pwExp))
}

// pelzGoodCDF returns the Pelz–Good (1976) approximation of P(D_n ≤ x): with z = x·√n,
//
//	P ≈ K0(z) + K1(z)/√n + K2(z)/n + K3(z)/n^{3/2},
//
// the Li-Chien–Korolyuk terms rewritten through Jacobi's theta transformation into sums
// over q = e^{−π²/8z²} that converge fast for small z (Simard and L'Ecuyer 2011, eq. 3.4).
func pelzGoodCDF(n int, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	pi2 := math.Pi * math.Pi
	pi4, pi6 := pi2*pi2, pi2*pi2*pi2
	z := math.Sqrt(float64(n)) * x
	z2 := z * z
	z4, z6 := z2*z2, z2*z2*z2
	ql := -pi2 / 8 / z2
	if ql < -708 {
		return 0
	}
	// Sums over odd integers m = 2k − 1 of coefficient·q^{m²}, q = e^{−π²/8z²}.
	var s0, s1, s2, s3 float64
	maxk := int(math.Ceil(16 * z / math.Pi))
	for k := 1; k <= maxk; k++ {
		m := float64(2*k - 1)
		m2 := m * m
		m4, m6 := m2*m2, m2*m2*m2
		w := math.Exp(ql * m2)
		s0 += w
		s1 += w * (-z2 + pi2*m2/4)
		s2 += w * (6*z6 + 2*z4 + (2*z4-5*z2)*pi2*m2/4 + pi4*(1-2*z2)*m4/16)
		s3 += w * (-30*z6 - 90*z6*z2 + pi2*(135*z4-96*z6)*m2/4 + pi4*(-60*z2+212*z4)*m4/16 + pi6*(5-30*z2)*m6/64)
	}
	r := math.Sqrt(2 * math.Pi)
	k0 := r / z * s0
	k1 := r / (6 * z4) * s1
	k2 := r / (72 * z6 * z) * s2
	k3 := r / (6480 * z6 * z4) * s3
	// Sums over all integers k of the terms in e^{−π²k²/2z²}.
	var e2, e3 float64
	for k := 1; k <= maxk; k++ {
		fk := float64(k)
		w := math.Exp(-pi2 * fk * fk / 2 / z2)
		e2 += fk * fk * w
		e3 += (3*z2 - pi2*fk*fk) * fk * fk * w
	}
	k2 -= pi2 * r / (36 * z2 * z) * e2
	k3 += pi2 * r / (216 * z6) * e3
	sn := math.Sqrt(float64(n))
	return k0 + k1/sn + k2/float64(n) + k3/(sn*float64(n))
}

// binomialQuantile returns the smallest k with P(Binomial(n, p) ≤ k) ≥ q.
func binomialQuantile(n int, p, q float64) int {
	if p <= 0 {
		return 0
	}
	if p >= 1 {
		return n
	}
	fn := float64(n)
	lp, lq := math.Log(p), math.Log1p(-p)
	ln := lgamma(fn + 1)
	var c float64
	for k := 0; k <= n; k++ {
		fk := float64(k)
		c += math.Exp(ln - lgamma(fk+1) - lgamma(fn-fk+1) + fk*lp + (fn-fk)*lq)
		if c >= q*(1-1e-12) {
			return k
		}
	}
	return n
}
