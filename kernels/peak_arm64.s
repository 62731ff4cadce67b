//go:build !purego

// The NEON FMA-throughput probe (hand-written; see peak.go for how FMAPeak uses it).

#include "textflag.h"
#include "neon_arm64.h"

// func fmaPeakNEON(n int) float32
//
//	for i := 0; i < n; i++ { for j := 0; j < 16; j++ { acc[j] += src·src } }   (4-lane FMLA, src = 1)
//	return Σ_j Σ_lanes acc[j]   (= 64·n, exact below 2^24)
//
// 16 independent accumulators cover the FMA latency (4 cycles) times two FMA pipes with
// room to spare. Register map: R0 n; V0 src; V16–V31 accumulators.
TEXT ·fmaPeakNEON(SB), NOSPLIT, $0-12
	MOVD  n+0(FP), R0
	FMOVS $1.0, F0
	VDUP  V0.S[0], V0.S4
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
	CBZ  R0, peakSum
	PCALIGN $16

peakLoop:
	VFMLA V0.S4, V0.S4, V16.S4
	VFMLA V0.S4, V0.S4, V17.S4
	VFMLA V0.S4, V0.S4, V18.S4
	VFMLA V0.S4, V0.S4, V19.S4
	VFMLA V0.S4, V0.S4, V20.S4
	VFMLA V0.S4, V0.S4, V21.S4
	VFMLA V0.S4, V0.S4, V22.S4
	VFMLA V0.S4, V0.S4, V23.S4
	VFMLA V0.S4, V0.S4, V24.S4
	VFMLA V0.S4, V0.S4, V25.S4
	VFMLA V0.S4, V0.S4, V26.S4
	VFMLA V0.S4, V0.S4, V27.S4
	VFMLA V0.S4, V0.S4, V28.S4
	VFMLA V0.S4, V0.S4, V29.S4
	VFMLA V0.S4, V0.S4, V30.S4
	VFMLA V0.S4, V0.S4, V31.S4
	SUBS $1, R0
	BNE  peakLoop

peakSum:
	FADD4(16, 16, 17) // fadd v16.4s, v16.4s, v17.4s
	FADD4(18, 18, 19) // fadd v18.4s, v18.4s, v19.4s
	FADD4(20, 20, 21) // fadd v20.4s, v20.4s, v21.4s
	FADD4(22, 22, 23) // fadd v22.4s, v22.4s, v23.4s
	FADD4(24, 24, 25) // fadd v24.4s, v24.4s, v25.4s
	FADD4(26, 26, 27) // fadd v26.4s, v26.4s, v27.4s
	FADD4(28, 28, 29) // fadd v28.4s, v28.4s, v29.4s
	FADD4(30, 30, 31) // fadd v30.4s, v30.4s, v31.4s
	FADD4(16, 16, 18) // fadd v16.4s, v16.4s, v18.4s
	FADD4(20, 20, 22) // fadd v20.4s, v20.4s, v22.4s
	FADD4(24, 24, 26) // fadd v24.4s, v24.4s, v26.4s
	FADD4(28, 28, 30) // fadd v28.4s, v28.4s, v30.4s
	FADD4(16, 16, 20) // fadd v16.4s, v16.4s, v20.4s
	FADD4(24, 24, 28) // fadd v24.4s, v24.4s, v28.4s
	FADD4(16, 16, 24) // fadd v16.4s, v16.4s, v24.4s
	FADDP4(16, 16, 16) // faddp v16.4s, v16.4s, v16.4s
	FADDP2S(16, 16)    // faddp s16, v16.2s
	FMOVS F16, ret+8(FP)
	RET
