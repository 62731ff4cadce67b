package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// sigma returns σ(a) and σ(−a) in float64 without cancellation.
func sigma(a float64) (float64, float64) { return 1 / (1 + math.Exp(-a)), 1 / (1 + math.Exp(a)) }

// actScale is the magnitude the error of act (or act' when deriv) is measured against.
func actScale(act Act, deriv bool, x float32, ref float32) float64 {
	v := float64(x)
	s := math.Abs(float64(ref))
	if deriv {
		switch act {
		case SiLU:
			if math.Abs(v) < 200 {
				sp, sn := sigma(v)
				s = sp + math.Abs(v*sp*sn)
			}
		case GELU:
			if math.Abs(v) < 30 {
				sp, sn := sigma(geluArg(v))
				s = sp + math.Abs(v*2*0.7978845608028654*(1+3*0.044715*v*v)*sp*sn)
			}
		}
	}
	return math.Max(s, 0x1p-126)
}

// actBound returns the allowed |got − ref| for act at x.
func actBound(act Act, deriv bool, x float32, ref float32) float64 {
	b := ActErrorBound(act, deriv)
	if act == GELU {
		// a carries the rounding of its float32 evaluation into e^a: relative error ≈ |a|·ulp.
		b += 1.6e-7 * math.Abs(geluArg(float64(x)))
	}
	slack := 2 * 0x1p-149
	if deriv {
		slack = 0x1p-122 // e^−|x| is subnormal where these are tiny: absolute error only
	}
	return b*actScale(act, deriv, x, ref) + slack
}

// actCheck reports whether got is within the documented bound of the reference, with
// NaN where the reference is NaN, the same infinities and, for exact zeros of the
// reference's sign class (±0 of ReLU/ELU/SiLU/GELU/tanh), the same sign.
func actCheck(act Act, deriv bool, x, got float32) (ref float32, ok bool) {
	if deriv {
		ref = RefActDeriv(act, x)
	} else {
		ref = RefAct(act, x)
	}
	rn, gn := ref != ref, got != got
	if rn || gn {
		return ref, rn == gn
	}
	if math.IsInf(float64(ref), 0) || math.IsInf(float64(got), 0) {
		return ref, ref == got
	}
	if !deriv && x == 0 && math.Float32bits(got) != math.Float32bits(ref) && act != Softplus {
		return ref, false // f(±0) is exact, sign included
	}
	return ref, math.Abs(float64(got)-float64(ref)) <= actBound(act, deriv, x, ref)
}

// actCases yields every activation with deriv false (act itself) and true (act').
func actCases(yield func(act Act, deriv bool) bool) {
	for act := Identity; act < numActs; act++ {
		for _, deriv := range []bool{false, true} {
			if !yield(act, deriv) {
				return
			}
		}
	}
}

// applyAct sets y = act'(x) when deriv, else y = act(x).
func applyAct(act Act, deriv bool, x, y []float32) {
	if deriv {
		ActDeriv(act, x, y)
	} else {
		ActForward(act, x, y)
	}
}

// specials are inputs every activation test includes.
var specials = []float32{
	0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -0.5, 2, -2,
	float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.Float32frombits(0xffc00001),
	math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
	0x1p-126, -0x1p-126, 1e-20, -1e-20, 1e-7, -1e-7,
	88.72283, 88.72284, 88.7, 89, 90, -87.33654, -87.34, -92.4, -100, -103.97, -103.98, -104, -105,
	-110, -111, -120, 120, 1e10, -1e10, 0.99999994, 1.0000001, -0.99999994, -1.0000001,
	9, 10, -9, -10, 20, -20, 30, -30, 0.3465736, -0.3465736, 0.35, -0.35, 0.88, -0.88, -7.56273,
	-1.2784645, -0.7524629, -10.075361, 17, -17,
}

// randActInput draws inputs that cover every branch: small, moderate, large, specials.
func randActInput(r *rand.Rand) float32 {
	switch r.IntN(8) {
	case 0:
		return specials[r.IntN(len(specials))]
	case 1:
		return float32(r.NormFloat64() * 1e-3)
	case 2:
		return float32(r.NormFloat64() * 40)
	case 3:
		return math.Float32frombits(r.Uint32()) // any bit pattern
	default:
		return float32(r.NormFloat64() * 3)
	}
}

func TestActAccuracySweep(t *testing.T) {
	stride := uint32(4099)
	if testing.Short() {
		stride = 65521
	}
	var xs []float32
	for b := uint32(0); b < 0x7f800000; b += stride {
		f := math.Float32frombits(b)
		xs = append(xs, f, -f)
	}
	xs = append(xs, specials...)
	ys := make([]float32, len(xs))
	forEachTier(t, func(t *testing.T) {
		for act, deriv := range actCases {
			applyAct(act, deriv, xs, ys)
			fails := 0
			for i, x := range xs {
				if ref, ok := actCheck(act, deriv, x, ys[i]); !ok {
					if fails++; fails <= 5 {
						t.Errorf("%v deriv=%v x=%g (%#08x): got %g want %g", act, deriv, x, math.Float32bits(x), ys[i], ref)
					}
				}
			}
		}
		exps := make([]float32, len(xs))
		Exp(xs, exps)
		for i, x := range xs {
			if ref, ok := expCheck(x, exps[i]); !ok {
				t.Errorf("exp(%g) = %g, want %g", x, exps[i], ref)
			}
		}
	})
}

// expCheck: relative error ≤ ExpErrorBound where e^x is a normal float32, ≤ 1 ulp in the
// subnormal range, exact 0/+Inf/NaN/1 classes.
func expCheck(x, got float32) (float32, bool) {
	ref := float32(math.Exp(float64(x)))
	if ref != ref || got != got {
		return ref, (ref != ref) == (got != got)
	}
	if math.IsInf(float64(ref), 0) || ref == 0 || x == 0 {
		return ref, ref == got
	}
	d := math.Abs(float64(got) - float64(ref))
	if ref < 0x1p-126 {
		return ref, d <= 0x1p-149
	}
	return ref, d <= ExpErrorBound*float64(ref)
}

func TestActSpecialValues(t *testing.T) {
	ys := make([]float32, len(specials))
	forEachTier(t, func(t *testing.T) {
		for act, deriv := range actCases {
			applyAct(act, deriv, specials, ys)
			for i, x := range specials {
				if ref, ok := actCheck(act, deriv, x, ys[i]); !ok {
					t.Errorf("%v deriv=%v x=%g: got %g want %g", act, deriv, x, ys[i], ref)
				}
			}
		}
		// Limits, stated independently of the reference.
		neg0 := float32(math.Copysign(0, -1))
		inf := float32(math.Inf(1))
		want := []struct {
			act   Act
			x, y  float32
			deriv bool
		}{
			{ReLU, neg0, 0, false}, {SiLU, -inf, neg0, false}, {SiLU, inf, inf, false},
			{Tanh, inf, 1, false}, {Tanh, -inf, -1, false}, {Tanh, neg0, neg0, false},
			{Softplus, -inf, 0, false}, {Softplus, inf, inf, false}, {Softplus, 0, float32(math.Ln2), false},
			{GELU, -inf, neg0, false}, {GELU, inf, inf, false}, {ELU, -inf, -1, false}, {ELU, neg0, neg0, false},
			{SiLU, inf, 1, true}, {SiLU, -inf, 0, true}, {Tanh, inf, 0, true}, {Softplus, inf, 1, true},
			{Softplus, -inf, 0, true}, {GELU, inf, 1, true}, {GELU, -inf, 0, true}, {ELU, -inf, 0, true},
			{ELU, 0, 1, true}, {ReLU, 0, 0, true},
		}
		for _, w := range want {
			in, out := []float32{w.x}, []float32{7}
			applyAct(w.act, w.deriv, in, out)
			if math.Float32bits(out[0]) != math.Float32bits(w.y) && !(w.y == 0 && out[0] == 0 && w.deriv) {
				t.Errorf("%v deriv=%v (%g) = %g, want %g", w.act, w.deriv, w.x, out[0], w.y)
			}
		}
	})
}
