package kernels

import "fmt"

// This file holds small kernels that the nn package needs beyond the core API. Mul and
// ScaleCols run the amd64 tiers' generated elementwise multiply (one rounding per product,
// the same bits as the Go loop) and the Go loop elsewhere.

// Mul sets out[i] = x[i]·y[i] for i < len(x). out may alias x or y exactly.
func Mul(x, y, out []float32) {
	if len(y) < len(x) || len(out) < len(x) {
		panic(fmt.Sprintf("kernels: Mul: len(x) = %d, len(y) = %d, len(out) = %d", len(x), len(y), len(out)))
	}
	mul(x, y[:len(x)], out[:len(x)])
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

// ScaleCols multiplies every row of the m×n matrix A (leading dimension lda) by the vector
// v elementwise: A[i,j] = A[i,j]·v[j]. It applies a per-column scale, such as act'(z) of one
// point, to a block of tangents.
func ScaleCols(m, n int, a []float32, lda int, v []float32) {
	checkMat("A", a, m, n, lda)
	if len(v) < n {
		panic(fmt.Sprintf("kernels: ScaleCols: v has %d elements, want %d", len(v), n))
	}
	if n == 0 {
		return
	}
	v = v[:n]
	for i := 0; i < m; i++ {
		r := a[i*lda : i*lda+n]
		mul(r, v, r)
	}
}
