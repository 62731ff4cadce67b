package gen

import (
	"math"

	"github.com/interflow/flowbench/interp"
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

// pathParams are the parameters the ascent moves: the learnable interpolant and the
// learned base of the run (either may be nil).
type pathParams struct {
	fourier *interp.Fourier
	base    *GaussianBase
}

// count returns the number of parameters.
func (p pathParams) count() int {
	n := 0
	if p.fourier != nil {
		n += 2 * len(p.fourier.Alpha)
	}
	if p.base != nil {
		n += len(p.base.Mu) + len(p.base.L)
	}
	return n
}

// stepBatch is what the ascent reads of one training step, filled by the trainer: the
// times, the base draws z and base points x0, the data x1, the targets İ, and the network's
// gradients ∂L/∂x_t and ∂L/∂v.
type stepBatch struct {
	ip             interp.Interpolant
	d              int
	t              []float64
	z, x0, x1, dxt []float32
	gradX, gradV   []float32
}

// Base scale bounds. The path length the ascent shortens falls with the base's scale (for
// independent ends, E|İ|² grows with E|x0|²), so an unconstrained base collapses onto a
// point: diagonals of 0.01–0.03 and NLLs of 10⁶ and more on real tables. After every ascent
// step the learned base is therefore renormalized to volume 1 (det L = Π L_jj = 1: the
// ascent may shape and move the base, not shrink it) and each |L_jj| is clamped to
// [BaseMinScale, BaseMaxScale]; the model works in standardized units, where the data's
// scales are about 1.
const (
	BaseMinScale = 0.25
	BaseMaxScale = 4.0
)

// ascentState accumulates the ascent gradients over K network steps and applies them with
// Adam in float64 (nn.AdamStep64). Its state is saved in checkpoints so that a resumed run
// continues exactly.
type ascentState struct {
	G    []float64 // accumulated gradients: [α, β, μ, L] (the parts present)
	M, V []float64 // Adam moments, same layout
	T    int       // Adam steps taken
	N    int       // network steps accumulated in G

	p                      pathParams
	gAlpha, gBeta, gMu, gL []float64 // views of G
	gx0                    []float64
	params, grads          [][]float64 // the parameter vectors and their gradients, in order
	lastPathKE             float64
}

func newAscentState(p pathParams, d int) *ascentState {
	np := p.count()
	a := &ascentState{G: make([]float64, np), M: make([]float64, np), V: make([]float64, np)}
	a.views(p, d)
	return a
}

// views points the named gradients into G and the parameter list at p.
func (a *ascentState) views(p pathParams, d int) {
	a.p = p
	g := a.G
	take := func(n int) []float64 { v := g[:n:n]; g = g[n:]; return v }
	a.params, a.grads = a.params[:0], a.grads[:0]
	if f := p.fourier; f != nil {
		a.gAlpha, a.gBeta = take(len(f.Alpha)), take(len(f.Beta))
		a.params = append(a.params, f.Alpha, f.Beta)
		a.grads = append(a.grads, a.gAlpha, a.gBeta)
	}
	if b := p.base; b != nil {
		a.gMu, a.gL = take(len(b.Mu)), take(len(b.L))
		a.params = append(a.params, b.Mu, b.L)
		a.grads = append(a.grads, a.gMu, a.gL)
	}
	a.gx0 = make([]float64, d)
}

// accumulate adds the gradients of G of one step.
func (a *ascentState) accumulate(s *stepBatch) {
	d := s.d
	B := len(s.t)
	ke := 0.0
	f, base := a.p.fourier, a.p.base
	gx0 := a.gx0
	for i := range B {
		r := i * d
		ca, _, cda, _ := s.ip.Coeffs(s.t[i])
		var ga, gb, gda, gdb float64
		for j := range d {
			dI := float64(s.dxt[r+j])
			ke += dI * dI
			gI := -(float64(s.gradV[r+j]) + 2*dI/float64(B)) // ∂G/∂İ = −2v/B
			gx := float64(s.gradX[r+j])
			x0, x1 := float64(s.x0[r+j]), float64(s.x1[r+j])
			ga += gx * x0
			gb += gx * x1
			gda += gI * x0
			gdb += gI * x1
			gx0[j] = ca*gx + cda*gI
		}
		if f != nil {
			f.Grad(s.t[i], ga, gb, gda, gdb, a.gAlpha, a.gBeta)
		}
		if base != nil {
			for j := range d {
				a.gMu[j] += gx0[j]
				lj := a.gL[j*d : j*d+j+1]
				for k := range lj {
					lj[k] += gx0[j] * float64(s.z[r+k])
				}
			}
		}
	}
	a.lastPathKE = ke / float64(B)
	a.N++
}

// apply takes one ascent step of learning rate lr with the averaged gradients and resets
// them; the base's diagonal is then kept within the scale bounds.
func (a *ascentState) apply(lr float64) {
	if a.N == 0 {
		return
	}
	inv := 1 / float64(a.N)
	for _, g := range a.grads {
		for i := range g {
			g[i] *= -inv // ascent: minimize −G
		}
	}
	a.T++
	nn.AdamStep64(a.params, a.grads, a.M, a.V, int64(a.T), lr)
	if base := a.p.base; base != nil {
		base.normalize()
	}
	for _, g := range a.grads {
		clear(g)
	}
	a.N = 0
}

// normalize rescales L's diagonal to a product of magnitude 1 and clamps each entry to the
// scale bounds (see BaseMinScale).
func (g *GaussianBase) normalize() {
	d := g.Dim()
	s := 0.0
	for j := range d {
		s += math.Log(math.Abs(g.L[j*d+j]))
	}
	c := math.Exp(-s / float64(d))
	for j := range d {
		v := g.L[j*d+j] * c
		g.L[j*d+j] = math.Copysign(min(max(math.Abs(v), BaseMinScale), BaseMaxScale), v)
	}
}
