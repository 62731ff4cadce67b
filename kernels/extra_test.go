package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

var extraSizes = []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 257}

const xguard = float32(-12345.5)

func xguarded(rng *rand.Rand, off, n int) ([]float32, []float32) {
	buf := make([]float32, off+n+8)
	for i := range buf {
		buf[i] = xguard
	}
	v := buf[off : off+n]
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return buf, v
}

func xcheckGuards(t *testing.T, buf []float32, off, n int) {
	t.Helper()
	for i, x := range buf {
		if (i < off || i >= off+n) && x != xguard {
			t.Fatalf("guard at %d overwritten: %v", i, x)
		}
	}
}

// TestMul checks Mul on every tier (the amd64 tiers run the generated multiply) bit for bit
// against x·y, with offsets, guard bands and aliasing.
func TestMul(t *testing.T) { forEachTier(t, testMul) }

func testMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range extraSizes {
		for off := 0; off < 4; off++ {
			_, x := xguarded(rng, off, n)
			_, y := xguarded(rng, (off+1)%4, n)
			ob, out := xguarded(rng, off, n)
			x0, y0 := append([]float32(nil), x...), append([]float32(nil), y...)
			Mul(x, y, out)
			xcheckGuards(t, ob, off, n)
			for i := range x {
				if out[i] != x0[i]*y0[i] || x[i] != x0[i] || y[i] != y0[i] {
					t.Fatalf("n=%d off=%d i=%d: out %v, want %v (inputs changed: %v)", n, off, i, out[i], x0[i]*y0[i], x[i] != x0[i] || y[i] != y0[i])
				}
			}
			// In place.
			Mul(x, y, x)
			for i := range x {
				if x[i] != x0[i]*y0[i] {
					t.Fatalf("in place n=%d i=%d", n, i)
				}
			}
		}
	}
}

// TestScaleCols checks ScaleCols on every tier bit for bit, with padded leading dimensions.
func TestScaleCols(t *testing.T) { forEachTier(t, testScaleCols) }

func testScaleCols(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range extraSizes {
		for _, m := range []int{0, 1, 3} {
			for _, pad := range []int{0, 3} {
				lda := max(n+pad, 1)
				buf, _ := xguarded(rng, 1, m*lda)
				a := buf[1 : 1+max(0, m*lda-pad)]
				a0 := append([]float32(nil), buf...)
				v := make([]float32, n)
				for i := range v {
					v[i] = float32(rng.NormFloat64())
				}
				ScaleCols(m, n, a, lda, v)
				for i := 0; i < m; i++ {
					for j := 0; j < lda; j++ {
						got, was := buf[1+i*lda+j], a0[1+i*lda+j]
						want := was
						if j < n {
							want = was * v[j]
						}
						if math.Float32bits(got) != math.Float32bits(want) {
							t.Fatalf("m=%d n=%d lda=%d [%d,%d]: %v, want %v", m, n, lda, i, j, got, want)
						}
					}
				}
				if buf[0] != xguard || buf[len(buf)-1] != xguard {
					t.Fatal("guard overwritten")
				}
			}
		}
	}
}

func TestColSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range extraSizes {
		for _, m := range []int{0, 1, 2, 7, 100} {
			lda := n + 2
			a := make([]float32, m*lda)
			for i := range a {
				a[i] = float32(rng.IntN(17) - 8) // small integers: exact sums
			}
			dst := make([]float32, n+1)
			for i := range dst {
				dst[i] = 99
			}
			ColSums(m, n, a, lda, dst)
			for j := 0; j < n; j++ {
				var s float32
				for i := 0; i < m; i++ {
					s += a[i*lda+j]
				}
				if dst[j] != s {
					t.Fatalf("m=%d n=%d col %d: %v, want %v", m, n, j, dst[j], s)
				}
			}
			if dst[n] != 99 {
				t.Fatal("ColSums wrote past n")
			}
		}
	}
}

func TestExtraPanicsOnShape(t *testing.T) {
	for name, f := range map[string]func(){
		"Mul short y":       func() { Mul(make([]float32, 3), make([]float32, 2), make([]float32, 3)) },
		"Mul short out":     func() { Mul(make([]float32, 3), make([]float32, 3), make([]float32, 2)) },
		"ScaleCols short v": func() { ScaleCols(2, 3, make([]float32, 6), 3, make([]float32, 2)) },
		"ScaleCols short a": func() { ScaleCols(2, 3, make([]float32, 5), 3, make([]float32, 3)) },
		"ColSums short dst": func() { ColSums(2, 3, make([]float32, 6), 3, make([]float32, 2)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
