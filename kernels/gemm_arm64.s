//go:build !purego

// Hand-written NEON SGEMM micro-kernel (tier "neon"): the 8×12 float32 tile in 24 vector
// accumulators, for the driver of gemm.go (see gemmKernel for the contract).

#include "textflag.h"
#include "neon_arm64.h"

// func gemmKernNEON_8x12(k int, a *float32, rsa, csa int, b, c *float32, ldc int, alpha, beta float32, bias *float32)
//
//	for r < 8, j < 12:
//		acc := Σ_{p<k} A(r,p)·b[p·12+j]   (fused, p ascending)   A(r,p) = a[r·rsa + p·csa]
//		t := float32(alpha·acc) + bias[j]   (+0 when bias == nil)
//		c[r·ldc+j] = t                      (beta == 0: c is not read)
//		c[r·ldc+j] = float32(beta·c[r·ldc+j]) + t
//
// Two inner loops. rsa == 1 (a packed panel, or A of a TN product): the 8 values of A at
// step p are contiguous, one LD1 loads them into V0–V1 and 24 FMLA-by-element multiply
// them into the three B vectors (unrolled 4 steps deep). Otherwise (A read in place, NN or
// NT, csa == 1): each row has its own pointer, LD1R broadcasts A(r,p) and 3 vector FMLA use
// it, except that when csa == 1 four steps are done at a time, with each row's next four
// values of A loaded as one vector and used through FMLA by element.
//
// Register map: R0 k, R1 a (packed loop), R2 b, R3 c row, R4 ldc in bytes, R5 rsa in bytes,
// R7 csa in bytes, R6 scratch, R10–R15 R19 R20 row pointers of A (in-place loops), R21 B
// (4-step in-place loop);
// V0–V1 A(0..7,p) (packed) or the broadcast A(r,p) (in place, one step), V2–V4 B(p,0..11);
// 4-step in-place loop: V0–V3 A(r..r+3, p..p+3), V4–V6 B(p+q,0..11);
// V8+3r..V10+3r row r of the tile (24 accumulators); epilogue: V0 alpha, V1 beta,
// V2–V4 bias, V5–V7 C.
TEXT ·gemmKernNEON_8x12(SB), NOSPLIT, $0-72
	MOVD k+0(FP), R0
	MOVD a+8(FP), R1
	MOVD rsa+16(FP), R5
	MOVD csa+24(FP), R7
	MOVD b+32(FP), R2
	LSL  $2, R5
	LSL  $2, R7
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16
	VEOR V24.B16, V24.B16, V24.B16
	VEOR V25.B16, V25.B16, V25.B16
	VEOR V26.B16, V26.B16, V26.B16
	VEOR V27.B16, V27.B16, V27.B16
	VEOR V28.B16, V28.B16, V28.B16
	VEOR V29.B16, V29.B16, V29.B16
	VEOR V30.B16, V30.B16, V30.B16
	VEOR V31.B16, V31.B16, V31.B16
	CBZ  R0, epilogue
	CMP  $4, R5
	BNE  inplace

	// Packed A: 4 steps per iteration (R0 counts down by 4 from k−4), then one per iteration.
	SUBS $4, R0
	BLT  packed4End
	PCALIGN $16

packed4:
	VLD1.P (R1)(R7), [V0.S4, V1.S4]
	VLD1.P 48(R2), [V2.S4, V3.S4, V4.S4]
	FMLAE4(8, 2, 0, 0)  // fmla v8.4s, v2.4s, v0.s[0]
	FMLAE4(9, 3, 0, 0)  // fmla v9.4s, v3.4s, v0.s[0]
	FMLAE4(10, 4, 0, 0) // fmla v10.4s, v4.4s, v0.s[0]
	FMLAE4(11, 2, 0, 1) // fmla v11.4s, v2.4s, v0.s[1]
	FMLAE4(12, 3, 0, 1) // fmla v12.4s, v3.4s, v0.s[1]
	FMLAE4(13, 4, 0, 1) // fmla v13.4s, v4.4s, v0.s[1]
	FMLAE4(14, 2, 0, 2) // fmla v14.4s, v2.4s, v0.s[2]
	FMLAE4(15, 3, 0, 2) // fmla v15.4s, v3.4s, v0.s[2]
	FMLAE4(16, 4, 0, 2) // fmla v16.4s, v4.4s, v0.s[2]
	FMLAE4(17, 2, 0, 3) // fmla v17.4s, v2.4s, v0.s[3]
	FMLAE4(18, 3, 0, 3) // fmla v18.4s, v3.4s, v0.s[3]
	FMLAE4(19, 4, 0, 3) // fmla v19.4s, v4.4s, v0.s[3]
	FMLAE4(20, 2, 1, 0) // fmla v20.4s, v2.4s, v1.s[0]
	FMLAE4(21, 3, 1, 0) // fmla v21.4s, v3.4s, v1.s[0]
	FMLAE4(22, 4, 1, 0) // fmla v22.4s, v4.4s, v1.s[0]
	FMLAE4(23, 2, 1, 1) // fmla v23.4s, v2.4s, v1.s[1]
	FMLAE4(24, 3, 1, 1) // fmla v24.4s, v3.4s, v1.s[1]
	FMLAE4(25, 4, 1, 1) // fmla v25.4s, v4.4s, v1.s[1]
	FMLAE4(26, 2, 1, 2) // fmla v26.4s, v2.4s, v1.s[2]
	FMLAE4(27, 3, 1, 2) // fmla v27.4s, v3.4s, v1.s[2]
	FMLAE4(28, 4, 1, 2) // fmla v28.4s, v4.4s, v1.s[2]
	FMLAE4(29, 2, 1, 3) // fmla v29.4s, v2.4s, v1.s[3]
	FMLAE4(30, 3, 1, 3) // fmla v30.4s, v3.4s, v1.s[3]
	FMLAE4(31, 4, 1, 3) // fmla v31.4s, v4.4s, v1.s[3]
	VLD1.P (R1)(R7), [V0.S4, V1.S4]
	VLD1.P 48(R2), [V2.S4, V3.S4, V4.S4]
	FMLAE4(8, 2, 0, 0)  // fmla v8.4s, v2.4s, v0.s[0]
	FMLAE4(9, 3, 0, 0)  // fmla v9.4s, v3.4s, v0.s[0]
	FMLAE4(10, 4, 0, 0) // fmla v10.4s, v4.4s, v0.s[0]
	FMLAE4(11, 2, 0, 1) // fmla v11.4s, v2.4s, v0.s[1]
	FMLAE4(12, 3, 0, 1) // fmla v12.4s, v3.4s, v0.s[1]
	FMLAE4(13, 4, 0, 1) // fmla v13.4s, v4.4s, v0.s[1]
	FMLAE4(14, 2, 0, 2) // fmla v14.4s, v2.4s, v0.s[2]
	FMLAE4(15, 3, 0, 2) // fmla v15.4s, v3.4s, v0.s[2]
	FMLAE4(16, 4, 0, 2) // fmla v16.4s, v4.4s, v0.s[2]
	FMLAE4(17, 2, 0, 3) // fmla v17.4s, v2.4s, v0.s[3]
	FMLAE4(18, 3, 0, 3) // fmla v18.4s, v3.4s, v0.s[3]
	FMLAE4(19, 4, 0, 3) // fmla v19.4s, v4.4s, v0.s[3]
	FMLAE4(20, 2, 1, 0) // fmla v20.4s, v2.4s, v1.s[0]
	FMLAE4(21, 3, 1, 0) // fmla v21.4s, v3.4s, v1.s[0]
	FMLAE4(22, 4, 1, 0) // fmla v22.4s, v4.4s, v1.s[0]
	FMLAE4(23, 2, 1, 1) // fmla v23.4s, v2.4s, v1.s[1]
	FMLAE4(24, 3, 1, 1) // fmla v24.4s, v3.4s, v1.s[1]
	FMLAE4(25, 4, 1, 1) // fmla v25.4s, v4.4s, v1.s[1]
	FMLAE4(26, 2, 1, 2) // fmla v26.4s, v2.4s, v1.s[2]
	FMLAE4(27, 3, 1, 2) // fmla v27.4s, v3.4s, v1.s[2]
	FMLAE4(28, 4, 1, 2) // fmla v28.4s, v4.4s, v1.s[2]
	FMLAE4(29, 2, 1, 3) // fmla v29.4s, v2.4s, v1.s[3]
	FMLAE4(30, 3, 1, 3) // fmla v30.4s, v3.4s, v1.s[3]
	FMLAE4(31, 4, 1, 3) // fmla v31.4s, v4.4s, v1.s[3]
	VLD1.P (R1)(R7), [V0.S4, V1.S4]
	VLD1.P 48(R2), [V2.S4, V3.S4, V4.S4]
	FMLAE4(8, 2, 0, 0)  // fmla v8.4s, v2.4s, v0.s[0]
	FMLAE4(9, 3, 0, 0)  // fmla v9.4s, v3.4s, v0.s[0]
	FMLAE4(10, 4, 0, 0) // fmla v10.4s, v4.4s, v0.s[0]
	FMLAE4(11, 2, 0, 1) // fmla v11.4s, v2.4s, v0.s[1]
	FMLAE4(12, 3, 0, 1) // fmla v12.4s, v3.4s, v0.s[1]
	FMLAE4(13, 4, 0, 1) // fmla v13.4s, v4.4s, v0.s[1]
	FMLAE4(14, 2, 0, 2) // fmla v14.4s, v2.4s, v0.s[2]
	FMLAE4(15, 3, 0, 2) // fmla v15.4s, v3.4s, v0.s[2]
	FMLAE4(16, 4, 0, 2) // fmla v16.4s, v4.4s, v0.s[2]
	FMLAE4(17, 2, 0, 3) // fmla v17.4s, v2.4s, v0.s[3]
	FMLAE4(18, 3, 0, 3) // fmla v18.4s, v3.4s, v0.s[3]
	FMLAE4(19, 4, 0, 3) // fmla v19.4s, v4.4s, v0.s[3]
	FMLAE4(20, 2, 1, 0) // fmla v20.4s, v2.4s, v1.s[0]
	FMLAE4(21, 3, 1, 0) // fmla v21.4s, v3.4s, v1.s[0]
	FMLAE4(22, 4, 1, 0) // fmla v22.4s, v4.4s, v1.s[0]
	FMLAE4(23, 2, 1, 1) // fmla v23.4s, v2.4s, v1.s[1]
	FMLAE4(24, 3, 1, 1) // fmla v24.4s, v3.4s, v1.s[1]
	FMLAE4(25, 4, 1, 1) // fmla v25.4s, v4.4s, v1.s[1]
	FMLAE4(26, 2, 1, 2) // fmla v26.4s, v2.4s, v1.s[2]
	FMLAE4(27, 3, 1, 2) // fmla v27.4s, v3.4s, v1.s[2]
	FMLAE4(28, 4, 1, 2) // fmla v28.4s, v4.4s, v1.s[2]
	FMLAE4(29, 2, 1, 3) // fmla v29.4s, v2.4s, v1.s[3]
	FMLAE4(30, 3, 1, 3) // fmla v30.4s, v3.4s, v1.s[3]
	FMLAE4(31, 4, 1, 3) // fmla v31.4s, v4.4s, v1.s[3]
	VLD1.P (R1)(R7), [V0.S4, V1.S4]
	VLD1.P 48(R2), [V2.S4, V3.S4, V4.S4]
	FMLAE4(8, 2, 0, 0)  // fmla v8.4s, v2.4s, v0.s[0]
	FMLAE4(9, 3, 0, 0)  // fmla v9.4s, v3.4s, v0.s[0]
	FMLAE4(10, 4, 0, 0) // fmla v10.4s, v4.4s, v0.s[0]
	FMLAE4(11, 2, 0, 1) // fmla v11.4s, v2.4s, v0.s[1]
	FMLAE4(12, 3, 0, 1) // fmla v12.4s, v3.4s, v0.s[1]
	FMLAE4(13, 4, 0, 1) // fmla v13.4s, v4.4s, v0.s[1]
	FMLAE4(14, 2, 0, 2) // fmla v14.4s, v2.4s, v0.s[2]
	FMLAE4(15, 3, 0, 2) // fmla v15.4s, v3.4s, v0.s[2]
	FMLAE4(16, 4, 0, 2) // fmla v16.4s, v4.4s, v0.s[2]
	FMLAE4(17, 2, 0, 3) // fmla v17.4s, v2.4s, v0.s[3]
	FMLAE4(18, 3, 0, 3) // fmla v18.4s, v3.4s, v0.s[3]
	FMLAE4(19, 4, 0, 3) // fmla v19.4s, v4.4s, v0.s[3]
	FMLAE4(20, 2, 1, 0) // fmla v20.4s, v2.4s, v1.s[0]
	FMLAE4(21, 3, 1, 0) // fmla v21.4s, v3.4s, v1.s[0]
	FMLAE4(22, 4, 1, 0) // fmla v22.4s, v4.4s, v1.s[0]
	FMLAE4(23, 2, 1, 1) // fmla v23.4s, v2.4s, v1.s[1]
	FMLAE4(24, 3, 1, 1) // fmla v24.4s, v3.4s, v1.s[1]
	FMLAE4(25, 4, 1, 1) // fmla v25.4s, v4.4s, v1.s[1]
	FMLAE4(26, 2, 1, 2) // fmla v26.4s, v2.4s, v1.s[2]
	FMLAE4(27, 3, 1, 2) // fmla v27.4s, v3.4s, v1.s[2]
	FMLAE4(28, 4, 1, 2) // fmla v28.4s, v4.4s, v1.s[2]
	FMLAE4(29, 2, 1, 3) // fmla v29.4s, v2.4s, v1.s[3]
	FMLAE4(30, 3, 1, 3) // fmla v30.4s, v3.4s, v1.s[3]
	FMLAE4(31, 4, 1, 3) // fmla v31.4s, v4.4s, v1.s[3]
	SUBS $4, R0
	BGE  packed4

packed4End:
	ADD  $4, R0

packed1:
	CBZ  R0, epilogue
	VLD1.P (R1)(R7), [V0.S4, V1.S4]
	VLD1.P 48(R2), [V2.S4, V3.S4, V4.S4]
	FMLAE4(8, 2, 0, 0)  // fmla v8.4s, v2.4s, v0.s[0]
	FMLAE4(9, 3, 0, 0)  // fmla v9.4s, v3.4s, v0.s[0]
	FMLAE4(10, 4, 0, 0) // fmla v10.4s, v4.4s, v0.s[0]
	FMLAE4(11, 2, 0, 1) // fmla v11.4s, v2.4s, v0.s[1]
	FMLAE4(12, 3, 0, 1) // fmla v12.4s, v3.4s, v0.s[1]
	FMLAE4(13, 4, 0, 1) // fmla v13.4s, v4.4s, v0.s[1]
	FMLAE4(14, 2, 0, 2) // fmla v14.4s, v2.4s, v0.s[2]
	FMLAE4(15, 3, 0, 2) // fmla v15.4s, v3.4s, v0.s[2]
	FMLAE4(16, 4, 0, 2) // fmla v16.4s, v4.4s, v0.s[2]
	FMLAE4(17, 2, 0, 3) // fmla v17.4s, v2.4s, v0.s[3]
	FMLAE4(18, 3, 0, 3) // fmla v18.4s, v3.4s, v0.s[3]
	FMLAE4(19, 4, 0, 3) // fmla v19.4s, v4.4s, v0.s[3]
	FMLAE4(20, 2, 1, 0) // fmla v20.4s, v2.4s, v1.s[0]
	FMLAE4(21, 3, 1, 0) // fmla v21.4s, v3.4s, v1.s[0]
	FMLAE4(22, 4, 1, 0) // fmla v22.4s, v4.4s, v1.s[0]
	FMLAE4(23, 2, 1, 1) // fmla v23.4s, v2.4s, v1.s[1]
	FMLAE4(24, 3, 1, 1) // fmla v24.4s, v3.4s, v1.s[1]
	FMLAE4(25, 4, 1, 1) // fmla v25.4s, v4.4s, v1.s[1]
	FMLAE4(26, 2, 1, 2) // fmla v26.4s, v2.4s, v1.s[2]
	FMLAE4(27, 3, 1, 2) // fmla v27.4s, v3.4s, v1.s[2]
	FMLAE4(28, 4, 1, 2) // fmla v28.4s, v4.4s, v1.s[2]
	FMLAE4(29, 2, 1, 3) // fmla v29.4s, v2.4s, v1.s[3]
	FMLAE4(30, 3, 1, 3) // fmla v30.4s, v3.4s, v1.s[3]
	FMLAE4(31, 4, 1, 3) // fmla v31.4s, v4.4s, v1.s[3]
	SUB  $1, R0
	B    packed1

	// A in place: row pointers a + r·rsa, advanced by csa per step.
inplace:
	MOVD R1, R10
	ADD  R5, R10, R11
	ADD  R5, R11, R12
	ADD  R5, R12, R13
	ADD  R5, R13, R14
	ADD  R5, R14, R15
	ADD  R5, R15, R19
	ADD  R5, R19, R20
	CMP  $4, R7
	BNE  inplace1

	// csa == 1 (NN, NT): 4 steps per iteration. Each row's next 4 values of A are one
	// vector; FMLA by element picks step q from it. Rows 0–3 then rows 4–7, each half
	// with its own pass over the 4 B rows (24 + 4 + 3 = 31 registers).
	SUBS $4, R0
	BLT  rows4End
	PCALIGN $16

rows4:
	VLD1.P 16(R10), [V0.S4]
	VLD1.P 16(R11), [V1.S4]
	VLD1.P 16(R12), [V2.S4]
	VLD1.P 16(R13), [V3.S4]
	MOVD R2, R21
	VLD1.P 48(R21), [V4.S4, V5.S4, V6.S4]
	FMLAE4(8, 4, 0, 0)  // fmla v8.4s, v4.4s, v0.s[0]
	FMLAE4(9, 5, 0, 0)  // fmla v9.4s, v5.4s, v0.s[0]
	FMLAE4(10, 6, 0, 0) // fmla v10.4s, v6.4s, v0.s[0]
	FMLAE4(11, 4, 1, 0) // fmla v11.4s, v4.4s, v1.s[0]
	FMLAE4(12, 5, 1, 0) // fmla v12.4s, v5.4s, v1.s[0]
	FMLAE4(13, 6, 1, 0) // fmla v13.4s, v6.4s, v1.s[0]
	FMLAE4(14, 4, 2, 0) // fmla v14.4s, v4.4s, v2.s[0]
	FMLAE4(15, 5, 2, 0) // fmla v15.4s, v5.4s, v2.s[0]
	FMLAE4(16, 6, 2, 0) // fmla v16.4s, v6.4s, v2.s[0]
	FMLAE4(17, 4, 3, 0) // fmla v17.4s, v4.4s, v3.s[0]
	FMLAE4(18, 5, 3, 0) // fmla v18.4s, v5.4s, v3.s[0]
	FMLAE4(19, 6, 3, 0) // fmla v19.4s, v6.4s, v3.s[0]
	VLD1.P 48(R21), [V4.S4, V5.S4, V6.S4]
	FMLAE4(8, 4, 0, 1)  // fmla v8.4s, v4.4s, v0.s[1]
	FMLAE4(9, 5, 0, 1)  // fmla v9.4s, v5.4s, v0.s[1]
	FMLAE4(10, 6, 0, 1) // fmla v10.4s, v6.4s, v0.s[1]
	FMLAE4(11, 4, 1, 1) // fmla v11.4s, v4.4s, v1.s[1]
	FMLAE4(12, 5, 1, 1) // fmla v12.4s, v5.4s, v1.s[1]
	FMLAE4(13, 6, 1, 1) // fmla v13.4s, v6.4s, v1.s[1]
	FMLAE4(14, 4, 2, 1) // fmla v14.4s, v4.4s, v2.s[1]
	FMLAE4(15, 5, 2, 1) // fmla v15.4s, v5.4s, v2.s[1]
	FMLAE4(16, 6, 2, 1) // fmla v16.4s, v6.4s, v2.s[1]
	FMLAE4(17, 4, 3, 1) // fmla v17.4s, v4.4s, v3.s[1]
	FMLAE4(18, 5, 3, 1) // fmla v18.4s, v5.4s, v3.s[1]
	FMLAE4(19, 6, 3, 1) // fmla v19.4s, v6.4s, v3.s[1]
	VLD1.P 48(R21), [V4.S4, V5.S4, V6.S4]
	FMLAE4(8, 4, 0, 2)  // fmla v8.4s, v4.4s, v0.s[2]
	FMLAE4(9, 5, 0, 2)  // fmla v9.4s, v5.4s, v0.s[2]
	FMLAE4(10, 6, 0, 2) // fmla v10.4s, v6.4s, v0.s[2]
	FMLAE4(11, 4, 1, 2) // fmla v11.4s, v4.4s, v1.s[2]
	FMLAE4(12, 5, 1, 2) // fmla v12.4s, v5.4s, v1.s[2]
	FMLAE4(13, 6, 1, 2) // fmla v13.4s, v6.4s, v1.s[2]
	FMLAE4(14, 4, 2, 2) // fmla v14.4s, v4.4s, v2.s[2]
	FMLAE4(15, 5, 2, 2) // fmla v15.4s, v5.4s, v2.s[2]
	FMLAE4(16, 6, 2, 2) // fmla v16.4s, v6.4s, v2.s[2]
	FMLAE4(17, 4, 3, 2) // fmla v17.4s, v4.4s, v3.s[2]
	FMLAE4(18, 5, 3, 2) // fmla v18.4s, v5.4s, v3.s[2]
	FMLAE4(19, 6, 3, 2) // fmla v19.4s, v6.4s, v3.s[2]
	VLD1.P 48(R21), [V4.S4, V5.S4, V6.S4]
	FMLAE4(8, 4, 0, 3)  // fmla v8.4s, v4.4s, v0.s[3]
	FMLAE4(9, 5, 0, 3)  // fmla v9.4s, v5.4s, v0.s[3]
	FMLAE4(10, 6, 0, 3) // fmla v10.4s, v6.4s, v0.s[3]
	FMLAE4(11, 4, 1, 3) // fmla v11.4s, v4.4s, v1.s[3]
	FMLAE4(12, 5, 1, 3) // fmla v12.4s, v5.4s, v1.s[3]
	FMLAE4(13, 6, 1, 3) // fmla v13.4s, v6.4s, v1.s[3]
	FMLAE4(14, 4, 2, 3) // fmla v14.4s, v4.4s, v2.s[3]
	FMLAE4(15, 5, 2, 3) // fmla v15.4s, v5.4s, v2.s[3]
	FMLAE4(16, 6, 2, 3) // fmla v16.4s, v6.4s, v2.s[3]
	FMLAE4(17, 4, 3, 3) // fmla v17.4s, v4.4s, v3.s[3]
	FMLAE4(18, 5, 3, 3) // fmla v18.4s, v5.4s, v3.s[3]
	FMLAE4(19, 6, 3, 3) // fmla v19.4s, v6.4s, v3.s[3]
	VLD1.P 16(R14), [V0.S4]
	VLD1.P 16(R15), [V1.S4]
	VLD1.P 16(R19), [V2.S4]
	VLD1.P 16(R20), [V3.S4]
	MOVD R2, R21
	VLD1.P 48(R21), [V4.S4, V5.S4, V6.S4]
	FMLAE4(20, 4, 0, 0) // fmla v20.4s, v4.4s, v0.s[0]
	FMLAE4(21, 5, 0, 0) // fmla v21.4s, v5.4s, v0.s[0]
	FMLAE4(22, 6, 0, 0) // fmla v22.4s, v6.4s, v0.s[0]
	FMLAE4(23, 4, 1, 0) // fmla v23.4s, v4.4s, v1.s[0]
	FMLAE4(24, 5, 1, 0) // fmla v24.4s, v5.4s, v1.s[0]
	FMLAE4(25, 6, 1, 0) // fmla v25.4s, v6.4s, v1.s[0]
	FMLAE4(26, 4, 2, 0) // fmla v26.4s, v4.4s, v2.s[0]
	FMLAE4(27, 5, 2, 0) // fmla v27.4s, v5.4s, v2.s[0]
	FMLAE4(28, 6, 2, 0) // fmla v28.4s, v6.4s, v2.s[0]
	FMLAE4(29, 4, 3, 0) // fmla v29.4s, v4.4s, v3.s[0]
	FMLAE4(30, 5, 3, 0) // fmla v30.4s, v5.4s, v3.s[0]
	FMLAE4(31, 6, 3, 0) // fmla v31.4s, v6.4s, v3.s[0]
	VLD1.P 48(R21), [V4.S4, V5.S4, V6.S4]
	FMLAE4(20, 4, 0, 1) // fmla v20.4s, v4.4s, v0.s[1]
	FMLAE4(21, 5, 0, 1) // fmla v21.4s, v5.4s, v0.s[1]
	FMLAE4(22, 6, 0, 1) // fmla v22.4s, v6.4s, v0.s[1]
	FMLAE4(23, 4, 1, 1) // fmla v23.4s, v4.4s, v1.s[1]
	FMLAE4(24, 5, 1, 1) // fmla v24.4s, v5.4s, v1.s[1]
	FMLAE4(25, 6, 1, 1) // fmla v25.4s, v6.4s, v1.s[1]
	FMLAE4(26, 4, 2, 1) // fmla v26.4s, v4.4s, v2.s[1]
	FMLAE4(27, 5, 2, 1) // fmla v27.4s, v5.4s, v2.s[1]
	FMLAE4(28, 6, 2, 1) // fmla v28.4s, v6.4s, v2.s[1]
	FMLAE4(29, 4, 3, 1) // fmla v29.4s, v4.4s, v3.s[1]
	FMLAE4(30, 5, 3, 1) // fmla v30.4s, v5.4s, v3.s[1]
	FMLAE4(31, 6, 3, 1) // fmla v31.4s, v6.4s, v3.s[1]
	VLD1.P 48(R21), [V4.S4, V5.S4, V6.S4]
	FMLAE4(20, 4, 0, 2) // fmla v20.4s, v4.4s, v0.s[2]
	FMLAE4(21, 5, 0, 2) // fmla v21.4s, v5.4s, v0.s[2]
	FMLAE4(22, 6, 0, 2) // fmla v22.4s, v6.4s, v0.s[2]
	FMLAE4(23, 4, 1, 2) // fmla v23.4s, v4.4s, v1.s[2]
	FMLAE4(24, 5, 1, 2) // fmla v24.4s, v5.4s, v1.s[2]
	FMLAE4(25, 6, 1, 2) // fmla v25.4s, v6.4s, v1.s[2]
	FMLAE4(26, 4, 2, 2) // fmla v26.4s, v4.4s, v2.s[2]
	FMLAE4(27, 5, 2, 2) // fmla v27.4s, v5.4s, v2.s[2]
	FMLAE4(28, 6, 2, 2) // fmla v28.4s, v6.4s, v2.s[2]
	FMLAE4(29, 4, 3, 2) // fmla v29.4s, v4.4s, v3.s[2]
	FMLAE4(30, 5, 3, 2) // fmla v30.4s, v5.4s, v3.s[2]
	FMLAE4(31, 6, 3, 2) // fmla v31.4s, v6.4s, v3.s[2]
	VLD1.P 48(R21), [V4.S4, V5.S4, V6.S4]
	FMLAE4(20, 4, 0, 3) // fmla v20.4s, v4.4s, v0.s[3]
	FMLAE4(21, 5, 0, 3) // fmla v21.4s, v5.4s, v0.s[3]
	FMLAE4(22, 6, 0, 3) // fmla v22.4s, v6.4s, v0.s[3]
	FMLAE4(23, 4, 1, 3) // fmla v23.4s, v4.4s, v1.s[3]
	FMLAE4(24, 5, 1, 3) // fmla v24.4s, v5.4s, v1.s[3]
	FMLAE4(25, 6, 1, 3) // fmla v25.4s, v6.4s, v1.s[3]
	FMLAE4(26, 4, 2, 3) // fmla v26.4s, v4.4s, v2.s[3]
	FMLAE4(27, 5, 2, 3) // fmla v27.4s, v5.4s, v2.s[3]
	FMLAE4(28, 6, 2, 3) // fmla v28.4s, v6.4s, v2.s[3]
	FMLAE4(29, 4, 3, 3) // fmla v29.4s, v4.4s, v3.s[3]
	FMLAE4(30, 5, 3, 3) // fmla v30.4s, v5.4s, v3.s[3]
	FMLAE4(31, 6, 3, 3) // fmla v31.4s, v6.4s, v3.s[3]
	ADD  $192, R2
	SUBS $4, R0
	BGE  rows4

rows4End:
	ADDS $4, R0
	BEQ  epilogue

	// One step per iteration (any csa, and the last k mod 4 steps of csa == 1).
	PCALIGN $16
inplace1:
	VLD1.P 48(R2), [V2.S4, V3.S4, V4.S4]
	VLD1R.P (R10)(R7), [V0.S4]
	VFMLA V0.S4, V2.S4, V8.S4
	VFMLA V0.S4, V3.S4, V9.S4
	VFMLA V0.S4, V4.S4, V10.S4
	VLD1R.P (R11)(R7), [V1.S4]
	VFMLA V1.S4, V2.S4, V11.S4
	VFMLA V1.S4, V3.S4, V12.S4
	VFMLA V1.S4, V4.S4, V13.S4
	VLD1R.P (R12)(R7), [V0.S4]
	VFMLA V0.S4, V2.S4, V14.S4
	VFMLA V0.S4, V3.S4, V15.S4
	VFMLA V0.S4, V4.S4, V16.S4
	VLD1R.P (R13)(R7), [V1.S4]
	VFMLA V1.S4, V2.S4, V17.S4
	VFMLA V1.S4, V3.S4, V18.S4
	VFMLA V1.S4, V4.S4, V19.S4
	VLD1R.P (R14)(R7), [V0.S4]
	VFMLA V0.S4, V2.S4, V20.S4
	VFMLA V0.S4, V3.S4, V21.S4
	VFMLA V0.S4, V4.S4, V22.S4
	VLD1R.P (R15)(R7), [V1.S4]
	VFMLA V1.S4, V2.S4, V23.S4
	VFMLA V1.S4, V3.S4, V24.S4
	VFMLA V1.S4, V4.S4, V25.S4
	VLD1R.P (R19)(R7), [V0.S4]
	VFMLA V0.S4, V2.S4, V26.S4
	VFMLA V0.S4, V3.S4, V27.S4
	VFMLA V0.S4, V4.S4, V28.S4
	VLD1R.P (R20)(R7), [V1.S4]
	VFMLA V1.S4, V2.S4, V29.S4
	VFMLA V1.S4, V3.S4, V30.S4
	VFMLA V1.S4, V4.S4, V31.S4
	SUBS $1, R0
	BNE  inplace1

epilogue:
	MOVD  c+40(FP), R3
	MOVD  ldc+48(FP), R4
	LSL   $2, R4
	FMOVS alpha+56(FP), F0
	FMOVS beta+60(FP), F1
	VDUP  V0.S[0], V0.S4
	VEOR  V2.B16, V2.B16, V2.B16
	VEOR  V3.B16, V3.B16, V3.B16
	VEOR  V4.B16, V4.B16, V4.B16
	MOVD  bias+64(FP), R6
	CBZ   R6, scaled
	VLD1  (R6), [V2.S4, V3.S4, V4.S4]

scaled:
	FMUL4(8, 8, 0)    // fmul v8.4s, v8.4s, v0.4s
	FMUL4(9, 9, 0)    // fmul v9.4s, v9.4s, v0.4s
	FMUL4(10, 10, 0)  // fmul v10.4s, v10.4s, v0.4s
	FADD4(8, 8, 2)    // fadd v8.4s, v8.4s, v2.4s
	FADD4(9, 9, 3)    // fadd v9.4s, v9.4s, v3.4s
	FADD4(10, 10, 4)  // fadd v10.4s, v10.4s, v4.4s
	FMUL4(11, 11, 0)  // fmul v11.4s, v11.4s, v0.4s
	FMUL4(12, 12, 0)  // fmul v12.4s, v12.4s, v0.4s
	FMUL4(13, 13, 0)  // fmul v13.4s, v13.4s, v0.4s
	FADD4(11, 11, 2)  // fadd v11.4s, v11.4s, v2.4s
	FADD4(12, 12, 3)  // fadd v12.4s, v12.4s, v3.4s
	FADD4(13, 13, 4)  // fadd v13.4s, v13.4s, v4.4s
	FMUL4(14, 14, 0)  // fmul v14.4s, v14.4s, v0.4s
	FMUL4(15, 15, 0)  // fmul v15.4s, v15.4s, v0.4s
	FMUL4(16, 16, 0)  // fmul v16.4s, v16.4s, v0.4s
	FADD4(14, 14, 2)  // fadd v14.4s, v14.4s, v2.4s
	FADD4(15, 15, 3)  // fadd v15.4s, v15.4s, v3.4s
	FADD4(16, 16, 4)  // fadd v16.4s, v16.4s, v4.4s
	FMUL4(17, 17, 0)  // fmul v17.4s, v17.4s, v0.4s
	FMUL4(18, 18, 0)  // fmul v18.4s, v18.4s, v0.4s
	FMUL4(19, 19, 0)  // fmul v19.4s, v19.4s, v0.4s
	FADD4(17, 17, 2)  // fadd v17.4s, v17.4s, v2.4s
	FADD4(18, 18, 3)  // fadd v18.4s, v18.4s, v3.4s
	FADD4(19, 19, 4)  // fadd v19.4s, v19.4s, v4.4s
	FMUL4(20, 20, 0)  // fmul v20.4s, v20.4s, v0.4s
	FMUL4(21, 21, 0)  // fmul v21.4s, v21.4s, v0.4s
	FMUL4(22, 22, 0)  // fmul v22.4s, v22.4s, v0.4s
	FADD4(20, 20, 2)  // fadd v20.4s, v20.4s, v2.4s
	FADD4(21, 21, 3)  // fadd v21.4s, v21.4s, v3.4s
	FADD4(22, 22, 4)  // fadd v22.4s, v22.4s, v4.4s
	FMUL4(23, 23, 0)  // fmul v23.4s, v23.4s, v0.4s
	FMUL4(24, 24, 0)  // fmul v24.4s, v24.4s, v0.4s
	FMUL4(25, 25, 0)  // fmul v25.4s, v25.4s, v0.4s
	FADD4(23, 23, 2)  // fadd v23.4s, v23.4s, v2.4s
	FADD4(24, 24, 3)  // fadd v24.4s, v24.4s, v3.4s
	FADD4(25, 25, 4)  // fadd v25.4s, v25.4s, v4.4s
	FMUL4(26, 26, 0)  // fmul v26.4s, v26.4s, v0.4s
	FMUL4(27, 27, 0)  // fmul v27.4s, v27.4s, v0.4s
	FMUL4(28, 28, 0)  // fmul v28.4s, v28.4s, v0.4s
	FADD4(26, 26, 2)  // fadd v26.4s, v26.4s, v2.4s
	FADD4(27, 27, 3)  // fadd v27.4s, v27.4s, v3.4s
	FADD4(28, 28, 4)  // fadd v28.4s, v28.4s, v4.4s
	FMUL4(29, 29, 0)  // fmul v29.4s, v29.4s, v0.4s
	FMUL4(30, 30, 0)  // fmul v30.4s, v30.4s, v0.4s
	FMUL4(31, 31, 0)  // fmul v31.4s, v31.4s, v0.4s
	FADD4(29, 29, 2)  // fadd v29.4s, v29.4s, v2.4s
	FADD4(30, 30, 3)  // fadd v30.4s, v30.4s, v3.4s
	FADD4(31, 31, 4)  // fadd v31.4s, v31.4s, v4.4s
	FMOVS F1, R6
	ANDW  $0x7fffffff, R6
	CBNZW R6, betaC // beta != 0 (±0 both mean: do not read C)

store:
	VST1 [V8.S4, V9.S4, V10.S4], (R3)
	ADD  R4, R3
	VST1 [V11.S4, V12.S4, V13.S4], (R3)
	ADD  R4, R3
	VST1 [V14.S4, V15.S4, V16.S4], (R3)
	ADD  R4, R3
	VST1 [V17.S4, V18.S4, V19.S4], (R3)
	ADD  R4, R3
	VST1 [V20.S4, V21.S4, V22.S4], (R3)
	ADD  R4, R3
	VST1 [V23.S4, V24.S4, V25.S4], (R3)
	ADD  R4, R3
	VST1 [V26.S4, V27.S4, V28.S4], (R3)
	ADD  R4, R3
	VST1 [V29.S4, V30.S4, V31.S4], (R3)
	RET

betaC:
	VDUP V1.S[0], V1.S4
	MOVD R3, R6
	VLD1 (R6), [V5.S4, V6.S4, V7.S4]
	ADD  R4, R6
	FMUL4(5, 5, 1)  // fmul v5.4s, v5.4s, v1.4s
	FMUL4(6, 6, 1)  // fmul v6.4s, v6.4s, v1.4s
	FMUL4(7, 7, 1)  // fmul v7.4s, v7.4s, v1.4s
	FADD4(8, 8, 5)    // fadd v8.4s, v8.4s, v5.4s
	FADD4(9, 9, 6)    // fadd v9.4s, v9.4s, v6.4s
	FADD4(10, 10, 7)  // fadd v10.4s, v10.4s, v7.4s
	VLD1 (R6), [V5.S4, V6.S4, V7.S4]
	ADD  R4, R6
	FMUL4(5, 5, 1)  // fmul v5.4s, v5.4s, v1.4s
	FMUL4(6, 6, 1)  // fmul v6.4s, v6.4s, v1.4s
	FMUL4(7, 7, 1)  // fmul v7.4s, v7.4s, v1.4s
	FADD4(11, 11, 5)  // fadd v11.4s, v11.4s, v5.4s
	FADD4(12, 12, 6)  // fadd v12.4s, v12.4s, v6.4s
	FADD4(13, 13, 7)  // fadd v13.4s, v13.4s, v7.4s
	VLD1 (R6), [V5.S4, V6.S4, V7.S4]
	ADD  R4, R6
	FMUL4(5, 5, 1)  // fmul v5.4s, v5.4s, v1.4s
	FMUL4(6, 6, 1)  // fmul v6.4s, v6.4s, v1.4s
	FMUL4(7, 7, 1)  // fmul v7.4s, v7.4s, v1.4s
	FADD4(14, 14, 5)  // fadd v14.4s, v14.4s, v5.4s
	FADD4(15, 15, 6)  // fadd v15.4s, v15.4s, v6.4s
	FADD4(16, 16, 7)  // fadd v16.4s, v16.4s, v7.4s
	VLD1 (R6), [V5.S4, V6.S4, V7.S4]
	ADD  R4, R6
	FMUL4(5, 5, 1)  // fmul v5.4s, v5.4s, v1.4s
	FMUL4(6, 6, 1)  // fmul v6.4s, v6.4s, v1.4s
	FMUL4(7, 7, 1)  // fmul v7.4s, v7.4s, v1.4s
	FADD4(17, 17, 5)  // fadd v17.4s, v17.4s, v5.4s
	FADD4(18, 18, 6)  // fadd v18.4s, v18.4s, v6.4s
	FADD4(19, 19, 7)  // fadd v19.4s, v19.4s, v7.4s
	VLD1 (R6), [V5.S4, V6.S4, V7.S4]
	ADD  R4, R6
	FMUL4(5, 5, 1)  // fmul v5.4s, v5.4s, v1.4s
	FMUL4(6, 6, 1)  // fmul v6.4s, v6.4s, v1.4s
	FMUL4(7, 7, 1)  // fmul v7.4s, v7.4s, v1.4s
	FADD4(20, 20, 5)  // fadd v20.4s, v20.4s, v5.4s
	FADD4(21, 21, 6)  // fadd v21.4s, v21.4s, v6.4s
	FADD4(22, 22, 7)  // fadd v22.4s, v22.4s, v7.4s
	VLD1 (R6), [V5.S4, V6.S4, V7.S4]
	ADD  R4, R6
	FMUL4(5, 5, 1)  // fmul v5.4s, v5.4s, v1.4s
	FMUL4(6, 6, 1)  // fmul v6.4s, v6.4s, v1.4s
	FMUL4(7, 7, 1)  // fmul v7.4s, v7.4s, v1.4s
	FADD4(23, 23, 5)  // fadd v23.4s, v23.4s, v5.4s
	FADD4(24, 24, 6)  // fadd v24.4s, v24.4s, v6.4s
	FADD4(25, 25, 7)  // fadd v25.4s, v25.4s, v7.4s
	VLD1 (R6), [V5.S4, V6.S4, V7.S4]
	ADD  R4, R6
	FMUL4(5, 5, 1)  // fmul v5.4s, v5.4s, v1.4s
	FMUL4(6, 6, 1)  // fmul v6.4s, v6.4s, v1.4s
	FMUL4(7, 7, 1)  // fmul v7.4s, v7.4s, v1.4s
	FADD4(26, 26, 5)  // fadd v26.4s, v26.4s, v5.4s
	FADD4(27, 27, 6)  // fadd v27.4s, v27.4s, v6.4s
	FADD4(28, 28, 7)  // fadd v28.4s, v28.4s, v7.4s
	VLD1 (R6), [V5.S4, V6.S4, V7.S4]
	FMUL4(5, 5, 1)  // fmul v5.4s, v5.4s, v1.4s
	FMUL4(6, 6, 1)  // fmul v6.4s, v6.4s, v1.4s
	FMUL4(7, 7, 1)  // fmul v7.4s, v7.4s, v1.4s
	FADD4(29, 29, 5)  // fadd v29.4s, v29.4s, v5.4s
	FADD4(30, 30, 6)  // fadd v30.4s, v30.4s, v6.4s
	FADD4(31, 31, 7)  // fadd v31.4s, v31.4s, v7.4s
	B    store

// func gemmDotNEON_4x2(k int, a *float32, lda int, b *float32, ldb int, out *float32)
//
//	for r < 4, j < 2: out[2r+j] = Σ_{p<k} a[r·lda+p]·b[j·ldb+p]   (k a multiple of 8)
//
// The small-n path of the driver (n ≤ 4): each output accumulates in two 4-lane vectors
// (p mod 8 < 4 and ≥ 4), fused, reduced at the end as ((v0+v1) lanes 0+1) + (lanes 2+3).
// Register map: R0 k, R1–R4 rows of A, R5–R6 rows of B, R7 out, R8 lda/ldb in bytes;
// V0–V7 A (row r in V2r, V2r+1), V8–V11 B (column j in V8+2j, V9+2j),
// V16+4r+2j+h accumulators.
TEXT ·gemmDotNEON_4x2(SB), NOSPLIT, $0-48
	MOVD k+0(FP), R0
	MOVD a+8(FP), R1
	MOVD lda+16(FP), R8
	LSL  $2, R8
	ADD  R8, R1, R2
	ADD  R8, R2, R3
	ADD  R8, R3, R4
	MOVD b+24(FP), R5
	MOVD ldb+32(FP), R8
	LSL  $2, R8
	ADD  R8, R5, R6
	MOVD out+40(FP), R7
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16
	VEOR V24.B16, V24.B16, V24.B16
	VEOR V25.B16, V25.B16, V25.B16
	VEOR V26.B16, V26.B16, V26.B16
	VEOR V27.B16, V27.B16, V27.B16
	VEOR V28.B16, V28.B16, V28.B16
	VEOR V29.B16, V29.B16, V29.B16
	VEOR V30.B16, V30.B16, V30.B16
	VEOR V31.B16, V31.B16, V31.B16
	CBZ  R0, dotReduce
	PCALIGN $16

dot8:
	VLD1.P 32(R1), [V0.S4, V1.S4]
	VLD1.P 32(R2), [V2.S4, V3.S4]
	VLD1.P 32(R3), [V4.S4, V5.S4]
	VLD1.P 32(R4), [V6.S4, V7.S4]
	VLD1.P 32(R5), [V8.S4, V9.S4]
	VLD1.P 32(R6), [V10.S4, V11.S4]
	VFMLA V0.S4, V8.S4, V16.S4
	VFMLA V1.S4, V9.S4, V17.S4
	VFMLA V0.S4, V10.S4, V18.S4
	VFMLA V1.S4, V11.S4, V19.S4
	VFMLA V2.S4, V8.S4, V20.S4
	VFMLA V3.S4, V9.S4, V21.S4
	VFMLA V2.S4, V10.S4, V22.S4
	VFMLA V3.S4, V11.S4, V23.S4
	VFMLA V4.S4, V8.S4, V24.S4
	VFMLA V5.S4, V9.S4, V25.S4
	VFMLA V4.S4, V10.S4, V26.S4
	VFMLA V5.S4, V11.S4, V27.S4
	VFMLA V6.S4, V8.S4, V28.S4
	VFMLA V7.S4, V9.S4, V29.S4
	VFMLA V6.S4, V10.S4, V30.S4
	VFMLA V7.S4, V11.S4, V31.S4
	SUBS $8, R0
	BNE  dot8

dotReduce:
	FADD4(16, 16, 17)  // fadd v16.4s, v16.4s, v17.4s
	FADDP4(16, 16, 16) // faddp v16.4s, v16.4s, v16.4s
	FADDP2S(16, 16)    // faddp s16, v16.2s
	FMOVS F16, 0(R7)
	FADD4(18, 18, 19)  // fadd v18.4s, v18.4s, v19.4s
	FADDP4(18, 18, 18) // faddp v18.4s, v18.4s, v18.4s
	FADDP2S(18, 18)    // faddp s18, v18.2s
	FMOVS F18, 4(R7)
	FADD4(20, 20, 21)  // fadd v20.4s, v20.4s, v21.4s
	FADDP4(20, 20, 20) // faddp v20.4s, v20.4s, v20.4s
	FADDP2S(20, 20)    // faddp s20, v20.2s
	FMOVS F20, 8(R7)
	FADD4(22, 22, 23)  // fadd v22.4s, v22.4s, v23.4s
	FADDP4(22, 22, 22) // faddp v22.4s, v22.4s, v22.4s
	FADDP2S(22, 22)    // faddp s22, v22.2s
	FMOVS F22, 12(R7)
	FADD4(24, 24, 25)  // fadd v24.4s, v24.4s, v25.4s
	FADDP4(24, 24, 24) // faddp v24.4s, v24.4s, v24.4s
	FADDP2S(24, 24)    // faddp s24, v24.2s
	FMOVS F24, 16(R7)
	FADD4(26, 26, 27)  // fadd v26.4s, v26.4s, v27.4s
	FADDP4(26, 26, 26) // faddp v26.4s, v26.4s, v26.4s
	FADDP2S(26, 26)    // faddp s26, v26.2s
	FMOVS F26, 20(R7)
	FADD4(28, 28, 29)  // fadd v28.4s, v28.4s, v29.4s
	FADDP4(28, 28, 28) // faddp v28.4s, v28.4s, v28.4s
	FADDP2S(28, 28)    // faddp s28, v28.2s
	FMOVS F28, 24(R7)
	FADD4(30, 30, 31)  // fadd v30.4s, v30.4s, v31.4s
	FADDP4(30, 30, 30) // faddp v30.4s, v30.4s, v30.4s
	FADDP2S(30, 30)    // faddp s30, v30.2s
	FMOVS F30, 28(R7)
	RET
