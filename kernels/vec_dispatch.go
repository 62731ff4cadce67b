package kernels

import "time"

func actBackward(act Act, m, n int, dy []float32, lddy int, z []float32, ldz int, dz []float32, lddz int, dbias []float32) {
	RefActBackward(act, m, n, dy, lddy, z, ldz, dz, lddz, dbias)
}
func actForward(act Act, x, y []float32)                                 { RefActForward(act, x, y) }
func actDeriv(act Act, x, d []float32)                                   { RefActDerivVec(act, x, d) }
func expVec(x, y []float32)                                              { RefExp(x, y) }
func axpy(alpha float32, x, y []float32)                                 { RefAxpy(alpha, x, y) }
func scale(alpha float32, x []float32)                                   { RefScale(alpha, x) }
func dot(x, y []float32) float32                                         { return RefDot(x, y) }
func sumSq(x []float32) float32                                          { return RefSumSq(x) }
func adam(p, g, m, v []float32, c *AdamParams)                           { RefAdam(p, g, m, v, c) }
func rkCombine(out, y []float32, h float32, b []float32, ks [][]float32) { RefRKCombine(out, y, h, b, ks) }

// FMAPeak measures this machine's peak float32 FMA throughput in GFLOP/s (2 FLOPs per lane
// per FMA) with the given number of threads running register-only FMA loops for about d.
// SCAFFOLD: replaced by the Avo-generated probe.
func FMAPeak(threads int, d time.Duration) float64 {
	_ = threads
	_ = d
	return 0
}
