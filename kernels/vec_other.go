//go:build purego || !(amd64 || arm64)

package kernels

// The SIMD hooks of vec_dispatch.go where this build has no vector kernels (purego builds
// and architectures without a SIMD tier): every hook declines, so the references run.

func actSIMD(act Act, x, y []float32) bool              { return false }
func actDerivSIMD(act Act, x, d []float32) bool         { return false }
func actBackSIMD(act Act, z, dy, dz []float32) bool     { return false }
func expSIMD(x, y []float32) bool                       { return false }
func addSIMD(x, y []float32) bool                       { return false }
func mulSIMD(x, y, out []float32) bool                  { return false }
func axpySIMD(alpha float32, x, y []float32) bool       { return false }
func scaleSIMD(alpha float32, x []float32) bool         { return false }
func dotSIMD(x, y []float32) (float32, bool)            { return 0, false }
func sumSqSIMD(x []float32) (float32, bool)             { return 0, false }
func adamSIMD(p, g, m, v []float32, c *[7]float32) bool { return false }
func rkSIMD(out, y []float32, h float32, ns int, b *[maxRKStages]float32, k *[maxRKStages]*float32) bool {
	return false
}
