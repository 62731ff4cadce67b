//go:build !purego

package kernels

// peakKernel returns the widest FMA probe this CPU runs and its FLOPs per iteration.
func peakKernel() (run func(n int) float32, flopsPerIter float64) {
	switch {
	case hasTier[tierAVX512]:
		return fmaPeakAVX512, 12 * 16 * 2
	case hasTier[tierAVX2]:
		return fmaPeakAVX2, 12 * 8 * 2
	}
	return fmaPeakGo, 8 * 2
}
