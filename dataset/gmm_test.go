package dataset

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestGMMLogProbClosedForm(t *testing.T) {
	// One component: the Gaussian density.
	g := NewGMM(3, 1, 0.7, 1, 5)
	x := []float32{0.1, -0.4, 2}
	var s float64
	for j := range x {
		d := float64(x[j]) - g.Means[j]
		s += d * d
	}
	want := -1.5*math.Log(2*math.Pi*0.49) - s/(2*0.49)
	if got := g.LogProb(x); math.Abs(got-want) > 1e-12 {
		t.Fatalf("K=1: %v, want %v", got, want)
	}
	// In 1-D the density integrates to 1.
	g1 := NewGMM(1, 4, 0.3, 2, 9)
	var integral float64
	const h = 1e-3
	for u := -15.0; u < 15; u += h {
		integral += math.Exp(g1.LogProb([]float32{float32(u)})) * h
	}
	if math.Abs(integral-1) > 1e-4 {
		t.Fatalf("1-D integral %v", integral)
	}
	// Far from every mean the log-sum-exp stays finite.
	g64 := GMM64()
	far := make([]float32, 64)
	for i := range far {
		far[i] = 1e3
	}
	if lp := g64.LogProb(far); math.IsInf(lp, 0) || math.IsNaN(lp) || lp > -1e5 {
		t.Fatalf("far point: %v", lp)
	}
}

func TestGMMSampleMoments(t *testing.T) {
	g := GMM64()
	if g.Dim() != 64 || g.K != 8 || g.Name() != "gmm64" || NewGMM(2, 3, 1, 1, 0).Name() != "gmm" {
		t.Fatal("GMM64 shape")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 40000
	x := make([]float32, n*64)
	g.Sample(rng, x)
	// Mean of the mixture is the mean of the means; the variance per coordinate is
	// Std² + the variance of the means across components.
	for j := 0; j < 64; j += 9 {
		var mm, m2 float64
		for k := 0; k < g.K; k++ {
			mm += g.Means[k*64+j] / 8
			m2 += g.Means[k*64+j] * g.Means[k*64+j] / 8
		}
		wantVar := 0.25 + m2 - mm*mm
		var s, ss float64
		for i := 0; i < n; i++ {
			v := float64(x[i*64+j])
			s += v
			ss += v * v
		}
		mean := s / n
		variance := ss/n - mean*mean
		if math.Abs(mean-mm) > 5*math.Sqrt(wantVar/n) {
			t.Errorf("coord %d: mean %v, want %v", j, mean, mm)
		}
		if math.Abs(variance-wantVar) > 0.05*wantVar {
			t.Errorf("coord %d: variance %v, want %v", j, variance, wantVar)
		}
	}
	// Same seed, same draws.
	y := make([]float32, 64*10)
	g.Sample(rand.New(rand.NewPCG(1, 2)), y)
	for i := range y {
		if y[i] != x[i] {
			t.Fatal("same seed gave different samples")
		}
	}
}
