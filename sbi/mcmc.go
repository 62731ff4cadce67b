package sbi

import (
	"math"
	"math/rand/v2"
)

// rwmResult holds the kept draws of a random-walk Metropolis run, laid out
// [chain][draw][coordinate], and its counters.
type rwmResult struct {
	draws       []float64
	acceptance  float64 // over the kept phase
	evaluations int64
}

// rwm runs len(starts)/d chains of random-walk Metropolis on the density exp(logp) in lockstep:
// proposals x' = x + √λ·L·z with z ~ N(0, I) and L·Lᵀ a proposal covariance. During the
// warmup iterations (discarded) L is re-estimated at the end of doubling windows (50, 100,
// 200, … iterations) from the pooled covariance of every chain's states in the window, and
// log λ follows a Robbins–Monro recursion towards an acceptance rate of 0.234; the last
// fifth of warm-up (at most 500 iterations) tunes λ only. Afterwards L and λ are frozen, so
// the kept phase is a time-homogeneous Metropolis chain with a symmetric proposal, and
// every thin-th state of each chain is kept, perChain per chain. cov0 (d×d) is the first
// proposal covariance.
func rwm(rng *rand.Rand, logp func([]float64) float64, d int, starts, cov0 []float64, warmup, perChain, thin int) rwmResult {
	nc := len(starts) / d
	x := append([]float64(nil), starts...)
	lp := make([]float64, nc)
	var evals int64
	for c := range nc {
		lp[c] = logp(x[c*d : (c+1)*d])
		evals++
	}
	L := choleskyJitter(cov0, d)
	logLam := math.Log(2.38 * 2.38 / float64(d))
	prop, z := make([]float64, d), make([]float64, d)

	final := min(500, warmup/5)
	adaptEnd := warmup - final
	var ends []int // last iteration+1 of each covariance window
	for start, w := 0, 50; start < adaptEnd; w *= 2 {
		end := start + w
		if end+2*w > adaptEnd {
			end = adaptEnd
		}
		ends = append(ends, end)
		start = end
	}
	rmStep := 0
	mean, m2 := make([]float64, d), make([]float64, d*d)
	var wCount float64
	res := rwmResult{draws: make([]float64, 0, nc*perChain*d)}
	var accKept int64
	total := warmup + perChain*thin
	for it := range total {
		sqrtLam := math.Exp(0.5 * logLam)
		var accSweep int
		for c := range nc {
			xc := x[c*d : (c+1)*d]
			for i := range z {
				z[i] = rng.NormFloat64()
			}
			for i := range d {
				s := 0.0
				for j := 0; j <= i; j++ {
					s += L[i*d+j] * z[j]
				}
				prop[i] = xc[i] + sqrtLam*s
			}
			lpp := logp(prop)
			evals++
			if lpp-lp[c] >= 0 || math.Log(rng.Float64()) < lpp-lp[c] {
				copy(xc, prop)
				lp[c] = lpp
				accSweep++
			}
			if it < adaptEnd {
				// Welford update of the pooled window mean and co-moment.
				wCount++
				for i := range d {
					dx := xc[i] - mean[i]
					mean[i] += dx / wCount
					for j := 0; j <= i; j++ {
						m2[i*d+j] += dx * (xc[j] - mean[j])
					}
				}
			}
			if it >= warmup {
				if (it-warmup+1)%thin == 0 {
					res.draws = append(res.draws, xc...)
				}
			}
		}
		if it >= warmup {
			accKept += int64(accSweep)
			continue
		}
		rmStep++
		logLam += 0.5 / math.Pow(1+float64(rmStep)/5, 0.6) * (float64(accSweep)/float64(nc) - 0.234)
		if len(ends) > 0 && it+1 == ends[0] {
			ends = ends[1:]
			if wCount > float64(d+1) {
				cov := make([]float64, d*d)
				for i := range d {
					for j := 0; j <= i; j++ {
						cov[i*d+j] = m2[i*d+j] / (wCount - 1)
						cov[j*d+i] = cov[i*d+j]
					}
				}
				L = choleskyJitter(cov, d)
				logLam = math.Log(2.38 * 2.38 / float64(d))
				rmStep = 0
			}
			clear(mean)
			clear(m2)
			wCount = 0
		}
	}
	// Reorder draws from [draw][chain][coordinate] to [chain][draw][coordinate].
	out := make([]float64, len(res.draws))
	for k := range perChain {
		for c := range nc {
			copy(out[(c*perChain+k)*d:(c*perChain+k+1)*d], res.draws[(k*nc+c)*d:(k*nc+c+1)*d])
		}
	}
	res.draws = out
	res.evaluations = evals
	if n := int64(nc) * int64(perChain*thin); n > 0 {
		res.acceptance = float64(accKept) / float64(n)
	}
	return res
}

// choleskyJitter returns the lower Cholesky factor (d×d, row-major) of the symmetric matrix a
// (lower triangle read), adding jitter·I with jitter = 1e-10·mean(diag), growing tenfold, until
// the factorization succeeds; a matrix with no positive diagonal gives the identity.
func choleskyJitter(a []float64, d int) []float64 {
	var tr float64
	for i := range d {
		tr += a[i*d+i]
	}
	jit := 1e-10 * tr / float64(d)
	if !(jit > 0) || math.IsInf(jit, 0) {
		L := make([]float64, d*d)
		for i := range d {
			L[i*d+i] = 1
		}
		return L
	}
	for {
		if L, ok := cholesky(a, d, jit); ok {
			return L
		}
		jit *= 10
	}
}

// cholesky factors a + jitter·I (lower triangle of a read) and reports success.
func cholesky(a []float64, d int, jitter float64) ([]float64, bool) {
	L := make([]float64, d*d)
	for i := range d {
		for j := 0; j <= i; j++ {
			s := a[i*d+j]
			if i == j {
				s += jitter
			}
			for k := range j {
				s -= L[i*d+k] * L[j*d+k]
			}
			if i == j {
				if !(s > 0) {
					return nil, false
				}
				L[i*d+i] = math.Sqrt(s)
			} else {
				L[i*d+j] = s / L[j*d+j]
			}
		}
	}
	return L, true
}

// splitRhat returns the split potential scale reduction factor R̂ (Gelman et al., Bayesian
// Data Analysis, 3rd ed., §11.4) of coordinate k of draws laid out [chain][draw][coordinate]:
// each chain is cut into halves, W is the mean within-half variance, B/n the variance of the
// half means, and R̂ = √(((n−1)/n·W + B/n)/W). It needs at least 4 draws per chain.
func splitRhat(draws []float64, chains, perChain, d, k int) float64 {
	n := perChain / 2
	m := 2 * chains
	means, vars := make([]float64, m), make([]float64, m)
	for c := range chains {
		for h := range 2 {
			off := h * (perChain - n) // the second half ends at the last draw
			var s float64
			for i := range n {
				s += draws[(c*perChain+off+i)*d+k]
			}
			mu := s / float64(n)
			var v float64
			for i := range n {
				t := draws[(c*perChain+off+i)*d+k] - mu
				v += t * t
			}
			means[2*c+h], vars[2*c+h] = mu, v/float64(n-1)
		}
	}
	var W, grand float64
	for j := range m {
		W += vars[j]
		grand += means[j]
	}
	W /= float64(m)
	grand /= float64(m)
	var B float64
	for j := range m {
		B += (means[j] - grand) * (means[j] - grand)
	}
	B /= float64(m - 1) // this is B/n
	if W == 0 {
		if B == 0 {
			return 1
		}
		return math.Inf(1)
	}
	return math.Sqrt(((float64(n)-1)/float64(n)*W + B) / W)
}

// essMulti returns the effective sample size of coordinate k of draws laid out
// [chain][draw][coordinate], combining chains as Stan does (Vehtari et al. 2021, eq. 10):
// ρ_t = 1 − (W − mean-over-chains autocovariance at lag t)/var⁺, summed with Geyer's initial
// monotone positive-pair sequence; ESS = chains·perChain/τ with τ = −1 + 2·Σ pairs, capped
// at chains·perChain·log10(chains·perChain) as Stan caps it. Autocovariances are computed
// lag by lag only as far as the sequence reaches.
func essMulti(draws []float64, chains, perChain, d, k int) float64 {
	n := perChain
	if n < 4 {
		return math.NaN()
	}
	means := make([]float64, chains)
	var grand float64
	for c := range chains {
		var s float64
		for i := range n {
			s += draws[(c*n+i)*d+k]
		}
		means[c] = s / float64(n)
		grand += means[c]
	}
	grand /= float64(chains)
	acov := func(t int) float64 { // mean over chains of the biased autocovariance at lag t
		var sum float64
		for c := range chains {
			mu := means[c]
			base := c * n
			var a float64
			for i := 0; i+t < n; i++ {
				a += (draws[(base+i)*d+k] - mu) * (draws[(base+i+t)*d+k] - mu)
			}
			sum += a / float64(n)
		}
		return sum / float64(chains)
	}
	W := acov(0) * float64(n) / float64(n-1) // mean within-chain variance
	var B float64
	if chains > 1 {
		for _, m := range means {
			B += (m - grand) * (m - grand)
		}
		B /= float64(chains - 1)
	}
	varPlus := float64(n-1)/float64(n)*W + B
	if !(varPlus > 0) {
		return math.NaN()
	}
	rho := func(t int) float64 { return 1 - (W-acov(t))/varPlus }
	tau := -1.0
	prev := math.Inf(1)
	for t := 0; t+1 < n; t += 2 {
		p := rho(t) + rho(t+1)
		if p <= 0 {
			break
		}
		p = min(p, prev) // initial monotone sequence
		prev = p
		tau += 2 * p
	}
	total := float64(chains * n)
	return total / max(tau, 1/math.Log10(total))
}
