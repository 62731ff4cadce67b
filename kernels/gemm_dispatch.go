package kernels

// The GEMM entry points after the exported functions' shape checks. They take the pool (or
// a private state when it is busy), describe the call as a gemmJob and run the driver in
// gemm.go with the tier's gemmImpl (gemmImpls, filled by gemm_go.go and the generated
// gemm_impl_amd64.go).

// gemm is the internal entry point of Gemm after shape checks (m, n >= 1).
func gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if transA {
		raceRead(a, k, m, lda)
	} else {
		raceRead(a, m, k, lda)
	}
	if transB {
		raceRead(b, n, k, ldb)
	} else {
		raceRead(b, k, n, ldb)
	}
	raceWrite(c, m, n, ldc)
	st, threads := acquireState()
	j := &st.job
	*j = gemmJob{st: st, impl: currentGemmImpl(), transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, beta: beta, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc}
	j.run(threads)
	releaseState(st)
}

// gemmBiasAct is the internal entry point of GemmBiasAct after shape checks (m, n >= 1).
func gemmBiasAct(m, n, k int, a []float32, lda int, b []float32, ldb int, bias []float32, act Act, z []float32, ldz int, y []float32, ldy int) {
	raceRead(a, m, k, lda)
	raceRead(b, k, n, ldb)
	if bias != nil {
		raceRead(bias, 1, n, n)
	}
	if z != nil {
		raceWrite(z, m, n, ldz)
	}
	raceWrite(y, m, n, ldy)
	st, threads := acquireState()
	j := &st.job
	*j = gemmJob{st: st, impl: currentGemmImpl(), m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb,
		c: y, ldc: ldy, bias: bias, fused: true, act: act, y: y, ldy: ldy}
	if z != nil {
		j.c, j.ldc = z, ldz
	}
	j.run(threads)
	releaseState(st)
}

// matLen is the number of elements a rows×cols matrix with leading dimension ld spans.
func matLen(rows, cols, ld int) int {
	if rows == 0 || cols == 0 {
		return 0
	}
	return (rows-1)*ld + cols
}
