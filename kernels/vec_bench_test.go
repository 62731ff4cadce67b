package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// randVecSlice returns n standard normal floats from seed.
func randVecSlice(n int, seed uint64) []float32 {
	s := make([]float32, n)
	fillRand(rand.New(rand.NewPCG(seed, 1)), s, normal)
	return s
}

// BenchmarkVecMem measures the memory-bound kernels on 64 MiB operands. b.SetBytes counts
// every byte read or written once, so MB/s compares directly with "copy" (a plain Go copy
// of one operand into another: 2 × 64 MiB per op).
func BenchmarkVecMem(b *testing.B) {
	const n = 16 << 20 // 64 MiB of float32
	x, y, g, m, v := randVecSlice(n, 1), randVecSlice(n, 2), randVecSlice(n, 3), randVecSlice(n, 4), randVecSlice(n, 5)
	for i := range v {
		v[i] *= v[i]
	}
	c := &AdamParams{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, BC1: 0.1, BC2: 0.01}
	ks := [][]float32{x, g, m, v}
	bs := []float32{1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6}
	ops := []struct {
		name  string
		bytes int
		run   func()
	}{
		{"copy", 2 * 4 * n, func() { copy(y, x) }},
		{"axpy", 3 * 4 * n, func() { Axpy(0.5, x, y) }},
		{"scale", 2 * 4 * n, func() { Scale(1, y) }},
		{"dot", 2 * 4 * n, func() { _ = Dot(x, y) }},
		{"sumsq", 4 * n, func() { _ = SumSq(x) }},
		{"adam", 7 * 4 * n, func() { Adam(y, x, m, v, c) }},
		{"rk4", 6 * 4 * n, func() { RKCombine(y, y, 0.01, bs, ks) }},
	}
	forEachTier(b, func(b *testing.B) {
		for _, op := range ops {
			b.Run(op.name, func(b *testing.B) {
				b.SetBytes(int64(op.bytes))
				b.ReportAllocs()
				for b.Loop() {
					op.run()
				}
			})
		}
	})
}

// BenchmarkAct measures the activations (forward and derivative) and Exp at an L2-resident
// size and at a short GEMM-epilogue segment, reporting elements per second.
func BenchmarkAct(b *testing.B) {
	for _, n := range []int{64, 8192} {
		x := randVecSlice(n, 7)
		for i := range x {
			x[i] *= 4
		}
		y := make([]float32, n)
		forEachTier(b, func(b *testing.B) {
			for act := ReLU; act < numActs+1; act++ {
				name := "exp"
				if act < numActs {
					name = act.String()
				}
				for _, deriv := range []bool{false, true} {
					if act == numActs && deriv {
						continue
					}
					sfx := ""
					if deriv {
						sfx = "'"
					}
					b.Run(fmt.Sprintf("%s%s/n=%d", name, sfx, n), func(b *testing.B) {
						b.ReportAllocs()
						iters, t0 := 0, time.Now()
						for b.Loop() {
							iters++
							switch {
							case act == numActs:
								Exp(x, y)
							case deriv:
								ActDeriv(act, x, y)
							default:
								ActForward(act, x, y)
							}
						}
						b.ReportMetric(float64(n)*float64(iters)/time.Since(t0).Seconds(), "elem/s")
					})
				}
			}
		})
	}
}
