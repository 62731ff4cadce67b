package main

import (
	"context"
	"math/rand/v2"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/nn"
)

// The nn benchmark groups (issue 3): train (W-train-2d, W-train-64d, and the table rule's
// W-train-table-13d and -64d), forward (W-forward)
// and divergence (W-div), the workloads of ../shared/anchors/torch/bench.py.

// trainStep is one full step of the method on a fresh batch: data x1, x0 ~ N(0, I),
// t ~ U[0, 1], the trigonometric interpolant, forward, loss, backward and Adam.
type trainStep struct {
	m                  *nn.MLP
	opt                *nn.Adam
	data               dataset.Sampler
	rng                *rand.Rand
	d                  int
	t                  []float64
	x0, x1, xt, dxt, g []float32
}

func newTrainStep(m *nn.MLP, data dataset.Sampler, batch int) *trainStep {
	d := m.Dim()
	return &trainStep{
		m: m, opt: nn.NewAdam(m.NumParams()), data: data, rng: rand.New(rand.NewPCG(1, 2)), d: d,
		t: make([]float64, batch), x0: make([]float32, batch*d), x1: make([]float32, batch*d),
		xt: make([]float32, batch*d), dxt: make([]float32, batch*d), g: make([]float32, m.NumParams()),
	}
}

func (s *trainStep) step() {
	s.data.Sample(s.rng, s.x1)
	for i := range s.x0 {
		s.x0[i] = float32(s.rng.NormFloat64())
	}
	for i := range s.t {
		s.t[i] = s.rng.Float64()
	}
	interp.Batch(interp.Trig{}, s.d, s.t, s.x0, s.x1, s.xt, s.dxt)
	s.m.LossGrad(s.t, s.xt, s.dxt, s.g, nil, nil)
	s.opt.Update(s.m.Params(), s.g, 1e-3)
}

// trainWorkload is one workload of the train group: a training step of a width×3 network
// on batches of bs rows of dimension d.
type trainWorkload struct {
	name         string
	d, width, bs int
	data         dataset.Sampler
}

// trainWorkloads are the train group's workloads. W-train-table-*: the steps of the table
// rule (gen.TableConfig: width 256, batches of 256–512) on 13 and 64 columns, where a step
// is small enough for overheads to show.
func trainWorkloads() []trainWorkload {
	return []trainWorkload{{"W-train-2d", 2, 256, 4096, dataset.Checkerboard{}}, {"W-train-64d", 64, 512, 1024, dataset.GMM64()},
		{"W-train-table-13d", 13, 256, 256, dataset.NewGMM(13, 8, 0.5, 2, 13)}, {"W-train-table-64d", 64, 256, 512, dataset.GMM64()}}
}

func benchTrain(ctx context.Context, o *benchOpts) error {
	n := 0
	err := forEachSetting(o, func(impl string, th int) error {
		for _, w := range trainWorkloads() {
			if !o.want(w.name) || ctx.Err() != nil {
				continue
			}
			m := benchNet(w.d, w.width)
			s := newTrainStep(m, w.data, w.bs)
			ms, best := measureMin(ctx, s.step)
			gflop := 3 * float64(w.bs) * m.Config().FLOPsPerRow() / 1e9 // 6·B·Σ fan_in·fan_out
			n++
			if err := emitRun(o, w.name, impl, th, "ms_per_step", ms, gflop, "dim", w.d, "width", w.width, "batch", w.bs, "act", "silu", "min_ms", best); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return o.out.Emit("summary", "train", "results", n, "impls", o.impls, "threads", o.threads)
}

func benchForward(ctx context.Context, o *benchOpts) error {
	const name, n = "W-forward", 100_000
	lines := 0
	err := forEachSetting(o, func(impl string, th int) error {
		if !o.want(name) || ctx.Err() != nil {
			return nil
		}
		m := benchNet(2, 256)
		rng := rand.New(rand.NewPCG(1, 2))
		x, out := make([]float32, 2*n), make([]float32, 2*n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		ms, best := measureMin(ctx, func() { m.Velocity(0.5, x, out) })
		lines++
		return emitRun(o, name, impl, th, "ms", ms, n*m.Config().FLOPsPerRow()/1e9, "n", n, "dim", 2, "width", 256, "min_ms", best)
	})
	if err != nil {
		return err
	}
	return o.out.Emit("summary", "forward", "results", lines, "impls", o.impls, "threads", o.threads)
}

// divFLOPs counts the FLOPs of VelocityDiv for n rows: the forward pass plus the d tangents
// through every hidden-to-hidden layer (2·n·d·fan_in·fan_out each); the first layer's
// tangents and the last layer's diagonal are O(n·d·width) and left out.
func divFLOPs(m *nn.MLP, n int) float64 {
	c := m.Config()
	f := float64(n) * c.FLOPsPerRow()
	for i := 1; i < len(c.Hidden); i++ {
		f += 2 * float64(n) * float64(c.Dim) * float64(c.Hidden[i-1]) * float64(c.Hidden[i])
	}
	return f
}

func benchDivergence(ctx context.Context, o *benchOpts) error {
	const name = "W-div"
	lines := 0
	err := forEachSetting(o, func(impl string, th int) error {
		if !o.want(name) {
			return nil
		}
		for _, w := range []struct{ d, width, n int }{{2, 256, 10_000}, {64, 512, 1_000}} {
			if ctx.Err() != nil {
				return nil
			}
			m := benchNet(w.d, w.width)
			rng := rand.New(rand.NewPCG(1, 2))
			x, out := make([]float32, w.d*w.n), make([]float32, w.d*w.n)
			div := make([]float64, w.n)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			ms, best := measureMin(ctx, func() { m.VelocityDiv(0.5, x, out, div) })
			lines++
			if err := emitRun(o, name, impl, th, "ms", ms, divFLOPs(m, w.n)/1e9, "n", w.n, "dim", w.d, "width", w.width, "divergence", "exact-forward-mode", "min_ms", best); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return o.out.Emit("summary", "divergence", "results", lines, "impls", o.impls, "threads", o.threads)
}
