//go:build purego || !(amd64 || arm64)

package kernels

// detect: only the pure-Go tier exists in purego builds and on other architectures.
func detect() {}
