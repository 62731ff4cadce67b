package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/interflow/flowbench/kernels"
)

// The `bench kernels` group: SGEMM on the shapes (NN, and NT/TN for the 256 and 512
// shapes) and the elementwise kernels, one line per (op, shape, impl, threads).

// gemmBench is one GEMM benchmark: op(A) m×k times op(B) k×n.
type gemmBench struct {
	op      string // sgemm_nn, sgemm_nt, sgemm_tn
	m, k, n int
}

func gemmBenches() []gemmBench {
	var out []gemmBench
	for _, s := range [][3]int{{4096, 256, 256}, {4096, 3, 256}, {4096, 256, 2}, {1024, 1024, 1024}, {4096, 512, 512}, {1024, 65, 512}, {1024, 512, 64}} {
		out = append(out, gemmBench{"sgemm_nn", s[0], s[1], s[2]})
	}
	for _, s := range [][3]int{{4096, 256, 256}, {4096, 512, 512}} {
		out = append(out, gemmBench{"sgemm_nt", s[0], s[1], s[2]}, gemmBench{"sgemm_tn", s[0], s[1], s[2]})
	}
	return out
}

// elemBench is one elementwise benchmark over n float32 elements; bytes is the memory
// traffic of one run (for GB/s).
type elemBench struct {
	op    string
	n     int
	bytes float64
	run   func()
}

func elemBenches(rng *rand.Rand) []elemBench {
	const l2 = 1 << 16   // 256 KiB per operand: L2-resident
	const big = 16 << 20 // 64 MiB per operand: memory-bound
	x, y := randVec(rng, big), randVec(rng, big)
	xs, ys := x[:l2], y[:l2]
	m, v, g := randVec(rng, big), randVec(rng, big), randVec(rng, big)
	for i := range v {
		v[i] *= v[i]
	}
	ks := [][]float32{randVec(rng, big), randVec(rng, big), randVec(rng, big), randVec(rng, big)}
	out := make([]float32, big)
	ap := &kernels.AdamParams{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, BC1: 0.1, BC2: 0.001}
	bw := []float32{1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6}
	var sink float32
	return []elemBench{
		{"silu", l2, 8 * l2, func() { kernels.ActForward(kernels.SiLU, xs, ys) }},
		{"tanh", l2, 8 * l2, func() { kernels.ActForward(kernels.Tanh, xs, ys) }},
		{"gelu", l2, 8 * l2, func() { kernels.ActForward(kernels.GELU, xs, ys) }},
		{"exp", l2, 8 * l2, func() { kernels.Exp(xs, ys) }},
		{"axpy", big, 12 * big, func() { kernels.Axpy(1e-3, x, y) }},
		{"scale", big, 8 * big, func() { kernels.Scale(1, y) }},
		{"dot", big, 8 * big, func() { sink += kernels.Dot(x, y) }},
		{"sumsq", big, 4 * big, func() { sink += kernels.SumSq(x) }},
		{"adam", big, 28 * big, func() { kernels.Adam(y, g, m, v, ap) }},
		{"rk_combine", big, 24 * big, func() { kernels.RKCombine(out, x, 1e-3, bw, ks) }},
		{"copy", big, 8 * big, func() { copy(out, x) }},
	}
}

func randVec(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}

// elemOps are the elementwise kernels of the group, in order.
var elemOps = []string{"silu", "tanh", "gelu", "exp", "axpy", "scale", "dot", "sumsq", "adam", "rk_combine", "copy"}

// kernelNames are the names --only accepts in the kernels group: the elementwise kernels,
// each GEMM variant (all its shapes) and each GEMM variant at one shape (op_M_K_N).
func kernelNames() []string {
	names := slices.Clone(elemOps)
	for _, gb := range gemmBenches() {
		if !slices.Contains(names, gb.op) {
			names = append(names, gb.op)
		}
		names = append(names, fmt.Sprintf("%s_%d_%d_%d", gb.op, gb.m, gb.k, gb.n))
	}
	return names
}

func benchKernels(ctx context.Context, o *benchOpts) error {
	rng := rand.New(rand.NewPCG(1, 2))
	count := 0
	defer kernels.SetThreads(kernels.Threads())
	for _, impl := range o.impls {
		if err := kernels.SetImpl(impl); err != nil {
			return fmt.Errorf("bench kernels: %w", err)
		}
		for _, th := range o.threads {
			kernels.SetThreads(th)
			peak := peakGFLOPS(th)
			for _, gb := range gemmBenches() {
				name := fmt.Sprintf("%s_%d_%d_%d", gb.op, gb.m, gb.k, gb.n)
				if !o.want(gb.op) && !o.want(name) {
					continue
				}
				if ctx.Err() != nil {
					return nil
				}
				tA, tB := gb.op == "sgemm_tn", gb.op == "sgemm_nt"
				a, b, c := randVec(rng, gb.m*gb.k), randVec(rng, gb.k*gb.n), make([]float32, gb.m*gb.n)
				lda, ldb := gb.k, gb.n
				if tA {
					lda = gb.m
				}
				if tB {
					ldb = gb.k
				}
				ms := measure(ctx, func() { kernels.Gemm(tA, tB, gb.m, gb.n, gb.k, 1, a, lda, b, ldb, 0, c, gb.n) })
				gflop := 2 * float64(gb.m) * float64(gb.k) * float64(gb.n) / 1e9
				if err := o.out.Emit("op", gb.op, "m", gb.m, "k", gb.k, "n", gb.n, "threads", th, "impl", impl,
					"ms", ms, "gflop", gflop, "gflops", gflop/(ms/1e3), "peak_gflops", peak); err != nil {
					return err
				}
				count++
			}
			var elems []elemBench
			for _, op := range elemOps {
				if o.want(op) {
					if elems == nil {
						elems = elemBenches(rng)
					}
					break
				}
			}
			for _, e := range elems {
				if !o.want(e.op) || ctx.Err() != nil {
					continue
				}
				ms := measure(ctx, e.run)
				if err := o.out.Emit("op", e.op, "n", e.n, "threads", th, "impl", impl, "ms", ms,
					"gelems", float64(e.n)/(ms/1e3)/1e9, "gbs", e.bytes/(ms/1e3)/1e9); err != nil {
					return err
				}
				count++
			}
		}
	}
	return o.out.Emit("summary", "kernels", "results", count, "impls", o.impls, "threads", o.threads)
}
