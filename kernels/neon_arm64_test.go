//go:build !purego

package kernels

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// On arm64 the NEON tier is the default (ASIMD is mandatory there) unless
// FLOWBENCH_KERNELS forces another; CI runs this test both ways.
func TestNEONIsDefault(t *testing.T) {
	if !hasTier[tierNEON] {
		t.Fatal("NEON tier not available on arm64")
	}
	want := TierNEON
	if v := os.Getenv("FLOWBENCH_KERNELS"); v != "" {
		want = v
	}
	if got := tierNames[tier]; got != want && EnvError() == nil {
		t.Fatalf("selected tier %q, want %q", got, want)
	}
	if gemmImpls[tierNEON] == nil || gemmImpls[tierNEON].kern == nil {
		t.Fatal("no NEON GEMM micro-kernel installed")
	}
}

// TestNEONGemmKernelStrides drives the 8×12 micro-kernel directly on every A layout the
// driver uses (packed: rsa = 1, csa = 8; TN: rsa = 1, csa = lda; in place: rsa = lda,
// csa = 1) and on one it never uses (rsa, csa both > 1), with k over the 4-step unroll's
// tails, alpha/beta in {0, 1, other}, with and without bias. Inputs are small integers
// and the scalars powers-of-two fractions, so every result is exact and compared bit for
// bit; C has guard cells right of the tile and below it, and a NaN C must not leak when
// beta == 0.
func TestNEONGemmKernelStrides(t *testing.T) {
	const mr, nr, ldc = 8, 12, 15
	r := rand.New(rand.NewPCG(7, 11))
	small := func() float32 { return float32(r.IntN(9) - 4) }
	for _, k := range []int{1, 2, 3, 4, 5, 7, 8, 9, 13} {
		layouts := []struct {
			name     string
			rsa, csa int
		}{{"packed", 1, mr}, {"tn", 1, mr + 3}, {"inplace", k + 3, 1}, {"strided", 2, 17}}
		for _, lay := range layouts {
			a := make([]float32, (mr-1)*lay.rsa+(k-1)*lay.csa+1)
			for i := range a {
				a[i] = small()
			}
			b := make([]float32, k*nr)
			for i := range b {
				b[i] = small()
			}
			bias := make([]float32, nr)
			for i := range bias {
				bias[i] = small()
			}
			for _, alpha := range []float32{1, -0.5} {
				for _, beta := range []float32{0, 1, 0.75} {
					for _, withBias := range []bool{false, true} {
						c := make([]float32, (mr+1)*ldc)
						c0 := make([]float32, len(c))
						for i := range c {
							c[i] = small()
							if beta == 0 {
								c[i] = float32(math.NaN())
							}
							if i%ldc >= nr || i >= mr*ldc {
								c[i] = 1234.5 // guard
							}
							c0[i] = c[i]
						}
						var bp *float32
						if withBias {
							bp = &bias[0]
						}
						gemmKernNEON_8x12(k, &a[0], lay.rsa, lay.csa, &b[0], &c[0], ldc, alpha, beta, bp)
						for i := range c {
							row, col := i/ldc, i%ldc
							if row >= mr || col >= nr {
								if c[i] != 1234.5 {
									t.Fatalf("%s k=%d: guard c[%d,%d] overwritten with %g", lay.name, k, row, col, c[i])
								}
								continue
							}
							var acc float64
							for p := 0; p < k; p++ {
								acc += float64(a[row*lay.rsa+p*lay.csa]) * float64(b[p*nr+col])
							}
							want := float64(alpha) * acc
							if withBias {
								want += float64(bias[col])
							}
							if beta != 0 {
								want += float64(beta) * float64(c0[i])
							}
							if c[i] != float32(want) {
								t.Fatalf("%s k=%d alpha=%g beta=%g bias=%v: c[%d,%d] = %g, want %g",
									lay.name, k, alpha, beta, withBias, row, col, c[i], want)
							}
						}
					}
				}
			}
		}
	}
}

// TestNEONTailsAndAliasing checks that the 4-lane NEON routines and their padded tails
// agree: every elementwise kernel gives the same bits for an element whether it sits in
// the vector body or in the tail, in place or not.
func TestNEONTailsAndAliasing(t *testing.T) {
	prev := Impl()
	defer func() { _ = SetImpl(prev) }()
	if err := SetImpl(TierNEON); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 5))
	x := make([]float32, 23)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 4)
	}
	for act, deriv := range actCases {
		full := make([]float32, len(x))
		applyAct(act, deriv, x, full)
		for n := 1; n <= len(x); n++ {
			// Shift the window so each element lands at every position mod 4.
			for off := 0; off < 4 && off < n; off++ {
				part := make([]float32, n-off)
				applyAct(act, deriv, x[off:n], part)
				if i := firstDiff(part, full[off:n], false); i >= 0 {
					t.Fatalf("%v deriv=%v n=%d off=%d: element %d = %g, whole-slice run gave %g", act, deriv, n, off, off+i, part[i], full[off+i])
				}
			}
		}
		in := append([]float32(nil), x...)
		applyAct(act, deriv, in, in)
		if i := firstDiff(in, full, false); i >= 0 {
			t.Fatalf("%v deriv=%v in place: element %d = %g, want %g", act, deriv, i, in[i], full[i])
		}
	}
}

// TestNEONGemmDot drives the small-n dot kernel directly: exact on small integers, with
// padded leading dimensions and a guard after the 8 outputs.
func TestNEONGemmDot(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 17))
	for _, k := range []int{0, 8, 16, 24, 64} {
		lda, ldb := k+5, k+3
		a := make([]float32, 3*lda+k+1)
		b := make([]float32, ldb+k+1)
		for i := range a {
			a[i] = float32(r.IntN(9) - 4)
		}
		for i := range b {
			b[i] = float32(r.IntN(9) - 4)
		}
		out := make([]float32, 9)
		for i := range out {
			out[i] = float32(math.NaN())
		}
		out[8] = 1234.5
		gemmDotNEON_4x2(k, &a[0], lda, &b[0], ldb, &out[0])
		for rr := 0; rr < 4; rr++ {
			for j := 0; j < 2; j++ {
				var s float32
				for p := 0; p < k; p++ {
					s += a[rr*lda+p] * b[j*ldb+p]
				}
				if out[2*rr+j] != s {
					t.Fatalf("k=%d: out[%d] = %g, want %g", k, 2*rr+j, out[2*rr+j], s)
				}
			}
		}
		if out[8] != 1234.5 {
			t.Fatalf("k=%d: guard overwritten", k)
		}
	}
}
