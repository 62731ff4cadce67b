//go:build !purego

package kernels

// fmaPeakNEON runs n iterations of 16 independent 4-lane FMAs (acc_j = src·src + acc_j,
// src = 1) and returns the sum of all accumulator lanes (peak_arm64.s).
//
//go:noescape
func fmaPeakNEON(n int) float32

// peakKernel returns the NEON FMA probe (ASIMD is mandatory on arm64) and its FLOPs per
// iteration.
func peakKernel() (run func(n int) float32, flopsPerIter float64) {
	return fmaPeakNEON, 16 * 4 * 2
}
