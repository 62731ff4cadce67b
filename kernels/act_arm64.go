//go:build !purego

package kernels

// The NEON activations of act_arm64.s behind the hooks of vec_dispatch.go. Each routine
// takes n, a multiple of 4; the last 1..3 elements go through a zero-padded 4-element
// buffer on the stack. The Deriv routines multiply by dy when it is non-nil (the backward
// pass dZ = dY ⊙ act'(Z)), reading dy before writing d, so d may alias dy or x exactly.

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
	n4, t := split(len(x))
	if n4 > 0 {
		actFwdNEON(act, &x[0], &y[0], n4)
	}
	if t > 0 {
		var bx, by [4]float32
		copy(bx[:], x[n4:])
		actFwdNEON(act, &bx[0], &by[0], 4)
		copy(y[n4:n4+t], by[:t])
	}
	return true
}

// actDerivSIMD runs d = act'(x) on NEON.
func actDerivSIMD(act Act, x, d []float32) bool {
	if tier != tierNEON || act == Identity || act >= numActs {
		return false
	}
	n4, t := split(len(x))
	if n4 > 0 {
		actDerNEON(act, &x[0], nil, &d[0], n4)
	}
	if t > 0 {
		var bx, bd [4]float32
		copy(bx[:], x[n4:])
		actDerNEON(act, &bx[0], nil, &bd[0], 4)
		copy(d[n4:n4+t], bd[:t])
	}
	return true
}

// actBackSIMD runs dz = dy·act'(z) on NEON.
func actBackSIMD(act Act, z, dy, dz []float32) bool {
	if tier != tierNEON || act == Identity || act >= numActs {
		return false
	}
	n4, t := split(len(z))
	if n4 > 0 {
		actDerNEON(act, &z[0], &dy[0], &dz[0], n4)
	}
	if t > 0 {
		var bz, bdy, bdz [4]float32
		copy(bz[:], z[n4:])
		copy(bdy[:], dy[n4:n4+t])
		actDerNEON(act, &bz[0], &bdy[0], &bdz[0], 4)
		copy(dz[n4:n4+t], bdz[:t])
	}
	return true
}

// expSIMD runs y = e^x on NEON.
func expSIMD(x, y []float32) bool {
	if tier != tierNEON {
		return false
	}
	n4, t := split(len(x))
	if n4 > 0 {
		expNEON(&x[0], &y[0], n4)
	}
	if t > 0 {
		var bx, by [4]float32
		copy(bx[:], x[n4:])
		expNEON(&bx[0], &by[0], 4)
		copy(y[n4:n4+t], by[:t])
	}
	return true
}
