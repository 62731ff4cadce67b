// Package nntest is a float64 reference of nn's network, written straight from the
// definitions (no kernels, no workspaces, no float32), against which the tests of nn and of
// the packages above it (gen's maximum-likelihood objective) check their passes. It does not
// import nn, so that nn's own tests can use it; an nn.Config serves as its Shape.
package nntest

import (
	"math"

	"github.com/interflow/flowbench/kernels"
)

// Shape is the part of nn.Config the reference reads: the (fan_in, fan_out) of each linear
// layer. nn.Config implements it.
type Shape interface {
	NumLayers() int
	LayerShape(i int) (in, out int)
}

// Net is a network for the reference: the shapes of its linear layers, the activation after
// every hidden layer and the time features appended to a point.
type Net struct {
	Shape    Shape
	Act      kernels.Act
	Features func(t float64) []float64
}

// ConcatTime is the time feature of nn.TimeConcat: [t].
func ConcatTime(t float64) []float64 { return []float64{t} }

// FourierTime returns the time features of nn.TimeFourier with k frequencies: cos(jπt) then
// sin(jπt) for j = 1..k.
func FourierTime(k int) func(t float64) []float64 {
	return func(t float64) []float64 {
		var f []float64
		for j := 1; j <= k; j++ {
			f = append(f, math.Cos(float64(j)*math.Pi*t), math.Sin(float64(j)*math.Pi*t))
		}
		return f
	}
}

// Act returns σ(x) and σ'(x) for the activation a, from the definitions (GELU: the tanh
// approximation).
func Act(a kernels.Act, x float64) (y, dy float64) {
	switch a {
	case kernels.ReLU:
		if x > 0 {
			return x, 1
		}
		return 0, 0
	case kernels.SiLU:
		s := 1 / (1 + math.Exp(-x))
		return x / (1 + math.Exp(-x)), s + x*s*(1-s)
	case kernels.Tanh:
		th := math.Tanh(x)
		return th, 1 - th*th
	case kernels.Softplus:
		return math.Log1p(math.Exp(x)), 1 / (1 + math.Exp(-x))
	case kernels.GELU:
		c := math.Sqrt(2 / math.Pi)
		th := math.Tanh(c * (x + 0.044715*x*x*x))
		return 0.5 * x * (1 + th), 0.5*(1+th) + 0.5*x*(1-th*th)*c*(1+3*0.044715*x*x)
	case kernels.ELU:
		if x > 0 {
			return x, 1
		}
		return math.Expm1(x), math.Exp(x)
	}
	panic("nntest: unknown activation")
}

// Eval returns v(t, x) for one row x with the parameters p (a float64 copy of a slab laid
// out as nn.MLP.Params: each layer's W, fan_in×fan_out row-major, then its bias).
func (n Net) Eval(p []float64, t float64, x []float64) []float64 {
	v, _ := n.JVP(p, t, x, nil)
	return v
}

// JVP returns v(t, x) and the Jacobian-vector product (∂v/∂x)·u of one row by forward-mode
// propagation (u nil: v alone, jv nil).
func (n Net) JVP(p []float64, t float64, x, u []float64) (v, jv []float64) {
	h := append(append([]float64(nil), x...), n.Features(t)...)
	var th []float64
	if u != nil {
		th = make([]float64, len(h))
		copy(th, u)
	}
	off, L := 0, n.Shape.NumLayers()
	for i := range L {
		in, out := n.Shape.LayerShape(i)
		w, b := p[off:off+in*out], p[off+in*out:off+in*out+out]
		off += (in + 1) * out
		z := make([]float64, out)
		var tz []float64
		if th != nil {
			tz = make([]float64, out)
		}
		for o := range z {
			s := b[o]
			for r := range in {
				s += h[r] * w[r*out+o]
			}
			var ds float64
			if i < L-1 {
				s, ds = Act(n.Act, s)
			}
			z[o] = s
			if th != nil {
				ts := 0.0
				for r := range in {
					ts += th[r] * w[r*out+o]
				}
				if i < L-1 {
					ts *= ds
				}
				tz[o] = ts
			}
		}
		h, th = z, tz
	}
	return h, th
}

// RowDiv returns v(t, x), the divergence and the squared Jacobian norm of one row: exact,
// tr(∂v/∂x) and ‖∂v/∂x‖²_F over the basis tangents, when probe is nil, else the Hutchinson
// estimates εᵀ(∂v/∂x)ε and |(∂v/∂x)ε|² with the probe ε.
func (n Net) RowDiv(p []float64, t float64, x, probe []float64) (v []float64, div, frob float64) {
	dirs := [][]float64{probe}
	if probe == nil {
		dirs = nil
		for k := range x {
			e := make([]float64, len(x))
			e[k] = 1
			dirs = append(dirs, e)
		}
	}
	for _, u := range dirs {
		var jv []float64
		v, jv = n.JVP(p, t, x, u)
		for j := range jv {
			div += u[j] * jv[j]
			frob += jv[j] * jv[j]
		}
	}
	return v, div, frob
}
