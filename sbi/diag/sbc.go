package diag

import (
	"context"
	"fmt"
	"math/rand/v2"
)

// SBCOptions are the settings of SBC and SBCFromRanks.
type SBCOptions struct {
	// Bins is the number of histogram bins of the chi-square test (0: min(L+1, 20,
	// max(2, N/5)), so that every bin expects at least five ranks where N allows). It need
	// not divide L+1: a bin's expected count is N times its share of the L+1 rank values.
	Bins int
	// Seed seeds the random tie-breaking of ranks and the jitter of the KS test.
	Seed uint64
}

// SBCResult is the outcome of simulation-based calibration over N pairs (θ_i, x_i), each
// with L posterior draws for x_i, in D dimensions.
type SBCResult struct {
	N, D, L int
	// Ranks holds, row-major N×D, the rank of θ_i's coordinate j among the L draws'
	// coordinates j: the number of draws below it (ties, which continuous draws do not
	// have, split at random), in 0..L. Under a calibrated posterior each is uniform on 0..L.
	Ranks []int
	// Dims are the uniformity tests of each dimension's ranks.
	Dims []RankTest
}

// RankTest is the uniformity test of one dimension's SBC ranks.
type RankTest struct {
	Counts   []int     // ranks per histogram bin; bin b holds the ranks r with ⌊r·B/(L+1)⌋ = b
	Expected []float64 // N times each bin's share of the L+1 rank values
	// ChiSquare is Pearson's statistic of Counts against Expected, with DF = B − 1 degrees of
	// freedom and p-value ChiSquareP.
	ChiSquare  float64
	DF         int
	ChiSquareP float64
	// KS is the Kolmogorov–Smirnov statistic of the jittered ranks u = (r + V)/(L+1),
	// V ~ U[0, 1) — exactly uniform on [0, 1) when r is uniform on 0..L — with its exact
	// p-value KSP.
	KS, KSP float64
}

// SBC runs simulation-based calibration (Talts, Betancourt, Simpson, Vehtari and Gelman
// 2018, "Validating Bayesian Inference Algorithms with Simulation-Based Calibration"): for
// each pair i in 0..n−1, pair(i, theta, draws) must write a parameter θ_i drawn from the
// prior into theta (d values) and L draws from the posterior estimate given x_i ~ p(x | θ_i)
// into draws (row-major L×d); SBC ranks θ_i among the draws per dimension and tests each
// dimension's ranks for uniformity. pair is called in order from this goroutine, with
// buffers SBC owns and reuses; ctx is checked before each call.
func SBC(ctx context.Context, n, d, l int, pair func(i int, theta, draws []float64) error, opt SBCOptions) (*SBCResult, error) {
	if n < 2 || d < 1 || l < 1 {
		return nil, fmt.Errorf("diag: SBC: n = %d, d = %d, L = %d; want n ≥ 2, d ≥ 1, L ≥ 1", n, d, l)
	}
	if pair == nil {
		return nil, fmt.Errorf("diag: SBC: pair is nil")
	}
	theta := make([]float64, d)
	draws := make([]float64, l*d)
	ranks := make([]int, n*d)
	for i := range n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		clear(theta)
		clear(draws)
		if err := pair(i, theta, draws); err != nil {
			return nil, fmt.Errorf("diag: SBC: pair %d: %w", i, err)
		}
		if err := checkFinite("SBC", fmt.Sprintf("theta of pair %d", i), theta, 1); err != nil {
			return nil, err
		}
		if err := checkFinite("SBC", fmt.Sprintf("draws of pair %d", i), draws, d); err != nil {
			return nil, err
		}
		rng := rand.New(rand.NewPCG(opt.Seed, uint64(i)))
		for j := range d {
			less, ties := 0, 0
			for s := range l {
				switch v := draws[s*d+j]; {
				case v < theta[j]:
					less++
				case v == theta[j]:
					ties++
				}
			}
			ranks[i*d+j] = less + breakTies(ties, rng)
		}
	}
	return SBCFromRanks(ranks, n, d, l, opt)
}

// breakTies returns a uniform draw from 0..ties.
func breakTies(ties int, rng *rand.Rand) int {
	if ties == 0 {
		return 0
	}
	return rng.IntN(ties + 1)
}

// SBCFromRanks tests ranks computed elsewhere: ranks is row-major n×d, each in 0..L (the
// number of L posterior draws below the true parameter). See SBCResult for the tests.
func SBCFromRanks(ranks []int, n, d, l int, opt SBCOptions) (*SBCResult, error) {
	if n < 2 || d < 1 || l < 1 {
		return nil, fmt.Errorf("diag: SBCFromRanks: n = %d, d = %d, L = %d; want n ≥ 2, d ≥ 1, L ≥ 1", n, d, l)
	}
	if len(ranks) != n*d {
		return nil, fmt.Errorf("diag: SBCFromRanks: ranks has %d values, want n·d = %d", len(ranks), n*d)
	}
	for i, r := range ranks {
		if r < 0 || r > l {
			return nil, fmt.Errorf("diag: SBCFromRanks: ranks[row %d, column %d] = %d, want a rank in 0..L = %d", i/d, i%d, r, l)
		}
	}
	bins := opt.Bins
	if bins == 0 {
		bins = min(l+1, 20, max(2, n/5))
	}
	if bins < 2 || bins > l+1 {
		return nil, fmt.Errorf("diag: SBC: Bins = %d, want 2..L+1 = %d", opt.Bins, l+1)
	}
	// Each bin's share of the rank values 0..L.
	share := make([]float64, bins)
	for r := 0; r <= l; r++ {
		share[r*bins/(l+1)]++
	}
	res := &SBCResult{N: n, D: d, L: l, Ranks: ranks}
	u := make([]float64, n)
	for j := range d {
		t := RankTest{Counts: make([]int, bins), Expected: make([]float64, bins), DF: bins - 1}
		obs := make([]float64, bins)
		rng := rand.New(rand.NewPCG(opt.Seed, 1<<40+uint64(j)))
		for i := range n {
			r := ranks[i*d+j]
			t.Counts[r*bins/(l+1)]++
			u[i] = (float64(r) + rng.Float64()) / float64(l+1)
		}
		for b := range bins {
			obs[b] = float64(t.Counts[b])
			t.Expected[b] = float64(n) * share[b] / float64(l+1)
		}
		var err error
		if t.ChiSquare, t.ChiSquareP, err = ChiSquareTest(obs, t.Expected, 0); err != nil {
			return nil, err
		}
		if t.KS, t.KSP, err = KSUniform(u); err != nil {
			return nil, err
		}
		res.Dims = append(res.Dims, t)
	}
	return res, nil
}

// Band returns, per histogram bin, the central interval [lo, hi] that holds a bin's count
// with probability at least level under calibration: the level/2 tails cut from
// Binomial(N, share of the bin) (level 0.99 gives the band SBC plots draw).
func (t *RankTest) Band(level float64) (lo, hi []int, err error) {
	if !(level > 0 && level < 1) {
		return nil, nil, fmt.Errorf("diag: Band: level = %v, want a value in (0, 1)", level)
	}
	var n float64
	for _, e := range t.Expected {
		n += e
	}
	N := int(n + 0.5)
	for _, e := range t.Expected {
		p := e / float64(N)
		lo = append(lo, binomialQuantile(N, p, (1-level)/2))
		hi = append(hi, binomialQuantile(N, p, 1-(1-level)/2))
	}
	return lo, hi, nil
}
