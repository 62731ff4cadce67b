package kernels

import "fmt"

// This file holds small kernels that the nn package needs beyond the core API. They are
// pure Go for now (each doc comment states the loop); a SIMD tier may replace the body
// later without changing the results' contract.

// Mul sets out[i] = x[i]·y[i] for i < len(x). out may alias x or y exactly.
func Mul(x, y, out []float32) {
	if len(y) < len(x) || len(out) < len(x) {
		panic(fmt.Sprintf("kernels: Mul: len(x) = %d, len(y) = %d, len(out) = %d", len(x), len(y), len(out)))
	}
	y, out = y[:len(x)], out[:len(x)]
	for i, v := range x {
		out[i] = v * y[i]
	}
}

// ColSums sets dst[j] = Σ_i A[i,j] for the m×n matrix A (leading dimension lda), summed in
// float32 in row order (i ascending), so the result does not depend on the thread count.
func ColSums(m, n int, a []float32, lda int, dst []float32) {
	checkMat("A", a, m, n, lda)
	if len(dst) < n {
		panic(fmt.Sprintf("kernels: ColSums: dst has %d elements, want %d", len(dst), n))
	}
	dst = dst[:n]
	clear(dst)
	for i := 0; i < m; i++ {
		row := a[i*lda : i*lda+n]
		for j, v := range row {
			dst[j] += v
		}
	}
}
