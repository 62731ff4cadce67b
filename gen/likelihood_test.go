package gen

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/nn"
	"github.com/interflow/flowbench/solver"
)

// constModel returns a model whose velocity is the constant c (all weights zero, last bias
// c): the flow is x1 = x0 + c, with zero divergence.
func constModel(t *testing.T, c []float32) *Model {
	t.Helper()
	net, err := nn.NewZero(nn.Config{Dim: len(c), Hidden: []int{8, 8}, Act: kernels.Tanh})
	if err != nil {
		t.Fatal(err)
	}
	ls := net.Layers()
	copy(ls[len(ls)-1].B, c)
	return &Model{Net: net, Interp: interp.Trig{}}
}

func stdNormalLog(z []float64) float64 {
	s := 0.0
	for _, v := range z {
		s += v * v
	}
	return -0.5*s - 0.5*float64(len(z))*math.Log(2*math.Pi)
}

func TestLogProbClosedForm(t *testing.T) {
	c := []float32{0.7, -1.3}
	x := []float32{0, 0, 1, 2, -3, 0.5, 0.7, -1.3}
	rk4 := solver.Options{Method: solver.RK4, Steps: 7}
	for _, tc := range []struct {
		name  string
		stats *dataset.Stats
		base  *GaussianBase
		hutch int
	}{
		{name: "plain"},
		{name: "hutchinson", hutch: 3},
		{name: "standardized", stats: &dataset.Stats{N: 10, Mean: []float64{1, -2}, Std: []float64{2, 0.5}}},
		{name: "learned base", base: &GaussianBase{Mu: []float64{0.3, -0.2}, L: []float64{1.5, 0, 0.4, 0.8}}},
		{name: "both", stats: &dataset.Stats{N: 10, Mean: []float64{-1, 3}, Std: []float64{3, 0.25}}, base: &GaussianBase{Mu: []float64{0.1, 0.2}, L: []float64{0.7, 0, -0.3, 1.2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := constModel(t, c)
			m.Data.Stats, m.Base = tc.stats, tc.base
			logp, nfe, err := m.LogProb(context.Background(), x, LikelihoodOptions{ODE: rk4, Batch: 3, Hutchinson: tc.hutch})
			if err != nil {
				t.Fatal(err)
			}
			if want := 7 * 4 * max(1, tc.hutch) * 2; nfe != want { // 2 chunks
				t.Errorf("nfe = %d, want %d", nfe, want)
			}
			for i := range 4 {
				// closed form: standardize, subtract c, base log-density, Jacobians.
				u := []float64{float64(x[2*i]), float64(x[2*i+1])}
				ldj := 0.0
				if s := tc.stats; s != nil {
					for j := range u {
						u[j] = (u[j] - s.Mean[j]) / s.Std[j]
						ldj -= math.Log(s.Std[j])
					}
				}
				for j := range u {
					u[j] -= float64(c[j])
				}
				var want float64
				if b := tc.base; b != nil {
					z0 := (u[0] - b.Mu[0]) / b.L[0]
					z1 := (u[1] - b.Mu[1] - b.L[2]*z0) / b.L[3]
					want = stdNormalLog([]float64{z0, z1}) - math.Log(math.Abs(b.L[0]*b.L[3])) + ldj
				} else {
					want = stdNormalLog(u) + ldj
				}
				if math.Abs(logp[i]-want) > 1e-5+1e-6*math.Abs(want) { // float32 state
					t.Errorf("row %d: log p = %.8f, want %.8f", i, logp[i], want)
				}
			}
			enc, _, err := m.Encode(context.Background(), x, LikelihoodOptions{ODE: rk4})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 4 {
				for j := range 2 {
					u := float64(x[2*i+j])
					if s := tc.stats; s != nil {
						u = (u - s.Mean[j]) / s.Std[j]
					}
					if got := float64(enc[2*i+j]); math.Abs(got-(u-float64(c[j]))) > 1e-5 {
						t.Errorf("encode row %d col %d = %v, want %v", i, j, got, u-float64(c[j]))
					}
				}
			}
		})
	}
}

func TestSampleConstantField(t *testing.T) {
	c := []float32{2, -1}
	m := constModel(t, c)
	m.Data.Stats = &dataset.Stats{N: 1, Mean: []float64{10, 0}, Std: []float64{1, 3}}
	n := 20000
	res, err := m.Sample(context.Background(), n, SampleOptions{ODE: solver.Options{Method: solver.Heun, Steps: 3}, Batch: 3000, Seed: 5, WithLogP: true})
	if err != nil {
		t.Fatal(err)
	}
	// x = 10 + 1·(z0 + 2), y = 0 + 3·(z1 − 1): means 12 and −3, stds 1 and 3.
	var s, s2 [2]float64
	for i := range n {
		for j := range 2 {
			v := float64(res.X[2*i+j])
			s[j] += v
			s2[j] += v * v
		}
	}
	wantMean, wantStd := [2]float64{12, -3}, [2]float64{1, 3}
	for j := range 2 {
		mean := s[j] / float64(n)
		sd := math.Sqrt(s2[j]/float64(n) - mean*mean)
		if math.Abs(mean-wantMean[j]) > 5*wantStd[j]/math.Sqrt(float64(n)) || math.Abs(sd-wantStd[j]) > 0.03*wantStd[j] {
			t.Errorf("column %d: mean %.4f std %.4f, want %.1f and %.1f", j, mean, sd, wantMean[j], wantStd[j])
		}
	}
	// With-logp values equal the likelihood of the samples.
	lp, _, err := m.LogProb(context.Background(), res.X[:200], LikelihoodOptions{ODE: solver.Options{Method: solver.RK4, Steps: 2}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range lp {
		if math.Abs(lp[i]-res.LogP[i]) > 1e-4 {
			t.Fatalf("row %d: sampled log p %.6f, likelihood %.6f", i, res.LogP[i], lp[i])
		}
	}
	// Same seed, other chunking → same bits (fixed-step solver).
	res2, err := m.Sample(context.Background(), n, SampleOptions{ODE: solver.Options{Method: solver.Heun, Steps: 3}, Batch: 7777, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	for i := range res.X {
		if res.X[i] != res2.X[i] {
			t.Fatalf("value %d differs with another batch size", i)
		}
	}
}

// TestSampleLikelihoodConsistency pushes samples forward with their log-density and scores
// them backward with a random (untrained) network: both integrals must agree.
func TestSampleLikelihoodConsistency(t *testing.T) {
	net, err := nn.New(nn.Config{Dim: 3, Hidden: []int{16, 16}, Act: kernels.SiLU}, 7)
	if err != nil {
		t.Fatal(err)
	}
	m := &Model{Net: net, Interp: interp.Trig{}}
	tight := solver.Options{Method: solver.Dopri5, RTol: 1e-7, ATol: 1e-7}
	res, err := m.Sample(context.Background(), 300, SampleOptions{ODE: tight, WithLogP: true, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	lp, _, err := m.LogProb(context.Background(), res.X, LikelihoodOptions{ODE: tight, Batch: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i := range lp {
		if math.Abs(lp[i]-res.LogP[i]) > 1e-3 {
			t.Fatalf("row %d: forward log p %.6f, backward %.6f", i, res.LogP[i], lp[i])
		}
	}
	// Hutchinson with many probes approaches the exact value on average.
	lh, _, err := m.LogProb(context.Background(), res.X[:60], LikelihoodOptions{ODE: solver.Options{Method: solver.RK4, Steps: 20}, Hutchinson: 64, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var diff float64
	for i := range lh {
		diff += lh[i] - lp[i]
	}
	if diff /= float64(len(lh)); math.Abs(diff) > 0.05 {
		t.Fatalf("Hutchinson mean differs from exact by %.4f", diff)
	}
}

func TestSampleErrors(t *testing.T) {
	m := constModel(t, []float32{0, 0})
	ode := solver.Options{Method: solver.RK4, Steps: 2}
	m.Base = NewGaussianBase(2)
	if _, err := m.Sample(context.Background(), 10, SampleOptions{ODE: ode, SDE: &solver.SDEOptions{Steps: 10}}); err == nil || !strings.Contains(err.Error(), "N(0, I) base") {
		t.Fatalf("SDE with a learned base: err = %v", err)
	}
	m.Base = nil
	if _, err := m.Sample(context.Background(), 0, SampleOptions{ODE: ode}); err == nil {
		t.Fatal("n = 0 accepted")
	}
	if _, _, err := m.LogProb(context.Background(), []float32{1, 2, 3}, LikelihoodOptions{ODE: ode}); err == nil {
		t.Fatal("ragged input accepted")
	}
}

func TestSummarizeNLL(t *testing.T) {
	s := SummarizeNLL([]float64{-1, -2, -3}, 2)
	if s.NLL != 2 || math.Abs(s.StdErr-math.Sqrt(1.0/3)) > 1e-12 || math.Abs(s.BPD-2/(2*math.Ln2)) > 1e-12 {
		t.Fatalf("%+v", s)
	}
	if one := SummarizeNLL([]float64{-1}, 1); !math.IsNaN(one.StdErr) || one.NLL != 1 {
		t.Fatalf("one row: %+v", one)
	}
}

func TestGaussianBase(t *testing.T) {
	g := &GaussianBase{Mu: []float64{1, -1, 0.5}, L: []float64{2, 0, 0, 0.5, 1, 0, -0.3, 0.2, 0.7}}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	z := []float32{0.3, -1.2, 2, 1, 0, -0.5}
	x := make([]float32, len(z))
	back := make([]float32, len(z))
	g.Transform(z, x)
	g.Inverse(x, back)
	for i := range z {
		if math.Abs(float64(back[i]-z[i])) > 1e-5 {
			t.Fatalf("inverse(transform(z))[%d] = %v, want %v", i, back[i], z[i])
		}
	}
	// log ρ0(x) = log N(z) − log|det L|.
	want := stdNormalLog([]float64{float64(back[0]), float64(back[1]), float64(back[2])}) - math.Log(2*1*0.7)
	if got := g.LogProb(x[:3]); math.Abs(got-want) > 1e-5 {
		t.Fatalf("LogProb = %v, want %v", got, want)
	}
	bad := &GaussianBase{Mu: []float64{0, 0}, L: []float64{1, 0.1, 0, 1}}
	if err := bad.Validate(); err == nil {
		t.Fatal("upper-triangular entry accepted")
	}
	if err := (&GaussianBase{Mu: []float64{0}, L: []float64{0}}).Validate(); err == nil {
		t.Fatal("singular L accepted")
	}
}
