package gen

import (
	"math"

	"github.com/interflow/flowbench/nn"
)

// The path-length max–min of the paper: the network descends the loss L(v) while the
// interpolant's Fourier coefficients and/or the learned base's parameters ascend the
// objective G(v) = (1/B) Σ (|v|² − 2·İ·v) = L(v) − (1/B) Σ |İ|². At the network's optimum
// G = −E|v*|², so the ascent shortens the path (lowers the kinetic energy of the optimal
// field) while the network keeps fitting it.
//
// Gradients of G with respect to x_t and İ = dI/dt: ∂G/∂x_t = ∂L/∂x_t (from the network's
// backward pass) and ∂G/∂İ = −2v/B. With x_t = a·x0 + b·x1 and İ = ȧ·x0 + ḃ·x1, the chain
// rule gives the coefficient gradients (per row: ∂G/∂a = ∂G/∂x_t·x0, ...) and, for a base
// x0 = μ + L·z, ∂G/∂x0 = a·∂G/∂x_t + ȧ·∂G/∂İ.

// ascentState accumulates the ascent gradients over K network steps and applies them with
// Adam in float64 (nn.AdamStep64). Its state is saved in checkpoints so that a resumed run
// continues exactly.
type ascentState struct {
	G    []float64 // accumulated gradients: [α, β, μ, L] (the parts present)
	M, V []float64 // Adam moments, same layout
	T    int       // Adam steps taken
	N    int       // network steps accumulated in G

	gAlpha, gBeta, gMu, gL []float64 // views of G
	gx0                    []float64
	params, grads          [][]float64 // the parameter vectors and their gradients, in order
	lastPathKE             float64
}

func newAscentState(tr *trainer) *ascentState {
	np := 0
	f := tr.fourier()
	if f != nil {
		np += 2 * len(f.Alpha)
	}
	b := tr.model.Base
	if b != nil {
		np += len(b.Mu) + len(b.L)
	}
	a := &ascentState{G: make([]float64, np), M: make([]float64, np), V: make([]float64, np)}
	a.views(tr)
	return a
}

// views points the named gradients into G.
func (a *ascentState) views(tr *trainer) {
	g := a.G
	take := func(n int) []float64 { v := g[:n:n]; g = g[n:]; return v }
	if f := tr.fourier(); f != nil {
		a.gAlpha, a.gBeta = take(len(f.Alpha)), take(len(f.Beta))
	}
	a.params, a.grads = a.params[:0], a.grads[:0]
	if f := tr.fourier(); f != nil {
		a.params = append(a.params, f.Alpha, f.Beta)
		a.grads = append(a.grads, a.gAlpha, a.gBeta)
	}
	if b := tr.model.Base; b != nil {
		a.gMu, a.gL = take(len(b.Mu)), take(len(b.L))
		a.params = append(a.params, b.Mu, b.L)
		a.grads = append(a.grads, a.gMu, a.gL)
	}
	a.gx0 = make([]float64, tr.d)
}

// accumulate adds this step's gradients of G (tr.dx holds ∂L/∂x_t of the last LossGrad).
func (a *ascentState) accumulate(tr *trainer) {
	d, B := tr.d, tr.B
	gOut := tr.net.LossGradOutput() // ∂L/∂v = 2(v − İ)/B
	ke := 0.0
	f := tr.fourier()
	base := tr.model.Base
	gx0 := a.gx0
	for i := range B {
		r := i * d
		ca, _, cda, _ := tr.model.Interp.Coeffs(tr.t[i])
		var ga, gb, gda, gdb float64
		for j := range d {
			dI := float64(tr.dxt[r+j])
			ke += dI * dI
			gI := -(float64(gOut[r+j]) + 2*dI/float64(B)) // ∂G/∂İ = −2v/B
			gx := float64(tr.dx[r+j])
			x0, x1 := float64(tr.x0[r+j]), float64(tr.x1[r+j])
			ga += gx * x0
			gb += gx * x1
			gda += gI * x0
			gdb += gI * x1
			gx0[j] = ca*gx + cda*gI
		}
		if f != nil {
			f.Grad(tr.t[i], ga, gb, gda, gdb, a.gAlpha, a.gBeta)
		}
		if base != nil {
			for j := range d {
				a.gMu[j] += gx0[j]
				lj := a.gL[j*d : j*d+j+1]
				for k := range lj {
					lj[k] += gx0[j] * float64(tr.z[r+k])
				}
			}
		}
	}
	a.lastPathKE = ke / float64(B)
	a.N++
}

// apply takes one ascent step with the averaged gradients and resets them.
func (a *ascentState) apply(tr *trainer) {
	if a.N == 0 {
		return
	}
	lr := tr.cfg.MaxMinLR
	params, grads := a.params, a.grads
	base := tr.model.Base
	inv := 1 / float64(a.N)
	for _, g := range grads {
		for i := range g {
			g[i] *= -inv // ascent: minimize −G
		}
	}
	a.T++
	nn.AdamStep64(params, grads, a.M, a.V, int64(a.T), lr)
	if base != nil {
		d := base.Dim()
		for j := range d {
			if v := base.L[j*d+j]; math.Abs(v) < 1e-3 {
				base.L[j*d+j] = math.Copysign(1e-3, v)
			}
		}
	}
	for _, g := range grads {
		clear(g)
	}
	a.N = 0
}
