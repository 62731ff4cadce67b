package nntest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/interflow/flowbench/kernels"
)

// shape lists the (fan_in, fan_out) of each layer.
type shape [][2]int

func (s shape) NumLayers() int              { return len(s) }
func (s shape) LayerShape(i int) (int, int) { return s[i][0], s[i][1] }

// TestReference checks each activation's derivative, the JVP and the divergences against
// central differences of Eval.
func TestReference(t *testing.T) {
	const h = 1e-6
	rng := rand.New(rand.NewPCG(1, 2))
	for _, a := range []kernels.Act{kernels.ReLU, kernels.SiLU, kernels.Tanh, kernels.Softplus, kernels.GELU, kernels.ELU} {
		for _, x := range []float64{-1.3, -0.2, 0.4, 2.1} {
			yp, _ := Act(a, x+h)
			ym, _ := Act(a, x-h)
			if _, dy := Act(a, x); math.Abs(dy-(yp-ym)/(2*h)) > 1e-6 {
				t.Errorf("%v: σ'(%v) = %v, finite difference %v", a, x, dy, (yp-ym)/(2*h))
			}
		}
		// 3-D points, hidden widths 5 and 4, the time concatenated or as 4 Fourier features.
		for _, n := range []Net{{shape{{4, 5}, {5, 4}, {4, 3}}, a, ConcatTime}, {shape{{7, 5}, {5, 4}, {4, 3}}, a, FourierTime(2)}} {
			np := 0
			for i := range n.Shape.NumLayers() {
				in, out := n.Shape.LayerShape(i)
				np += (in + 1) * out
			}
			p := make([]float64, np)
			for i := range p {
				p[i] = rng.NormFloat64() * 0.7
			}
			x, u := []float64{0.3, -0.8, 1.1}, []float64{0.5, 1, -0.25}
			v, jv := n.JVP(p, 0.4, x, u)
			var fd [3]float64
			J := [3][3]float64{}
			for k := range 3 {
				xp, xm := append([]float64(nil), x...), append([]float64(nil), x...)
				xp[k] += h
				xm[k] -= h
				vp, vm := n.Eval(p, 0.4, xp), n.Eval(p, 0.4, xm)
				for j := range 3 {
					J[j][k] = (vp[j] - vm[j]) / (2 * h)
					fd[j] += J[j][k] * u[k]
				}
			}
			tr, fro := J[0][0]+J[1][1]+J[2][2], 0.0
			for j := range 3 {
				for k := range 3 {
					fro += J[j][k] * J[j][k]
				}
				if math.Abs(jv[j]-fd[j]) > 1e-5 {
					t.Errorf("%v: jv[%d] = %v, finite difference %v", a, j, jv[j], fd[j])
				}
			}
			v2, div, frob := n.RowDiv(p, 0.4, x, nil)
			if v2[0] != v[0] || math.Abs(div-tr) > 1e-5 || math.Abs(frob-fro) > 1e-5 {
				t.Errorf("%v: div, frob = %v, %v; finite differences %v, %v", a, div, frob, tr, fro)
			}
			_, hd, hf := n.RowDiv(p, 0.4, x, u)
			if math.Abs(hd-(u[0]*jv[0]+u[1]*jv[1]+u[2]*jv[2])) > 1e-12 || math.Abs(hf-(jv[0]*jv[0]+jv[1]*jv[1]+jv[2]*jv[2])) > 1e-12 {
				t.Errorf("%v: Hutchinson div, frob = %v, %v", a, hd, hf)
			}
		}
	}
}
