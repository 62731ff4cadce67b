//go:build !purego

package kernels

// gemmKernNEON_8x12 computes the 8×12 tile c = alpha·A·B (+ bias) + beta·c over k steps:
// A(r,p) = a[r·rsa+p·csa], B(p,j) = b[p·12+j]; c is not read when beta == 0 (gemm_arm64.s).
//
//go:noescape
func gemmKernNEON_8x12(k int, a *float32, rsa int, csa int, b *float32, c *float32, ldc int, alpha float32, beta float32, bias *float32)

// gemmDotNEON_4x2 sets out[2r+j] = Σ_{p<k} a[r·lda+p]·b[j·ldb+p] for r < 4, j < 2; k must
// be a multiple of 8 (gemm_arm64.s).
//
//go:noescape
func gemmDotNEON_4x2(k int, a *float32, lda int, b *float32, ldb int, out *float32)

// init installs the NEON SGEMM: the 8×12 micro-kernel (24 of the 32 vector registers hold
// the tile), kc = 256 so the packed B micro-panel (12 KiB) and an 8×256 A panel (8 KiB)
// share a 64 KiB L1, and the 4×2 NEON dot kernel of the small-n path.
func init() {
	im := &gemmImpl{name: "gemmKernNEON_8x12", mr: 8, nr: 12, kc: 256, mc: 96, nc: 1020, kern: gemmKernNEON_8x12, dot: gemmDotNEON_4x2}
	gemmImpls[tierNEON] = im
	gemmVariants = append(gemmVariants, gemmVariant{tierNEON, im})
}
