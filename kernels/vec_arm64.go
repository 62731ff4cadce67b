//go:build !purego

package kernels

import "unsafe"

// The arm64 SIMD hooks of vec_dispatch.go for the "neon" tier: each declines unless NEON
// is selected, runs the NEON routine of vec_arm64.s / act_arm64.s over the whole multiple
// of 4 elements and the last 1..3 elements through a zero-padded 4-element buffer on the
// stack (so no routine reads or writes outside its operands, and nothing allocates).

//go:noescape
func axpyNEON(alpha float32, x, y *float32, n int)

//go:noescape
func addNEON(x, y *float32, n int)

//go:noescape
func scaleNEON(alpha float32, x *float32, n int)

//go:noescape
func dotNEON(x, y *float32, n int) float32

//go:noescape
func sumSqNEON(x *float32, n int) float32

//go:noescape
func adamNEON(p, gr, m, v *float32, n int, c *[7]float32)

//go:noescape
func rkNEON(out, y *float32, n int, h float32, ns int, b *[7]float32, k *[7]*float32)

// split returns the length handled by whole vectors and the tail length (0..3).
func split(n int) (int, int) { return n &^ 3, n & 3 }

// axpySIMD runs y = alpha·x + y (fused) on NEON.
func axpySIMD(alpha float32, x, y []float32) bool {
	if tier != tierNEON {
		return false
	}
	n4, t := split(len(x))
	if n4 > 0 {
		axpyNEON(alpha, &x[0], &y[0], n4)
	}
	if t > 0 {
		var bx, by [4]float32
		copy(bx[:], x[n4:])
		copy(by[:], y[n4:n4+t])
		axpyNEON(alpha, &bx[0], &by[0], 4)
		copy(y[n4:n4+t], by[:t])
	}
	return true
}

// mulSIMD declines on arm64: Mul and ScaleCols run their pure-Go loop there.
func mulSIMD(x, y, out []float32) bool { return false }

// addSIMD runs y += x on NEON.
func addSIMD(x, y []float32) bool {
	if tier != tierNEON {
		return false
	}
	n4, t := split(len(x))
	if n4 > 0 {
		addNEON(&x[0], &y[0], n4)
	}
	if t > 0 {
		var bx, by [4]float32
		copy(bx[:], x[n4:])
		copy(by[:], y[n4:n4+t])
		addNEON(&bx[0], &by[0], 4)
		copy(y[n4:n4+t], by[:t])
	}
	return true
}

// scaleSIMD runs x *= alpha on NEON.
func scaleSIMD(alpha float32, x []float32) bool {
	if tier != tierNEON {
		return false
	}
	n4, t := split(len(x))
	if n4 > 0 {
		scaleNEON(alpha, &x[0], n4)
	}
	if t > 0 {
		var bx [4]float32
		copy(bx[:], x[n4:])
		scaleNEON(alpha, &bx[0], 4)
		copy(x[n4:], bx[:t])
	}
	return true
}

// dotSIMD returns Σ x·y on NEON: the whole vectors in 16 lanes, reduced in a fixed order,
// plus the tail's own 4-lane sum.
func dotSIMD(x, y []float32) (float32, bool) {
	if tier != tierNEON {
		return 0, false
	}
	n4, t := split(len(x))
	var s float32
	if n4 > 0 {
		s = dotNEON(&x[0], &y[0], n4)
	}
	if t > 0 {
		var bx, by [4]float32
		copy(bx[:], x[n4:])
		copy(by[:], y[n4:n4+t])
		s += dotNEON(&bx[0], &by[0], 4)
	}
	return s, true
}

// sumSqSIMD returns Σ x² on NEON, in the order of dotSIMD.
func sumSqSIMD(x []float32) (float32, bool) {
	if tier != tierNEON {
		return 0, false
	}
	n4, t := split(len(x))
	var s float32
	if n4 > 0 {
		s = sumSqNEON(&x[0], n4)
	}
	if t > 0 {
		var bx [4]float32
		copy(bx[:], x[n4:])
		s += sumSqNEON(&bx[0], 4)
	}
	return s, true
}

// adamSIMD runs the fused Adam step on NEON (c: the AdamParams fields in order). The
// padding lanes of the tail see g = m = v = p = 0 and BC > 0, so they compute finite
// values that are discarded.
func adamSIMD(p, g, m, v []float32, c *[7]float32) bool {
	if tier != tierNEON {
		return false
	}
	n4, t := split(len(p))
	if n4 > 0 {
		adamNEON(&p[0], &g[0], &m[0], &v[0], n4, c)
	}
	if t > 0 {
		var bp, bg, bm, bv [4]float32
		copy(bp[:], p[n4:])
		copy(bg[:], g[n4:])
		copy(bm[:], m[n4:])
		copy(bv[:], v[n4:])
		adamNEON(&bp[0], &bg[0], &bm[0], &bv[0], 4, c)
		copy(p[n4:], bp[:t])
		copy(m[n4:], bm[:t])
		copy(v[n4:], bv[:t])
	}
	return true
}

// rkSIMD runs the RK stage combination of ns nonzero stages on NEON.
func rkSIMD(out, y []float32, h float32, ns int, b *[maxRKStages]float32, k *[maxRKStages]*float32) bool {
	if tier != tierNEON {
		return false
	}
	n4, t := split(len(y))
	if n4 > 0 {
		rkNEON(&out[0], &y[0], n4, h, ns, b, k)
	}
	if t > 0 {
		var bo, by [4]float32
		var bk [maxRKStages][4]float32
		var kp [maxRKStages]*float32
		copy(by[:], y[n4:])
		for s := 0; s < ns; s++ {
			copy(bk[s][:], unsafe.Slice((*k)[s], n4+t)[n4:])
			kp[s] = &bk[s][0]
		}
		rkNEON(&bo[0], &by[0], 4, h, ns, b, &kp)
		copy(out[n4:n4+t], bo[:t])
	}
	return true
}
