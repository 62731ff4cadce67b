package gen

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/nn"
	"github.com/interflow/flowbench/solver"
)

// linearCondModel is a conditional model whose network has no hidden layer, so that its
// field is affine: v(t, z, c̃) = diag(β)·z + Cᵀc̃ + E[label] + w_t·t + b in model units
// (z standardized data, c̃ the standardized continuous context). Its flow is solvable in
// closed form: with a diagonal, z(1) = e^β ⊙ z(0) + ((e^β − 1)/β) ⊙ o + ((e^β − 1 − β)/β²) ⊙ w_t,
// o = Cᵀc̃ + E[label] + b, so p(x | c) is Gaussian with known mean and scale.
type linearCondModel struct {
	m      *Model
	beta   []float64
	wt     []float64
	stats  dataset.Stats // of x
	cstats dataset.Stats // of the continuous context
	d, k   int           // dimension, continuous context columns
	labels int
}

func newLinearCondModel(t *testing.T, d, k, labels int, seed uint64) *linearCondModel {
	t.Helper()
	cfg := nn.Config{Dim: d, Act: kernels.SiLU, Context: k, Classes: labels}
	net, err := nn.New(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	l := &linearCondModel{d: d, k: k, labels: labels}
	W := net.Layers()[0].W // InputDim × d
	for i := range W {
		W[i] = 0
	}
	l.beta, l.wt = make([]float64, d), make([]float64, d)
	for j := range d {
		l.beta[j] = 0.6*rng.Float64() - 0.3
		W[j*d+j] = float32(l.beta[j])
	}
	cw := cfg.ContextWidth()
	for r := d; r < d+cw; r++ {
		for j := range d {
			W[r*d+j] = float32(rng.NormFloat64())
		}
	}
	for j := range d {
		l.wt[j] = 0.5 * rng.NormFloat64()
		W[(d+cw)*d+j] = float32(l.wt[j])
	}
	l.stats = dataset.Stats{N: 100, Mean: make([]float64, d), Std: make([]float64, d)}
	for j := range d {
		l.stats.Mean[j], l.stats.Std[j] = rng.NormFloat64(), 0.5+rng.Float64()
	}
	var ci *CondInfo = &CondInfo{Classes: labels}
	if k > 0 {
		l.cstats = dataset.Stats{N: 100, Mean: make([]float64, k), Std: make([]float64, k)}
		for j := range k {
			l.cstats.Mean[j], l.cstats.Std[j] = 2*rng.NormFloat64(), 0.3+rng.Float64()
		}
		ci.Stats = &l.cstats
	}
	l.m = &Model{Net: net, Interp: interp.Linear{}, Data: DataInfo{Name: "linear", Stats: &l.stats, Cond: ci}}
	return l
}

// offset returns o = Cᵀc̃ + E[label] + b of the model-unit field for the context cont (data
// units) and label (−1: ∅), in float64.
func (l *linearCondModel) offset(cont []float32, label int) []float64 {
	cfg := l.m.Net.Config()
	enc := make([]float32, cfg.ContextWidth())
	c := append([]float32(nil), cont...)
	if l.k > 0 {
		l.cstats.Standardize(c)
	}
	cfg.EncodeContext(enc, c, label)
	L := l.m.Net.Layers()[0]
	o := make([]float64, l.d)
	for j := range l.d {
		o[j] = float64(L.B[j])
		for r, v := range enc {
			o[j] += float64(v) * float64(L.W[(l.d+r)*l.d+j])
		}
	}
	return o
}

// logp returns the closed-form log p(x | c) in data units for the field offset o.
func (l *linearCondModel) logp(x []float32, o []float64) float64 {
	s := 0.0
	for j := range l.d {
		b := l.beta[j]
		mean := (math.Expm1(b)/b)*o[j] + ((math.Exp(b)-1-b)/(b*b))*l.wt[j]
		z := (float64(x[j]) - l.stats.Mean[j]) / l.stats.Std[j]
		u := (z - mean) / math.Exp(b)
		s += -0.5*u*u - 0.5*log2Pi - b - math.Log(l.stats.Std[j])
	}
	return s
}

// TestConditionalLogProbClosedForm checks LogProb, Encode and Sample's log-densities of
// conditional models against the closed-form p(x | c) of an affine field, with shared and
// per-row contexts, continuous and label contexts, standardized units, and guidance (whose
// field (1+w)v(c) − w·v(∅) is affine too).
func TestConditionalLogProbClosedForm(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ d, k, labels int }{{3, 2, 0}, {2, 0, 3}, {4, 3, 2}} {
		l := newLinearCondModel(t, tc.d, tc.k, tc.labels, uint64(10*tc.d+tc.k))
		rng := rand.New(rand.NewPCG(7, uint64(tc.d)))
		n, d, k := 40, tc.d, tc.k
		x := make([]float32, n*d)
		for i := range x {
			x[i] = float32(l.stats.Mean[i%d] + 2*rng.NormFloat64())
		}
		vals := make([]float32, n*k)
		for i := range vals {
			vals[i] = float32(l.cstats.Mean[i%k] + rng.NormFloat64())
		}
		labels := make([]int, n)
		for i := range labels {
			labels[i] = rng.IntN(tc.labels+1) - 1 // −1: the null label
		}
		var condAll *Condition
		switch {
		case k > 0 && tc.labels > 0:
			condAll = &Condition{Values: vals, Labels: labels}
		case k > 0:
			condAll = &Condition{Values: vals}
		default:
			condAll = &Condition{Labels: labels}
		}
		rowLabel := func(i int) int {
			if tc.labels == 0 {
				return -1
			}
			return labels[i]
		}
		opt := LikelihoodOptions{ODE: solver.Options{Method: solver.Dopri5, RTol: solver.DensityRTol, ATol: solver.DensityATol}}
		// Per-row contexts.
		opt.Cond = condAll
		lp, _, err := l.m.LogProb(ctx, x, opt)
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for i := range n {
			want := l.logp(x[i*d:(i+1)*d], l.offset(vals[i*k:(i+1)*k], rowLabel(i)))
			worst = max(worst, math.Abs(lp[i]-want))
		}
		if worst > 1e-4 {
			t.Fatalf("d=%d k=%d labels=%d per-row: worst |log p error| = %.3g nats", d, k, tc.labels, worst)
		}
		t.Logf("d=%d k=%d labels=%d: per-row contexts, worst error %.2g nats", d, k, tc.labels, worst)
		// One shared context: row 0's.
		shared := &Condition{}
		if k > 0 {
			shared.Values = vals[:k]
		}
		if tc.labels > 0 {
			shared.Labels = labels[:1]
		}
		opt.Cond = shared
		lp, _, err = l.m.LogProb(ctx, x, opt)
		if err != nil {
			t.Fatal(err)
		}
		o0 := l.offset(vals[:k], rowLabel(0))
		for i := range n {
			if want := l.logp(x[i*d:(i+1)*d], o0); math.Abs(lp[i]-want) > 1e-4 {
				t.Fatalf("shared context row %d: %v, closed form %v", i, lp[i], want)
			}
		}
		// Sample with log-densities (the forward direction) for the shared context.
		res, err := l.m.Sample(ctx, 200, SampleOptions{ODE: opt.ODE, WithLogP: true, Seed: 3, Cond: shared})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 200 {
			if want := l.logp(res.X[i*d:(i+1)*d], o0); math.Abs(res.LogP[i]-want) > 1e-4 {
				t.Fatalf("sample %d: log-density %v, closed form %v", i, res.LogP[i], want)
			}
		}
		// Encode maps x to the base point e^{−β}(z − mean).
		z, _, err := l.m.Encode(ctx, x[:d], LikelihoodOptions{ODE: opt.ODE, Cond: shared})
		if err != nil {
			t.Fatal(err)
		}
		for j := range d {
			b := l.beta[j]
			mean := (math.Expm1(b)/b)*o0[j] + ((math.Exp(b)-1-b)/(b*b))*l.wt[j]
			want := ((float64(x[j])-l.stats.Mean[j])/l.stats.Std[j] - mean) / math.Exp(b)
			if math.Abs(float64(z[j])-want) > 1e-4 {
				t.Fatalf("encode: %v, closed form %v", z[j], want)
			}
		}
		if tc.labels == 0 {
			continue
		}
		// Guidance w: the offset is (1+w)·o(c) − w·o(∅).
		const w = 1.5
		g := *shared
		g.Guidance = w
		lp, _, err = l.m.LogProb(ctx, x, LikelihoodOptions{ODE: opt.ODE, Cond: &g})
		if err != nil {
			t.Fatal(err)
		}
		on := l.offset(vals[:k], -1)
		og := make([]float64, d)
		for j := range og {
			og[j] = (1+w)*o0[j] - w*on[j]
		}
		for i := range n {
			if want := l.logp(x[i*d:(i+1)*d], og); math.Abs(lp[i]-want) > 1e-4 {
				t.Fatalf("guided row %d: %v, closed form %v", i, lp[i], want)
			}
		}
		// With Hutchinson probes the guided divergence is estimated with one probe for both
		// fields: exact for an affine field with a diagonal Jacobian and Rademacher probes.
		lp2, _, err := l.m.LogProb(ctx, x, LikelihoodOptions{ODE: opt.ODE, Cond: &g, Hutchinson: 1})
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if math.Abs(lp2[i]-lp[i]) > 1e-4 {
				t.Fatalf("guided Hutchinson row %d: %v, exact divergence %v", i, lp2[i], lp[i])
			}
		}
	}
}

func TestConditionErrors(t *testing.T) {
	l := newLinearCondModel(t, 2, 2, 3, 1)
	ctx := context.Background()
	x := make([]float32, 6)
	opt := LikelihoodOptions{ODE: solver.Options{Method: solver.RK4, Steps: 4}}
	for _, tc := range []struct {
		c    *Condition
		want string
	}{
		{nil, "give a context"},
		{&Condition{Values: []float32{1}, Labels: []int{0}}, "1 context values for 2"},
		{&Condition{Values: []float32{1, 2}}, "takes a class label"},
		{&Condition{Values: []float32{1, 2}, Labels: []int{3}}, "label 3 (row 1) outside [0, 3)"},
		{&Condition{Values: []float32{1, 2, 3, 4}, Labels: []int{0}}, "2 context rows and 1 labels for 3 rows"},
		{&Condition{Values: []float32{1, float32(math.NaN())}, Labels: []int{0}}, "column 2 is NaN"},
		{&Condition{Values: []float32{1, 2}, Labels: []int{0}, Guidance: -1}, "guidance -1"},
	} {
		opt.Cond = tc.c
		_, _, err := l.m.LogProb(ctx, x, opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.c, err, tc.want)
		}
	}
	u := &Model{Net: func() *nn.MLP {
		n, _ := nn.New(nn.Config{Dim: 2, Hidden: []int{4}, Act: kernels.SiLU}, 1)
		return n
	}(), Interp: interp.Linear{}}
	opt.Cond = Shared([]float32{1})
	if _, _, err := u.LogProb(ctx, x, opt); err == nil || !strings.Contains(err.Error(), "unconditional") {
		t.Errorf("unconditional model given a context: %v", err)
	}
}
