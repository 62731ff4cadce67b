//go:build !purego

package kernels

// The NEON activations of act_arm64.s behind the hooks of vec_dispatch.go. Each routine
// takes n, a multiple of 4; the hooks run them through a neonCall (neon_arm64.go), which
// takes the last 1..3 elements through a zero-padded 4-element copy on the stack. The
// Deriv routines multiply by dy when it is non-nil (the backward pass dZ = dY ⊙ act'(Z)),
// reading dy before writing d, so d may alias dy or x exactly.

//go:noescape
func expNEON(x, y *float32, n int)

//go:noescape
func reluNEON(x, y *float32, n int)

//go:noescape
func siluNEON(x, y *float32, n int)

//go:noescape
func tanhNEON(x, y *float32, n int)

//go:noescape
func softplusNEON(x, y *float32, n int)

//go:noescape
func geluNEON(x, y *float32, n int)

//go:noescape
func eluNEON(x, y *float32, n int)

//go:noescape
func reluDerivNEON(x, dy, d *float32, n int)

//go:noescape
func siluDerivNEON(x, dy, d *float32, n int)

//go:noescape
func tanhDerivNEON(x, dy, d *float32, n int)

//go:noescape
func softplusDerivNEON(x, dy, d *float32, n int)

//go:noescape
func geluDerivNEON(x, dy, d *float32, n int)

//go:noescape
func eluDerivNEON(x, dy, d *float32, n int)

// actFwdNEON runs y = act(x) over n (a multiple of 4) elements; false for Identity.
func actFwdNEON(act Act, x, y *float32, n int) bool {
	switch act {
	case ReLU:
		reluNEON(x, y, n)
	case SiLU:
		siluNEON(x, y, n)
	case Tanh:
		tanhNEON(x, y, n)
	case Softplus:
		softplusNEON(x, y, n)
	case GELU:
		geluNEON(x, y, n)
	case ELU:
		eluNEON(x, y, n)
	default:
		return false
	}
	return true
}

// actDerNEON runs d = act'(x) (times dy when dy != nil) over n (a multiple of 4) elements;
// false for Identity.
func actDerNEON(act Act, x, dy, d *float32, n int) bool {
	switch act {
	case ReLU:
		reluDerivNEON(x, dy, d, n)
	case SiLU:
		siluDerivNEON(x, dy, d, n)
	case Tanh:
		tanhDerivNEON(x, dy, d, n)
	case Softplus:
		softplusDerivNEON(x, dy, d, n)
	case GELU:
		geluDerivNEON(x, dy, d, n)
	case ELU:
		eluDerivNEON(x, dy, d, n)
	default:
		return false
	}
	return true
}

// actSIMD runs y = act(x) on NEON.
func actSIMD(act Act, x, y []float32) bool {
	if tier != tierNEON || act == Identity || act >= numActs {
		return false
	}
	c := neonCall{ops: [][]float32{x, y}, outs: 1 << 1}
	c.run(len(x), func(m int) float32 { actFwdNEON(act, c.p(0), c.p(1), m); return 0 })
	return true
}

// actDerivSIMD runs d = act'(x) on NEON.
func actDerivSIMD(act Act, x, d []float32) bool {
	if tier != tierNEON || act == Identity || act >= numActs {
		return false
	}
	c := neonCall{ops: [][]float32{x, d}, outs: 1 << 1}
	c.run(len(x), func(m int) float32 { actDerNEON(act, c.p(0), nil, c.p(1), m); return 0 })
	return true
}

// actBackSIMD runs dz = dy·act'(z) on NEON.
func actBackSIMD(act Act, z, dy, dz []float32) bool {
	if tier != tierNEON || act == Identity || act >= numActs {
		return false
	}
	c := neonCall{ops: [][]float32{z, dy, dz}, outs: 1 << 2}
	c.run(len(z), func(m int) float32 { actDerNEON(act, c.p(0), c.p(1), c.p(2), m); return 0 })
	return true
}

// expSIMD runs y = e^x on NEON.
func expSIMD(x, y []float32) bool {
	if tier != tierNEON {
		return false
	}
	c := neonCall{ops: [][]float32{x, y}, outs: 1 << 1}
	c.run(len(x), func(m int) float32 { expNEON(c.p(0), c.p(1), m); return 0 })
	return true
}
