package main

import (
	"context"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/nn"
	"github.com/interflow/flowbench/solver"
)

// The conditional benchmark group (issue 15): the workloads of
// ../shared/anchors/torch/cond_ref.py bench on gaussian_linear's dimensions (θ ∈ R¹⁰,
// x ∈ R¹⁰, 3×256 SiLU), each beside the same workload of the unconditional network of the
// same width (x_uncond = conditional ÷ unconditional time, measured in the same run):
//
//	W-cond-train      ms per Adam step, batch 4096 drawn from 10 000 stored simulations
//	                  (index draw, gather, noise, context, forward, backward, Adam)
//	W-posterior       10 000 draws for one observation (shared context, folded into the
//	                  first layer's bias), RK4 50 steps
//	W-posterior-logp  log-densities of 10 000 points for one observation, exact divergence,
//	                  RK4 50 steps backward
//	W-amortized       one draw for each of 10 000 observations (a context per row), RK4 50
//
// Networks are untrained (seed 0): the cost of a fixed-step solve does not depend on them.

// condDims are gaussian_linear's dimensions.
const condTheta, condX, condWidth = 10, 10, 256

func condNet(ctx int) *nn.MLP {
	m, err := nn.New(nn.Config{Dim: condTheta, Hidden: []int{condWidth, condWidth, condWidth}, Act: kernels.SiLU, Context: ctx}, 0)
	if err != nil {
		panic(err) // a fixed, valid configuration
	}
	return m
}

// condSims returns n simulations of gaussian_linear (standardized units are irrelevant to
// the cost): θ ~ N(0, 0.1 I), x ~ N(θ, 0.1 I).
func condSims(n int, seed uint64) (theta, x []float32) {
	rng := rand.New(rand.NewPCG(seed, 3))
	theta, x = make([]float32, n*condTheta), make([]float32, n*condX)
	for i := range theta {
		theta[i] = float32(0.316 * rng.NormFloat64())
		x[i] = theta[i] + float32(0.316*rng.NormFloat64())
	}
	return theta, x
}

// condTrainStep is one training step of flow-matching posterior estimation on stored
// simulations; with ctx false the context is left out (the unconditional step).
type condTrainStep struct {
	m                     *nn.MLP
	opt                   *nn.Adam
	rng                   *rand.Rand
	theta, x              []float32
	t                     []float64
	x0, x1, xt, dxt, g, c []float32
	ctx                   bool
}

func newCondTrainStep(ctx bool, batch int) *condTrainStep {
	cw := 0
	if ctx {
		cw = condX
	}
	m := condNet(cw)
	th, x := condSims(10_000, 0)
	d := condTheta
	return &condTrainStep{m: m, opt: nn.NewAdam(m.NumParams()), rng: rand.New(rand.NewPCG(1, 2)), theta: th, x: x, ctx: ctx,
		t: make([]float64, batch), x0: make([]float32, batch*d), x1: make([]float32, batch*d), xt: make([]float32, batch*d),
		dxt: make([]float32, batch*d), g: make([]float32, m.NumParams()), c: make([]float32, batch*cw)}
}

func (s *condTrainStep) step() {
	d := condTheta
	for i := range s.t {
		r := s.rng.IntN(10_000)
		copy(s.x1[i*d:(i+1)*d], s.theta[r*d:(r+1)*d])
		if s.ctx {
			copy(s.c[i*condX:(i+1)*condX], s.x[r*condX:(r+1)*condX])
		}
		s.t[i] = s.rng.Float64()
	}
	for i := range s.x0 {
		s.x0[i] = float32(s.rng.NormFloat64())
	}
	if s.ctx {
		s.m.SetContext(s.c)
	}
	interp.Batch(interp.Trig{}, d, s.t, s.x0, s.x1, s.xt, s.dxt)
	s.m.LossGrad(s.t, s.xt, s.dxt, s.g, nil, nil)
	s.opt.Update(s.m.Params(), s.g, 1e-3)
}

// condWorkloads are the cond group's workloads.
var condWorkloads = []string{"W-cond-train", "W-posterior", "W-posterior-logp", "W-amortized"}

func benchCond(ctx context.Context, o *benchOpts) error {
	const n, steps = 10_000, 50
	lines := 0
	ode := solver.Options{Method: solver.RK4, Steps: steps}
	model := func(cw int) *gen.Model {
		m := &gen.Model{Net: condNet(cw), Interp: interp.Trig{}}
		if cw > 0 {
			m.Data.Cond = &gen.CondInfo{}
		}
		return m
	}
	_, xs := condSims(n, 3)
	xo := xs[:condX]
	err := forEachSetting(o, func(impl string, th int) error {
		for _, w := range condWorkloads {
			if !o.want(w) || ctx.Err() != nil {
				continue
			}
			var ms, base, flopRow float64
			extra := []any{"theta_dim", condTheta, "x_dim", condX, "width", condWidth, "depth", 3, "act", "silu"}
			switch w {
			case "W-cond-train":
				const batch = 4096
				c, u := newCondTrainStep(true, batch), newCondTrainStep(false, batch)
				ms, base = pairedSteps(ctx, c.step, u.step)
				flopRow = 3 * batch * c.m.Config().FLOPsPerRow()
				extra = append(extra, "batch", batch, "sims", 10_000)
			case "W-posterior", "W-amortized":
				mc, mu := model(condX), model(0)
				cond := gen.Shared(xo)
				if w == "W-amortized" {
					cond = &gen.Condition{Values: xs}
				}
				run := func(m *gen.Model, c *gen.Condition) func() error {
					return func() error {
						_, err := m.Sample(ctx, n, gen.SampleOptions{ODE: ode, Seed: 1, Cond: c})
						return err
					}
				}
				var err error
				if ms, base, err = pairedHeavy(ctx, run(mc, cond), run(mu, nil)); err != nil {
					return err
				}
				flopRow = float64(4*steps*n) * mc.Net.Config().FLOPsPerRow()
				extra = append(extra, "n", n, "solver", "rk4", "steps", steps)
			case "W-posterior-logp":
				mc, mu := model(condX), model(0)
				pts, _ := condSims(n, 4)
				run := func(m *gen.Model, c *gen.Condition) func() error {
					return func() error {
						_, _, err := m.LogProb(ctx, pts, gen.LikelihoodOptions{ODE: ode, Cond: c})
						return err
					}
				}
				var err error
				if ms, base, err = pairedHeavy(ctx, run(mc, gen.Shared(xo)), run(mu, nil)); err != nil {
					return err
				}
				flopRow = float64(4*steps*n) * (1 + condTheta) * mc.Net.Config().FLOPsPerRow()
				extra = append(extra, "n", n, "solver", "rk4", "steps", steps, "divergence", "exact")
			}
			lines++
			extra = append(extra, "uncond_ms", base, "x_uncond", ms/base)
			if err := emitRun(o, w, impl, th, "ms", ms, flopRow/1e9, extra...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return o.out.Emit("summary", "cond", "results", lines, "impls", o.impls, "threads", o.threads)
}

// pairedHeavy times two heavy runs alternately (a, b, a, b, …: heavyRepeats each after one
// warm-up run of both), so that both see the same load, and returns their median times in
// milliseconds.
func pairedHeavy(ctx context.Context, a, b func() error) (msA, msB float64, err error) {
	var ta, tb []float64
	for i := 0; i <= heavyRepeats; i++ {
		for _, r := range []struct {
			f  func() error
			ts *[]float64
		}{{a, &ta}, {b, &tb}} {
			t0 := time.Now()
			if err := r.f(); err != nil {
				return 0, 0, err
			}
			if i > 0 {
				*r.ts = append(*r.ts, float64(time.Since(t0).Nanoseconds())/1e6)
			}
		}
	}
	sort.Float64s(ta)
	sort.Float64s(tb)
	return ta[len(ta)/2], tb[len(tb)/2], nil
}

// pairedSteps times two training steps alternately (5 warm-up steps of each, then up to 30
// of each, a, b, a, b, …, stopping early when ctx is done) and returns their median times in
// milliseconds: both see the same load, so their ratio holds on a busy machine.
func pairedSteps(ctx context.Context, a, b func()) (msA, msB float64) {
	for range 5 {
		a()
		b()
	}
	var ta, tb []float64
	for i := 0; i < 30 && (i == 0 || ctx.Err() == nil); i++ {
		t0 := time.Now()
		a()
		t1 := time.Now()
		b()
		ta = append(ta, float64(t1.Sub(t0).Nanoseconds())/1e6)
		tb = append(tb, float64(time.Since(t1).Nanoseconds())/1e6)
	}
	sort.Float64s(ta)
	sort.Float64s(tb)
	return ta[len(ta)/2], tb[len(tb)/2]
}
