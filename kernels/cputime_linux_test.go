package kernels

import (
	"syscall"
	"unsafe"
)

// threadCPUSeconds returns the CPU time consumed by the calling OS thread (lock the
// goroutine to its thread around a measurement). On a shared machine it excludes the time
// the thread waited for a core, so rates computed from it are less noisy than wall time.
func threadCPUSeconds() float64 {
	const clockThreadCPUTimeID = 3
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return float64(ts.Sec) + 1e-9*float64(ts.Nsec)
}
