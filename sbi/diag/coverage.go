package diag

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// CoverageOptions are the settings of the expected-coverage diagnostics.
type CoverageOptions struct {
	// Levels are the nominal credibility levels reported (nil: 0.5, 0.8 and 0.95).
	Levels []float64
	// CurvePoints is the number of equally spaced nominal levels of the full curve, from
	// 0 to 1 inclusive (0: 101).
	CurvePoints int
	// Seed seeds the tie-breaking and the jitter that make the credibility levels of a
	// calibrated posterior exactly uniform.
	Seed uint64
}

// CoverageResult is the expected coverage of a posterior estimate over N pairs.
type CoverageResult struct {
	N int
	// Levels are the nominal levels asked for, Coverage the fraction of pairs whose true
	// parameter lies in the estimate's credible region of that level, and StdErr the
	// binomial standard error sqrt(α(1−α)/N) a calibrated posterior's coverage has there.
	Levels, Coverage, StdErr []float64
	// Nominal and Empirical are the full coverage curve (the diagonal when calibrated).
	Nominal, Empirical []float64
	// Credibility holds, per pair, the smallest credibility level whose region contains the
	// true parameter, u_i = (r_i + V_i)/(L+1) with r_i the number of draws ranked inside
	// it and V_i ~ U[0, 1): uniform on [0, 1) for a calibrated posterior, concentrated
	// near 1 for an over-confident one. Coverage(α) is the fraction of u_i below α.
	Credibility []float64
	// KS and KSP are the Kolmogorov–Smirnov test of Credibility against U[0, 1].
	KS, KSP float64
}

// CoverageFromCredibility summarizes per-pair credibility levels u (see
// CoverageResult.Credibility), each in [0, 1].
func CoverageFromCredibility(u []float64, opt CoverageOptions) (*CoverageResult, error) {
	if len(u) < 2 {
		return nil, fmt.Errorf("diag: coverage: %d pairs, want at least 2", len(u))
	}
	levels := opt.Levels
	if levels == nil {
		levels = []float64{0.5, 0.8, 0.95}
	}
	if err := checkLevels("coverage", "Levels", levels); err != nil {
		return nil, err
	}
	pts := opt.CurvePoints
	if pts == 0 {
		pts = 101
	}
	if pts < 2 {
		return nil, fmt.Errorf("diag: coverage: CurvePoints = %d, want ≥ 2", opt.CurvePoints)
	}
	ks, ksp, err := KSUniform(u)
	if err != nil {
		return nil, err
	}
	s := slices.Clone(u)
	slices.Sort(s)
	n := float64(len(s))
	below := func(a float64) float64 { // fraction of u < a
		i, _ := slices.BinarySearch(s, a)
		return float64(i) / n
	}
	r := &CoverageResult{N: len(u), Levels: slices.Clone(levels), Credibility: slices.Clone(u), KS: ks, KSP: ksp}
	for _, a := range levels {
		r.Coverage = append(r.Coverage, below(a))
		r.StdErr = append(r.StdErr, math.Sqrt(a*(1-a)/n))
	}
	for k := range pts {
		a := float64(k) / float64(pts-1)
		r.Nominal = append(r.Nominal, a)
		if k == pts-1 {
			r.Empirical = append(r.Empirical, 1)
		} else {
			r.Empirical = append(r.Empirical, below(a))
		}
	}
	return r, nil
}

// jitterRank returns (r + V)/(L+1), V ~ U[0, 1), with r = inside + a uniform share of
// ties: uniform on [0, 1) when r is uniform on 0..L.
func jitterRank(inside, ties, l int, rng *rand.Rand) float64 {
	r := inside + breakTies(ties, rng)
	return (float64(r) + rng.Float64()) / float64(l+1)
}

// HPDCoverage returns the highest-posterior-density expected coverage from log-densities
// of the posterior estimate: for pair i, logqTrue[i] = log q(θ_i | x_i) at the true
// parameter and logqDraws[i·L:(i+1)·L] = log q(θ_ij | x_i) at L draws θ_ij ~ q(· | x_i).
// θ_i lies in the estimate's highest-density region of level α when fewer than a fraction
// α of the draws are denser than it, so u_i counts the draws with log q above logqTrue[i]
// (see CoverageResult.Credibility). -Inf marks a point outside the estimate's support;
// NaN and +Inf are errors.
func HPDCoverage(logqTrue, logqDraws []float64, l int, opt CoverageOptions) (*CoverageResult, error) {
	n := len(logqTrue)
	if l < 1 {
		return nil, fmt.Errorf("diag: HPDCoverage: L = %d, want ≥ 1", l)
	}
	if len(logqDraws) != n*l {
		return nil, fmt.Errorf("diag: HPDCoverage: logqDraws has %d values, want len(logqTrue)·L = %d·%d", len(logqDraws), n, l)
	}
	for name, a := range map[string][]float64{"logqTrue": logqTrue, "logqDraws": logqDraws} {
		for i, v := range a {
			if math.IsNaN(v) || math.IsInf(v, 1) {
				return nil, fmt.Errorf("diag: HPDCoverage: %s[%d] = %v, want a finite value or -Inf", name, i, v)
			}
		}
	}
	u := make([]float64, n)
	for i := range n {
		rng := rand.New(rand.NewPCG(opt.Seed, uint64(i)))
		above, ties := 0, 0
		for _, v := range logqDraws[i*l : (i+1)*l] {
			switch {
			case v > logqTrue[i]:
				above++
			case v == logqTrue[i]:
				ties++
			}
		}
		u[i] = jitterRank(above, ties, l, rng)
	}
	return CoverageFromCredibility(u, opt)
}

// TARPMetric is the distance of TARP.
type TARPMetric int

const (
	// Euclidean is the L2 distance (tarp's "euclidean", the default).
	Euclidean TARPMetric = iota
	// Manhattan is the L1 distance (tarp's "manhattan").
	Manhattan
)

// TARPOptions are the settings of TARP.
type TARPOptions struct {
	CoverageOptions
	// References, if set, are the reference points, row-major n×d in parameter units;
	// otherwise each pair's reference is drawn uniformly from the box spanned by the true
	// parameters (what tarp's norm=True with references="random" does).
	References []float64
	// Metric is the distance (default Euclidean).
	Metric TARPMetric
}

// TARP returns the expected coverage of "tests of accuracy with random points" (Lemos,
// Coogan, Hezaveh and Perreault-Levasseur 2023, "Sampling-Based Accuracy Testing of
// Posterior Estimators for General Inference"): for pair i with true parameter θ_i (row i
// of theta, n×d) and L estimated-posterior draws (draws[i·L·d:(i+1)·L·d], row-major L×d),
// a reference point θ_r is drawn, and the region of level α is the ball around θ_r that
// holds a fraction α of the draws; θ_i lies in it when fewer than αL draws are closer to
// θ_r than θ_i is. As the tarp package does with norm=True, every coordinate is first
// scaled to [0, 1] by the minimum and maximum of the true parameters over the pairs
// (plus 1e-10). A calibrated posterior covers at every level for any distribution of the
// references (the paper's theorem needs it not to depend on θ_i given x_i; the default,
// uniform in the box, does not).
func TARP(theta, draws []float64, l, d int, opt TARPOptions) (*CoverageResult, error) {
	n, err := checkRows("TARP", "theta", theta, d, 2)
	if err != nil {
		return nil, err
	}
	if l < 1 {
		return nil, fmt.Errorf("diag: TARP: L = %d, want ≥ 1", l)
	}
	if len(draws) != n*l*d {
		return nil, fmt.Errorf("diag: TARP: draws has %d values, want n·L·d = %d·%d·%d", len(draws), n, l, d)
	}
	if err := checkFinite("TARP", "draws", draws, d); err != nil {
		return nil, err
	}
	if opt.References != nil {
		if len(opt.References) != n*d {
			return nil, fmt.Errorf("diag: TARP: References has %d values, want n·d = %d", len(opt.References), n*d)
		}
		if err := checkFinite("TARP", "References", opt.References, d); err != nil {
			return nil, err
		}
	}
	if opt.Metric != Euclidean && opt.Metric != Manhattan {
		return nil, fmt.Errorf("diag: TARP: unknown Metric %d", opt.Metric)
	}
	lo := slices.Clone(theta[:d])
	scale := slices.Clone(theta[:d])
	for i := 1; i < n; i++ {
		for j := range d {
			lo[j] = math.Min(lo[j], theta[i*d+j])
			scale[j] = math.Max(scale[j], theta[i*d+j])
		}
	}
	for j := range d {
		scale[j] = 1 / (scale[j] - lo[j] + 1e-10)
	}
	dist := func(a, ref []float64) float64 {
		var s float64
		for j := range d {
			e := (a[j] - lo[j]) * scale[j]
			e -= ref[j]
			if opt.Metric == Manhattan {
				s += math.Abs(e)
			} else {
				s += e * e
			}
		}
		return s // squared for Euclidean: the order is the same
	}
	ref := make([]float64, d)
	u := make([]float64, n)
	for i := range n {
		rng := rand.New(rand.NewPCG(opt.Seed, uint64(i)))
		if opt.References != nil {
			for j := range d {
				ref[j] = (opt.References[i*d+j] - lo[j]) * scale[j]
			}
		} else {
			for j := range d {
				ref[j] = rng.Float64()
			}
		}
		dt := dist(theta[i*d:(i+1)*d], ref)
		closer, ties := 0, 0
		for s := range l {
			row := draws[(i*l+s)*d : (i*l+s+1)*d]
			switch ds := dist(row, ref); {
			case ds < dt:
				closer++
			case ds == dt:
				ties++
			}
		}
		u[i] = jitterRank(closer, ties, l, rng)
	}
	return CoverageFromCredibility(u, opt.CoverageOptions)
}
