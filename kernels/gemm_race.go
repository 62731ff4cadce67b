//go:build race

package kernels

import (
	"runtime"
	"unsafe"
)

// raceRead and raceWrite tell the race detector about the memory the GEMM reads and writes,
// since accesses from assembly are not instrumented. Only race builds annotate.
func raceRead(s []float32, rows, cols, ld int) {
	if n := matLen(rows, cols, ld); n > 0 {
		runtime.RaceReadRange(unsafe.Pointer(&s[0]), n*4)
	}
}

func raceWrite(s []float32, rows, cols, ld int) {
	if n := matLen(rows, cols, ld); n > 0 {
		runtime.RaceWriteRange(unsafe.Pointer(&s[0]), n*4)
	}
}
