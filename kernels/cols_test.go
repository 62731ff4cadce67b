package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestScaleCols checks ScaleCols on every tier bit for bit, with padded leading dimensions.
func TestScaleCols(t *testing.T) { forEachTier(t, testScaleCols) }

func testScaleCols(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range vecSizes {
		for _, m := range []int{0, 1, 3} {
			for _, pad := range []int{0, 3} {
				lda := max(n+pad, 1)
				buf, s := guarded(m*lda, 1)
				fillRand(rng, s, normal)
				a := s[:max(0, m*lda-pad)]
				s0 := append([]float32(nil), s...)
				v := make([]float32, n)
				fillRand(rng, v, normal)
				ScaleCols(m, n, a, lda, v)
				what := fmt.Sprintf("m=%d n=%d lda=%d", m, n, lda)
				checkGuards(t, what, buf, 1, m*lda)
				for e, got := range s {
					want := s0[e]
					if j := e % lda; j < n {
						want *= v[j]
					}
					if math.Float32bits(got) != math.Float32bits(want) {
						t.Fatalf("%s [%d,%d]: %v, want %v", what, e/lda, e%lda, got, want)
					}
				}
			}
		}
	}
}

func TestColSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range vecSizes {
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
