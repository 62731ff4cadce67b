//go:build !purego

package kernels

import "github.com/klauspost/cpuid/v2"

// detect reads cpuid once. The AVX2 tier needs exactly AVX2 and FMA3; the AVX-512 tier
// needs AVX512F, AVX512DQ, AVX512BW and AVX512VL (plus what AVX2 needs).
func detect() {
	c := cpuid.CPU
	hasTier[tierAVX2] = c.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3)
	hasTier[tierAVX512] = hasTier[tierAVX2] && c.Supports(cpuid.AVX512F, cpuid.AVX512DQ, cpuid.AVX512BW, cpuid.AVX512VL)
}
