//go:build !linux

package kernels

// threadCPUSeconds is not available here; benchmarks then skip the CPU-time metric.
func threadCPUSeconds() float64 { return 0 }
