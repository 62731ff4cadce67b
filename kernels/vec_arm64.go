//go:build !purego

package kernels

import "unsafe"

// The arm64 SIMD hooks of vec_dispatch.go for the "neon" tier (the activations' are in
// act_arm64.go): each declines unless NEON is selected and runs its routine of vec_arm64.s
// through a neonCall (neon_arm64.go), which takes the last 1..3 elements through a
// zero-padded 4-element copy on the stack.

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

// axpySIMD runs y = float32(alpha·x) + y on NEON: FMUL then FADD, so the product is
// rounded before the add (not fused), as in RefAxpy.
func axpySIMD(alpha float32, x, y []float32) bool {
	if tier != tierNEON {
		return false
	}
	c := neonCall{ops: [][]float32{x, y}, outs: 1 << 1}
	c.run(len(x), func(m int) float32 { axpyNEON(alpha, c.p(0), c.p(1), m); return 0 })
	return true
}

// mulSIMD declines on arm64: Mul and ScaleCols run their pure-Go loop there.
func mulSIMD(x, y, out []float32) bool { return false }

// addSIMD runs y += x on NEON.
func addSIMD(x, y []float32) bool {
	if tier != tierNEON {
		return false
	}
	c := neonCall{ops: [][]float32{x, y}, outs: 1 << 1}
	c.run(len(x), func(m int) float32 { addNEON(c.p(0), c.p(1), m); return 0 })
	return true
}

// scaleSIMD runs x *= alpha on NEON.
func scaleSIMD(alpha float32, x []float32) bool {
	if tier != tierNEON {
		return false
	}
	c := neonCall{ops: [][]float32{x}, outs: 1 << 0}
	c.run(len(x), func(m int) float32 { scaleNEON(alpha, c.p(0), m); return 0 })
	return true
}

// dotSIMD returns Σ x·y on NEON: the whole vectors in 16 lanes, reduced in a fixed order,
// plus the tail's own 4-lane sum.
func dotSIMD(x, y []float32) (float32, bool) {
	if tier != tierNEON {
		return 0, false
	}
	c := neonCall{ops: [][]float32{x, y}}
	return c.run(len(x), func(m int) float32 { return dotNEON(c.p(0), c.p(1), m) }), true
}

// sumSqSIMD returns Σ x² on NEON, in the order of dotSIMD.
func sumSqSIMD(x []float32) (float32, bool) {
	if tier != tierNEON {
		return 0, false
	}
	c := neonCall{ops: [][]float32{x}}
	return c.run(len(x), func(m int) float32 { return sumSqNEON(c.p(0), m) }), true
}

// adamSIMD runs the fused Adam step on NEON (c: the AdamParams fields in order). The
// padding lanes of the tail see g = m = v = p = 0 and BC > 0, so they compute finite
// values that are discarded.
func adamSIMD(p, g, m, v []float32, c *[7]float32) bool {
	if tier != tierNEON {
		return false
	}
	call := neonCall{ops: [][]float32{p, g, m, v}, outs: 1<<0 | 1<<2 | 1<<3}
	call.run(len(p), func(n int) float32 {
		adamNEON(call.p(0), call.p(1), call.p(2), call.p(3), n, c)
		return 0
	})
	return true
}

// rkSIMD runs the RK stage combination of ns nonzero stages on NEON.
func rkSIMD(out, y []float32, h float32, ns int, b *[maxRKStages]float32, k *[maxRKStages]*float32) bool {
	if tier != tierNEON {
		return false
	}
	var ops [2 + maxRKStages][]float32
	ops[0], ops[1] = out, y
	for s := range ns {
		ops[2+s] = unsafe.Slice(k[s], len(y))
	}
	c := neonCall{ops: ops[:2+ns], outs: 1 << 0}
	c.run(len(y), func(m int) float32 {
		var kp [maxRKStages]*float32
		for s := range ns {
			kp[s] = c.p(2 + s)
		}
		rkNEON(c.p(0), c.p(1), m, h, ns, b, &kp)
		return 0
	})
	return true
}
