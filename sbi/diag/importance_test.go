package diag

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// isSetup is importance sampling on the conjugate model for one observation x0, with the
// proposal q = N(μ + shift·s, (widen·s)²) per coordinate, s the posterior sd.
type isSetup struct {
	c            conjugate
	x0           []float64
	shift, widen float64
}

func (p isSetup) logTarget(theta []float64) (float64, error) {
	var lp float64
	for j, th := range theta {
		lp += normLogPDF(p.x0[j], th, p.c.sigma) + normLogPDF(th, 0, p.c.tau)
	}
	return lp, nil
}

// logEvidence is log p(x0) = Σ_j log N(x0_j; 0, τ² + σ²).
func (p isSetup) logEvidence() float64 {
	var l float64
	for _, x := range p.x0 {
		l += normLogPDF(x, 0, math.Hypot(p.c.tau, p.c.sigma))
	}
	return l
}

// draw returns n proposal draws and their log q.
func (p isSetup) draw(n int, seed uint64) (draws, logq []float64) {
	d := p.c.d
	mu := make([]float64, d)
	p.c.postMean(p.x0, mu)
	s := p.c.postSD()
	rng := rand.New(rand.NewPCG(seed, 77))
	draws = make([]float64, n*d)
	logq = make([]float64, n)
	for i := range n {
		for j := range d {
			v := mu[j] + p.shift*s + p.widen*s*rng.NormFloat64()
			draws[i*d+j] = v
			logq[i] += normLogPDF(v, mu[j]+p.shift*s, p.widen*s)
		}
	}
	return
}

// essFraction is n/ESS's limit E_q[(π/q)²] inverted, π the normalized posterior, by
// trapezoidal quadrature of ∫π²/q per coordinate (independent of ImportanceSample's sums).
func (p isSetup) essFraction() float64 {
	mu := make([]float64, p.c.d)
	p.c.postMean(p.x0, mu)
	s := p.c.postSD()
	rho := 1.0
	for j := range p.c.d {
		const k = 40000
		lo, hi := mu[j]-15*s, mu[j]+15*s
		h := (hi - lo) / k
		var sum float64
		for i := 0; i <= k; i++ {
			th := lo + float64(i)*h
			f := math.Exp(2*normLogPDF(th, mu[j], s) - normLogPDF(th, mu[j]+p.shift*s, p.widen*s))
			if i == 0 || i == k {
				f /= 2
			}
			sum += f * h
		}
		rho *= sum
	}
	return 1 / rho
}

// TestImportanceConjugate checks the evidence, ESS, weighted moments and resampled draws
// against the closed-form posterior and evidence of the conjugate Gaussian.
func TestImportanceConjugate(t *testing.T) {
	p := isSetup{c: conjugate{d: 2, tau: 1, sigma: 0.5}, x0: []float64{0.7, -0.4}, shift: 0.3, widen: 1.3}
	const n = 20000
	draws, logq := p.draw(n, 1)
	r, err := ImportanceSample(context.Background(), draws, logq, 2, p.logTarget)
	if err != nil {
		t.Fatal(err)
	}
	want := p.logEvidence()
	t.Logf("log Ẑ %.5f ± %.5f, exact %.5f; ESS %.0f (limit %.0f)", r.LogEvidence, r.LogEvidenceSE, want, r.ESS, n*p.essFraction())
	if math.Abs(r.LogEvidence-want) > 4*r.LogEvidenceSE || r.LogEvidenceSE > 0.01 || r.LogEvidenceSE <= 0 {
		t.Errorf("log evidence %.5f ± %.5f, exact %.5f", r.LogEvidence, r.LogEvidenceSE, want)
	}
	// ESS/n converges to 1/E_q[(π/q)²] with a relative error of a few 1/√n here.
	if f := r.ESS / n; math.Abs(f-p.essFraction()) > 0.03*p.essFraction() {
		t.Errorf("ESS/n = %.4f, limit %.4f", f, p.essFraction())
	}
	var sw float64
	mean, sq := make([]float64, 2), make([]float64, 2)
	for i, w := range r.Weights {
		sw += w
		for j := range 2 {
			mean[j] += w * draws[i*2+j]
			sq[j] += w * draws[i*2+j] * draws[i*2+j]
		}
	}
	if math.Abs(sw-1) > 1e-12 {
		t.Errorf("weights sum to %v", sw)
	}
	mu := make([]float64, 2)
	p.c.postMean(p.x0, mu)
	s := p.c.postSD()
	for j := range 2 {
		v := sq[j] - mean[j]*mean[j]
		// Self-normalized estimates: standard errors about s/√ESS and s²·√(2/ESS).
		if math.Abs(mean[j]-mu[j]) > 4*s/math.Sqrt(r.ESS) || math.Abs(v-s*s) > 4*s*s*math.Sqrt(2/r.ESS) {
			t.Errorf("coordinate %d: weighted mean %.4f variance %.5f, posterior %.4f %.5f", j, mean[j], v, mu[j], s*s)
		}
	}
	// Resampled draws follow the posterior (KS against its CDF), not the proposal.
	sir, err := r.Resample(3000, 9)
	if err != nil {
		t.Fatal(err)
	}
	for j := range 2 {
		u := make([]float64, 3000)
		uq := make([]float64, 3000)
		for k := range u {
			v := sir[k*2+j]
			u[k] = 0.5 * math.Erfc(-(v-mu[j])/(s*math.Sqrt2))
			uq[k] = 0.5 * math.Erfc(-(v-mu[j]-p.shift*s)/(p.widen*s*math.Sqrt2))
		}
		_, pp, _ := KSUniform(u)
		_, pq, _ := KSUniform(uq)
		t.Logf("SIR coordinate %d: KS p against the posterior %.3g, against the proposal %.3g", j, pp, pq)
		if pp < 0.01 || pq > 1e-6 {
			t.Errorf("SIR coordinate %d: KS p against the posterior %.3g (want > 0.01), against the proposal %.3g (want < 1e-6)", j, pp, pq)
		}
	}
}

// TestEvidenceSE checks that LogEvidenceSE is the spread of log Ẑ: over 200 independent
// runs of 1000 draws, (log Ẑ − log Z)/SE has mean within ±0.3 (4/√200 plus the O(1/n)
// bias of the log) and standard deviation within 20% of 1.
func TestEvidenceSE(t *testing.T) {
	p := isSetup{c: conjugate{d: 2, tau: 1, sigma: 0.5}, x0: []float64{0.7, -0.4}, shift: 0.5, widen: 1.5}
	want := p.logEvidence()
	const reps = 200
	var s, s2 float64
	for rep := range reps {
		draws, logq := p.draw(1000, uint64(100+rep))
		r, err := ImportanceSample(context.Background(), draws, logq, 2, p.logTarget)
		if err != nil {
			t.Fatal(err)
		}
		z := (r.LogEvidence - want) / r.LogEvidenceSE
		s += z
		s2 += z * z
	}
	m := s / reps
	sd := math.Sqrt(s2/reps - m*m)
	t.Logf("z-scores of log Ẑ: mean %.3f, sd %.3f", m, sd)
	if math.Abs(m) > 0.3 || math.Abs(sd-1) > 0.2 {
		t.Errorf("z-scores of log Ẑ have mean %.3f and sd %.3f, want about 0 and 1", m, sd)
	}
}

// TestImportanceTruncated gives the target a support: the prior truncated to θ_1 > 0 (and
// renormalized, so doubled there). Weights outside are zero, resampled draws never land
// there, and the evidence is 2·p(x0)·P_post(θ_1 > 0) = 2·p(x0)·Φ(μ_1/s).
func TestImportanceTruncated(t *testing.T) {
	p := isSetup{c: conjugate{d: 2, tau: 1, sigma: 0.5}, x0: []float64{0.2, -0.4}, shift: 0, widen: 1.4}
	target := func(theta []float64) (float64, error) {
		if theta[0] <= 0 {
			return math.Inf(-1), nil
		}
		lp, _ := p.logTarget(theta)
		return lp + math.Ln2, nil
	}
	draws, logq := p.draw(20000, 3)
	r, err := ImportanceSample(context.Background(), draws, logq, 2, target)
	if err != nil {
		t.Fatal(err)
	}
	mu := make([]float64, 2)
	p.c.postMean(p.x0, mu)
	want := p.logEvidence() + math.Ln2 + math.Log(0.5*math.Erfc(-mu[0]/(p.c.postSD()*math.Sqrt2)))
	if math.Abs(r.LogEvidence-want) > 4*r.LogEvidenceSE {
		t.Errorf("log evidence %.5f ± %.5f, exact %.5f", r.LogEvidence, r.LogEvidenceSE, want)
	}
	for i, w := range r.Weights {
		if (draws[2*i] <= 0) != (w == 0) {
			t.Fatalf("draw %d at θ1 = %v has weight %v", i, draws[2*i], w)
		}
	}
	sir, err := r.Resample(5000, 1)
	if err != nil {
		t.Fatal(err)
	}
	for k := range 5000 {
		if sir[2*k] <= 0 {
			t.Fatalf("resampled draw %d outside the support: θ1 = %v", k, sir[2*k])
		}
	}
}

// TestFromLogWeights checks the summaries on weights known by hand: weights e^1000·(1, 1,
// 2, 0), given as logs so that only the log-sum-exp can handle them, have normalized
// weights (1/4, 1/4, 1/2, 0), ESS (1+1+2)²/(1+1+4) = 16/6, mean weight e^1000 (log Ẑ =
// 1000), and SE sd/(√n·mean) with sd² = ((0)²+(0)²+(1)²+(1)²)/3 = 2/3: sqrt(2/3/4).
func TestFromLogWeights(t *testing.T) {
	r, err := ImportanceFromLogWeights([]float64{1000, 1000, 1000 + math.Ln2, math.Inf(-1)})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.25, 0.25, 0.5, 0}
	for i, w := range r.Weights {
		if math.Abs(w-want[i]) > 1e-12 { // 1000 + ln 2 is rounded to 1.1e-13
			t.Errorf("weight %d = %v, want %v", i, w, want[i])
		}
	}
	if math.Abs(r.ESS-16.0/6) > 1e-12 {
		t.Errorf("ESS %v, want 16/6", r.ESS)
	}
	if math.Abs(r.LogEvidence-1000) > 1e-12 {
		t.Errorf("log evidence %v, want 1000 (mean weight e^1000)", r.LogEvidence)
	}
	if se := math.Sqrt(2.0 / 3 / 4); math.Abs(r.LogEvidenceSE-se) > 1e-12 {
		t.Errorf("SE %v, want %v", r.LogEvidenceSE, se)
	}
	if _, err := r.Resample(3, 1); err == nil || !strings.Contains(err.Error(), "holds no draws") {
		t.Errorf("Resample without draws: %v", err)
	}
}

// TestImportanceErrors checks that bad input is an error naming it.
func TestImportanceErrors(t *testing.T) {
	ctx := context.Background()
	draws := []float64{0, 1, 2, 3}
	lq := []float64{0, 0}
	val := func(v float64) func([]float64) (float64, error) {
		return func([]float64) (float64, error) { return v, nil }
	}
	for _, c := range []struct {
		name, want string
		run        func() error
	}{
		{"rows", "draws has 4 values, not a whole number of rows of width d = 3", func() error {
			_, err := ImportanceSample(ctx, draws, lq, 3, val(0))
			return err
		}},
		{"logq length", "logq has 3 values, draws 2 rows", func() error {
			_, err := ImportanceSample(ctx, draws, []float64{0, 0, 0}, 2, val(0))
			return err
		}},
		{"logq nan", "logq[1] = NaN", func() error {
			_, err := ImportanceSample(ctx, draws, []float64{0, math.NaN()}, 2, val(0))
			return err
		}},
		{"draw inf", "draws[row 0, column 1] = -Inf", func() error {
			_, err := ImportanceSample(ctx, []float64{0, math.Inf(-1), 2, 3}, lq, 2, val(0))
			return err
		}},
		{"target nan", "logTarget of draw 0 = NaN", func() error { _, err := ImportanceSample(ctx, draws, lq, 2, val(math.NaN())); return err }},
		{"target +inf", "logTarget of draw 0 = +Inf", func() error { _, err := ImportanceSample(ctx, draws, lq, 2, val(math.Inf(1))); return err }},
		{"all zero", "every one of the 2 weights is zero", func() error {
			_, err := ImportanceSample(ctx, draws, lq, 2, val(math.Inf(-1)))
			return err
		}},
		{"callback", "logTarget of draw 0: sentinel", func() error {
			_, err := ImportanceSample(ctx, draws, lq, 2, func([]float64) (float64, error) { return 0, errSentinel })
			return err
		}},
		{"nil", "logTarget is nil", func() error { _, err := ImportanceSample(ctx, draws, lq, 2, nil); return err }},
		{"m", "m = 0", func() error {
			r, err := ImportanceSample(ctx, draws, lq, 2, val(0))
			if err != nil {
				return err
			}
			_, err = r.Resample(0, 1)
			return err
		}},
	} {
		err := c.run()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
