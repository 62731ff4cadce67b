package dataset

import (
	"math"
	"math/rand/v2"
)

// GMM is an equal-weight mixture of K isotropic Gaussians in D dimensions, with fixed means
// drawn once from a seed. Its density is known in closed form (it implements Density).
type GMM struct {
	D, K  int       // dimension and number of components
	Std   float64   // standard deviation of every component
	Means []float64 // K×D component means, row-major
	Label string    // the name Name returns; "gmm" when empty
}

// NewGMM returns the mixture of k components in dim dimensions with standard deviation std
// whose means are drawn i.i.d. from N(0, meanScale²·I) with PCG(seed, 0).
func NewGMM(dim, k int, std, meanScale float64, seed uint64) *GMM {
	rng := rand.New(rand.NewPCG(seed, 0))
	g := &GMM{D: dim, K: k, Std: std, Means: make([]float64, k*dim)}
	for i := range g.Means {
		g.Means[i] = meanScale * rng.NormFloat64()
	}
	return g
}

// GMM64 returns the fixed mixture of the W-train-64d workload: 8 components in 64
// dimensions, std 0.5, means ~ N(0, 2²·I) drawn from seed 1234 (the same recipe as the
// PyTorch anchor's GaussianMixture(64); the draws differ since the generators do).
// Its Name is "gmm64", the name it is registered under.
func GMM64() *GMM {
	g := NewGMM(64, 8, 0.5, 2, 1234)
	g.Label = "gmm64"
	return g
}

// Name implements Sampler: Label, or "gmm" when it is empty.
func (g *GMM) Name() string {
	if g.Label != "" {
		return g.Label
	}
	return "gmm"
}

// Dim implements Sampler.
func (g *GMM) Dim() int { return g.D }

// Sample implements Sampler: each row picks a component uniformly, then adds Std·N(0, I)
// to its mean.
func (g *GMM) Sample(rng *rand.Rand, dst []float32) { g.SampleLabeled(rng, dst, nil) }

// Classes implements Labeled: the K components.
func (g *GMM) Classes() int { return g.K }

// SampleLabeled implements Labeled.
func (g *GMM) SampleLabeled(rng *rand.Rand, dst []float32, labels []int) {
	for r := 0; r+g.D <= len(dst); r += g.D {
		k := rng.IntN(g.K)
		if labels != nil {
			labels[r/g.D] = k
		}
		mu := g.Means[k*g.D:]
		for j := 0; j < g.D; j++ {
			dst[r+j] = float32(mu[j] + g.Std*rng.NormFloat64())
		}
	}
}

// LogProb implements Density: log Σ_k (1/K)·N(x; μ_k, Std²·I), by log-sum-exp in float64.
func (g *GMM) LogProb(x []float32) float64 {
	v := g.Std * g.Std
	c := -math.Log(float64(g.K)) - 0.5*float64(g.D)*math.Log(2*math.Pi*v)
	best := math.Inf(-1)
	// Two passes over the components: the maximum exponent, then the shifted sum.
	e := func(k int) float64 {
		mu := g.Means[k*g.D : (k+1)*g.D]
		var s float64
		for j, m := range mu {
			d := float64(x[j]) - m
			s += d * d
		}
		return -s / (2 * v)
	}
	for k := 0; k < g.K; k++ {
		best = math.Max(best, e(k))
	}
	var sum float64
	for k := 0; k < g.K; k++ {
		sum += math.Exp(e(k) - best)
	}
	return c + best + math.Log(sum)
}
