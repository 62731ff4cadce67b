// Command peak generates kernels/peak_amd64.s and kernels/peak_stub_amd64.go: register-only
// FMA loops that measure the machine's peak float32 FMA throughput (FMAPeak).
//
// Each loop iteration issues 12 independent VFMADD231PS into 12 accumulators (enough to
// cover a 4-cycle FMA latency on two pipes with room to spare) from one source register,
// touching no memory, like the C probe in ../shared/anchors/limits/fmapeak.c.
//
// Regenerate with: cd kernels/asm && go generate ./...
package main

//go:generate go run . -out ../../peak_amd64.s -stubs ../../peak_stub_amd64.go -pkg kernels

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// chains is the number of independent accumulators per loop iteration.
const chains = 12

func gen(name string, lanes int, acc func(i int) reg.VecPhysical, src reg.VecPhysical) {
	TEXT(name, NOSPLIT, "func(n int) float32")
	Doc(fmt.Sprintf("%s runs n iterations of %d independent %d-lane FMAs (acc_j = src·src + acc_j, src = 1),", name, chains, lanes),
		fmt.Sprintf("%d FLOPs per iteration, on registers only, and returns the sum of every accumulator lane,", 2*chains*lanes),
		fmt.Sprintf("%d·n (exact for n < 2^24/%d), so a test can tell the loop ran; n ≥ 1.", chains*lanes, chains*lanes))
	n := Load(Param("n"), GP64())
	one := XMM()
	t := GP32()
	MOVL(U32(0x3f800000), t) // 1.0: acc stays finite, src·src = 1
	MOVD(t, one)
	VBROADCASTSS(one, src)
	for i := 0; i < chains; i++ {
		VXORPS(acc(i), acc(i), acc(i))
	}
	Label("loop")
	for i := 0; i < chains; i++ {
		VFMADD231PS(src, src, acc(i))
	}
	DECQ(n)
	JNZ(LabelRef("loop"))
	for i := 1; i < chains; i++ {
		VADDPS(acc(i), acc(0), acc(0))
	}
	if lanes == 16 {
		VEXTRACTF64X4(U8(1), reg.Z0, reg.Y1)
		VADDPS(reg.Y1, reg.Y0, reg.Y0)
	}
	VEXTRACTF128(U8(1), reg.Y0, reg.X1)
	VADDPS(reg.X1, reg.X0, reg.X0)
	VMOVHLPS(reg.X0, reg.X0, reg.X1)
	VADDPS(reg.X1, reg.X0, reg.X0)
	VPSHUFD(U8(1), reg.X0, reg.X1)
	VADDSS(reg.X1, reg.X0, reg.X0)
	VZEROUPPER()
	Store(reg.X0, ReturnIndex(0))
	RET()
}

func main() {
	ConstraintExpr("!purego")
	ys := []reg.VecPhysical{reg.Y0, reg.Y1, reg.Y2, reg.Y3, reg.Y4, reg.Y5, reg.Y6, reg.Y7, reg.Y8, reg.Y9, reg.Y10, reg.Y11}
	zs := []reg.VecPhysical{reg.Z0, reg.Z1, reg.Z2, reg.Z3, reg.Z4, reg.Z5, reg.Z6, reg.Z7, reg.Z8, reg.Z9, reg.Z10, reg.Z11}
	gen("fmaPeakAVX2", 8, func(i int) reg.VecPhysical { return ys[i] }, reg.Y15)
	gen("fmaPeakAVX512", 16, func(i int) reg.VecPhysical { return zs[i] }, reg.Z15)
	Generate()
}
