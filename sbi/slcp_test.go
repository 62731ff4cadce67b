package sbi

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// ar1Chains returns chains×n draws (one coordinate) of the AR(1) process
// y_t = φ·y_{t−1} + √(1−φ²)·e_t started in stationarity, whose integrated autocorrelation
// time is τ = (1 + φ)/(1 − φ).
func ar1Chains(rng *rand.Rand, chains, n int, phi float64) []float64 {
	out := make([]float64, 0, chains*n)
	for range chains {
		y := rng.NormFloat64()
		for range n {
			out = append(out, y)
			y = phi*y + math.Sqrt(1-phi*phi)*rng.NormFloat64()
		}
	}
	return out
}

func TestESS(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	const chains, n = 8, 5000
	for _, phi := range []float64{0, 0.5, 0.9, -0.3} {
		draws := ar1Chains(rng, chains, n, phi)
		want := chains * n * (1 - phi) / (1 + phi)
		if phi < 0 {
			want = min(want, chains*n*math.Log10(chains*n)) // antithetic chains: Stan's cap
		}
		got := essMulti(draws, chains, n, 1, 0)
		t.Logf("AR(1) φ = %g: ESS %.0f, theory %.0f", phi, got, want)
		if math.Abs(got/want-1) > 0.15 {
			t.Errorf("AR(1) φ = %g: ESS %.0f, want %.0f ± 15%%", phi, got, want)
		}
	}
}

func TestSplitRhat(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	const chains, n = 8, 1000
	good := ar1Chains(rng, chains, n, 0.5)
	if r := splitRhat(good, chains, n, 1, 0); r > 1.01 {
		t.Errorf("R̂ of stationary chains = %.4f", r)
	}
	shifted := slices.Clone(good)
	for i := range n { // one chain sits 1 sd away
		shifted[i] += 1
	}
	if r := splitRhat(shifted, chains, n, 1, 0); r < 1.02 {
		t.Errorf("R̂ with one chain shifted by 1 sd = %.4f, want > 1.02", r)
	}
	trend := slices.Clone(good)
	for c := range chains { // every chain drifts: only the split halves see it
		for i := range n {
			trend[c*n+i] += 2 * float64(i) / n
		}
	}
	if r := splitRhat(trend, chains, n, 1, 0); r < 1.05 {
		t.Errorf("R̂ of drifting chains = %.4f, want > 1.05", r)
	}
}

// TestRWMGaussian runs the sampler on a 5-D Gaussian with strong correlations and scales
// spread over three decades, from over-dispersed starts and an identity first proposal, and
// checks the draws' mean and covariance against the truth within Monte Carlo error.
func TestRWMGaussian(t *testing.T) {
	const d = 5
	sd := []float64{1, 0.1, 0.01, 2, 0.5}
	corr := func(i, j int) float64 {
		if i == j {
			return 1
		}
		return 0.9 * math.Pow(-1, float64(i+j)) / float64(1+abs(i-j))
	}
	cov := make([]float64, d*d)
	for i := range d {
		for j := range d {
			cov[i*d+j] = corr(i, j) * sd[i] * sd[j]
		}
	}
	L, ok := cholesky(cov, d, 0)
	if !ok {
		t.Fatal("test covariance not positive definite")
	}
	mu := []float64{1, -2, 0.5, 0, 3}
	// log N(x; μ, Σ) up to a constant via L⁻¹(x − μ) by forward substitution.
	logp := func(x []float64) float64 {
		var z [d]float64
		var q float64
		for i := range d {
			s := x[i] - mu[i]
			for k := range i {
				s -= L[i*d+k] * z[k]
			}
			z[i] = s / L[i*d+i]
			q += z[i] * z[i]
		}
		return -0.5 * q
	}
	rng := rand.New(rand.NewPCG(3, 3))
	const chains = 8
	starts := make([]float64, chains*d)
	for i := range starts {
		starts[i] = mu[i%d] + 3*rng.NormFloat64()
	}
	id := make([]float64, d*d)
	for i := range d {
		id[i*d+i] = 1
	}
	res := rwm(rng, logp, d, starts, id, 4000, 1000, 20)
	for k := range d {
		rh := splitRhat(res.draws, chains, 1000, d, k)
		ess := essMulti(res.draws, chains, 1000, d, k)
		m := 0.0
		for i := 0; i < len(res.draws); i += d {
			m += res.draws[i+k]
		}
		m /= float64(len(res.draws) / d)
		z := (m - mu[k]) / (sd[k] / math.Sqrt(ess))
		t.Logf("coordinate %d: R̂ %.4f, ESS %.0f, mean error %.2f se", k, rh, ess, z)
		if rh > 1.01 || math.Abs(z) > 5 || ess < 2000 {
			t.Errorf("coordinate %d: R̂ %.4f, ESS %.0f, mean off by %.1f se", k, rh, ess, z)
		}
	}
	_, c := meanCov(res.draws, d)
	for i := range d {
		for j := range d {
			if e := math.Abs(c[i*d+j]-cov[i*d+j]) / (sd[i] * sd[j]); e > 0.1 {
				t.Errorf("cov[%d][%d] = %.4g, want %.4g", i, j, c[i*d+j], cov[i*d+j])
			}
		}
	}
	if res.acceptance < 0.15 || res.acceptance > 0.35 {
		t.Errorf("acceptance %.3f, tuned for 0.234", res.acceptance)
	}
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// folded returns draws with θ3 and θ4 replaced by their absolute values.
func folded(draws []float64) []float64 {
	out := slices.Clone(draws)
	for i := 0; i < len(out); i += 5 {
		out[i+2], out[i+3] = math.Abs(out[i+2]), math.Abs(out[i+3])
	}
	return out
}

// TestSLCPReference runs the reference MCMC for the observations (the first three under
// -short): it must pass its own checks (R̂ ≤ 1.01, ESS ≥ half the draws), put a quarter of
// its draws in each sign quadrant of (θ3, θ4), and agree with a second, independent run by
// two-sample KS tests on every folded coordinate with the effective sample sizes.
func TestSLCPReference(t *testing.T) {
	var task SLCP
	nobs := NumObservations
	if testing.Short() {
		nobs = 3
	}
	const n = 10000
	for j := 1; j <= nobs; j++ {
		th, xo, _ := task.Observation(j)
		a, sa, err := task.Sample(rand.New(rand.NewPCG(10, uint64(j))), xo, n)
		if err != nil {
			t.Fatalf("obs %d: %v", j, err)
		}
		b, sb, err := task.Sample(rand.New(rand.NewPCG(20, uint64(j))), xo, n)
		if err != nil {
			t.Fatalf("obs %d, second run: %v", j, err)
		}
		t.Logf("obs %d θ* = %.3f: max R̂ %.4f / %.4f, min ESS %.0f / %.0f of %d, acceptance %.3f, %d evaluations, attempts %d / %d",
			j, th, sa.MaxRhat(), sb.MaxRhat(), sa.MinESS(), sb.MinESS(), sa.Chains*sa.DrawsPerChain, sa.Acceptance, sa.Evaluations, sa.Attempts, sb.Attempts)
		if len(a) != n*5 {
			t.Fatalf("obs %d: %d values, want %d", j, len(a), n*5)
		}
		var quad [4]int
		for i := 0; i < len(a); i += 5 {
			q := 0
			if a[i+2] < 0 {
				q++
			}
			if a[i+3] < 0 {
				q += 2
			}
			quad[q]++
		}
		for q, c := range quad {
			if z := (float64(c) - n/4.0) / math.Sqrt(n*3/16.0); math.Abs(z) > 5 {
				t.Errorf("obs %d: sign quadrant %d holds %d of %d draws", j, q, c, n)
			}
		}
		fa, fb := folded(a), folded(b)
		for k := range 5 {
			ea := min(sa.ESS[k], n)
			eb := min(sb.ESS[k], n)
			if d, p := ks2(column(fa, 5, k), column(fb, 5, k), ea, eb); p < 1e-3/5 {
				t.Errorf("obs %d: independent runs differ on coordinate %d: KS D = %.4f, p = %.3g", j, k+1, d, p)
			}
		}
	}
}

// TestSLCPImportance compares the MCMC with self-normalized importance sampling from the prior
// (an estimator that shares nothing with it but the likelihood) on the observations whose
// posteriors are broad enough for it: 10⁶ prior draws (3·10⁵ under -short) give 1.8–1.9·10⁴
// (about 6·10³) effective draws for observations 1 and 9. Weighted two-sample KS on each folded coordinate, with both
// effective sample sizes.
func TestSLCPImportance(t *testing.T) {
	var task SLCP
	obs, N := []int{1, 9}, 1_000_000
	if testing.Short() {
		obs, N = obs[:1], 300_000
	}
	for _, j := range obs {
		_, xo, _ := task.Observation(j)
		mc, st, err := task.Sample(rand.New(rand.NewPCG(30, uint64(j))), xo, 10000)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(31, uint64(j)))
		prior := task.SamplePrior(rng, N)
		w := make([]float64, N)
		m := math.Inf(-1)
		for i := range N {
			w[i] = task.LogLikelihood(prior[i*5:(i+1)*5], xo)
			m = max(m, w[i])
		}
		var s1, s2 float64
		for i := range w {
			w[i] = math.Exp(w[i] - m)
			s1 += w[i]
			s2 += w[i] * w[i]
		}
		essIS := s1 * s1 / s2
		fp, fm := folded(prior), folded(mc)
		for k := range 5 {
			d := weightedKS(column(fp, 5, k), w, column(fm, 5, k))
			ne := min(st.ESS[k], 10000)
			p := ksPValue(d, essIS*ne/(essIS+ne))
			t.Logf("obs %d coordinate %d: IS (ESS %.0f) vs MCMC (ESS %.0f): KS D = %.4f, p = %.3g", j, k+1, essIS, ne, d, p)
			if p < 1e-3/5 {
				t.Errorf("obs %d coordinate %d: importance sampling and MCMC differ: D = %.4f, p = %.3g", j, k+1, d, p)
			}
		}
	}
}

// weightedKS returns sup |F_w(v) − F(v)| between the weighted empirical CDF of xs (weights w)
// and the empirical CDF of ys.
func weightedKS(xs, w, ys []float64) float64 {
	type pt struct{ x, w float64 }
	ps := make([]pt, len(xs))
	var tot float64
	for i := range xs {
		ps[i] = pt{xs[i], w[i]}
		tot += w[i]
	}
	slices.SortFunc(ps, func(a, b pt) int { return cmp.Compare(a.x, b.x) })
	ys = slices.Clone(ys)
	slices.Sort(ys)
	var d, fw float64
	j := 0
	for _, p := range ps {
		fw += p.w / tot
		for j < len(ys) && ys[j] <= p.x {
			j++
		}
		d = max(d, math.Abs(fw-float64(j)/float64(len(ys))))
	}
	return d
}

// TestSLCPSBC runs simulation-based calibration of the MCMC reference over prior draws, with
// shorter chains than ReferencePosterior's defaults (4 chains, 25 draws each, thinning 40;
// checks R̂ ≤ 1.1 and ESS ≥ 20% of the draws, which 100 draws can estimate).
func TestSLCPSBC(t *testing.T) {
	trials := 1000
	if testing.Short() {
		trials = 300
	}
	const L = 99
	task := SLCP{MCMC: MCMCConfig{Chains: 4, Warmup: 1500, Thin: 40, MinDraws: 25, InitDraws: 2000, MaxRhat: 1.1, MinESS: 0.2}}
	ranks := sbcRanks(t, task, trials, L, 5, task.ReferencePosterior)
	checkSBC(t, "slcp", ranks, L, 10, 1e-3)
}

// TestSLCPFailsLoudly checks that chains too short to pass the checks give an error naming
// R̂ or ESS, not draws.
func TestSLCPFailsLoudly(t *testing.T) {
	task := SLCP{MCMC: MCMCConfig{Chains: 4, Warmup: 20, Thin: 1, MinDraws: 50, InitDraws: 100, Retries: -1}}
	_, xo, _ := task.Observation(2)
	draws, st, err := task.Sample(rand.New(rand.NewPCG(1, 1)), xo, 100)
	if err == nil || draws != nil {
		t.Fatalf("20 warm-up iterations and no thinning passed: max R̂ %.4f, min ESS %.0f", st.MaxRhat(), st.MinESS())
	}
	t.Logf("%v", err)
}
