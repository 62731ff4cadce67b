package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/interflow/flowbench/kernels"
)

// Benchmarks of the passes on the workload shapes (go test -bench . ./nn).

func benchMLP(b *testing.B, d, w int) *MLP {
	m, err := New(Config{Dim: d, Hidden: []int{w, w, w}, Act: kernels.SiLU}, 0)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// benchShape is a workload: an MLP d+1 → w×3 → d and rows points.
type benchShape struct {
	name       string
	d, w, rows int
}

// benchShapes runs body as a sub-benchmark per shape, with the shape's MLP and random points
// x (rows×d) drawn from rng, which body may draw from further.
func benchShapes(b *testing.B, shapes []benchShape, body func(b *testing.B, m *MLP, s benchShape, x []float32, rng *rand.Rand)) {
	for _, s := range shapes {
		b.Run(s.name, func(b *testing.B) {
			m := benchMLP(b, s.d, s.w)
			rng := rand.New(rand.NewPCG(1, 2))
			body(b, m, s, randVec(rng, s.rows*s.d, 1), rng)
		})
	}
}

func BenchmarkLossGrad(b *testing.B) {
	benchShapes(b, []benchShape{{"2d", 2, 256, 4096}, {"64d", 64, 512, 1024}}, func(b *testing.B, m *MLP, s benchShape, x []float32, rng *rand.Rand) {
		u := randVec(rng, s.rows*s.d, 1)
		ts := make([]float64, s.rows)
		for i := range ts {
			ts[i] = rng.Float64()
		}
		g := make([]float32, m.NumParams())
		opt := NewAdam(m.NumParams())
		b.ReportAllocs()
		for b.Loop() {
			m.LossGrad(ts, x, u, g, nil, nil)
			opt.Update(m.Params(), g, 1e-3)
		}
		b.ReportMetric(3*float64(s.rows)*m.cfg.FLOPsPerRow()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

func BenchmarkVelocity(b *testing.B) {
	m := benchMLP(b, 2, 256)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 100000
	x, out := randVec(rng, 2*n, 1), make([]float32, 2*n)
	b.ReportAllocs()
	for b.Loop() {
		m.Velocity(0.5, x, out)
	}
	b.ReportMetric(n*m.cfg.FLOPsPerRow()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkVelocityDiv(b *testing.B) {
	benchShapes(b, []benchShape{{"2d", 2, 256, 10000}, {"64d", 64, 512, 1000}}, func(b *testing.B, m *MLP, s benchShape, x []float32, _ *rand.Rand) {
		out := make([]float32, s.rows*s.d)
		div := make([]float64, s.rows)
		b.ReportAllocs()
		for b.Loop() {
			m.VelocityDiv(0.5, x, out, div)
		}
	})
}

// BenchmarkChunk compares chunk sizes of the scalar-t passes (for tuning).
func BenchmarkChunk(b *testing.B) {
	m := benchMLP(b, 2, 256)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 20000
	x, out := randVec(rng, 2*n, 1), make([]float32, 2*n)
	div := make([]float64, n)
	defer func(a, c int) { inferRows, divTangents = a, c }(inferRows, divTangents)
	for _, rows := range []int{128, 256, 512, 1024, 4096} {
		b.Run("velocity/rows="+itoa(rows), func(b *testing.B) {
			inferRows = rows
			for b.Loop() {
				m.Velocity(0.5, x, out)
			}
		})
	}
	for _, rows := range []int{256, 512, 1024, 2048, 8192} {
		b.Run("div/tangents="+itoa(rows), func(b *testing.B) {
			divTangents = rows
			for b.Loop() {
				m.VelocityDiv(0.5, x[:2*5000], out, div)
			}
		})
	}
}

// BenchmarkTrainOps times the kernel calls of one W-train-2d step on their own (the
// 256-wide hidden layer, batch 4096), to show where a step's time goes.
func BenchmarkTrainOps(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const B, w = 4096, 256
	w1 := randVec(rng, w*w, 0.05)
	bias := randVec(rng, w, 0.1)
	z, a, a2 := randVec(rng, B*w, 1), randVec(rng, B*w, 1), make([]float32, B*w)
	g := make([]float32, w*w)
	fl := 2.0 * B * w * w
	ops := []struct {
		name string
		f    func()
	}{
		{"NN", func() { kernels.Gemm(false, false, B, w, w, 1, a, w, w1, w, 0, a2, w) }},
		{"NT", func() { kernels.Gemm(false, true, B, w, w, 1, a, w, w1, w, 0, a2, w) }},
		{"TN", func() { kernels.Gemm(true, false, w, w, B, 1, a, w, z, w, 0, g, w) }},
		{"BiasIdentity", func() { kernels.GemmBiasAct(B, w, w, a, w, w1, w, bias, kernels.Identity, nil, 0, a2, w) }},
		{"BiasSiLU", func() { kernels.GemmBiasAct(B, w, w, a, w, w1, w, bias, kernels.SiLU, nil, 0, a2, w) }},
		{"BiasSiLUKeepZ", func() { kernels.GemmBiasAct(B, w, w, a, w, w1, w, bias, kernels.SiLU, z, w, a2, w) }},
		{"ActBackwardSiLU", func() { kernels.ActBackward(kernels.SiLU, B, w, a, w, z, w, a2, w, g[:w]) }},
	}
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) {
			for b.Loop() {
				op.f()
			}
			b.ReportMetric(fl*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
