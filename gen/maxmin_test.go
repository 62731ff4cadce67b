package gen

import (
	"context"
	"math"
	"testing"

	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/kernels"
)

// TestMaxMinGradient checks the ascent gradients of G = (1/B) Σ (|v|² − 2·İ·v) with respect
// to the Fourier coefficients and the learned base's μ and L against central finite
// differences of G computed in float64 from the network's forward pass.
func TestMaxMinGradient(t *testing.T) {
	cfg := smallConfig(10)
	cfg.Interp, cfg.Base, cfg.MaxMin = interp.NewFourier(2), BaseLearned, 1
	cfg.Batch = 16
	cfg.Net.Dim = 2
	tr, err := newTrainer(cfg, toyData(t, "8gaussians"), TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := tr.fourier()
	f.Alpha[0], f.Alpha[1], f.Beta[0], f.Beta[1] = 0.2, -0.1, 0.15, 0.05
	b := tr.model.Base
	b.Mu[0], b.Mu[1], b.L[0], b.L[2], b.L[3] = 0.3, -0.2, 1.2, 0.3, 0.9
	a := newAscentState(tr.ascentParams(), tr.d)
	// One batch, as step() draws it.
	tr.drawX1()
	for i := range tr.z {
		tr.z[i] = float32(tr.rng.NormFloat64())
	}
	b.Transform(tr.z, tr.x0)
	tr.times.Fill(tr.t)
	interp.Batch(f, tr.d, tr.t, tr.x0, tr.x1, tr.xt, tr.dxt)
	tr.net.LossGrad(tr.t, tr.xt, tr.dxt, tr.grad, tr.dx, nil)
	tr.batch.gradV = tr.net.LossGradOutput()
	a.accumulate(&tr.batch)

	d, B := tr.d, tr.B
	x0 := make([]float32, B*d)
	xt := make([]float32, B*d)
	dxt := make([]float32, B*d)
	out := make([]float32, B*d)
	net := tr.net.Fork()
	objective := func() float64 {
		b.Transform(tr.z, x0)
		interp.Batch(f, d, tr.t, x0, tr.x1, xt, dxt)
		net.Forward(tr.t, xt, out)
		g := 0.0
		for i, v := range out {
			g += float64(v)*float64(v) - 2*float64(dxt[i])*float64(v)
		}
		return g / float64(B)
	}
	check := func(name string, p []float64, grad []float64) {
		for i := range p {
			if name == "L" && i == 1 { // above the diagonal: not a parameter
				continue
			}
			const h = 1e-3
			old := p[i]
			p[i] = old + h
			gp := objective()
			p[i] = old - h
			gm := objective()
			p[i] = old
			fd := (gp - gm) / (2 * h)
			if math.Abs(fd-grad[i]) > 2e-3*(1+math.Abs(fd)) {
				t.Errorf("∂G/∂%s[%d] = %.6f, finite difference %.6f", name, i, grad[i], fd)
			}
		}
	}
	check("alpha", f.Alpha, a.gAlpha)
	check("beta", f.Beta, a.gBeta)
	check("mu", b.Mu, a.gMu)
	check("L", b.L, a.gL)
}

// TestMaxMinShortensPath trains the same small network on the checkerboard with the
// trigonometric interpolant and with the max–min over a Fourier interpolant. The ascent
// maximizes G = −E|v*|², so the learned field's kinetic energy E|v|² must end lower
// (the interpolant's own E|İ|² may grow: only its conditional mean matters).
func TestMaxMinShortensPath(t *testing.T) {
	if testing.Short() || kernels.Impl() == kernels.TierGo {
		t.Skip("trains two models: needs -short off and a vectorized kernel tier (not purego)")
	}
	base := DefaultTrainConfig(2)
	base.Net.Hidden = []int{64, 64}
	base.Steps, base.Batch, base.Warmup, base.LogEvery, base.Seed = 1500, 512, 20, 500, 5
	mm := base
	mm.Interp, mm.MaxMin, mm.MaxMinLR = interp.NewFourier(4), 1, 2e-2
	data := toyData(t, "checkerboard")
	plain, err := Train(context.Background(), base, data, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	opt, err := Train(context.Background(), mm, data, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	last := func(m *Model) LogEntry { return m.History[len(m.History)-1] }
	p, o := last(plain), last(opt)
	t.Logf("trig: E|v|² %.4f; max–min: E|v|² %.4f, path E|İ|² %.4f", p.Kinetic, o.Kinetic, o.PathKE)
	if !(o.Kinetic < p.Kinetic) {
		t.Errorf("max–min field kinetic energy %.4f not below the trig run's %.4f", o.Kinetic, p.Kinetic)
	}
}
