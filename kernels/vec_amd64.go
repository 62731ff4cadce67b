//go:build !purego

package kernels

// The amd64 SIMD hooks of vec_dispatch.go: each switches on the selected tier and calls
// the Avo-generated kernel of vec_amd64.s (see kernels/asm/vec), or declines for "go".

// actSIMD runs y = act(x) on the selected SIMD tier.
func actSIMD(act Act, x, y []float32) bool {
	switch tier {
	case tierAVX512:
		switch act {
		case ReLU:
			reluAVX512(x, y)
		case SiLU:
			siluAVX512(x, y)
		case Tanh:
			tanhAVX512(x, y)
		case Softplus:
			softplusAVX512(x, y)
		case GELU:
			geluAVX512(x, y)
		case ELU:
			eluAVX512(x, y)
		default:
			return false
		}
		return true
	case tierAVX2:
		switch act {
		case ReLU:
			reluAVX2(x, y)
		case SiLU:
			siluAVX2(x, y)
		case Tanh:
			tanhAVX2(x, y)
		case Softplus:
			softplusAVX2(x, y)
		case GELU:
			geluAVX2(x, y)
		case ELU:
			eluAVX2(x, y)
		default:
			return false
		}
		return true
	}
	return false
}

// actDerivSIMD runs d = act'(x) on the selected SIMD tier.
func actDerivSIMD(act Act, x, d []float32) bool {
	switch tier {
	case tierAVX512:
		switch act {
		case ReLU:
			reluDerivAVX512(x, d)
		case SiLU:
			siluDerivAVX512(x, d)
		case Tanh:
			tanhDerivAVX512(x, d)
		case Softplus:
			softplusDerivAVX512(x, d)
		case GELU:
			geluDerivAVX512(x, d)
		case ELU:
			eluDerivAVX512(x, d)
		default:
			return false
		}
		return true
	case tierAVX2:
		switch act {
		case ReLU:
			reluDerivAVX2(x, d)
		case SiLU:
			siluDerivAVX2(x, d)
		case Tanh:
			tanhDerivAVX2(x, d)
		case Softplus:
			softplusDerivAVX2(x, d)
		case GELU:
			geluDerivAVX2(x, d)
		case ELU:
			eluDerivAVX2(x, d)
		default:
			return false
		}
		return true
	}
	return false
}

// actBackSIMD runs dz = dy·act'(z) on the selected SIMD tier.
func actBackSIMD(act Act, z, dy, dz []float32) bool {
	switch tier {
	case tierAVX512:
		switch act {
		case ReLU:
			reluBackAVX512(z, dy, dz)
		case SiLU:
			siluBackAVX512(z, dy, dz)
		case Tanh:
			tanhBackAVX512(z, dy, dz)
		case Softplus:
			softplusBackAVX512(z, dy, dz)
		case GELU:
			geluBackAVX512(z, dy, dz)
		case ELU:
			eluBackAVX512(z, dy, dz)
		default:
			return false
		}
		return true
	case tierAVX2:
		switch act {
		case ReLU:
			reluBackAVX2(z, dy, dz)
		case SiLU:
			siluBackAVX2(z, dy, dz)
		case Tanh:
			tanhBackAVX2(z, dy, dz)
		case Softplus:
			softplusBackAVX2(z, dy, dz)
		case GELU:
			geluBackAVX2(z, dy, dz)
		case ELU:
			eluBackAVX2(z, dy, dz)
		default:
			return false
		}
		return true
	}
	return false
}

// expSIMD runs y = e^x.
func expSIMD(x, y []float32) bool {
	switch tier {
	case tierAVX512:
		expAVX512(x, y)
		return true
	case tierAVX2:
		expAVX2(x, y)
		return true
	}
	return false
}

// addSIMD runs y += x.
func addSIMD(x, y []float32) bool {
	switch tier {
	case tierAVX512:
		addAVX512(x, y)
		return true
	case tierAVX2:
		addAVX2(x, y)
		return true
	}
	return false
}

// mulSIMD runs out = x·y.
func mulSIMD(x, y, out []float32) bool {
	switch tier {
	case tierAVX512:
		mulAVX512(x, y, out)
		return true
	case tierAVX2:
		mulAVX2(x, y, out)
		return true
	}
	return false
}

// axpySIMD runs y = float32(alpha·x) + y.
func axpySIMD(alpha float32, x, y []float32) bool {
	switch tier {
	case tierAVX512:
		axpyAVX512(alpha, x, y)
		return true
	case tierAVX2:
		axpyAVX2(alpha, x, y)
		return true
	}
	return false
}

// scaleSIMD runs x *= alpha.
func scaleSIMD(alpha float32, x []float32) bool {
	switch tier {
	case tierAVX512:
		scaleAVX512(alpha, x)
		return true
	case tierAVX2:
		scaleAVX2(alpha, x)
		return true
	}
	return false
}

// dotSIMD returns Σ x·y in the tier's fixed lane order.
func dotSIMD(x, y []float32) (float32, bool) {
	switch tier {
	case tierAVX512:
		return dotAVX512(x, y), true
	case tierAVX2:
		return dotAVX2(x, y), true
	}
	return 0, false
}

// sumSqSIMD returns Σ x² in the tier's fixed lane order.
func sumSqSIMD(x []float32) (float32, bool) {
	switch tier {
	case tierAVX512:
		return sumSqAVX512(x), true
	case tierAVX2:
		return sumSqAVX2(x), true
	}
	return 0, false
}

// adamSIMD runs the fused Adam step (c: the AdamParams fields in order).
func adamSIMD(p, g, m, v []float32, c *[7]float32) bool {
	switch tier {
	case tierAVX512:
		adamAVX512(p, g, m, v, c)
		return true
	case tierAVX2:
		adamAVX2(p, g, m, v, c)
		return true
	}
	return false
}

// rkSIMD runs the RK stage combination of ns nonzero stages.
func rkSIMD(out, y []float32, h float32, ns int, b *[maxRKStages]float32, k *[maxRKStages]*float32) bool {
	switch tier {
	case tierAVX512:
		rkCombineAVX512(out, y, h, ns, b, k)
		return true
	case tierAVX2:
		rkCombineAVX2(out, y, h, ns, b, k)
		return true
	}
	return false
}
