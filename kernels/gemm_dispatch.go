package kernels

// gemm is the internal entry point of Gemm after shape checks.
func gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	RefGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmBiasAct is the internal entry point of GemmBiasAct after shape checks.
func gemmBiasAct(m, n, k int, a []float32, lda int, b []float32, ldb int, bias []float32, act Act, z []float32, ldz int, y []float32, ldy int) {
	RefGemmBiasAct(m, n, k, a, lda, b, ldb, bias, act, z, ldz, y, ldy)
}
