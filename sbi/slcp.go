package sbi

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// SLCP is sbibm's slcp ("simple likelihood, complex posterior", Papamakarios et al. 2019):
// θ ∈ R⁵ with prior U[−3, 3]⁵, m = (θ1, θ2), s1 = θ3², s2 = θ4², ρ = tanh(θ5),
//
//	Σ = [[s1² + ε, ρ·s1·s2], [ρ·s1·s2, s2² + ε]],  ε = 10⁻⁶,
//
// and x the four i.i.d. draws x_j ~ N(m, Σ), flattened to R⁸ as (x_1,1, x_1,2, x_2,1, …). The
// ε on the diagonal is sbibm's (its simulator adds it "to ensure PSD"); the paper's formula
// omits it. It matters only when |θ3| or |θ4| is below about 0.03.
//
// The likelihood, and so the posterior, is unchanged by θ3 → −θ3 and by θ4 → −θ4: the
// posterior has four mirrored modes. ReferencePosterior therefore runs its Markov chains
// on the folded box θ3, θ4 ∈ (0, 3] (the map from folded θ to (m, Σ) is one-to-one, so
// the symmetry accounts for the modes the parameterization creates) and gives each kept draw independent fair signs
// for θ3 and θ4, which is exact by the symmetry. The chains are adaptive random-walk
// Metropolis in the coordinates (w, log θ3, log θ4, θ5) with m = x̄ + L·w/2, L·Lᵀ = Σ and x̄
// the mean of the four pairs, where the posterior is close to Gaussian, started from a tempered importance resample of the prior (see
// MCMCConfig); R̂ and effective sample sizes (of the folded θ) are checked before any draw
// is returned. Use Sample for the diagnostics.
//
// sbibm itself builds its SLCP reference by sampling-importance-resampling from 10⁸ prior
// draws, a neural-spline-flow proposal fitted to those, and rejection sampling from that
// proposal; this package uses MCMC, validated by rank calibration over prior draws (see
// the tests).
type SLCP struct {
	// MCMC sets the chains of ReferencePosterior; the zero value takes the defaults.
	MCMC MCMCConfig
}

// slcp's constants.
const (
	slcpDim       = 5
	slcpN         = 4 // i.i.d. draws per simulation
	slcpDataDim   = 2 * slcpN
	slcpBox       = 3.0
	slcpEps       = 1e-6
	slcpObsStream = 4
)

// Name implements Task.
func (SLCP) Name() string { return "slcp" }

// ParamDim implements Task.
func (SLCP) ParamDim() int { return slcpDim }

// DataDim implements Task.
func (SLCP) DataDim() int { return slcpDataDim }

// SamplePrior implements Task.
func (SLCP) SamplePrior(rng *rand.Rand, n int) []float64 {
	return sampleBox(rng, n, slcpDim, slcpBox)
}

// PriorLogProb implements Task.
func (t SLCP) PriorLogProb(theta []float64) float64 {
	checkLen(t.Name(), "theta", theta, slcpDim)
	return boxLogProb(theta, slcpBox)
}

// slcpCov returns Σ11, Σ12, Σ22 of θ.
func slcpCov(theta []float64) (a, b, c float64) {
	s1, s2 := theta[2]*theta[2], theta[3]*theta[3]
	return s1*s1 + slcpEps, math.Tanh(theta[4]) * s1 * s2, s2*s2 + slcpEps
}

// Simulate implements Task: x_j = m + L·z_j with L the Cholesky factor of Σ, z_j ~ N(0, I),
// j = 1..4.
func (t SLCP) Simulate(rng *rand.Rand, theta []float64) []float64 {
	n := checkRows(t.Name(), "theta", theta, slcpDim)
	out := make([]float64, n*slcpDataDim)
	for i := range n {
		th := theta[i*slcpDim : (i+1)*slcpDim]
		a, b, c := slcpCov(th)
		l11 := math.Sqrt(a)
		l21 := b / l11
		l22 := math.Sqrt(max(c-l21*l21, 0))
		for j := range slcpN {
			z1, z2 := rng.NormFloat64(), rng.NormFloat64()
			out[i*slcpDataDim+2*j] = th[0] + l11*z1
			out[i*slcpDataDim+2*j+1] = th[1] + l21*z1 + l22*z2
		}
	}
	return out
}

// slcpLogLik returns Σ_j log N(x_j; m, Σ) without length checks.
func slcpLogLik(theta, x []float64) float64 {
	a, b, c := slcpCov(theta)
	det := a*c - b*b
	var q float64
	for j := range slcpN {
		d0, d1 := x[2*j]-theta[0], x[2*j+1]-theta[1]
		q += (c*d0*d0 - 2*b*d0*d1 + a*d1*d1) / det
	}
	return -0.5*q - slcpN*(log2Pi+0.5*math.Log(det))
}

// LogLikelihood implements Task.
func (t SLCP) LogLikelihood(theta, x []float64) float64 {
	checkLen(t.Name(), "theta", theta, slcpDim)
	checkLen(t.Name(), "x", x, slcpDataDim)
	return slcpLogLik(theta, x)
}

// Observation implements Task (PCG stream 4).
func (t SLCP) Observation(j int) (theta, x []float64, err error) {
	return observation(t, slcpObsStream, j)
}

// MCMCConfig sets the Markov chains of an MCMC reference posterior. Zero fields take the
// defaults in brackets.
type MCMCConfig struct {
	// Chains is the number of independent chains [16].
	Chains int
	// Warmup is the number of adaptation iterations per chain, discarded [5000].
	Warmup int
	// Thin is the number of iterations per kept draw [50].
	Thin int
	// MinDraws is the least number of draws kept per chain, whatever n [100], so that R̂
	// and ESS are meaningful; draws beyond n are discarded after shuffling.
	MinDraws int
	// InitDraws is the number of prior draws from which chain starts are resampled with
	// weights L(θ)^β, β ≤ 1 the largest power whose weights keep an effective sample
	// size of at least 4·Chains [20000].
	InitDraws int
	// MaxRhat is the largest split R̂ accepted [1.01].
	MaxRhat float64
	// MinESS is the least effective sample size accepted, as a fraction of the draws kept
	// [0.5].
	MinESS float64
	// Retries is how often a run that fails the checks is repeated with Warmup and Thin
	// doubled before ReferencePosterior gives up [2]; a negative value means none.
	Retries int
}

// withDefaults returns cfg with zero fields replaced by the defaults.
func (cfg MCMCConfig) withDefaults() MCMCConfig {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.Chains, 16)
	def(&cfg.Warmup, 5000)
	def(&cfg.Thin, 50)
	def(&cfg.MinDraws, 100)
	def(&cfg.InitDraws, 20000)
	if cfg.MaxRhat <= 0 {
		cfg.MaxRhat = 1.01
	}
	if cfg.MinESS <= 0 {
		cfg.MinESS = 0.5
	}
	switch {
	case cfg.Retries == 0:
		cfg.Retries = 2
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	return cfg
}

// MCMCStats describes the run behind an MCMC reference posterior (the last attempt).
type MCMCStats struct {
	// Chains and DrawsPerChain count the kept draws; Warmup and Thin are the run's settings.
	Chains, DrawsPerChain, Warmup, Thin int
	// Rhat and ESS are the split R̂ and the effective sample size of each coordinate of the
	// folded draws (|θ3| and |θ4|), over all kept draws.
	Rhat, ESS []float64
	// Acceptance is the Metropolis acceptance rate after warm-up.
	Acceptance float64
	// Evaluations counts likelihood evaluations over all attempts, initialization included.
	Evaluations int64
	// Attempts is the number of runs made (1 + retries used).
	Attempts int
}

// MaxRhat returns the largest R̂ over coordinates.
func (s MCMCStats) MaxRhat() float64 {
	m := math.Inf(-1)
	for _, r := range s.Rhat {
		m = max(m, r)
	}
	return m
}

// MinESS returns the smallest effective sample size over coordinates.
func (s MCMCStats) MinESS() float64 {
	m := math.Inf(1)
	for _, e := range s.ESS {
		m = min(m, e)
	}
	return m
}

// ReferencePosterior implements Task: the draws of Sample, which fail when the chains do
// not pass their checks.
func (t SLCP) ReferencePosterior(rng *rand.Rand, xo []float64, n int) ([]float64, error) {
	draws, _, err := t.Sample(rng, xo, n)
	return draws, err
}

// Sample returns n draws from the SLCP posterior for x_o by MCMC (see SLCP) and the
// diagnostics of the run (none for n = 0). It fails, returning the diagnostics of the last attempt, when
// after cfg.Retries repeats the largest R̂ exceeds cfg.MaxRhat or the smallest effective
// sample size falls below cfg.MinESS times the draws kept.
func (t SLCP) Sample(rng *rand.Rand, xo []float64, n int) ([]float64, MCMCStats, error) {
	if err := checkPosteriorArgs(t, xo, n); err != nil {
		return nil, MCMCStats{}, err
	}
	if n == 0 {
		return []float64{}, MCMCStats{}, nil
	}
	cfg := t.MCMC.withDefaults()
	xo = append([]float64(nil), xo...)
	// The chains run on u = (w1, w2, log θ3, log θ4, θ5) over the folded box (θ3, θ4 > 0),
	// m = x̄ + L·w/2 (slcpFromU): there the posterior is close to a standard Gaussian in w
	// and to a Gaussian in the log-scales, without the funnel between m and the scales.
	bar := slcpMean(xo)
	th := make([]float64, slcpDim)
	logp := func(u []float64) float64 {
		logJac := slcpFromU(th, u, bar)
		for _, v := range th {
			if !(v >= -slcpBox && v <= slcpBox) {
				return math.Inf(-1)
			}
		}
		return slcpLogLik(th, xo) + logJac
	}
	perChain := max(cfg.MinDraws, (n+cfg.Chains-1)/cfg.Chains)
	var stats MCMCStats
	var res rwmResult
	for attempt := 0; attempt <= cfg.Retries; attempt++ {
		starts, cov0, evals := slcpStarts(rng, xo, bar, cfg.Chains, cfg.InitDraws)
		res = rwm(rng, logp, slcpDim, starts, cov0, cfg.Warmup, perChain, cfg.Thin)
		for i := 0; i < len(res.draws); i += slcpDim { // back to θ
			u := res.draws[i : i+slcpDim]
			slcpFromU(th, u, bar)
			copy(u, th)
		}
		stats = MCMCStats{
			Chains: cfg.Chains, DrawsPerChain: perChain, Warmup: cfg.Warmup, Thin: cfg.Thin,
			Rhat: make([]float64, slcpDim), ESS: make([]float64, slcpDim),
			Acceptance: res.acceptance, Evaluations: stats.Evaluations + evals + res.evaluations,
			Attempts: attempt + 1,
		}
		for k := range slcpDim {
			stats.Rhat[k] = splitRhat(res.draws, cfg.Chains, perChain, slcpDim, k)
			stats.ESS[k] = essMulti(res.draws, cfg.Chains, perChain, slcpDim, k)
		}
		if stats.MaxRhat() <= cfg.MaxRhat && stats.MinESS() >= cfg.MinESS*float64(cfg.Chains*perChain) {
			break
		}
		if attempt == cfg.Retries {
			return nil, stats, fmt.Errorf("sbi: %s: MCMC failed its checks after %d attempts: max R̂ %.4f (limit %.4f), min ESS %.0f of %d draws (limit %.0f%%)",
				t.Name(), stats.Attempts, stats.MaxRhat(), cfg.MaxRhat, stats.MinESS(), cfg.Chains*perChain, 100*cfg.MinESS)
		}
		cfg.Warmup *= 2
		cfg.Thin *= 2
	}
	// Shuffle the pooled draws, so that any prefix mixes chains, and unfold the symmetry.
	all := res.draws
	m := len(all) / slcpDim
	for i := m - 1; i > 0; i-- {
		j := rng.IntN(i + 1)
		for k := range slcpDim {
			all[i*slcpDim+k], all[j*slcpDim+k] = all[j*slcpDim+k], all[i*slcpDim+k]
		}
	}
	out := all[: n*slcpDim : n*slcpDim]
	for i := range n {
		b := rng.Uint64()
		if b&1 == 1 {
			out[i*slcpDim+2] = -out[i*slcpDim+2]
		}
		if b&2 == 2 {
			out[i*slcpDim+3] = -out[i*slcpDim+3]
		}
	}
	return out, stats, nil
}

// slcpMean returns x̄, the mean of the four pairs of x.
func slcpMean(x []float64) [2]float64 {
	var m [2]float64
	for j := range slcpN {
		m[0] += x[2*j] / slcpN
		m[1] += x[2*j+1] / slcpN
	}
	return m
}

// slcpChol returns the Cholesky factor (l11, l21, l22) of Σ(θ).
func slcpChol(theta []float64) (l11, l21, l22 float64) {
	a, b, c := slcpCov(theta)
	l11 = math.Sqrt(a)
	l21 = b / l11
	return l11, l21, math.Sqrt(max(c-l21*l21, 0))
}

// slcpFromU sets th to the θ of the chains' coordinates u = (w1, w2, log θ3, log θ4, θ5):
// θ3 = e^u3, θ4 = e^u4, and m = (θ1, θ2) = x̄ + L·w/2 with L·Lᵀ = Σ(θ), the non-centred form
// of m | Σ, x ≈ N(x̄, Σ/4). It returns log |∂θ/∂u| = log θ3 + log θ4 + log(l11·l22/4).
func slcpFromU(th, u []float64, bar [2]float64) float64 {
	th[2], th[3], th[4] = math.Exp(u[2]), math.Exp(u[3]), u[4]
	l11, l21, l22 := slcpChol(th)
	th[0] = bar[0] + 0.5*l11*u[0]
	th[1] = bar[1] + 0.5*(l21*u[0]+l22*u[1])
	return u[2] + u[3] + math.Log(0.25*l11*l22)
}

// slcpToU is the inverse of slcpFromU for θ3, θ4 > 0.
func slcpToU(u, th []float64, bar [2]float64) {
	l11, l21, l22 := slcpChol(th)
	u[0] = 2 * (th[0] - bar[0]) / l11
	u[1] = (2*(th[1]-bar[1]) - l21*u[0]) / l22
	u[2], u[3], u[4] = math.Log(th[2]), math.Log(th[3]), th[4]
}

// slcpStarts returns chain starting points (chains×5, in the chains' coordinates, see
// slcpFromU) and a first proposal covariance by tempered importance
// resampling: draws θ from the folded prior, weights w ∝ L(θ)^β with β the largest power in
// [0, 1] (by bisection) whose weights keep an effective sample size (Σw)²/Σw² of at least
// 4·chains, starts resampled from the weights, and the weighted covariance of the draws' u.
// It also returns the number of likelihood evaluations.
func slcpStarts(rng *rand.Rand, xo []float64, bar [2]float64, chains, nInit int) (starts, cov []float64, evals int64) {
	nInit = max(nInit, 8*chains)
	u := make([]float64, nInit*slcpDim)
	ll := make([]float64, nInit)
	maxLL := math.Inf(-1)
	th := make([]float64, slcpDim)
	for i := range nInit {
		for k := range th {
			th[k] = (2*rng.Float64() - 1) * slcpBox
		}
		th[2], th[3] = math.Abs(th[2]), math.Abs(th[3])
		ll[i] = slcpLogLik(th, xo)
		maxLL = max(maxLL, ll[i])
		slcpToU(u[i*slcpDim:(i+1)*slcpDim], th, bar)
	}
	w := make([]float64, nInit)
	weights := func(beta float64) float64 { // fills w, returns the ESS
		var s, s2 float64
		for i, l := range ll {
			w[i] = math.Exp(beta * (l - maxLL))
			s += w[i]
			s2 += w[i] * w[i]
		}
		return s * s / s2
	}
	target := float64(4 * chains)
	beta := 1.0
	if weights(1) < target {
		lo, hi := 0.0, 1.0
		for range 24 { // β to within 6e-8
			mid := 0.5 * (lo + hi)
			if weights(mid) >= target {
				lo = mid
			} else {
				hi = mid
			}
		}
		beta = lo
	}
	weights(beta)
	var sw float64
	for _, v := range w {
		sw += v
	}
	mean := make([]float64, slcpDim)
	for i, v := range w {
		for k := range slcpDim {
			mean[k] += v / sw * u[i*slcpDim+k]
		}
	}
	cov = make([]float64, slcpDim*slcpDim)
	for i, v := range w {
		for a := range slcpDim {
			for b := range slcpDim {
				cov[a*slcpDim+b] += v / sw * (u[i*slcpDim+a] - mean[a]) * (u[i*slcpDim+b] - mean[b])
			}
		}
	}
	// Multinomial resampling of the starts.
	starts = make([]float64, chains*slcpDim)
	for c := range chains {
		r := rng.Float64() * sw
		i := 0
		for ; i < nInit-1; i++ {
			r -= w[i]
			if r < 0 {
				break
			}
		}
		copy(starts[c*slcpDim:(c+1)*slcpDim], u[i*slcpDim:(i+1)*slcpDim])
	}
	return starts, cov, int64(nInit)
}
