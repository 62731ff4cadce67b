//go:build !purego

// Hand-written NEON vector ops (tier "neon"). Every routine processes n elements, n a
// multiple of 4 (the Go wrappers in vec_arm64.go run the last 1..3 through a padded
// buffer), 16 per iteration of the main loop and 4 per iteration of the second.

#include "textflag.h"
#include "neon_arm64.h"

// func axpyNEON(alpha float32, x, y *float32, n int)
//
//	for i := 0; i < n; i++ { y[i] = float32(alpha*x[i]) + y[i] }   (product rounded: not fused)
//
// Register map: R0 x, R1 y (load), R2 y (store), R3 n; V0 alpha; V4–V7 x, then alpha·x;
// V8–V11 y.
TEXT ·axpyNEON(SB), NOSPLIT, $0-32
	FMOVS alpha+0(FP), F0
	MOVD  x+8(FP), R0
	MOVD  y+16(FP), R1
	MOVD  n+24(FP), R3
	MOVD  R1, R2
	VDUP  V0.S[0], V0.S4

axpy16:
	CMP  $16, R3
	BLT  axpy4
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R1), [V8.S4, V9.S4, V10.S4, V11.S4]
	FMUL4(4, 4, 0)   // fmul v4.4s, v4.4s, v0.4s
	FMUL4(5, 5, 0)   // fmul v5.4s, v5.4s, v0.4s
	FMUL4(6, 6, 0)   // fmul v6.4s, v6.4s, v0.4s
	FMUL4(7, 7, 0)   // fmul v7.4s, v7.4s, v0.4s
	FADD4(8, 8, 4)   // fadd v8.4s, v8.4s, v4.4s
	FADD4(9, 9, 5)   // fadd v9.4s, v9.4s, v5.4s
	FADD4(10, 10, 6) // fadd v10.4s, v10.4s, v6.4s
	FADD4(11, 11, 7) // fadd v11.4s, v11.4s, v7.4s
	VST1.P [V8.S4, V9.S4, V10.S4, V11.S4], 64(R2)
	SUB  $16, R3
	B    axpy16

axpy4:
	CBZ  R3, axpyDone
	VLD1.P 16(R0), [V4.S4]
	VLD1.P 16(R1), [V8.S4]
	FMUL4(4, 4, 0) // fmul v4.4s, v4.4s, v0.4s
	FADD4(8, 8, 4) // fadd v8.4s, v8.4s, v4.4s
	VST1.P [V8.S4], 16(R2)
	SUB  $4, R3
	B    axpy4

axpyDone:
	RET

// func addNEON(x, y *float32, n int)
//
//	for i := 0; i < n; i++ { y[i] += x[i] }
//
// Register map: R0 x, R1 y (load), R2 y (store), R3 n; V4–V7 x; V8–V11 y.
TEXT ·addNEON(SB), NOSPLIT, $0-24
	MOVD x+0(FP), R0
	MOVD y+8(FP), R1
	MOVD n+16(FP), R3
	MOVD R1, R2

add16:
	CMP  $16, R3
	BLT  add4
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R1), [V8.S4, V9.S4, V10.S4, V11.S4]
	FADD4(8, 8, 4)   // fadd v8.4s, v8.4s, v4.4s
	FADD4(9, 9, 5)   // fadd v9.4s, v9.4s, v5.4s
	FADD4(10, 10, 6) // fadd v10.4s, v10.4s, v6.4s
	FADD4(11, 11, 7) // fadd v11.4s, v11.4s, v7.4s
	VST1.P [V8.S4, V9.S4, V10.S4, V11.S4], 64(R2)
	SUB  $16, R3
	B    add16

add4:
	CBZ  R3, addDone
	VLD1.P 16(R0), [V4.S4]
	VLD1.P 16(R1), [V8.S4]
	FADD4(8, 8, 4) // fadd v8.4s, v8.4s, v4.4s
	VST1.P [V8.S4], 16(R2)
	SUB  $4, R3
	B    add4

addDone:
	RET

// func scaleNEON(alpha float32, x *float32, n int)
//
//	for i := 0; i < n; i++ { x[i] *= alpha }
//
// Register map: R0 x (load), R2 x (store), R3 n; V0 alpha; V4–V7 x.
TEXT ·scaleNEON(SB), NOSPLIT, $0-24
	FMOVS alpha+0(FP), F0
	MOVD  x+8(FP), R0
	MOVD  n+16(FP), R3
	MOVD  R0, R2
	VDUP  V0.S[0], V0.S4

scale16:
	CMP  $16, R3
	BLT  scale4
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	FMUL4(4, 4, 0) // fmul v4.4s, v4.4s, v0.4s
	FMUL4(5, 5, 0) // fmul v5.4s, v5.4s, v0.4s
	FMUL4(6, 6, 0) // fmul v6.4s, v6.4s, v0.4s
	FMUL4(7, 7, 0) // fmul v7.4s, v7.4s, v0.4s
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R2)
	SUB  $16, R3
	B    scale16

scale4:
	CBZ  R3, scaleDone
	VLD1.P 16(R0), [V4.S4]
	FMUL4(4, 4, 0) // fmul v4.4s, v4.4s, v0.4s
	VST1.P [V4.S4], 16(R2)
	SUB  $4, R3
	B    scale4

scaleDone:
	RET

// func dotNEON(x, y *float32, n int) float32
//
//	var acc [16]float32 // lane j of the 16-wide main loop, then lanes 0..3 for the rest
//	for i := 0; i < n; i++ { acc[lane(i)] += x[i] * y[i] }   (fused)
//	return ((acc0+acc1) + (acc2+acc3)) summed lane-pairwise: (l0+l1) + (l2+l3)
//
// Register map: R0 x, R1 y, R3 n; V0–V3 accumulators; V4–V7 x; V8–V11 y.
TEXT ·dotNEON(SB), NOSPLIT, $0-28
	MOVD x+0(FP), R0
	MOVD y+8(FP), R1
	MOVD n+16(FP), R3
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16

dot16:
	CMP  $16, R3
	BLT  dot4
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R1), [V8.S4, V9.S4, V10.S4, V11.S4]
	VFMLA  V4.S4, V8.S4, V0.S4
	VFMLA  V5.S4, V9.S4, V1.S4
	VFMLA  V6.S4, V10.S4, V2.S4
	VFMLA  V7.S4, V11.S4, V3.S4
	SUB  $16, R3
	B    dot16

dot4:
	CBZ  R3, dotSum
	VLD1.P 16(R0), [V4.S4]
	VLD1.P 16(R1), [V8.S4]
	VFMLA  V4.S4, V8.S4, V0.S4
	SUB  $4, R3
	B    dot4

dotSum:
	FADD4(0, 0, 1)  // fadd v0.4s, v0.4s, v1.4s
	FADD4(2, 2, 3)  // fadd v2.4s, v2.4s, v3.4s
	FADD4(0, 0, 2)  // fadd v0.4s, v0.4s, v2.4s
	FADDP4(0, 0, 0) // faddp v0.4s, v0.4s, v0.4s
	FADDP2S(0, 0)   // faddp s0, v0.2s
	FMOVS F0, ret+24(FP)
	RET

// func sumSqNEON(x *float32, n int) float32
//
//	like dotNEON(x, x, n)
//
// Register map: R0 x, R3 n; V0–V3 accumulators; V4–V7 x.
TEXT ·sumSqNEON(SB), NOSPLIT, $0-20
	MOVD x+0(FP), R0
	MOVD n+8(FP), R3
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16

sumSq16:
	CMP  $16, R3
	BLT  sumSq4
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA  V4.S4, V4.S4, V0.S4
	VFMLA  V5.S4, V5.S4, V1.S4
	VFMLA  V6.S4, V6.S4, V2.S4
	VFMLA  V7.S4, V7.S4, V3.S4
	SUB  $16, R3
	B    sumSq16

sumSq4:
	CBZ  R3, sumSqSum
	VLD1.P 16(R0), [V4.S4]
	VFMLA  V4.S4, V4.S4, V0.S4
	SUB  $4, R3
	B    sumSq4

sumSqSum:
	FADD4(0, 0, 1)  // fadd v0.4s, v0.4s, v1.4s
	FADD4(2, 2, 3)  // fadd v2.4s, v2.4s, v3.4s
	FADD4(0, 0, 2)  // fadd v0.4s, v0.4s, v2.4s
	FADDP4(0, 0, 0) // faddp v0.4s, v0.4s, v0.4s
	FADDP2S(0, 0)   // faddp s0, v0.2s
	FMOVS F0, ret+16(FP)
	RET

// func adamNEON(p, gr, m, v *float32, n int, c *[7]float32)
//
//	for i := 0; i < n; i++ {   (every product rounded before it is added: no fusion)
//		m[i] = float32(b1·m[i]) + float32((1−b1)·g[i])
//		v[i] = float32(b2·v[i]) + float32(float32((1−b2)·g[i])·g[i])
//		p[i] -= float32(lr·( (m[i]/bc1) / (sqrt(v[i]/bc2) + eps) + float32(wd·p[i]) ))
//	}
//
// with c = {lr, b1, b2, eps, wd, bc1, bc2}, exactly the reference RefAdam.
// Register map: R0 p, R1 gr (g), R2 m, R3 v, R4 n, R5 c; V16 lr, V17 b1, V18 b2, V19 eps,
// V20 wd, V21 bc1, V22 bc2, V23 1−b1, V24 1−b2; V0 p, V1 g, V2 m, V3 v, V4–V7 temps.
TEXT ·adamNEON(SB), NOSPLIT, $0-48
	MOVD p+0(FP), R0
	MOVD gr+8(FP), R1
	MOVD m+16(FP), R2
	MOVD v+24(FP), R3
	MOVD n+32(FP), R4
	MOVD c+40(FP), R5
	VLD1 (R5), [V0.S4] // c[0..3]
	ADD  $12, R5
	VLD1 (R5), [V1.S4] // c[3..6]
	VDUP V0.S[0], V16.S4
	VDUP V0.S[1], V17.S4
	VDUP V0.S[2], V18.S4
	VDUP V0.S[3], V19.S4
	VDUP V1.S[1], V20.S4
	VDUP V1.S[2], V21.S4
	VDUP V1.S[3], V22.S4
	FMOVS $1.0, F2
	VDUP V2.S[0], V2.S4
	FSUB4(23, 2, 17) // fsub v23.4s, v2.4s, v17.4s
	FSUB4(24, 2, 18) // fsub v24.4s, v2.4s, v18.4s

adamLoop:
	CBZ  R4, adamDone
	VLD1 (R0), [V0.S4]
	VLD1.P 16(R1), [V1.S4]
	VLD1 (R2), [V2.S4]
	VLD1 (R3), [V3.S4]
	FMUL4(2, 2, 17)  // fmul v2.4s, v2.4s, v17.4s
	FMUL4(4, 1, 23)  // fmul v4.4s, v1.4s, v23.4s
	FADD4(2, 2, 4)   // fadd v2.4s, v2.4s, v4.4s
	FMUL4(4, 1, 24)  // fmul v4.4s, v1.4s, v24.4s
	FMUL4(4, 4, 1)   // fmul v4.4s, v4.4s, v1.4s
	FMUL4(3, 3, 18)  // fmul v3.4s, v3.4s, v18.4s
	FADD4(3, 3, 4)   // fadd v3.4s, v3.4s, v4.4s
	VST1.P [V2.S4], 16(R2)
	VST1.P [V3.S4], 16(R3)
	FDIV4(5, 3, 22)  // fdiv v5.4s, v3.4s, v22.4s
	FSQRT4(5, 5)     // fsqrt v5.4s, v5.4s
	FADD4(5, 5, 19)  // fadd v5.4s, v5.4s, v19.4s
	FDIV4(4, 2, 21)  // fdiv v4.4s, v2.4s, v21.4s
	FDIV4(4, 4, 5)   // fdiv v4.4s, v4.4s, v5.4s
	FMUL4(6, 0, 20)  // fmul v6.4s, v0.4s, v20.4s
	FADD4(4, 4, 6)   // fadd v4.4s, v4.4s, v6.4s
	FMUL4(4, 4, 16)  // fmul v4.4s, v4.4s, v16.4s
	FSUB4(0, 0, 4)   // fsub v0.4s, v0.4s, v4.4s
	VST1.P [V0.S4], 16(R0)
	SUB  $4, R4
	B    adamLoop

adamDone:
	RET

// func rkNEON(out, y *float32, n int, h float32, ns int, b *[7]float32, k *[7]*float32)
//
//	for i := 0; i < n; i++ {
//		var s float32
//		for st := 0; st < ns; st++ { s = float32(b[st]*k[st][i]) + s }   (st ascending)
//		out[i] = float32(h*s) + y[i]
//	}
//
// out may be y. Register map: R0 out, R1 y, R2 n, R3 ns, R4–R10 k[0..6], R11 b/k;
// V16–V22 b[0..6], V23 h; V0 s, V1 k[st] then its product, V2 y.
TEXT ·rkNEON(SB), NOSPLIT, $0-56
	MOVD  out+0(FP), R0
	MOVD  y+8(FP), R1
	MOVD  n+16(FP), R2
	FMOVS h+24(FP), F23
	MOVD  ns+32(FP), R3
	MOVD  b+40(FP), R11
	VLD1  (R11), [V0.S4] // b[0..3]
	ADD   $12, R11
	VLD1  (R11), [V1.S4] // b[3..6]
	VDUP  V0.S[0], V16.S4
	VDUP  V0.S[1], V17.S4
	VDUP  V0.S[2], V18.S4
	VDUP  V0.S[3], V19.S4
	VDUP  V1.S[1], V20.S4
	VDUP  V1.S[2], V21.S4
	VDUP  V1.S[3], V22.S4
	VDUP  V23.S[0], V23.S4
	MOVD  k+48(FP), R11
	LDP   0(R11), (R4, R5)
	LDP   16(R11), (R6, R7)
	LDP   32(R11), (R8, R9)
	MOVD  48(R11), R10

rkLoop:
	CBZ  R2, rkDone
	VEOR V0.B16, V0.B16, V0.B16
	CMP  $1, R3
	BLT  rkStore
	VLD1.P 16(R4), [V1.S4]
	FMUL4(1, 1, 16) // fmul v1.4s, v1.4s, v16.4s
	FADD4(0, 0, 1)  // fadd v0.4s, v0.4s, v1.4s
	CMP  $2, R3
	BLT  rkStore
	VLD1.P 16(R5), [V1.S4]
	FMUL4(1, 1, 17) // fmul v1.4s, v1.4s, v17.4s
	FADD4(0, 0, 1)  // fadd v0.4s, v0.4s, v1.4s
	CMP  $3, R3
	BLT  rkStore
	VLD1.P 16(R6), [V1.S4]
	FMUL4(1, 1, 18) // fmul v1.4s, v1.4s, v18.4s
	FADD4(0, 0, 1)  // fadd v0.4s, v0.4s, v1.4s
	CMP  $4, R3
	BLT  rkStore
	VLD1.P 16(R7), [V1.S4]
	FMUL4(1, 1, 19) // fmul v1.4s, v1.4s, v19.4s
	FADD4(0, 0, 1)  // fadd v0.4s, v0.4s, v1.4s
	CMP  $5, R3
	BLT  rkStore
	VLD1.P 16(R8), [V1.S4]
	FMUL4(1, 1, 20) // fmul v1.4s, v1.4s, v20.4s
	FADD4(0, 0, 1)  // fadd v0.4s, v0.4s, v1.4s
	CMP  $6, R3
	BLT  rkStore
	VLD1.P 16(R9), [V1.S4]
	FMUL4(1, 1, 21) // fmul v1.4s, v1.4s, v21.4s
	FADD4(0, 0, 1)  // fadd v0.4s, v0.4s, v1.4s
	CMP  $7, R3
	BLT  rkStore
	VLD1.P 16(R10), [V1.S4]
	FMUL4(1, 1, 22) // fmul v1.4s, v1.4s, v22.4s
	FADD4(0, 0, 1)  // fadd v0.4s, v0.4s, v1.4s

rkStore:
	VLD1.P 16(R1), [V2.S4]
	FMUL4(0, 0, 23) // fmul v0.4s, v0.4s, v23.4s
	FADD4(2, 2, 0)  // fadd v2.4s, v2.4s, v0.4s
	VST1.P [V2.S4], 16(R0)
	SUB  $4, R2
	B    rkLoop

rkDone:
	RET
