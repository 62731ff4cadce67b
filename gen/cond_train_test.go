package gen

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/solver"
)

// condGaussian draws n pairs of the conditional Gaussian task x | c ~ N(A·c + m, s²·I),
// c ~ N(μc, diag σc²): d = 2, two context columns on their own scales.
func condGaussian(rng *rand.Rand, n int) (x, c []float32) {
	x, c = make([]float32, 2*n), make([]float32, 2*n)
	for i := range n {
		c0, c1 := 3+2*rng.NormFloat64(), -1+0.5*rng.NormFloat64()
		c[2*i], c[2*i+1] = float32(c0), float32(c1)
		z0, z1 := (c0-3)/2, (c1+1)/0.5 // standardized contexts
		x[2*i] = float32(1 + 1.5*z0 - 0.5*z1 + 0.3*rng.NormFloat64())
		x[2*i+1] = float32(-2 + 0.8*z1 + 0.3*rng.NormFloat64())
	}
	return x, c
}

// condGaussianLogp is the true log p(x | c) of condGaussian.
func condGaussianLogp(x, c []float32) float64 {
	z0, z1 := (float64(c[0])-3)/2, (float64(c[1])+1)/0.5
	m0, m1 := 1+1.5*z0-0.5*z1, -2+0.8*z1
	u0, u1 := (float64(x[0])-m0)/0.3, (float64(x[1])-m1)/0.3
	return -0.5*(u0*u0+u1*u1) - log2Pi - 2*math.Log(0.3)
}

// A conditional model trained on pairs (x, c) learns p(x | c): its held-out conditional NLL
// is close to the truth's and far below what any model of x alone can reach (the marginal
// of x has a spread of ~1.6 against 0.3 given c); the checkpoint round-trips the context's
// standardization.
func TestConditionalTrainingLearnsConditional(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x, c := condGaussian(rng, 4000)
	xv, cv := condGaussian(rng, 1000)
	data := &TrainData{Name: "condgauss",
		Train: &dataset.Table{Source: "x", N: 4000, D: 2, Data: x}, Cond: &dataset.Table{Source: "c", N: 4000, D: 2, Data: c},
		Val: &dataset.Table{Source: "xv", N: 1000, D: 2, Data: xv}, ValCond: &dataset.Table{Source: "cv", N: 1000, D: 2, Data: cv}}
	cfg := DefaultTrainConfig(2)
	cfg.Net.Hidden = []int{64, 64}
	cfg.Steps, cfg.Batch, cfg.LR, cfg.Warmup = 1500, 256, 3e-3, 50
	cfg.ValEvery, cfg.ValN = 250, 512
	ckpt := filepath.Join(t.TempDir(), "cond.safetensors")
	m, err := Train(context.Background(), cfg, data, TrainOptions{CkptPath: ckpt})
	if err != nil {
		t.Fatal(err)
	}
	if nc := m.Net.Config(); nc.Context != 2 || nc.Classes != 0 {
		t.Fatalf("net config %+v", nc)
	}
	// Held-out pairs, fresh.
	xt, ct := condGaussian(rng, 500)
	lp, _, err := m.LogProb(context.Background(), xt, LikelihoodOptions{ODE: solver.Options{Method: solver.Dopri5}, Cond: &Condition{Values: ct}})
	if err != nil {
		t.Fatal(err)
	}
	var nll, truth float64
	for i := range 500 {
		nll -= lp[i] / 500
		truth -= condGaussianLogp(xt[2*i:2*i+2], ct[2*i:2*i+2]) / 500
	}
	t.Logf("held-out conditional NLL %.4f, truth %.4f (gap %.4f)", nll, truth, nll-truth)
	if nll-truth > 0.15 || nll-truth < -0.1 {
		t.Fatalf("conditional NLL %.4f against the truth %.4f", nll, truth)
	}
	// The checkpoint gives the same log-densities (the same rows: the adaptive solver's steps
	// depend on the whole batch) (the context statistics were recorded).
	m2, err := LoadModel(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	lp2, _, err := m2.LogProb(context.Background(), xt, LikelihoodOptions{ODE: solver.Options{Method: solver.Dopri5}, Cond: &Condition{Values: ct}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range lp2 {
		if lp2[i] != lp[i] {
			t.Fatalf("loaded model row %d: %v, trained model %v", i, lp2[i], lp[i])
		}
	}
	// Posterior-style use: many draws for one context have the conditional mean and spread.
	c0 := []float32{5, -0.5}
	res, err := m.Sample(context.Background(), 4000, SampleOptions{ODE: solver.Options{Method: solver.RK4, Steps: 40}, Seed: 9, Cond: Shared(c0)})
	if err != nil {
		t.Fatal(err)
	}
	var mx, my, vx float64
	for i := range 4000 {
		mx += float64(res.X[2*i]) / 4000
		my += float64(res.X[2*i+1]) / 4000
	}
	for i := range 4000 {
		vx += (float64(res.X[2*i]) - mx) * (float64(res.X[2*i]) - mx) / 4000
	}
	// Truth: z = (1, 1): mean (1 + 1.5 − 0.5, −2 + 0.8) = (2, −1.2), sd 0.3.
	if math.Abs(mx-2) > 0.05 || math.Abs(my+1.2) > 0.05 || math.Abs(math.Sqrt(vx)-0.3) > 0.03 {
		t.Fatalf("samples for c = %v: mean (%.3f, %.3f), sd %.3f; want (2, -1.2), 0.3", c0, mx, my, math.Sqrt(vx))
	}
	// The score-based SDE sampler works conditionally too (the score from the conditional
	// velocity).
	eps, err := solver.ParseSchedule("linear:1")
	if err != nil {
		t.Fatal(err)
	}
	sres, err := m.Sample(context.Background(), 4000, SampleOptions{SDE: &solver.SDEOptions{Method: solver.StochasticHeun, Steps: 200, Eps: eps}, Seed: 9, Cond: Shared(c0)})
	if err != nil {
		t.Fatal(err)
	}
	mx, my = 0, 0
	for i := range 4000 {
		mx += float64(sres.X[2*i]) / 4000
		my += float64(sres.X[2*i+1]) / 4000
	}
	if math.Abs(mx-2) > 0.06 || math.Abs(my+1.2) > 0.06 {
		t.Fatalf("SDE samples for c = %v: mean (%.3f, %.3f); want (2, -1.2)", c0, mx, my)
	}
}

// A label model trained with guidance dropout draws each class where it lives, and the null
// label covers every class; guidance sharpens class membership.
func TestClassConditionalGuidance(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	centers := [][2]float64{{2, 2}, {-2, 2}, {-2, -2}, {2, -2}}
	draw := func(n int) ([]float32, []int) {
		x, l := make([]float32, 2*n), make([]int, n)
		for i := range n {
			k := rng.IntN(4)
			l[i] = k
			x[2*i] = float32(centers[k][0] + 0.4*rng.NormFloat64())
			x[2*i+1] = float32(centers[k][1] + 0.4*rng.NormFloat64())
		}
		return x, l
	}
	x, labels := draw(4000)
	data := &TrainData{Name: "blobs", Train: &dataset.Table{Source: "x", N: 4000, D: 2, Data: x}, Labels: labels, Classes: 4}
	cfg := DefaultTrainConfig(2)
	cfg.Net.Hidden = []int{64, 64}
	cfg.Steps, cfg.Batch, cfg.LR, cfg.Warmup = 1200, 256, 3e-3, 50
	cfg.GuidanceDrop = 0.2
	m, err := Train(context.Background(), cfg, data, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nearest := func(p []float32) int {
		best, bd := 0, math.Inf(1)
		for k, c := range centers {
			dd := math.Hypot(float64(p[0])-c[0], float64(p[1])-c[1])
			if dd < bd {
				best, bd = k, dd
			}
		}
		return best
	}
	ode := solver.Options{Method: solver.RK4, Steps: 30}
	for _, w := range []float64{0, 2} {
		for k := range 4 {
			res, err := m.Sample(context.Background(), 500, SampleOptions{ODE: ode, Seed: uint64(k), Cond: &Condition{Labels: []int{k}, Guidance: w}})
			if err != nil {
				t.Fatal(err)
			}
			hit := 0
			for i := range 500 {
				if nearest(res.X[2*i:2*i+2]) == k {
					hit++
				}
			}
			t.Logf("guidance %g, class %d: %.1f%% of draws in their class", w, k, float64(hit)/5)
			if hit < 475 {
				t.Fatalf("guidance %g class %d: only %d/500 draws nearest their centre", w, k, hit)
			}
		}
	}
	res, err := m.Sample(context.Background(), 2000, SampleOptions{ODE: ode, Seed: 5, Cond: &Condition{Labels: []int{-1}}})
	if err != nil {
		t.Fatal(err)
	}
	var count [4]int
	for i := range 2000 {
		count[nearest(res.X[2*i:2*i+2])]++
	}
	for k, n := range count {
		if n < 400 || n > 600 {
			t.Fatalf("null label: class counts %v, want about 500 each", count)
		}
		_ = k
	}
}
