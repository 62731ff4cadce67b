package kernels

// This file holds the column-wise matrix kernels of the nn package's divergence passes:
// column sums, and a per-column scale, which runs the elementwise multiply of Mul on every
// row.

// ColSums sets dst[j] = Σ_i A[i,j] for the m×n matrix A (leading dimension lda), summed in
// float32 in row order (i ascending), so the result does not depend on the thread count.
func ColSums(m, n int, a []float32, lda int, dst []float32) {
	checkMat("A", a, m, n, lda)
	checkVec("ColSums: dst", dst, n)
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
	checkVec("ScaleCols: v", v, n)
	if n == 0 {
		return
	}
	v = v[:n]
	for i := 0; i < m; i++ {
		r := a[i*lda : i*lda+n]
		mul(r, v, r)
	}
}
