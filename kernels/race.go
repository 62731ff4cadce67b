//go:build race

package kernels

import (
	"runtime"
	"unsafe"
)

// Memory accesses from assembly are not instrumented, so every entry point that may run an
// assembly kernel first tells the race detector what the kernel will read and write (the
// GEMM entry points in gemm_dispatch.go, the vector and activation entry points in
// vec_dispatch.go). Only race builds annotate; norace.go has the empty versions. (The FMA
// probe of FMAPeak touches no memory.)

// raceRead and raceWrite annotate a read or a write of every element of s.
func raceRead(s []float32) {
	if len(s) > 0 {
		runtime.RaceReadRange(unsafe.Pointer(&s[0]), len(s)*4)
	}
}

func raceWrite(s []float32) {
	if len(s) > 0 {
		runtime.RaceWriteRange(unsafe.Pointer(&s[0]), len(s)*4)
	}
}

// raceReadMat and raceWriteMat annotate the rows×cols matrix of s with leading dimension ld
// (the span from its first to its last element).
func raceReadMat(s []float32, rows, cols, ld int)  { raceRead(s[:matLen(rows, cols, ld)]) }
func raceWriteMat(s []float32, rows, cols, ld int) { raceWrite(s[:matLen(rows, cols, ld)]) }
