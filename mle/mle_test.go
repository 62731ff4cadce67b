package mle

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/nn"
	"github.com/interflow/flowbench/nn/nntest"
	"github.com/interflow/flowbench/solver"
)

// This file checks the MLE objective against an independent float64 reference written
// from the definitions: the MLP and its forward-mode Jacobian-vector product (nntest), and
// RK4 on the augmented state (x, ℓ, kinetic, Jacobian) from t = 1 to 0.

// aug64 is the augmented field of one row: v, div, |v|², frob.
func aug64(c nn.Config, p []float64, t float64, x, probe []float64) (v []float64, div, kin, frob float64) {
	v, div, frob = nntest.Net{Shape: c, Act: c.Act, Features: nntest.ConcatTime}.RowDiv(p, t, x, probe)
	for _, q := range v {
		kin += q * q
	}
	return v, div, kin, frob
}

// loss64 is the MLE loss of the batch x under RK4 with N steps from 1 to 0, in float64.
func loss64(c nn.Config, p []float64, x, probe []float64, N int, lk, lj float64) (loss, nll float64) {
	d := c.Dim
	B := len(x) / d
	h := -1 / float64(N)
	for r := range B {
		y := append([]float64(nil), x[r*d:(r+1)*d]...)
		var pr []float64
		if probe != nil {
			pr = probe[r*d : (r+1)*d]
		}
		var ell, ke, jf float64
		for step := range N {
			t := 1 + float64(step)*h
			ks := make([][]float64, 4)
			cs := []float64{0, 0.5, 0.5, 1}
			ws := []float64{1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6}
			for s := range 4 {
				ys := append([]float64(nil), y...)
				if s > 0 {
					for j := range ys {
						ys[j] += cs[s] * h * ks[s-1][j]
					}
				}
				var dv, kv, fv float64
				ks[s], dv, kv, fv = aug64(c, p, t+cs[s]*h, ys, pr)
				ell += h * ws[s] * dv
				ke -= h * ws[s] * kv
				jf -= h * ws[s] * fv
			}
			for j := range y {
				for s := range 4 {
					y[j] += h * ws[s] * ks[s][j]
				}
			}
		}
		q := 0.0
		for _, v := range y {
			q += v * v
		}
		n := 0.5*q + 0.5*float64(d)*math.Log(2*math.Pi) - ell
		nll += n
		loss += n + lk*ke + lj*jf
	}
	return loss / float64(B), nll / float64(B)
}

func f64s(v []float32) []float64 {
	if v == nil {
		return nil
	}
	o := make([]float64, len(v))
	for i, x := range v {
		o[i] = float64(x)
	}
	return o
}

type mleCase struct {
	name   string
	act    kernels.Act
	div    string
	lk, lj float64
}

var mleCases = []mleCase{
	{"tanh/exact", kernels.Tanh, "", 0, 0},
	{"silu/hutchinson", kernels.SiLU, "hutchinson", 0, 0},
	{"silu/exact/rnode", kernels.SiLU, "exact", 0.3, 0.2},
	{"tanh/hutchinson/rnode", kernels.Tanh, "hutchinson", 0.5, 0.1},
}

// checkGrad compares grad with central differences of f over every parameter.
func checkGrad(t *testing.T, grad []float32, p []float64, f func([]float64) float64, rel float64) {
	t.Helper()
	const h = 1e-5
	fd := make([]float64, len(p))
	scale := 0.0
	for i := range p {
		q := append([]float64(nil), p...)
		q[i] += h
		lp := f(q)
		q[i] -= 2 * h
		fd[i] = (lp - f(q)) / (2 * h)
		scale = math.Max(scale, math.Abs(fd[i]))
	}
	bad := 0
	for i := range p {
		if math.Abs(float64(grad[i])-fd[i]) > rel*scale {
			if bad < 5 {
				t.Errorf("dL/dθ[%d] = %g, finite difference %g (max |grad| %g)", i, grad[i], fd[i], scale)
			}
			bad++
		}
	}
	if scale == 0 {
		t.Error("gradient is identically zero")
	}
}

func mleSetup(t *testing.T, c mleCase, seed uint64) (*nn.MLP, []float32, []float32) {
	cfg := nn.Config{Dim: 2, Hidden: []int{8, 8}, Act: c.act}
	net, err := nn.New(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	B := 4
	x := make([]float32, B*2)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 1.5)
	}
	var probe []float32
	if c.div == "hutchinson" {
		probe = make([]float32, B*2)
		for i := range probe {
			probe[i] = float32(1 - 2*int(rng.Uint64()&1))
		}
	}
	return net, x, probe
}

// evalMLE returns the statistics and the gradient of the objective of cfg for net on the
// batch x (probe as LossGrad takes it).
func evalMLE(t *testing.T, net *nn.MLP, cfg Config, x, probe []float32) (Stats, []float32) {
	t.Helper()
	obj, err := New(net, cfg)
	if err != nil {
		t.Fatal(err)
	}
	grad := make([]float32, net.NumParams())
	st, err := obj.LossGrad(context.Background(), x, probe, grad)
	if err != nil {
		t.Fatal(err)
	}
	return st, grad
}

// mleGrad evaluates the objective of cfg (Div, Kinetic and Jacobian from c) on mleSetup's
// batch and returns the statistics, the gradient, the parameters in float64 and the float64
// reference: the loss of N RK4 steps as a function of the parameters.
func mleGrad(t *testing.T, c mleCase, seed uint64, cfg Config) (Stats, []float32, []float64, func(N int, p []float64) (loss, nll float64)) {
	t.Helper()
	net, x, probe := mleSetup(t, c, seed)
	cfg.Div, cfg.Kinetic, cfg.Jacobian = c.div, c.lk, c.lj
	st, grad := evalMLE(t, net, cfg, x, probe)
	nc, x64, p64 := net.Config(), f64s(x), f64s(probe)
	ref := func(N int, p []float64) (float64, float64) { return loss64(nc, p, x64, p64, N, c.lk, c.lj) }
	return st, grad, f64s(net.Params()), ref
}

// TestMLEDiscreteGradient: the discrete gradient is the gradient of the RK4 objective
// (central differences of the float64 reference with the same steps).
func TestMLEDiscreteGradient(t *testing.T) {
	for i, c := range mleCases {
		t.Run(c.name, func(t *testing.T) {
			const N = 5
			st, grad, p, ref := mleGrad(t, c, uint64(i)+1, Config{Gradient: GradDiscrete, Steps: N})
			wl, wn := ref(N, p)
			if math.Abs(st.Loss-wl) > 1e-4*(1+math.Abs(wl)) || math.Abs(st.NLL-wn) > 1e-4*(1+math.Abs(wn)) {
				t.Errorf("loss, nll = %g, %g; reference %g, %g", st.Loss, st.NLL, wl, wn)
			}
			if st.NFE != 4*N || st.NFEBackward != 4*N {
				t.Errorf("NFE = %d, %d, want %d", st.NFE, st.NFEBackward, 4*N)
			}
			checkGrad(t, grad, p, func(p []float64) float64 { l, _ := ref(N, p); return l }, 1e-3)
		})
	}
}

// TestMLEAdjointGradient: the adjoint gradient matches central differences of the
// continuous objective (the float64 RK4 reference with many steps) to within the solvers'
// errors.
func TestMLEAdjointGradient(t *testing.T) {
	for i, c := range mleCases {
		if testing.Short() && i%2 == 1 {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			fwd := solver.Options{Method: solver.Dopri5, RTol: 1e-6, ATol: 1e-6}
			st, grad, p, ref := mleGrad(t, c, uint64(i)+11, Config{Gradient: GradAdjoint, Steps: 20, Forward: fwd})
			const N = 40 // RK4 at 40 steps: the continuous objective to ~1e-7
			wl, _ := ref(N, p)
			if math.Abs(st.Loss-wl) > 1e-3*(1+math.Abs(wl)) {
				t.Errorf("loss = %g, reference %g", st.Loss, wl)
			}
			if st.NFE < 6 || st.NFEBackward != 80 {
				t.Errorf("NFE = %d, %d", st.NFE, st.NFEBackward)
			}
			checkGrad(t, grad, p, func(p []float64) float64 { l, _ := ref(N, p); return l }, 2e-3)
		})
	}
}

// TestMLEMatchesLogProb: the NLL the objective optimizes is the one the likelihood solve of
// gen.Model.LogProb and `flowbench nll` (solver.Workspace.LogDensity with the N(0, I) base)
// computes for the same weights, with the same RK4 steps (exact divergence) and with Dopri5
// (adjoint forward solve).
func TestMLEMatchesLogProb(t *testing.T) {
	net, err := nn.New(nn.Config{Dim: 2, Hidden: []int{32, 32}, Act: kernels.SiLU}, 9)
	if err != nil {
		t.Fatal(err)
	}
	x := dataset.SampleN(dataset.EightGaussians{}, 64, 4)
	for _, tc := range []struct {
		grad Gradient
		ode  solver.Options
	}{
		{GradDiscrete, solver.Options{Method: solver.RK4, Steps: 16}},
		{GradAdjoint, solver.Options{Method: solver.Dopri5, RTol: 1e-5, ATol: 1e-5}},
	} {
		st, _ := evalMLE(t, net, Config{Gradient: tc.grad, Steps: 16, Forward: tc.ode}, x, nil)
		lp := make([]float64, 64)
		if _, err := solver.NewWorkspace().LogDensity(context.Background(), net, 1, append([]float32(nil), x...), lp, nil, &tc.ode); err != nil {
			t.Fatal(err)
		}
		want := 0.0
		for _, v := range lp {
			want -= v / 64
		}
		if math.Abs(st.NLL-want) > 1e-5*(1+math.Abs(want)) {
			t.Errorf("%v: objective NLL %.8f, the likelihood solve %.8f", tc.grad, st.NLL, want)
		}
	}
}

// TestMLEAllocs: after warm-up, a discrete LossGrad allocates nothing, and neither does an
// adjoint one whose forward solve takes fixed steps.
func TestMLEAllocs(t *testing.T) {
	net, x, _ := mleSetup(t, mleCases[0], 1)
	grad := make([]float32, net.NumParams())
	ctx := context.Background()
	for _, cfg := range []Config{{Steps: 4}, {Gradient: GradAdjoint, Steps: 4, Forward: solver.Options{Method: solver.RK4, Steps: 3}}} {
		obj, _ := New(net, cfg)
		if _, err := obj.LossGrad(ctx, x, nil, grad); err != nil {
			t.Fatal(err)
		}
		if a := testing.AllocsPerRun(3, func() { obj.LossGrad(ctx, x, nil, grad) }); a != 0 {
			t.Errorf("%v: LossGrad allocates %v times per call", cfg.Gradient, a)
		}
	}
}

// TestMLEConfigErrors: bad settings and inputs are errors naming the field.
func TestMLEConfigErrors(t *testing.T) {
	for _, c := range []Config{{Steps: 0}, {Steps: 4, Div: "nope"}, {Steps: 4, Kinetic: -1}, {Steps: 4, Jacobian: math.NaN()}, {Steps: 4, Gradient: 7}} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
	net, x, _ := mleSetup(t, mleCases[0], 1)
	obj, _ := New(net, Config{Steps: 4, Div: "hutchinson"})
	if _, err := obj.LossGrad(context.Background(), x, nil, make([]float32, net.NumParams())); err == nil {
		t.Error("missing probe: no error")
	}
	if _, err := obj.LossGrad(context.Background(), x[:3], x[:3], make([]float32, net.NumParams())); err == nil {
		t.Error("partial row: no error")
	}
}
