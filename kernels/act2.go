package kernels

import (
	"fmt"
	"math"
)

// This file holds the second derivative of the activations, which the reverse-mode
// gradient of a forward-mode divergence (package nn, divgrad.go) needs. It is pure Go: the
// pass that uses it is dominated by GEMMs.

// ActDeriv2 sets d[i] = act”(x[i]) for i < len(x); d may alias x. Values are computed in
// float64 and rounded once (RefActDeriv2). ReLU” is 0 everywhere (its distributional
// second derivative at 0 is dropped); ELU” is 0 for x > 0 and e^x otherwise.
func ActDeriv2(act Act, x, d []float32) {
	if len(d) < len(x) {
		panic(fmt.Sprintf("kernels: ActDeriv2: len(d) = %d < len(x) = %d", len(d), len(x)))
	}
	if act >= numActs {
		panic("kernels: unknown activation")
	}
	for i, v := range x {
		d[i] = RefActDeriv2(act, v)
	}
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
