package kernels

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// vecSizes cover every tail of 4-, 8- and 16-lane loops, with and without the 4× unrolled
// body.
var vecSizes = []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 257, 1000}

const (
	guardLen = 16
	guardVal = float32(-12345.678)
)

// guarded returns a slice of n elements at element offset off inside a buffer whose
// other elements (the guard bands, and the offset padding) hold guardVal.
func guarded(n, off int) (buf, s []float32) {
	buf = make([]float32, off+n+2*guardLen)
	for i := range buf {
		buf[i] = guardVal
	}
	return buf, buf[guardLen+off : guardLen+off+n]
}

// checkGuards fails if any element of buf outside s changed.
func checkGuards(t *testing.T, what string, buf []float32, off, n int) {
	t.Helper()
	for i, v := range buf {
		if i >= guardLen+off && i < guardLen+off+n {
			continue
		}
		if math.Float32bits(v) != math.Float32bits(guardVal) {
			t.Fatalf("%s: guard element %d (slice is [%d,%d)) overwritten with %g", what, i, guardLen+off, guardLen+off+n, v)
		}
	}
}

func fillRand(r *rand.Rand, s []float32, f func(*rand.Rand) float32) {
	for i := range s {
		s[i] = f(r)
	}
}

func normal(r *rand.Rand) float32 { return float32(r.NormFloat64()) }

// firstDiff returns the first index at which a and b differ in bits, or -1; with anyNaN a
// NaN matches any NaN, whatever the payloads.
func firstDiff(a, b []float32, anyNaN bool) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(anyNaN && a[i] != a[i] && b[i] != b[i]) {
			return i
		}
	}
	return -1
}

// sameBits is firstDiff with NaNs matching (SIMD and Go may propagate different payloads).
func sameBits(a, b []float32) int { return firstDiff(a, b, true) }

// forSizes runs f for every size and offset 0..3.
func forSizes(t *testing.T, f func(t *testing.T, n, off int, r *rand.Rand)) {
	for _, n := range vecSizes {
		for off := 0; off < 4; off++ {
			r := rand.New(rand.NewPCG(uint64(n), uint64(off)))
			f(t, n, off, r)
		}
	}
}

func TestActKernelsSizes(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		forSizes(t, func(t *testing.T, n, off int, r *rand.Rand) {
			for act, deriv := range actCases {
				xb, x := guarded(n, off)
				fillRand(r, x, randActInput)
				x0 := append([]float32(nil), x...)
				yb, y := guarded(n, (off+1)%4)
				applyAct(act, deriv, x, y)
				what := fmt.Sprintf("%v deriv=%v n=%d off=%d", act, deriv, n, off)
				checkGuards(t, what+" y", yb, (off+1)%4, n)
				checkGuards(t, what+" x", xb, off, n)
				if i := sameBits(x, x0); i >= 0 {
					t.Fatalf("%s: input changed at %d", what, i)
				}
				for i := range x {
					if ref, ok := actCheck(act, deriv, x[i], y[i]); !ok {
						t.Fatalf("%s: [%d] f(%g) = %g, want %g", what, i, x[i], y[i], ref)
					}
				}
				// In place (y == x) gives the same bits.
				applyAct(act, deriv, x, x)
				if i := sameBits(x, y); i >= 0 {
					t.Fatalf("%s: in-place result differs at %d: %g vs %g", what, i, x[i], y[i])
				}
				checkGuards(t, what+" in place", xb, off, n)
			}
			xb, x := guarded(n, off)
			fillRand(r, x, randActInput)
			yb, y := guarded(n, 3-off)
			Exp(x, y)
			checkGuards(t, "exp", yb, 3-off, n)
			checkGuards(t, "exp x", xb, off, n)
			for i := range x {
				if ref, ok := expCheck(x[i], y[i]); !ok {
					t.Fatalf("exp n=%d: e^%g = %g, want %g", n, x[i], y[i], ref)
				}
			}
		})
	})
}

func TestActBackward(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		for _, mn := range [][2]int{{1, 1}, {3, 7}, {5, 17}, {4, 33}, {2, 100}, {9, 16}} {
			m, n := mn[0], mn[1]
			for act := Identity; act < numActs; act++ {
				for _, withBias := range []bool{false, true} {
					r := rand.New(rand.NewPCG(uint64(m*1000+n), uint64(act)))
					ld := n + 3
					zb, z := guarded(m*ld, 1)
					dyb, dy := guarded(m*ld, 2)
					dzb, dz := guarded(m*ld, 3)
					fillRand(r, z, randActInput)
					fillRand(r, dy, normal)
					z0, dy0 := append([]float32(nil), z...), append([]float32(nil), dy...)
					var dbias, db0 []float32
					if withBias {
						dbias = make([]float32, n)
						fillRand(r, dbias, normal)
						db0 = append([]float32(nil), dbias...)
					}
					ActBackward(act, m, n, dy, ld, z, ld, dz, ld, dbias)
					what := fmt.Sprintf("%v %dx%d bias=%v", act, m, n, withBias)
					checkGuards(t, what, zb, 1, m*ld)
					checkGuards(t, what, dyb, 2, m*ld)
					checkGuards(t, what, dzb, 3, m*ld)
					if sameBits(z, z0) >= 0 || sameBits(dy, dy0) >= 0 {
						t.Fatalf("%s: inputs changed", what)
					}
					for i := 0; i < m; i++ {
						for j := 0; j < ld; j++ {
							got := dz[i*ld+j]
							if j >= n {
								if math.Float32bits(got) != math.Float32bits(guardVal) {
									t.Fatalf("%s: padding dz[%d,%d] written", what, i, j)
								}
								continue
							}
							zv, g := z[i*ld+j], dy[i*ld+j]
							ref, ok := actCheck(act, true, zv, got/g)
							want := g * ref
							if g == 0 || math.IsInf(float64(g), 0) {
								ok = math.Float32bits(got) == math.Float32bits(want) || (got != got && want != want)
							} else if !ok && math.Abs(float64(got)-float64(want)) <= 2*0x1p-24*math.Abs(float64(want))+actBound(act, true, zv, ref)*math.Abs(float64(g)) {
								ok = true // the division above re-rounded
							}
							if !ok {
								t.Fatalf("%s: dz[%d,%d] = %g, want dy·act'(z) = %g·%g", what, i, j, got, g, ref)
							}
						}
					}
					if withBias {
						// The column sums run in row order: recompute them from dz exactly.
						for j := 0; j < n; j++ {
							s := db0[j]
							for i := 0; i < m; i++ {
								s += dz[i*ld+j]
							}
							if math.Float32bits(s) != math.Float32bits(dbias[j]) && !(s != s && dbias[j] != dbias[j]) {
								t.Fatalf("%s: dbias[%d] = %g, want row-order sum %g", what, j, dbias[j], s)
							}
						}
					}
					// dz may alias dy.
					cp := append([]float32(nil), dy...)
					ActBackward(act, m, n, cp, ld, z, ld, cp, ld, nil)
					for i := 0; i < m; i++ {
						if k := sameBits(cp[i*ld:i*ld+n], dz[i*ld:i*ld+n]); k >= 0 {
							t.Fatalf("%s: aliased dz differs in row %d col %d", what, i, k)
						}
					}
				}
			}
		}
	})
}

func TestAxpyScaleExact(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		forSizes(t, func(t *testing.T, n, off int, r *rand.Rand) {
			for _, alpha := range []float32{0, 1, -1, 0.3, float32(r.NormFloat64())} {
				xb, x := guarded(n, off)
				yb, y := guarded(n, 3-off)
				fillRand(r, x, normal)
				fillRand(r, y, normal)
				x0 := append([]float32(nil), x...)
				want := append([]float32(nil), y...)
				RefAxpy(alpha, x, want)
				Axpy(alpha, x, y)
				checkGuards(t, "axpy y", yb, 3-off, n)
				checkGuards(t, "axpy x", xb, off, n)
				if i := sameBits(x, x0); i >= 0 {
					t.Fatalf("axpy changed x[%d]", i)
				}
				if i := sameBits(y, want); i >= 0 {
					t.Fatalf("axpy n=%d alpha=%g: y[%d] = %g, want %g", n, alpha, i, y[i], want[i])
				}
				want = append(want[:0], x...)
				RefScale(alpha, want)
				Scale(alpha, x)
				checkGuards(t, "scale", xb, off, n)
				if i := sameBits(x, want); i >= 0 {
					t.Fatalf("scale n=%d: x[%d] = %g, want %g", n, i, x[i], want[i])
				}
			}
		})
	})
}

func TestDotSumSq(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		forSizes(t, func(t *testing.T, n, off int, r *rand.Rand) {
			xb, x := guarded(n, off)
			yb, y := guarded(n, 3-off)
			fillRand(r, x, normal)
			fillRand(r, y, normal)
			x0, y0 := append([]float32(nil), x...), append([]float32(nil), y...)
			var abs, sq float64
			for i := range x {
				abs += math.Abs(float64(x[i]) * float64(y[i]))
				sq += float64(x[i]) * float64(x[i])
			}
			// Each float32 FMA chain of length ≤ n rounds at most n times, plus the final tree.
			tol := float64(n+8) * 0x1p-24
			if got, want := Dot(x, y), RefDot(x, y); math.Abs(float64(got-want)) > tol*abs+1e-30 {
				t.Fatalf("dot n=%d: %g, want %g (tol %g)", n, got, want, tol*abs)
			}
			if got, want := SumSq(x), RefSumSq(x); math.Abs(float64(got-want)) > tol*sq+1e-30 {
				t.Fatalf("sumsq n=%d: %g, want %g", n, got, want)
			}
			checkGuards(t, "dot x", xb, off, n)
			checkGuards(t, "dot y", yb, 3-off, n)
			if sameBits(x, x0) >= 0 || sameBits(y, y0) >= 0 {
				t.Fatal("dot changed its inputs")
			}
			// Exact on small integers (every partial sum is an integer below 2^24).
			for i := range x {
				x[i], y[i] = float32(r.IntN(9)-4), float32(r.IntN(9)-4)
			}
			var ref float32
			for i := range x {
				ref += x[i] * y[i]
			}
			if got := Dot(x, y); got != ref {
				t.Fatalf("dot of small integers n=%d: %g, want %g", n, got, ref)
			}
			// Same bits on every call (fixed lane order).
			fillRand(r, x, normal)
			if a, b := Dot(x, y), Dot(x, y); math.Float32bits(a) != math.Float32bits(b) {
				t.Fatal("dot is not deterministic")
			}
		})
	})
}

// TestMul checks Mul on every tier (the amd64 tiers run the generated multiply) bit for bit
// against x·y, with offsets, guard bands, inputs unchanged and in place.
func TestMul(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		forSizes(t, func(t *testing.T, n, off int, r *rand.Rand) {
			xb, x := guarded(n, off)
			yb, y := guarded(n, (off+1)%4)
			ob, out := guarded(n, 3-off)
			fillRand(r, x, normal)
			fillRand(r, y, normal)
			x0, y0 := append([]float32(nil), x...), append([]float32(nil), y...)
			want := make([]float32, n)
			for i := range want {
				want[i] = x0[i] * y0[i]
			}
			Mul(x, y, out)
			what := fmt.Sprintf("mul n=%d off=%d", n, off)
			checkGuards(t, what+" out", ob, 3-off, n)
			checkGuards(t, what+" x", xb, off, n)
			checkGuards(t, what+" y", yb, (off+1)%4, n)
			if sameBits(x, x0) >= 0 || sameBits(y, y0) >= 0 {
				t.Fatalf("%s: inputs changed", what)
			}
			if i := sameBits(out, want); i >= 0 {
				t.Fatalf("%s: out[%d] = %g, want %g", what, i, out[i], want[i])
			}
			Mul(x, y, x) // in place
			if i := sameBits(x, want); i >= 0 {
				t.Fatalf("%s in place: x[%d] = %g, want %g", what, i, x[i], want[i])
			}
		})
	})
}

func TestAdamExact(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		forSizes(t, func(t *testing.T, n, off int, r *rand.Rand) {
			for step, wd := range []float32{0, 0.01} {
				c := &AdamParams{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WD: wd}
				c.BC1 = 1 - float32(math.Pow(0.9, float64(step+3)))
				c.BC2 = 1 - float32(math.Pow(0.999, float64(step+3)))
				bufs := make([][]float32, 4)
				sl := make([][]float32, 4)
				for k := range sl {
					bufs[k], sl[k] = guarded(n, (off+k)%4)
					fillRand(r, sl[k], normal)
				}
				for i := range sl[3] {
					sl[3][i] = sl[3][i] * sl[3][i] // v ≥ 0
				}
				want := make([][]float32, 4)
				for k := range want {
					want[k] = append([]float32(nil), sl[k]...)
				}
				g0 := append([]float32(nil), sl[1]...)
				RefAdam(want[0], want[1], want[2], want[3], c)
				Adam(sl[0], sl[1], sl[2], sl[3], c)
				for k, name := range []string{"p", "g", "m", "v"} {
					checkGuards(t, "adam "+name, bufs[k], (off+k)%4, n)
					if i := sameBits(sl[k], want[k]); i >= 0 {
						t.Fatalf("adam n=%d: %s[%d] = %g, want %g", n, name, i, sl[k][i], want[k][i])
					}
				}
				if sameBits(sl[1], g0) >= 0 {
					t.Fatal("adam changed g")
				}
			}
		})
	})
}

func TestRKCombineExact(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		forSizes(t, func(t *testing.T, n, off int, r *rand.Rand) {
			for ns := 0; ns <= 9; ns++ {
				b := make([]float32, ns)
				ks := make([][]float32, ns)
				kb := make([][]float32, ns)
				for s := range ks {
					if r.IntN(4) > 0 {
						b[s] = float32(r.NormFloat64())
					}
					kb[s], ks[s] = guarded(n, (off+s)%4)
					fillRand(r, ks[s], normal)
				}
				h := float32(0.01 + r.Float64())
				yb, y := guarded(n, off)
				fillRand(r, y, normal)
				y0 := append([]float32(nil), y...)
				ob, out := guarded(n, 3-off)
				want := make([]float32, n)
				RefRKCombine(want, y, h, b, ks)
				RKCombine(out, y, h, b, ks)
				what := fmt.Sprintf("rk n=%d stages=%d", n, ns)
				checkGuards(t, what+" out", ob, 3-off, n)
				checkGuards(t, what+" y", yb, off, n)
				for s := range ks {
					checkGuards(t, what+" k", kb[s], (off+s)%4, n)
				}
				if sameBits(y, y0) >= 0 {
					t.Fatalf("%s: y changed", what)
				}
				if i := sameBits(out, want); i >= 0 {
					t.Fatalf("%s: out[%d] = %g, want %g", what, i, out[i], want[i])
				}
				RKCombine(y, y, h, b, ks) // out may alias y
				if i := sameBits(y, want); i >= 0 {
					t.Fatalf("%s in place: y[%d] = %g, want %g", what, i, y[i], want[i])
				}
			}
		})
	})
}

func TestVecZeroAllocs(t *testing.T) {
	x := make([]float32, 300)
	y := make([]float32, 300)
	g := make([]float32, 300)
	m := make([]float32, 300)
	v := make([]float32, 300)
	ks := [][]float32{x, y, g, m, v, x, y}
	b := []float32{0.1, 0.2, 0, 0.3, 0.4, 0.5, 0.6}
	c := &AdamParams{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, BC1: 0.1, BC2: 0.001}
	dbias := make([]float32, 30)
	forEachTier(t, func(t *testing.T) {
		var sink float32
		allocs := testing.AllocsPerRun(50, func() {
			for act := Identity; act < numActs; act++ {
				ActForward(act, x, y)
				ActDeriv(act, x, y)
				ActBackward(act, 10, 30, x, 30, y, 30, g, 30, dbias)
			}
			Exp(x, y)
			Axpy(0.5, x, y)
			Scale(0.5, y)
			sink += Dot(x, y) + SumSq(x)
			Adam(x, g, m, v, c)
			RKCombine(y, x, 0.1, b, ks)
		})
		if allocs != 0 {
			t.Errorf("%g allocations per run, want 0", allocs)
		}
		_ = sink
	})
}

// TestAVX2UsesOnlyVEXRegisters: an AVX2 kernel must not touch Y16–Y31, Z or K registers
// (EVEX-only, so they would fault on a CPU without AVX-512). Avo's allocator picks the
// lowest free registers, so this catches a kernel whose register pressure grew past 16.
func TestAVX2UsesOnlyVEXRegisters(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("amd64 assembly")
	}
	bad := regexp.MustCompile(`\b([XY](1[6-9]|2[0-9]|3[01])|Z[0-9]+|K[0-7])\b`)
	for _, file := range []string{"vec_amd64.s", "peak_amd64.s"} {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		fn, n := "", 0
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "TEXT ") {
				fn = line
				n++
			}
			if strings.Contains(fn, "AVX2") && bad.MatchString(line) {
				t.Errorf("%s: %s uses an EVEX-only register: %s", file, fn, line)
			}
		}
		f.Close()
		if n == 0 {
			t.Errorf("%s: no TEXT symbols", file)
		}
	}
}
