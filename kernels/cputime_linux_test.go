package kernels

import "syscall"

// threadCPUSeconds returns the CPU time of the calling OS thread (Linux RUSAGE_THREAD), so
// single-threaded benchmarks can report a rate that time-slicing on a shared machine does
// not dilute.
func threadCPUSeconds() (float64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0, false
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9, true
}
