package sbi

import (
	"math"
	"math/rand/v2"
)

// log2Pi is log(2π).
const log2Pi = 1.8378770664093454835606594728112

// normLogPDF returns the log-density of N(mu, sigma²) at x.
func normLogPDF(x, mu, sigma float64) float64 {
	z := (x - mu) / sigma
	return -0.5*z*z - math.Log(sigma) - 0.5*log2Pi
}

// normCDF returns Φ(x) = P(Z ≤ x) for Z ~ N(0, 1), with full relative precision in the lower
// tail (it is 0.5·erfc(−x/√2)).
func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// normProb returns Φ(b) − Φ(a), computed in the tail that keeps relative precision (for
// a > 0 as Φ(−a) − Φ(−b)); 0 when b ≤ a.
func normProb(a, b float64) float64 {
	if b <= a {
		return 0
	}
	if a > 0 {
		return normCDF(-a) - normCDF(-b)
	}
	return normCDF(b) - normCDF(a)
}

// normQuantile returns Φ⁻¹(p) for p in (0, 1) (−Inf at 0, +Inf at 1, NaN outside): Acklam's
// rational approximation (relative error 1.2e-9) refined by two Halley steps on
// Φ(x) − p, which brings it to full double precision. For p > 1/2 it returns −Φ⁻¹(1 − p),
// where 1 − p is exact, so the refinement always runs in the lower tail. The standard
// library's math.Erfcinv(x) is Erfinv(1 − x) and loses all precision below p ≈ 1e-16.
func normQuantile(p float64) float64 {
	switch {
	case p != p || p < 0 || p > 1:
		return math.NaN()
	case p == 0:
		return math.Inf(-1)
	case p == 1:
		return math.Inf(1)
	case p > 0.5:
		return -normQuantile(1 - p)
	}
	var x float64
	if p < 0.02425 {
		q := math.Sqrt(-2 * math.Log(p))
		x = (((((-7.784894002430293e-03*q-3.223964580411365e-01)*q-2.400758277161838e+00)*q-
			2.549732539343734e+00)*q+4.374664141464968e+00)*q + 2.938163982698783e+00) /
			((((7.784695709041462e-03*q+3.224671290700398e-01)*q+2.445134137142996e+00)*q+
				3.754408661907416e+00)*q + 1)
	} else {
		q := p - 0.5
		r := q * q
		x = (((((-3.969683028665376e+01*r+2.209460984245205e+02)*r-2.759285104469687e+02)*r+
			1.383577518672690e+02)*r-3.066479806614716e+01)*r + 2.506628277459239e+00) * q /
			(((((-5.447609879822406e+01*r+1.615858368580409e+02)*r-1.556989798598866e+02)*r+
				6.680131188771972e+01)*r-1.328068155288572e+01)*r + 1)
	}
	lp := math.Log(p)
	for range 2 {
		// Halley on Φ(x) − p: u = (Φ(x) − p)/φ(x), written as (Φ(x)/p − 1)·p/φ(x) with
		// p/φ(x) in logarithms, so that it neither overflows nor underflows in the far tail;
		// x ← x − u/(1 + x·u/2).
		u := (normCDF(x)/p - 1) * math.Exp(lp+0.5*x*x+0.5*log2Pi)
		x -= u / (1 + 0.5*x*u)
	}
	return x
}

// truncNormal draws from N(0, 1) truncated to [a, b] (a < b) by inverting the CDF, working
// in the tail nearer the interval so that intervals far from 0 keep their precision. It
// needs Φ(b) − Φ(a) > 0 in floating point (|a|, |b| below about 37 when both lie on one side).
func truncNormal(rng *rand.Rand, a, b float64) float64 {
	if a > 0 {
		return -truncNormal(rng, -b, -a)
	}
	// a ≤ 0: Φ(a) has full relative precision.
	pa, pb := normCDF(a), normCDF(b)
	x := normQuantile(pa + rng.Float64()*(pb-pa))
	return min(max(x, a), b)
}
