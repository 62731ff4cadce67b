package kernels

import (
	"fmt"
	"math"
)

// This file holds the second derivative of the activations, ActDeriv2, and its reference,
// which the reverse-mode gradient of a forward-mode divergence (package nn, divgrad.go)
// needs. It is pure Go apart from the vectorized exponential (Exp).

// ActDeriv2 sets d[i] = act”(x[i]) for i < len(x); d may alias x. It evaluates the
// formulas of RefActDeriv2 in float32 with one vectorized exponential per element (Exp),
// so it agrees with RefActDeriv2 to a few float32 ulps of the terms. ReLU” is 0
// everywhere (its distributional second derivative at 0 is dropped); ELU” is 0 for x > 0
// and e^x otherwise.
func ActDeriv2(act Act, x, d []float32) {
	if len(d) < len(x) {
		panic(fmt.Sprintf("kernels: ActDeriv2: len(d) = %d < len(x) = %d", len(d), len(x)))
	}
	checkAct(act)
	var ebuf [256]float32
	for o := 0; o < len(x); o += len(ebuf) {
		xs := x[o:min(len(x), o+len(ebuf))]
		ds := d[o : o+len(xs)]
		e := ebuf[:len(xs)]
		actDeriv2Chunk(act, xs, ds, e)
	}
}

// actDeriv2Chunk is ActDeriv2 for one chunk, with e as scratch of the same length.
func actDeriv2Chunk(act Act, x, d, e []float32) {
	const c0 = 2 * 0.7978845608028654 // GELU = x·σ(a), a = c0·(x + 0.044715x³)
	switch act {
	case Identity, ReLU:
		for i, v := range x {
			if v != v {
				d[i] = v
			} else {
				d[i] = 0
			}
		}
		return
	case SiLU, Softplus:
		for i, v := range x {
			e[i] = -abs32(v)
		}
	case Tanh:
		for i, v := range x {
			e[i] = -2 * abs32(v)
		}
	case GELU:
		for i, v := range x {
			e[i] = -abs32(c0 * (v + 0.044715*v*v*v))
		}
	case ELU:
		for i, v := range x {
			e[i] = min(v, 0)
		}
	}
	expLocal(e, e) // e is this call's stack scratch: no race annotation (see expLocal)
	for i, v := range x {
		ei := e[i]
		switch act {
		case SiLU, Softplus:
			// σ(x), σ(−x) from e = e^(−|x|) without cancellation.
			s, c := 1/(1+ei), ei/(1+ei)
			if v < 0 {
				s, c = c, s
			}
			if act == Softplus {
				d[i] = s * c
			} else if abs32(v) > 80 {
				d[i] = 0 // σσ̄ underflows; avoids 0·∞ at ±Inf
			} else {
				d[i] = s * c * (2 + v*(c-s))
			}
		case Tanh:
			th := (1 - ei) / (1 + ei)
			if v < 0 {
				th = -th
			}
			d[i] = -2 * th * 4 * ei / ((1 + ei) * (1 + ei))
		case GELU:
			if abs32(v) > 20 {
				d[i] = 0
				continue
			}
			a := c0 * (v + 0.044715*v*v*v)
			s, c := 1/(1+ei), ei/(1+ei)
			if a < 0 {
				s, c = c, s
			}
			da := c0 * (1 + 3*0.044715*v*v)
			dda := c0 * 6 * 0.044715 * v
			d[i] = s * c * (2*da + v*dda + v*da*da*(c-s))
		case ELU:
			if v > 0 {
				d[i] = 0
			} else {
				d[i] = ei
			}
		}
		if v != v {
			d[i] = v
		}
	}
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// RefActDeriv2 returns act”(x), computed in float64 and rounded once:
//
//	identity, relu: 0
//	silu:     σ(x)·σ(−x)·(2 + x·(σ(−x) − σ(x)))
//	tanh:     −2·tanh(x)·(1 − tanh²(x))
//	softplus: σ(x)·σ(−x)
//	gelu:     with GELU = x·σ(a), a = 2√(2/π)(x + 0.044715x³):
//	          σσ̄·(2a' + x·a” + x·a'²·(σ̄ − σ)), σ = σ(a), σ̄ = σ(−a)
//	elu:      0 for x > 0, e^x otherwise
func RefActDeriv2(act Act, x float32) float32 {
	v := float64(x)
	if math.IsNaN(v) {
		return x
	}
	switch act {
	case Identity, ReLU:
		return 0
	case SiLU:
		if math.Abs(v) > 745 {
			return 0
		}
		s, c := 1/(1+math.Exp(-v)), 1/(1+math.Exp(v))
		return float32(s * c * (2 + v*(c-s)))
	case Tanh:
		th := math.Tanh(v)
		e := math.Exp(-2 * math.Abs(v))
		return float32(-2 * th * 4 * e / ((1 + e) * (1 + e)))
	case Softplus:
		if math.Abs(v) > 745 {
			return 0
		}
		s, c := 1/(1+math.Exp(-v)), 1/(1+math.Exp(v))
		return float32(s * c)
	case GELU:
		if math.Abs(v) > 20 {
			return 0
		}
		a := geluArg(v)
		s, c := 1/(1+math.Exp(-a)), 1/(1+math.Exp(a))
		da := 2 * 0.7978845608028654 * (1 + 3*0.044715*v*v)
		dda := 2 * 0.7978845608028654 * 6 * 0.044715 * v
		return float32(s * c * (2*da + v*dda + v*da*da*(c-s)))
	case ELU:
		if v > 0 {
			return 0
		}
		return float32(math.Exp(v))
	}
	panic("kernels: unknown activation")
}
