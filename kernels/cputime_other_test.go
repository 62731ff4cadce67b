//go:build !linux

package kernels

// threadCPUSeconds is unavailable off Linux.
func threadCPUSeconds() (float64, bool) { return 0, false }
