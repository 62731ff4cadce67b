package kernels

// The GEMM entry points gemm and gemmBiasAct live in gemm.go (the driver); each tier's
// micro-kernels are installed in gemmImpls by gemm_go.go and the generated
// gemm_impl_amd64.go. This file is kept for the dispatch layout of the package.
