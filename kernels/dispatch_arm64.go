//go:build !purego

package kernels

// detect: ASIMD (NEON) is mandatory on arm64.
func detect() { hasTier[tierNEON] = true }
