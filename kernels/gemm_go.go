package kernels

import "unsafe"

// The pure-Go GEMM tier: the same driver as the SIMD tiers with a 4×4 scalar micro-kernel.
// It serves the "go" tier, purego builds and architectures without their own kernel.

func init() {
	gemmImpls[tierGo] = &gemmImpl{name: "gemmKernGo_4x4", mr: 4, nr: 4, kc: 256, mc: 64, nc: 1024, kern: gemmKernGo, dot: gemmDotGo}
}

// gemmKernGo is the pure-Go gemmKernel for a 4×4 tile (see gemmKernel for the contract).
// Products are rounded before they are added, so the result is the same on every GOARCH.
func gemmKernGo(k int, a *float32, rsa, csa int, b, c *float32, ldc int, alpha, beta float32, bias *float32) {
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	if k > 0 {
		as := unsafe.Slice(a, 3*rsa+(k-1)*csa+1)
		bs := unsafe.Slice(b, 4*k)
		for p := 0; p < k; p++ {
			bb := bs[4*p : 4*p+4 : 4*p+4]
			b0, b1, b2, b3 := bb[0], bb[1], bb[2], bb[3]
			o := p * csa
			a0, a1, a2, a3 := as[o], as[o+rsa], as[o+2*rsa], as[o+3*rsa]
			c00, c01, c02, c03 = float32(a0*b0)+c00, float32(a0*b1)+c01, float32(a0*b2)+c02, float32(a0*b3)+c03
			c10, c11, c12, c13 = float32(a1*b0)+c10, float32(a1*b1)+c11, float32(a1*b2)+c12, float32(a1*b3)+c13
			c20, c21, c22, c23 = float32(a2*b0)+c20, float32(a2*b1)+c21, float32(a2*b2)+c22, float32(a2*b3)+c23
			c30, c31, c32, c33 = float32(a3*b0)+c30, float32(a3*b1)+c31, float32(a3*b2)+c32, float32(a3*b3)+c33
		}
	}
	acc := [16]float32{c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33}
	cs := unsafe.Slice(c, 3*ldc+4)
	var bv [4]float32
	if bias != nil {
		bv = *(*[4]float32)(unsafe.Pointer(bias))
	}
	for r := 0; r < 4; r++ {
		cr := cs[r*ldc : r*ldc+4 : r*ldc+4]
		for j := 0; j < 4; j++ {
			t := float32(alpha*acc[4*r+j]) + bv[j]
			if beta != 0 {
				t = float32(beta*cr[j]) + t
			}
			cr[j] = t
		}
	}
}
