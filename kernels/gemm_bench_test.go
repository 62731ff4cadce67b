package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// benchShapes are the (M, K, N) shapes with the products they are benchmarked in.
var benchShapes = []struct {
	m, k, n int
	trans   []string
}{
	{4096, 256, 256, []string{"nn", "nt", "tn"}},
	{4096, 3, 256, []string{"nn"}},
	{4096, 256, 2, []string{"nn"}},
	{1024, 1024, 1024, []string{"nn"}},
	{4096, 512, 512, []string{"nn", "nt", "tn"}},
	{1024, 65, 512, []string{"nn"}},
	{1024, 512, 64, []string{"nn"}},
}

// gemmOperands returns A, B and C for op(A) m×k, op(B) k×n with tight leading dimensions.
func gemmOperands(tr string, m, k, n int) (tA, tB bool, a []float32, lda int, b []float32, ldb int, c []float32) {
	rng := rand.New(rand.NewPCG(1, 1))
	tA, tB = tr == "tn", tr == "nt"
	a, b, c = randSlice(rng, m*k), randSlice(rng, k*n), make([]float32, m*n)
	lda, ldb = k, n
	if tA {
		lda = m
	}
	if tB {
		ldb = k
	}
	return
}

// BenchmarkSgemm reports GFLOP/s (2·m·k·n per call) of Gemm per tier, product and shape,
// with one thread and (under threads=2) two; gonum's blas32.Gemm is the baseline under impl
// "gonum" (it runs its own goroutines, up to GOMAXPROCS, on large products). Single-threaded runs also report cpu-GFLOP/s, the rate by the thread's CPU time,
// which other load on a shared machine does not dilute.
func BenchmarkSgemm(b *testing.B) {
	keepThreads(b)
	prev := Impl()
	defer SetImpl(prev)
	for _, impl := range append(Tiers(), "gonum") {
		for _, th := range []int{1, 2} {
			for _, s := range benchShapes {
				for _, tr := range s.trans {
					name := fmt.Sprintf("%s/%s/m=%d,k=%d,n=%d", impl, tr, s.m, s.k, s.n)
					if th > 1 {
						name = fmt.Sprintf("%s/%s/threads=%d/m=%d,k=%d,n=%d", impl, tr, th, s.m, s.k, s.n)
					}
					b.Run(name, func(b *testing.B) {
						tA, tB, a, lda, bb, ldb, c := gemmOperands(tr, s.m, s.k, s.n)
						var f func()
						if impl == "gonum" {
							if th > 1 {
								b.Skip("gonum's blas32 picks its own goroutine count")
							}
							ta, tb := blas.NoTrans, blas.NoTrans
							ar, ac, br, bc := s.m, s.k, s.k, s.n
							if tA {
								ta, ar, ac = blas.Trans, s.k, s.m
							}
							if tB {
								tb, br, bc = blas.Trans, s.n, s.k
							}
							ga := blas32.General{Rows: ar, Cols: ac, Stride: lda, Data: a}
							gb := blas32.General{Rows: br, Cols: bc, Stride: ldb, Data: bb}
							gc := blas32.General{Rows: s.m, Cols: s.n, Stride: s.n, Data: c}
							f = func() { blas32.Gemm(ta, tb, 1, ga, gb, 0, gc) }
						} else {
							if err := SetImpl(impl); err != nil {
								b.Skip(err)
							}
							SetThreads(th)
							f = func() { Gemm(tA, tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n) }
						}
						f()
						if th == 1 {
							runtime.LockOSThread()
							defer runtime.UnlockOSThread()
						}
						cpu0, cpuOK := threadCPUSeconds()
						b.ReportAllocs()
						b.ResetTimer()
						for b.Loop() {
							f()
						}
						flop := 2 * float64(s.m) * float64(s.k) * float64(s.n) * float64(b.N)
						b.ReportMetric(flop/b.Elapsed().Seconds()/1e9, "GFLOP/s")
						if cpu1, ok := threadCPUSeconds(); ok && cpuOK && th == 1 && impl != "gonum" && cpu1 > cpu0 {
							b.ReportMetric(flop/(cpu1-cpu0)/1e9, "cpu-GFLOP/s")
						}
					})
				}
			}
		}
	}
}
