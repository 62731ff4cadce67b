package diag

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// ImportanceResult is the importance-sampling correction of n proposal draws θ_i ~ q.
type ImportanceResult struct {
	N, D int
	// Draws are the proposal draws (a copy, row-major n×d).
	Draws []float64
	// LogWeights are log w_i = log p(x | θ_i) + log p(θ_i) − log q(θ_i) (−Inf where the
	// target is zero).
	LogWeights []float64
	// Weights are the self-normalized weights w_i/Σw (summing to 1).
	Weights []float64
	// ESS is Kish's effective sample size (Σw)²/Σw², between 1 and n.
	ESS float64
	// LogEvidence is log Ẑ = log((1/n)·Σ w_i), the log of the unbiased importance
	// estimate of the evidence p(x) = ∫ p(x | θ)p(θ)dθ, computed by log-sum-exp.
	// LogEvidenceSE is its delta-method standard error sd(w)/(√n·mean(w)), sd with the
	// n − 1 denominator; it is meaningful only when the weights have finite variance under
	// q (q's tails at least as heavy as the posterior's) and a large enough ESS.
	LogEvidence, LogEvidenceSE float64
}

// ImportanceSample weights the n proposal draws θ_i (row-major n×d), with their
// log-densities logq[i] = log q(θ_i), by the unnormalized posterior: logTarget(θ) must
// return log p(x | θ) + log p(θ) (−Inf outside the prior's support; NaN and +Inf are
// errors). logTarget is called once per draw, in order, from this goroutine, with a slice
// it must not keep; ctx is checked between calls. At least one weight must be positive.
func ImportanceSample(ctx context.Context, draws, logq []float64, d int, logTarget func(theta []float64) (float64, error)) (*ImportanceResult, error) {
	n, err := checkRows("ImportanceSample", "draws", draws, d, 2)
	if err != nil {
		return nil, err
	}
	if len(logq) != n {
		return nil, fmt.Errorf("diag: ImportanceSample: logq has %d values, draws %d rows", len(logq), n)
	}
	if err := checkFinite("ImportanceSample", "logq", logq, 1); err != nil {
		return nil, err
	}
	if logTarget == nil {
		return nil, fmt.Errorf("diag: ImportanceSample: logTarget is nil")
	}
	r := &ImportanceResult{N: n, D: d, Draws: slices.Clone(draws), LogWeights: make([]float64, n), Weights: make([]float64, n)}
	theta := make([]float64, d)
	for i := range n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		copy(theta, draws[i*d:(i+1)*d])
		lt, err := logTarget(theta)
		if err != nil {
			return nil, fmt.Errorf("diag: ImportanceSample: logTarget of draw %d: %w", i, err)
		}
		if math.IsNaN(lt) || math.IsInf(lt, 1) {
			return nil, fmt.Errorf("diag: ImportanceSample: logTarget of draw %d = %v, want a finite value or -Inf", i, lt)
		}
		r.LogWeights[i] = lt - logq[i]
	}
	if err := r.summarize(); err != nil {
		return nil, err
	}
	return r, nil
}

// ImportanceFromLogWeights summarizes log importance weights computed elsewhere (one per
// draw; −Inf allowed, NaN and +Inf not); Draws stays nil, so Resample is not available.
func ImportanceFromLogWeights(logw []float64) (*ImportanceResult, error) {
	if len(logw) < 2 {
		return nil, fmt.Errorf("diag: ImportanceFromLogWeights: %d weights, want at least 2", len(logw))
	}
	for i, v := range logw {
		if math.IsNaN(v) || math.IsInf(v, 1) {
			return nil, fmt.Errorf("diag: ImportanceFromLogWeights: logw[%d] = %v, want a finite value or -Inf", i, v)
		}
	}
	r := &ImportanceResult{N: len(logw), LogWeights: slices.Clone(logw), Weights: make([]float64, len(logw))}
	if err := r.summarize(); err != nil {
		return nil, err
	}
	return r, nil
}

// summarize fills Weights, ESS and the evidence from LogWeights.
func (r *ImportanceResult) summarize() error {
	m := math.Inf(-1)
	for _, v := range r.LogWeights {
		m = math.Max(m, v)
	}
	if math.IsInf(m, -1) {
		return fmt.Errorf("diag: importance sampling: every one of the %d weights is zero (log target −Inf at every draw)", r.N)
	}
	// Scaled weights e^{log w − max} in [0, 1], the largest 1.
	var s, s2 float64
	for i, v := range r.LogWeights {
		w := math.Exp(v - m)
		r.Weights[i] = w
		s += w
		s2 += w * w
	}
	n := float64(r.N)
	mean := s / n
	var ss float64
	for i := range r.Weights {
		e := r.Weights[i] - mean
		ss += e * e
		r.Weights[i] /= s
	}
	r.ESS = s * s / s2
	r.LogEvidence = m + math.Log(mean)
	r.LogEvidenceSE = math.Sqrt(ss/(n-1)/n) / mean
	return nil
}

// Resample returns m draws (row-major m×d) by sampling-importance-resampling: each a copy
// of draw i with probability Weights[i], independently (multinomial resampling, Rubin
// 1988). For m ≪ ESS they are approximately draws from the target posterior.
func (r *ImportanceResult) Resample(m int, seed uint64) ([]float64, error) {
	if r.Draws == nil {
		return nil, fmt.Errorf("diag: Resample: the result holds no draws (made by ImportanceFromLogWeights)")
	}
	if m < 1 {
		return nil, fmt.Errorf("diag: Resample: m = %d, want ≥ 1", m)
	}
	cum := make([]float64, r.N)
	var c float64
	for i, w := range r.Weights {
		c += w
		cum[i] = c
	}
	rng := rand.New(rand.NewPCG(seed, 0x736972))
	d := r.D
	out := make([]float64, m*d)
	for k := range m {
		i, _ := slices.BinarySearch(cum, rng.Float64()*c)
		i = min(i, r.N-1)
		for r.Weights[i] == 0 { // a zero weight can share its cumulative sum with the next
			i++
		}
		copy(out[k*d:(k+1)*d], r.Draws[i*d:(i+1)*d])
	}
	return out, nil
}
