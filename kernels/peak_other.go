//go:build purego || !amd64

package kernels

// peakKernel returns the scalar Go probe: this build has no SIMD FMA probe.
func peakKernel() (run func(n int) float32, flopsPerIter float64) { return fmaPeakGo, 8 * 2 }
