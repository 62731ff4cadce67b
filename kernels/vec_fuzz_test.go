package kernels

import (
	"encoding/binary"
	"math"
	"testing"
)

// floatsFrom reads little-endian float32s from data (any bit pattern, NaNs included).
func floatsFrom(data []byte) []float32 {
	out := make([]float32, len(data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return out
}

// FuzzAct checks every activation, its derivative and Exp on arbitrary inputs, at every
// tier, against the references within the documented bounds.
func FuzzAct(f *testing.F) {
	seed := make([]byte, 0, 4*len(specials))
	for _, v := range specials {
		seed = binary.LittleEndian.AppendUint32(seed, math.Float32bits(v))
	}
	f.Add(seed, uint8(SiLU), false)
	f.Add(seed[:4*17], uint8(GELU), true)
	f.Add([]byte{0, 0, 0x80, 0xbf}, uint8(Tanh), false)
	f.Fuzz(func(t *testing.T, data []byte, a uint8, deriv bool) {
		act := Act(a % uint8(numActs))
		x := floatsFrom(data)
		y := make([]float32, len(x))
		forEachTier(t, func(t *testing.T) {
			applyAct(act, deriv, x, y)
			for i := range x {
				if ref, ok := actCheck(act, deriv, x[i], y[i]); !ok {
					t.Fatalf("%v deriv=%v (%g = %#08x) = %g, want %g", act, deriv, x[i], math.Float32bits(x[i]), y[i], ref)
				}
			}
			Exp(x, y)
			for i := range x {
				if ref, ok := expCheck(x[i], y[i]); !ok {
					t.Fatalf("exp(%g) = %g, want %g", x[i], y[i], ref)
				}
			}
		})
	})
}

// FuzzVec checks the bit-exact vector kernels (axpy, scale, Adam, RK combination) and the
// bounded reductions (dot, sum of squares) on arbitrary inputs at every tier.
func FuzzVec(f *testing.F) {
	f.Add([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), float32(0.5), uint8(3))
	f.Add(make([]byte, 4*37), float32(-2), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, alpha float32, stages uint8) {
		v := floatsFrom(data)
		n := len(v) / 2
		x, y := v[:n], v[n:2*n]
		forEachTier(t, func(t *testing.T) {
			got, want := append([]float32(nil), y...), append([]float32(nil), y...)
			Axpy(alpha, x, got)
			RefAxpy(alpha, x, want)
			if i := sameBits(got, want); i >= 0 {
				t.Fatalf("axpy[%d] = %g, want %g", i, got[i], want[i])
			}
			got, want = append(got[:0], x...), append(want[:0], x...)
			Scale(alpha, got)
			RefScale(alpha, want)
			if i := sameBits(got, want); i >= 0 {
				t.Fatalf("scale[%d] = %g, want %g", i, got[i], want[i])
			}
			// Mul: one rounding per product, the same bits as x[i]·y[i] (NaN payloads aside).
			got = append(got[:0], y...)
			Mul(x, y, got)
			for i := range x {
				if w := x[i] * y[i]; math.Float32bits(got[i]) != math.Float32bits(w) && !(w != w && got[i] != got[i]) {
					t.Fatalf("mul[%d] = %g, want %g", i, got[i], w)
				}
			}
			// Reductions: finite inputs only (an Inf−Inf NaN is order dependent).
			var abs float64
			finite := true
			for i := range x {
				p := math.Abs(float64(x[i]) * float64(y[i]))
				finite = finite && !math.IsNaN(p) && !math.IsInf(p, 0) && math.Abs(float64(x[i])) < 1e18 && math.Abs(float64(y[i])) < 1e18
				abs += p
			}
			if finite {
				tol := float64(n+8)*0x1p-24*abs + 1e-37
				if d, r := Dot(x, y), RefDot(x, y); math.Abs(float64(d)-float64(r)) > tol {
					t.Fatalf("dot = %g, want %g", d, r)
				}
			}
			// Adam with hyper-parameters from the data; v = y² keeps it non-negative.
			c := &AdamParams{LR: alpha, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WD: 0.01, BC1: 0.5, BC2: 0.25}
			p1, g1, m1, v1 := append([]float32(nil), x...), append([]float32(nil), y...), append([]float32(nil), y...), make([]float32, n)
			for i := range v1 {
				v1[i] = y[i] * y[i]
			}
			p2, g2, m2, v2 := append([]float32(nil), p1...), append([]float32(nil), g1...), append([]float32(nil), m1...), append([]float32(nil), v1...)
			Adam(p1, g1, m1, v1, c)
			RefAdam(p2, g2, m2, v2, c)
			for _, pr := range [][2][]float32{{p1, p2}, {m1, m2}, {v1, v2}} {
				if i := sameBits(pr[0], pr[1]); i >= 0 {
					t.Fatalf("adam[%d] = %g, want %g", i, pr[0][i], pr[1][i])
				}
			}
			ns := int(stages % 10)
			b := make([]float32, ns)
			ks := make([][]float32, ns)
			for s := range ks {
				b[s] = alpha * float32(s-2)
				ks[s] = x
				if s%2 == 1 {
					ks[s] = y
				}
			}
			out, ref := make([]float32, n), make([]float32, n)
			RKCombine(out, y, alpha, b, ks)
			RefRKCombine(ref, y, alpha, b, ks)
			if i := sameBits(out, ref); i >= 0 {
				t.Fatalf("rk[%d] = %g, want %g", i, out[i], ref[i])
			}
		})
	})
}
