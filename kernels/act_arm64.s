//go:build !purego

// Hand-written NEON activations, their derivatives and e^x (tier "neon"). They compute
// exactly what the Avo-generated amd64 kernels compute (kernels/asm/vec: the same
// reductions, polynomials, constants and operation order), so they have the same
// documented error bounds (act_test.go). Every routine processes n elements, n a multiple
// of 4; act_arm64.go runs the last 1..3 through a padded buffer.
//
// Shared register conventions: the subroutines expConsts<>, expParts<> and sigPair<> are
// called with BL; V16–V30 hold the constants loaded by expConsts<> for the whole call;
// subroutines clobber V0–V7 (sigPair<> also V14–V15) and R6; the callers keep their values
// in V8–V13 and R0–R3.

#include "textflag.h"
#include "neon_arm64.h"

// expConsts<> loads the constants of e^x: V16 log2e, V17 1.5·2^23 (rounding magic),
// V18 C1 = 0.693359375, V19 C2 = −2.12194440e-4 (ln2 = C1 + C2), V20–V24 c6..c2 of the
// degree-6 polynomial for e^r (kernels/asm/vec expPoly), V26 1 (= c1 = c0), V27 int32 127,
// V28 sign bit 0x80000000, V29 −104, V30 89; V25 is 0.
TEXT expConsts<>(SB), NOSPLIT|NOFRAME, $0-0
	MOVW $0x3fb8aa3b, R6
	VDUP R6, V16.S4 // log2e
	MOVW $0x4b400000, R6
	VDUP R6, V17.S4 // 1.5·2^23
	MOVW $0x3f318000, R6
	VDUP R6, V18.S4 // C1
	MOVW $0xb95e8083, R6
	VDUP R6, V19.S4 // C2
	MOVW $0x3ab51221, R6
	VDUP R6, V20.S4 // c6
	MOVW $0x3c091cf1, R6
	VDUP R6, V21.S4 // c5
	MOVW $0x3d2aac79, R6
	VDUP R6, V22.S4 // c4
	MOVW $0x3e2aaa49, R6
	VDUP R6, V23.S4 // c3
	MOVW $0x3efffffe, R6
	VDUP R6, V24.S4 // c2
	MOVW $0x00000000, R6
	VDUP R6, V25.S4 // unused
	MOVW $0x3f800000, R6
	VDUP R6, V26.S4 // c1 = c0 = 1
	MOVW $0x0000007f, R6
	VDUP R6, V27.S4 // int32 127
	MOVW $0x80000000, R6
	VDUP R6, V28.S4 // sign bit
	MOVW $0xc2d00000, R6
	VDUP R6, V29.S4 // -104.0
	MOVW $0x42b20000, R6
	VDUP R6, V30.S4 // 89.0
	RET

// expParts<> splits e^a for a in V0 (a in [−110, 89], NaN kept) as in kernels/asm/vec:
//
//	t  = a·log2e + 1.5·2^23 (fused);  nf = t − 1.5·2^23;  n = bits(t) − bits(1.5·2^23)
//	r  = (a − nf·C1) − nf·C2 (fused);  p = Σ_{i≤6} c_i·r^i (Horner, fused; expPoly)
//	s1 = 2^(n>>1);  s2 = 2^(n − n>>1);  e^a = p·s1·s2
//
// Out: V0 p, V1 s1, V2 s2, V3 n (int32), V4 nf, V5 r. Register map: V6, V7 t and Horner
// temporaries.
TEXT expParts<>(SB), NOSPLIT|NOFRAME, $0-0
	VMOV V17.B16, V6.B16
	VFMLA V16.S4, V0.S4, V6.S4
	FSUB4(4, 6, 17)       // fsub v4.4s, v6.4s, v17.4s
	VSUB V17.S4, V6.S4, V3.S4
	VMOV V0.B16, V5.B16
	VFMLS V18.S4, V4.S4, V5.S4
	VFMLS V19.S4, V4.S4, V5.S4
	VMOV V21.B16, V7.B16
	VFMLA V5.S4, V20.S4, V7.S4
	VMOV V22.B16, V6.B16
	VFMLA V5.S4, V7.S4, V6.S4
	VMOV V23.B16, V7.B16
	VFMLA V5.S4, V6.S4, V7.S4
	VMOV V24.B16, V6.B16
	VFMLA V5.S4, V7.S4, V6.S4
	VMOV V26.B16, V7.B16
	VFMLA V5.S4, V6.S4, V7.S4
	VMOV V26.B16, V0.B16
	VFMLA V5.S4, V7.S4, V0.S4
	SSHR4(1, 3, 1)        // sshr v1.4s, v3.4s, #1
	VSUB V1.S4, V3.S4, V2.S4
	VADD V27.S4, V1.S4, V1.S4
	VSHL $23, V1.S4, V1.S4
	VADD V27.S4, V2.S4, V2.S4
	VSHL $23, V2.S4, V2.S4
	RET

// sigPair<> returns σ(a) and σ(−a) for a in V0, without cancellation (kernels/asm/vec
// sigPair): E = e^max(−|a|, −110), r = 1/(1+E); a < 0: (E·r, r), else (r, E·r).
// Out: V0 σ(a), V1 σ(−a). Register map: V14 a, V15 r; clobbers V0–V7.
TEXT sigPair<>(SB), NOSPLIT, $16-0
	VMOV V0.B16, V14.B16
	VORR V28.B16, V0.B16, V0.B16
	MOVW $0xc2dc0000, R6
	VDUP R6, V1.S4 // -110.0
	FMAX4(0, 0, 1)        // fmax v0.4s, v0.4s, v1.4s
	FMAX4(0, 0, 29)       // fmax v0.4s, v0.4s, v29.4s
	FMIN4(0, 0, 30)       // fmin v0.4s, v0.4s, v30.4s
	BL   expParts<>(SB)
	FMUL4(0, 0, 1)        // fmul v0.4s, v0.4s, v1.4s
	FMUL4(0, 0, 2)        // fmul v0.4s, v0.4s, v2.4s
	FADD4(1, 0, 26)       // fadd v1.4s, v0.4s, v26.4s
	FDIV4(15, 26, 1)      // fdiv v15.4s, v26.4s, v1.4s
	FMUL4(1, 0, 15)       // fmul v1.4s, v0.4s, v15.4s
	SSHR4(0, 14, 31)      // sshr v0.4s, v14.4s, #31
	VMOV V0.B16, V2.B16
	VBSL V15.B16, V1.B16, V0.B16
	VBSL V1.B16, V15.B16, V2.B16
	VMOV V2.B16, V1.B16
	RET

// func expNEON(x, y *float32, n int)
//
//	y[i] = e^x[i]: +Inf above 88.72, 0 below −103.97, subnormal between, NaN kept
//
// Register map: R0 x, R1 y, R2 n; V8 x; V0–V7 e^x; V10 y.
TEXT ·expNEON(SB), NOSPLIT, $16-24
	MOVD x+0(FP), R0
	MOVD y+8(FP), R1
	MOVD n+16(FP), R2
	BL   expConsts<>(SB)
expLoop:
	CBZ  R2, expDone
	VLD1.P 16(R0), [V8.S4]
	FMAX4(0, 8, 29)       // fmax v0.4s, v8.4s, v29.4s
	FMIN4(0, 0, 30)       // fmin v0.4s, v0.4s, v30.4s
	BL   expParts<>(SB)
	FMUL4(0, 0, 1)        // fmul v0.4s, v0.4s, v1.4s
	FMUL4(10, 0, 2)       // fmul v10.4s, v0.4s, v2.4s
	VST1.P [V10.S4], 16(R1)
	SUB  $4, R2
	B    expLoop

expDone:
	RET

// func reluNEON(x, y *float32, n int)
//
//	y[i] = max(x[i], 0)   (+0 for −0, NaN kept)
//
// Register map: R0 x, R1 y, R2 n; V8 x; V9 0; V10 y.
TEXT ·reluNEON(SB), NOSPLIT, $16-24
	MOVD x+0(FP), R0
	MOVD y+8(FP), R1
	MOVD n+16(FP), R2
	BL   expConsts<>(SB)
reluLoop:
	CBZ  R2, reluDone
	VLD1.P 16(R0), [V8.S4]
	VEOR V9.B16, V9.B16, V9.B16
	FMAX4(10, 8, 9)       // fmax v10.4s, v8.4s, v9.4s
	VST1.P [V10.S4], 16(R1)
	SUB  $4, R2
	B    reluLoop

reluDone:
	RET

// func reluDerivNEON(x, dy, d *float32, n int)
//
//	d[i] = 1 if x[i] > 0, NaN if x[i] is NaN, else 0
//	if dy != nil { d[i] = dy[i]·d[i] }   (the backward pass: dZ = dY ⊙ act'(Z))
//
// Register map: R0 x, R1 dy, R2 d, R3 n; V8 x; V11 1, V12 x == x; V10 d, V9 dy.
TEXT ·reluDerivNEON(SB), NOSPLIT, $16-32
	MOVD x+0(FP), R0
	MOVD dy+8(FP), R1
	MOVD d+16(FP), R2
	MOVD n+24(FP), R3
	BL   expConsts<>(SB)
reluDLoop:
	CBZ  R3, reluDDone
	VLD1.P 16(R0), [V8.S4]
	VEOR V9.B16, V9.B16, V9.B16
	FCMGT04(10, 8)        // fcmgt v10.4s, v8.4s, #0.0
	MOVW $0x3f800000, R6
	VDUP R6, V11.S4 // 1.0
	VAND V11.B16, V10.B16, V10.B16
	FCMEQ4(12, 8, 8)      // fcmeq v12.4s, v8.4s, v8.4s
	VBIF V12.B16, V8.B16, V10.B16
	CBZ  R1, reluDStore
	VLD1.P 16(R1), [V9.S4]
	FMUL4(10, 10, 9)      // fmul v10.4s, v10.4s, v9.4s
reluDStore:
	VST1.P [V10.S4], 16(R2)
	SUB  $4, R3
	B    reluDLoop

reluDDone:
	RET

// func siluNEON(x, y *float32, n int)
//
//	y[i] = x[i]·σ(x[i])   (x/(1+E) for x ≥ 0, x·E/(1+E) for x < 0, E = e^−|x|)
//
// Register map: R0 x, R1 y, R2 n; V8 x; V0–V7, V11–V13 xsig (with the divFix correction); V10 y.
TEXT ·siluNEON(SB), NOSPLIT, $16-24
	MOVD x+0(FP), R0
	MOVD y+8(FP), R1
	MOVD n+16(FP), R2
	BL   expConsts<>(SB)
siluLoop:
	CBZ  R2, siluDone
	VLD1.P 16(R0), [V8.S4]
	VORR V28.B16, V8.B16, V0.B16
	MOVW $0xc2dc0000, R6
	VDUP R6, V1.S4 // -110.0
	FMAX4(0, 0, 1)        // fmax v0.4s, v0.4s, v1.4s
	BL   expParts<>(SB)
	VMOV V1.B16, V11.B16
	VMOV V2.B16, V12.B16
	FMUL4(1, 0, 11)       // fmul v1.4s, v0.4s, v11.4s
	FMUL4(1, 1, 12)       // fmul v1.4s, v1.4s, v12.4s
	FADD4(2, 1, 26)       // fadd v2.4s, v1.4s, v26.4s
	FSUB4(3, 2, 26)       // fsub v3.4s, v2.4s, v26.4s
	FSUB4(3, 1, 3)        // fsub v3.4s, v1.4s, v3.4s
	SSHR4(13, 8, 31)      // sshr v13.4s, v8.4s, #31
	MOVW $0xc2dc0000, R6
	VDUP R6, V5.S4 // -110.0
	FMAX4(4, 8, 5)        // fmax v4.4s, v8.4s, v5.4s
	FMUL4(5, 4, 0)        // fmul v5.4s, v4.4s, v0.4s
	FNEG4(6, 5)           // fneg v6.4s, v5.4s
	VFMLA V0.S4, V4.S4, V6.S4
	VMOV V13.B16, V4.B16
	VBSL V8.B16, V5.B16, V4.B16
	VAND V13.B16, V6.B16, V6.B16
	FDIV4(5, 4, 2)        // fdiv v5.4s, v4.4s, v2.4s
	VMOV V4.B16, V7.B16
	VFMLS V5.S4, V2.S4, V7.S4
	FADD4(7, 7, 6)        // fadd v7.4s, v7.4s, v6.4s
	VFMLS V3.S4, V5.S4, V7.S4
	FRECPE4(0, 2)         // frecpe v0.4s, v2.4s
	VMOV V5.B16, V1.B16
	VFMLA V0.S4, V7.S4, V1.S4
	VAND V28.B16, V5.B16, V3.B16
	VORR V3.B16, V1.B16, V1.B16
	FCMEQ4(3, 1, 1)       // fcmeq v3.4s, v1.4s, v1.4s
	VBIF V3.B16, V5.B16, V1.B16
	FMUL4(4, 1, 11)       // fmul v4.4s, v1.4s, v11.4s
	FMUL4(4, 4, 12)       // fmul v4.4s, v4.4s, v12.4s
	VMOV V13.B16, V10.B16
	VBSL V1.B16, V4.B16, V10.B16
	VST1.P [V10.S4], 16(R1)
	SUB  $4, R2
	B    siluLoop

siluDone:
	RET

// func siluDerivNEON(x, dy, d *float32, n int)
//
//	d[i] = σ(x) + (x·σ(x))·σ(−x)   (fused; x clamped to [−110, 110])
//	if dy != nil { d[i] = dy[i]·d[i] }   (the backward pass: dZ = dY ⊙ act'(Z))
//
// Register map: R0 x, R1 dy, R2 d, R3 n; V8 x; V9 xc (before dy); V10 d, V9 dy.
TEXT ·siluDerivNEON(SB), NOSPLIT, $16-32
	MOVD x+0(FP), R0
	MOVD dy+8(FP), R1
	MOVD d+16(FP), R2
	MOVD n+24(FP), R3
	BL   expConsts<>(SB)
siluDLoop:
	CBZ  R3, siluDDone
	VLD1.P 16(R0), [V8.S4]
	MOVW $0xc2dc0000, R6
	VDUP R6, V9.S4 // -110.0
	FMAX4(9, 8, 9)        // fmax v9.4s, v8.4s, v9.4s
	MOVW $0x42dc0000, R6
	VDUP R6, V10.S4 // 110.0
	FMIN4(9, 9, 10)       // fmin v9.4s, v9.4s, v10.4s
	VMOV V9.B16, V0.B16
	BL   sigPair<>(SB)
	FMUL4(10, 9, 0)       // fmul v10.4s, v9.4s, v0.4s
	VFMLA V1.S4, V10.S4, V0.S4
	VMOV V0.B16, V10.B16
	CBZ  R1, siluDStore
	VLD1.P 16(R1), [V9.S4]
	FMUL4(10, 10, 9)      // fmul v10.4s, v10.4s, v9.4s
siluDStore:
	VST1.P [V10.S4], 16(R2)
	SUB  $4, R3
	B    siluDLoop

siluDDone:
	RET

// func tanhNEON(x, y *float32, n int)
//
//	y[i] = tanh(x[i]): x + x³·P(x²) for |x| < 1, else 1 − 2E/(1+E), E = e^max(−2|x|, −20);
//	the sign of x is or'ed in
//
// Register map: R0 x, R1 y, R2 n; V8 x; V9 |x|, V10 x², V11 P, V12–V13 temps; V10 y.
TEXT ·tanhNEON(SB), NOSPLIT, $16-24
	MOVD x+0(FP), R0
	MOVD y+8(FP), R1
	MOVD n+16(FP), R2
	BL   expConsts<>(SB)
tanhLoop:
	CBZ  R2, tanhDone
	VLD1.P 16(R0), [V8.S4]
	FABS4(9, 8)           // fabs v9.4s, v8.4s
	FMUL4(10, 8, 8)       // fmul v10.4s, v8.4s, v8.4s
	MOVW $0xb9bc8817, R6
	VDUP R6, V11.S4 // -0.0003595955
	MOVW $0x3b171b0c, R6
	VDUP R6, V12.S4 // 0.0023056893
	VFMLA V10.S4, V11.S4, V12.S4
	VMOV V12.B16, V11.B16
	MOVW $0xbc024b9a, R6
	VDUP R6, V12.S4 // -0.007952595
	VFMLA V10.S4, V11.S4, V12.S4
	VMOV V12.B16, V11.B16
	MOVW $0x3cb00f06, R6
	VDUP R6, V12.S4 // 0.021491539
	VFMLA V10.S4, V11.S4, V12.S4
	VMOV V12.B16, V11.B16
	MOVW $0xbd5cb311, R6
	VDUP R6, V12.S4 // -0.05388171
	VFMLA V10.S4, V11.S4, V12.S4
	VMOV V12.B16, V11.B16
	MOVW $0x3e088609, R6
	VDUP R6, V12.S4 // 0.1333238
	VFMLA V10.S4, V11.S4, V12.S4
	VMOV V12.B16, V11.B16
	MOVW $0xbeaaaa9f, R6
	VDUP R6, V12.S4 // -0.333333
	VFMLA V10.S4, V11.S4, V12.S4
	VMOV V12.B16, V11.B16
	FMUL4(12, 8, 10)      // fmul v12.4s, v8.4s, v10.4s
	VMOV V8.B16, V13.B16
	VFMLA V11.S4, V12.S4, V13.S4
	MOVW $0xc0000000, R6
	VDUP R6, V0.S4 // -2.0
	FMUL4(0, 9, 0)        // fmul v0.4s, v9.4s, v0.4s
	MOVW $0xc1a00000, R6
	VDUP R6, V1.S4 // -20.0
	FMAX4(0, 0, 1)        // fmax v0.4s, v0.4s, v1.4s
	FMAX4(0, 0, 29)       // fmax v0.4s, v0.4s, v29.4s
	FMIN4(0, 0, 30)       // fmin v0.4s, v0.4s, v30.4s
	BL   expParts<>(SB)
	FMUL4(0, 0, 1)        // fmul v0.4s, v0.4s, v1.4s
	FMUL4(0, 0, 2)        // fmul v0.4s, v0.4s, v2.4s
	FADD4(1, 0, 0)        // fadd v1.4s, v0.4s, v0.4s
	FADD4(2, 0, 26)       // fadd v2.4s, v0.4s, v26.4s
	FDIV4(1, 1, 2)        // fdiv v1.4s, v1.4s, v2.4s
	FSUB4(1, 26, 1)       // fsub v1.4s, v26.4s, v1.4s
	MOVW $0x3f800000, R6
	VDUP R6, V2.S4 // 1.0
	FCMGT4(10, 2, 9)      // fcmgt v10.4s, v2.4s, v9.4s
	VBSL V1.B16, V13.B16, V10.B16
	VAND V28.B16, V8.B16, V11.B16
	VORR V11.B16, V10.B16, V10.B16
	VST1.P [V10.S4], 16(R1)
	SUB  $4, R2
	B    tanhLoop

tanhDone:
	RET

// func tanhDerivNEON(x, dy, d *float32, n int)
//
//	d[i] = 1 − tanh²(x) = 4E·r·r, E = e^max(−2|x|, −110), r = 1/(1+E)
//	if dy != nil { d[i] = dy[i]·d[i] }   (the backward pass: dZ = dY ⊙ act'(Z))
//
// Register map: R0 x, R1 dy, R2 d, R3 n; V8 x; V0–V7 E, r; V10 d, V9 dy.
TEXT ·tanhDerivNEON(SB), NOSPLIT, $16-32
	MOVD x+0(FP), R0
	MOVD dy+8(FP), R1
	MOVD d+16(FP), R2
	MOVD n+24(FP), R3
	BL   expConsts<>(SB)
tanhDLoop:
	CBZ  R3, tanhDDone
	VLD1.P 16(R0), [V8.S4]
	VORR V28.B16, V8.B16, V0.B16
	FADD4(0, 0, 0)        // fadd v0.4s, v0.4s, v0.4s
	MOVW $0xc2dc0000, R6
	VDUP R6, V1.S4 // -110.0
	FMAX4(0, 0, 1)        // fmax v0.4s, v0.4s, v1.4s
	BL   expParts<>(SB)
	FMUL4(0, 0, 1)        // fmul v0.4s, v0.4s, v1.4s
	FMUL4(0, 0, 2)        // fmul v0.4s, v0.4s, v2.4s
	FADD4(1, 0, 26)       // fadd v1.4s, v0.4s, v26.4s
	FDIV4(1, 26, 1)       // fdiv v1.4s, v26.4s, v1.4s
	MOVW $0x40800000, R6
	VDUP R6, V2.S4 // 4.0
	FMUL4(10, 0, 2)       // fmul v10.4s, v0.4s, v2.4s
	FMUL4(10, 10, 1)      // fmul v10.4s, v10.4s, v1.4s
	FMUL4(10, 10, 1)      // fmul v10.4s, v10.4s, v1.4s
	CBZ  R1, tanhDStore
	VLD1.P 16(R1), [V9.S4]
	FMUL4(10, 10, 9)      // fmul v10.4s, v10.4s, v9.4s
tanhDStore:
	VST1.P [V10.S4], 16(R2)
	SUB  $4, R3
	B    tanhDLoop

tanhDDone:
	RET

// func softplusNEON(x, y *float32, n int)
//
//	y[i] = max(x, 0) + log1p(E), E = e^−|x| (kernels/asm/vec log1p01: 1+E = 2^k·m,
//	m in [√½, √2], atanh series in s = f/(2+f), f = m − 1, plus the rounding correction)
//
// Register map: R0 x, R1 y, R2 n; V8 x; V9 E, V10 u, V11 c, V12 big, V13 k; V10 y.
TEXT ·softplusNEON(SB), NOSPLIT, $16-24
	MOVD x+0(FP), R0
	MOVD y+8(FP), R1
	MOVD n+16(FP), R2
	BL   expConsts<>(SB)
softplusLoop:
	CBZ  R2, softplusDone
	VLD1.P 16(R0), [V8.S4]
	VORR V28.B16, V8.B16, V0.B16
	FMAX4(0, 0, 29)       // fmax v0.4s, v0.4s, v29.4s
	FMIN4(0, 0, 30)       // fmin v0.4s, v0.4s, v30.4s
	BL   expParts<>(SB)
	FMUL4(0, 0, 1)        // fmul v0.4s, v0.4s, v1.4s
	FMUL4(0, 0, 2)        // fmul v0.4s, v0.4s, v2.4s
	VMOV V0.B16, V9.B16
	FADD4(10, 9, 26)      // fadd v10.4s, v9.4s, v26.4s
	FSUB4(11, 10, 26)     // fsub v11.4s, v10.4s, v26.4s
	FSUB4(11, 9, 11)      // fsub v11.4s, v9.4s, v11.4s
	FDIV4(11, 11, 10)     // fdiv v11.4s, v11.4s, v10.4s
	MOVW $0x3fb504f3, R6
	VDUP R6, V1.S4 // 1.4142135
	FCMGT4(12, 10, 1)     // fcmgt v12.4s, v10.4s, v1.4s
	MOVW $0x3f000000, R6
	VDUP R6, V2.S4 // 0.5
	FMUL4(2, 10, 2)       // fmul v2.4s, v10.4s, v2.4s
	VMOV V12.B16, V3.B16
	VBSL V10.B16, V2.B16, V3.B16
	VAND V26.B16, V12.B16, V13.B16
	FSUB4(3, 3, 26)       // fsub v3.4s, v3.4s, v26.4s
	MOVW $0x40000000, R6
	VDUP R6, V4.S4 // 2.0
	FADD4(4, 3, 4)        // fadd v4.4s, v3.4s, v4.4s
	FDIV4(4, 3, 4)        // fdiv v4.4s, v3.4s, v4.4s
	FMUL4(5, 4, 4)        // fmul v5.4s, v4.4s, v4.4s
	MOVW $0x3e638e39, R6
	VDUP R6, V6.S4 // 0.2222222222222222
	MOVW $0x3e924925, R6
	VDUP R6, V7.S4 // 0.2857142857142857
	VFMLA V5.S4, V6.S4, V7.S4
	VMOV V7.B16, V6.B16
	MOVW $0x3ecccccd, R6
	VDUP R6, V7.S4 // 0.4
	VFMLA V5.S4, V6.S4, V7.S4
	VMOV V7.B16, V6.B16
	MOVW $0x3f2aaaab, R6
	VDUP R6, V7.S4 // 0.6666666666666666
	VFMLA V5.S4, V6.S4, V7.S4
	VMOV V7.B16, V6.B16
	FMUL4(6, 6, 5)        // fmul v6.4s, v6.4s, v5.4s
	FMUL4(7, 3, 3)        // fmul v7.4s, v3.4s, v3.4s
	MOVW $0x3f000000, R6
	VDUP R6, V0.S4 // 0.5
	FMUL4(7, 7, 0)        // fmul v7.4s, v7.4s, v0.4s
	FADD4(0, 7, 6)        // fadd v0.4s, v7.4s, v6.4s
	FMUL4(0, 0, 4)        // fmul v0.4s, v0.4s, v4.4s
	FSUB4(0, 7, 0)        // fsub v0.4s, v7.4s, v0.4s
	FSUB4(0, 3, 0)        // fsub v0.4s, v3.4s, v0.4s
	FADD4(0, 0, 11)       // fadd v0.4s, v0.4s, v11.4s
	MOVW $0xb102e308, R6
	VDUP R6, V1.S4 // ln2Lo
	VFMLA V1.S4, V13.S4, V0.S4
	MOVW $0x3f317218, R6
	VDUP R6, V1.S4 // ln2Hi
	VFMLA V1.S4, V13.S4, V0.S4
	VEOR V1.B16, V1.B16, V1.B16
	FMAX4(1, 8, 1)        // fmax v1.4s, v8.4s, v1.4s
	FADD4(10, 1, 0)       // fadd v10.4s, v1.4s, v0.4s
	VST1.P [V10.S4], 16(R1)
	SUB  $4, R2
	B    softplusLoop

softplusDone:
	RET

// func softplusDerivNEON(x, dy, d *float32, n int)
//
//	d[i] = σ(x[i])
//	if dy != nil { d[i] = dy[i]·d[i] }   (the backward pass: dZ = dY ⊙ act'(Z))
//
// Register map: R0 x, R1 dy, R2 d, R3 n; V8 x; V0–V7 sigPair; V10 d, V9 dy.
TEXT ·softplusDerivNEON(SB), NOSPLIT, $16-32
	MOVD x+0(FP), R0
	MOVD dy+8(FP), R1
	MOVD d+16(FP), R2
	MOVD n+24(FP), R3
	BL   expConsts<>(SB)
softplusDLoop:
	CBZ  R3, softplusDDone
	VLD1.P 16(R0), [V8.S4]
	VMOV V8.B16, V0.B16
	BL   sigPair<>(SB)
	VMOV V0.B16, V10.B16
	CBZ  R1, softplusDStore
	VLD1.P 16(R1), [V9.S4]
	FMUL4(10, 10, 9)      // fmul v10.4s, v10.4s, v9.4s
softplusDStore:
	VST1.P [V10.S4], 16(R2)
	SUB  $4, R3
	B    softplusDLoop

softplusDDone:
	RET

// func geluNEON(x, y *float32, n int)
//
//	y[i] = x·σ(a), a = x·(K0 + K1·x²), K0 = 2√(2/π), K1 = 0.044715·K0
//
// Register map: R0 x, R1 y, R2 n; V8 x; V9 a, V0–V7, V11–V13 xsig (with the divFix correction); V10 y.
TEXT ·geluNEON(SB), NOSPLIT, $16-24
	MOVD x+0(FP), R0
	MOVD y+8(FP), R1
	MOVD n+16(FP), R2
	BL   expConsts<>(SB)
geluLoop:
	CBZ  R2, geluDone
	VLD1.P 16(R0), [V8.S4]
	FMUL4(10, 8, 8)       // fmul v10.4s, v8.4s, v8.4s
	MOVW $0x3d922279, R6
	VDUP R6, V9.S4 // 0.07135481627260025
	MOVW $0x3fcc422a, R6
	VDUP R6, V0.S4 // 1.5957691216057308
	VFMLA V9.S4, V10.S4, V0.S4
	FMUL4(9, 8, 0)        // fmul v9.4s, v8.4s, v0.4s
	VORR V28.B16, V9.B16, V0.B16
	MOVW $0xc2dc0000, R6
	VDUP R6, V1.S4 // -110.0
	FMAX4(0, 0, 1)        // fmax v0.4s, v0.4s, v1.4s
	BL   expParts<>(SB)
	VMOV V1.B16, V11.B16
	VMOV V2.B16, V12.B16
	FMUL4(1, 0, 11)       // fmul v1.4s, v0.4s, v11.4s
	FMUL4(1, 1, 12)       // fmul v1.4s, v1.4s, v12.4s
	FADD4(2, 1, 26)       // fadd v2.4s, v1.4s, v26.4s
	FSUB4(3, 2, 26)       // fsub v3.4s, v2.4s, v26.4s
	FSUB4(3, 1, 3)        // fsub v3.4s, v1.4s, v3.4s
	SSHR4(13, 9, 31)      // sshr v13.4s, v9.4s, #31
	MOVW $0xc2dc0000, R6
	VDUP R6, V5.S4 // -110.0
	FMAX4(4, 8, 5)        // fmax v4.4s, v8.4s, v5.4s
	FMUL4(5, 4, 0)        // fmul v5.4s, v4.4s, v0.4s
	FNEG4(6, 5)           // fneg v6.4s, v5.4s
	VFMLA V0.S4, V4.S4, V6.S4
	VMOV V13.B16, V4.B16
	VBSL V8.B16, V5.B16, V4.B16
	VAND V13.B16, V6.B16, V6.B16
	FDIV4(5, 4, 2)        // fdiv v5.4s, v4.4s, v2.4s
	VMOV V4.B16, V7.B16
	VFMLS V5.S4, V2.S4, V7.S4
	FADD4(7, 7, 6)        // fadd v7.4s, v7.4s, v6.4s
	VFMLS V3.S4, V5.S4, V7.S4
	FRECPE4(0, 2)         // frecpe v0.4s, v2.4s
	VMOV V5.B16, V1.B16
	VFMLA V0.S4, V7.S4, V1.S4
	VAND V28.B16, V5.B16, V3.B16
	VORR V3.B16, V1.B16, V1.B16
	FCMEQ4(3, 1, 1)       // fcmeq v3.4s, v1.4s, v1.4s
	VBIF V3.B16, V5.B16, V1.B16
	FMUL4(4, 1, 11)       // fmul v4.4s, v1.4s, v11.4s
	FMUL4(4, 4, 12)       // fmul v4.4s, v4.4s, v12.4s
	VMOV V13.B16, V10.B16
	VBSL V1.B16, V4.B16, V10.B16
	VST1.P [V10.S4], 16(R1)
	SUB  $4, R2
	B    geluLoop

geluDone:
	RET

// func geluDerivNEON(x, dy, d *float32, n int)
//
//	d[i] = σ(a) + (x·a'·σ(a))·σ(−a), a' = K0 + 3K1·x²   (x clamped to [−20, 20])
//	if dy != nil { d[i] = dy[i]·d[i] }   (the backward pass: dZ = dY ⊙ act'(Z))
//
// Register map: R0 x, R1 dy, R2 d, R3 n; V8 x; V9 xc; V10 d, V9 dy.
TEXT ·geluDerivNEON(SB), NOSPLIT, $16-32
	MOVD x+0(FP), R0
	MOVD dy+8(FP), R1
	MOVD d+16(FP), R2
	MOVD n+24(FP), R3
	BL   expConsts<>(SB)
geluDLoop:
	CBZ  R3, geluDDone
	VLD1.P 16(R0), [V8.S4]
	MOVW $0xc1a00000, R6
	VDUP R6, V9.S4 // -20.0
	FMAX4(9, 8, 9)        // fmax v9.4s, v8.4s, v9.4s
	MOVW $0x41a00000, R6
	VDUP R6, V10.S4 // 20.0
	FMIN4(9, 9, 10)       // fmin v9.4s, v9.4s, v10.4s
	FMUL4(11, 9, 9)       // fmul v11.4s, v9.4s, v9.4s
	MOVW $0x3d922279, R6
	VDUP R6, V10.S4 // 0.07135481627260025
	MOVW $0x3fcc422a, R6
	VDUP R6, V0.S4 // 1.5957691216057308
	VFMLA V10.S4, V11.S4, V0.S4
	FMUL4(10, 9, 0)       // fmul v10.4s, v9.4s, v0.4s
	VMOV V10.B16, V0.B16
	BL   sigPair<>(SB)
	FMUL4(11, 9, 9)       // fmul v11.4s, v9.4s, v9.4s
	MOVW $0x3e5b33b6, R6
	VDUP R6, V12.S4 // 0.21406444881780076
	MOVW $0x3fcc422a, R6
	VDUP R6, V10.S4 // 1.5957691216057308
	VFMLA V12.S4, V11.S4, V10.S4
	FMUL4(10, 9, 10)      // fmul v10.4s, v9.4s, v10.4s
	FMUL4(10, 10, 0)      // fmul v10.4s, v10.4s, v0.4s
	VFMLA V1.S4, V10.S4, V0.S4
	VMOV V0.B16, V10.B16
	CBZ  R1, geluDStore
	VLD1.P 16(R1), [V9.S4]
	FMUL4(10, 10, 9)      // fmul v10.4s, v10.4s, v9.4s
geluDStore:
	VST1.P [V10.S4], 16(R2)
	SUB  $4, R3
	B    geluDLoop

geluDDone:
	RET

// func eluNEON(x, y *float32, n int)
//
//	y[i] = x for x ≥ 0 (−0 kept), else 2^n·(r + r²·Q(r)) + (2^n − 1) with x = n·ln2 + r
//
// Register map: R0 x, R1 y, R2 n; V8 x; V9 Q, V13 m1, V11 x ≥ 0; V10 y.
TEXT ·eluNEON(SB), NOSPLIT, $16-24
	MOVD x+0(FP), R0
	MOVD y+8(FP), R1
	MOVD n+16(FP), R2
	BL   expConsts<>(SB)
eluLoop:
	CBZ  R2, eluDone
	VLD1.P 16(R0), [V8.S4]
	MOVW $0xc1f00000, R6
	VDUP R6, V0.S4 // -30.0
	FMAX4(0, 8, 0)        // fmax v0.4s, v8.4s, v0.4s
	BL   expParts<>(SB)
	MOVW $0x39500d01, R6
	VDUP R6, V9.S4 // 0.0001984126984126984
	MOVW $0x3ab60b61, R6
	VDUP R6, V10.S4 // 0.001388888888888889
	VFMLA V5.S4, V9.S4, V10.S4
	VMOV V10.B16, V9.B16
	MOVW $0x3c088889, R6
	VDUP R6, V10.S4 // 0.008333333333333333
	VFMLA V5.S4, V9.S4, V10.S4
	VMOV V10.B16, V9.B16
	MOVW $0x3d2aaaab, R6
	VDUP R6, V10.S4 // 0.041666666666666664
	VFMLA V5.S4, V9.S4, V10.S4
	VMOV V10.B16, V9.B16
	MOVW $0x3e2aaaab, R6
	VDUP R6, V10.S4 // 0.16666666666666666
	VFMLA V5.S4, V9.S4, V10.S4
	VMOV V10.B16, V9.B16
	MOVW $0x3f000000, R6
	VDUP R6, V10.S4 // 0.5
	VFMLA V5.S4, V9.S4, V10.S4
	VMOV V10.B16, V9.B16
	FMUL4(1, 5, 5)        // fmul v1.4s, v5.4s, v5.4s
	VMOV V5.B16, V13.B16
	VFMLA V9.S4, V1.S4, V13.S4
	VADD V27.S4, V3.S4, V2.S4
	VSHL $23, V2.S4, V2.S4
	FSUB4(10, 2, 26)      // fsub v10.4s, v2.4s, v26.4s
	VFMLA V13.S4, V2.S4, V10.S4
	FCMGE04(11, 8)        // fcmge v11.4s, v8.4s, #0.0
	VBSL V10.B16, V8.B16, V11.B16
	VMOV V11.B16, V10.B16
	VST1.P [V10.S4], 16(R1)
	SUB  $4, R2
	B    eluLoop

eluDone:
	RET

// func eluDerivNEON(x, dy, d *float32, n int)
//
//	d[i] = 1 for x > 0, e^x otherwise
//	if dy != nil { d[i] = dy[i]·d[i] }   (the backward pass: dZ = dY ⊙ act'(Z))
//
// Register map: R0 x, R1 dy, R2 d, R3 n; V8 x; V11 x > 0; V10 d, V9 dy.
TEXT ·eluDerivNEON(SB), NOSPLIT, $16-32
	MOVD x+0(FP), R0
	MOVD dy+8(FP), R1
	MOVD d+16(FP), R2
	MOVD n+24(FP), R3
	BL   expConsts<>(SB)
eluDLoop:
	CBZ  R3, eluDDone
	VLD1.P 16(R0), [V8.S4]
	FMAX4(0, 8, 29)       // fmax v0.4s, v8.4s, v29.4s
	FMIN4(0, 0, 30)       // fmin v0.4s, v0.4s, v30.4s
	BL   expParts<>(SB)
	FMUL4(0, 0, 1)        // fmul v0.4s, v0.4s, v1.4s
	FMUL4(0, 0, 2)        // fmul v0.4s, v0.4s, v2.4s
	FCMGT04(11, 8)        // fcmgt v11.4s, v8.4s, #0.0
	VMOV V11.B16, V10.B16
	VBSL V0.B16, V26.B16, V10.B16
	CBZ  R1, eluDStore
	VLD1.P 16(R1), [V9.S4]
	FMUL4(10, 10, 9)      // fmul v10.4s, v10.4s, v9.4s
eluDStore:
	VST1.P [V10.S4], 16(R2)
	SUB  $4, R3
	B    eluDLoop

eluDDone:
	RET

