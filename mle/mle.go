// Package mle is the maximum-likelihood objective of a continuous normalizing flow (the
// FFJORD baseline the interpolant method is compared with): the exact NLL through the ODE
// and its gradient with respect to the network's parameters, by the adjoint method or by
// back-propagation through a fixed-step RK4 solve, with exact or Hutchinson divergence and
// the RNODE regularizers. gen.TrainMLE trains with it. It knows nothing of data files,
// training loops or models: it sees an nn.MLP and batches of rows.
package mle

import (
	"context"
	"fmt"
	"math"

	"github.com/interflow/flowbench/internal/buf"
	"github.com/interflow/flowbench/internal/enum"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/nn"
	"github.com/interflow/flowbench/solver"
)

// Gradient selects how the gradient of the maximum-likelihood objective is computed.
type Gradient uint8

const (
	// GradDiscrete back-propagates through a fixed-step RK4 solve of the augmented system
	// (discretize-then-optimize): the gradient is exact for the discrete objective. The
	// stage inputs are stored (B×d per stage) and each stage's activations recomputed.
	GradDiscrete Gradient = iota
	// GradAdjoint solves the augmented system forward (Options.Forward, adaptive Dopri5 by
	// default) and integrates the augmented adjoint system backward with RK4 (FFJORD's
	// optimize-then-discretize): the gradient of the continuous objective to within the
	// solvers' errors, with memory independent of the number of steps.
	GradAdjoint
)

var gradientNames = enum.Names{Type: "Gradient", Names: []string{"discrete", "adjoint"},
	Aliases: map[string]int{"rk4": int(GradDiscrete), "": int(GradDiscrete)}, Fold: true, Unknown: "unknown MLE gradient", Want: "discrete or adjoint"}

// String returns "discrete" or "adjoint".
func (g Gradient) String() string { return enum.String(&gradientNames, g) }

// ParseGradient returns the gradient method named "discrete" (or "rk4") or "adjoint".
func ParseGradient(s string) (Gradient, error) {
	return enum.Value[Gradient](&gradientNames, s)
}

// Config configures the maximum-likelihood objective of a continuous flow.
type Config struct {
	// Gradient is the gradient method.
	Gradient Gradient `json:"gradient"`
	// Steps is the number of RK4 steps of the discrete solve (GradDiscrete) or of the
	// backward adjoint solve (GradAdjoint).
	Steps int `json:"steps"`
	// Forward is the forward solver of GradAdjoint (Method 0 with Steps 0: Dopri5 at
	// rtol = atol = 1e-5). Its Div and ProbeSeed are ignored: the divergence follows Div.
	Forward solver.Options `json:"-"`
	// Div is "exact", "hutchinson" or "" (auto: exact for d ≤ 2, Hutchinson above).
	Div string `json:"div"`
	// Kinetic and Jacobian are the RNODE weights λ_K and λ_J of the regularizers
	// (1/B) Σ ∫₀¹ |v|² dt and (1/B) Σ ∫₀¹ ‖∂v/∂x‖²_F dt (Hutchinson: |(∂v/∂x)ε|²).
	Kinetic  float64 `json:"kinetic"`
	Jacobian float64 `json:"jacobian"`
}

// DefaultConfig returns the FFJORD-style configuration: adjoint gradient, adaptive
// Dopri5 forward solve at rtol = atol = 1e-5, 16 RK4 steps for the adjoint, the automatic
// divergence and no regularizers.
func DefaultConfig() Config {
	return Config{Gradient: GradAdjoint, Steps: 16,
		Forward: solver.Options{Method: solver.Dopri5, RTol: 1e-5, ATol: 1e-5}}
}

// Validate reports whether the configuration is usable, naming the bad field.
func (c *Config) Validate() error {
	switch {
	case c.Gradient > GradAdjoint:
		return fmt.Errorf("mle config: gradient = %d: want discrete or adjoint", c.Gradient)
	case c.Steps < 1 || c.Steps > 1<<16:
		return fmt.Errorf("mle config: steps = %d: want a value in [1, 65536]", c.Steps)
	case c.Div != "" && c.Div != "exact" && c.Div != "hutchinson":
		return fmt.Errorf("mle config: div = %q: want exact, hutchinson or empty (auto)", c.Div)
	case !(c.Kinetic >= 0) || math.IsInf(c.Kinetic, 0):
		return fmt.Errorf("mle config: kinetic = %g: want a finite value ≥ 0", c.Kinetic)
	case !(c.Jacobian >= 0) || math.IsInf(c.Jacobian, 0):
		return fmt.Errorf("mle config: jacobian = %g: want a finite value ≥ 0", c.Jacobian)
	}
	if c.Gradient == GradAdjoint {
		if f := c.forward(); f.Validate() != nil {
			return fmt.Errorf("mle config: forward solver: %w", f.Validate())
		}
	}
	return nil
}

// forward returns the adjoint method's forward solver options, defaults filled in.
func (c *Config) forward() solver.Options {
	f := c.Forward
	if f.Method == 0 && f.Steps == 0 {
		f.Method = solver.Dopri5
	}
	f.Div, f.ProbeSeed = solver.DivExact, 0
	return f
}

// ExactDiv reports whether the objective uses the exact divergence for dimension d.
func (c *Config) ExactDiv(d int) bool {
	switch c.Div {
	case "exact":
		return true
	case "hutchinson":
		return false
	}
	return d <= 2
}

// Stats are the values of one evaluation of the objective on a batch.
type Stats struct {
	// NLL is the batch mean of −log ρ1(x) (nats, in the network's data space) as the
	// forward solve computes it: −log ρ0(x(0)) − ∫₁⁰ div v dt with ρ0 = N(0, I).
	NLL float64
	// Kinetic and Jacobian are the batch means of ∫₀¹ |v|² dt and ∫₀¹ ‖∂v/∂x‖²_F dt (0
	// when their weight is 0 and the solve did not compute them).
	Kinetic, Jacobian float64
	// Loss is NLL + λ_K·Kinetic + λ_J·Jacobian, the value the gradient is of.
	Loss float64
	// NFE and NFEBackward count field evaluations of the forward solve and of the
	// gradient's backward pass.
	NFE, NFEBackward int
}

// Objective evaluates the maximum-likelihood objective of a velocity network on data
// batches and its gradient with respect to the parameters. It owns its buffers: after the
// first call at a given batch size LossGrad allocates only what the solver package does
// for an adaptive forward solve. It is not safe for concurrent use.
type Objective struct {
	cfg Config
	net *nn.MLP
	dg  *nn.DivGrad
	d   int
	rk  *solver.Stepper // RK4: the discrete solve and the adjoint's backward solve
	bw  []float64       // the stages' weights bᵢ (the float32 values of the state update)

	ys             []float32 // stored stage inputs (GradDiscrete): Steps·S blocks of B×d
	y, ab, tmp, at []float32
	k, gy          [][]float32 // per stage
	div, frob, kin [][]float64 // per stage
	ell, ke, jf    []float64
	gdiv, gfrob    []float64
	gv             []float32
	ws             *solver.Workspace
	fld            *probeField
	ka             [][]float32        // adjoint: stages of a
	kg             [][]float32        // adjoint: stages of G
	in, xin, ain   [][]float32        // stage inputs: of x (discrete: views of ys), of x and a (adjoint)
	vec            [3]solver.StageVec // the state vectors of a step: x (discrete); x, a, G (adjoint)
}

// New returns the objective for net under cfg.
func New(net *nn.MLP, cfg Config) (*Objective, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if net.Config().Conditional() {
		return nil, fmt.Errorf("mle: conditional networks are not supported by the maximum-likelihood objective")
	}
	rk, err := solver.NewStepper(solver.RK4)
	if err != nil {
		return nil, err
	}
	S := rk.Stages()
	o := &Objective{cfg: cfg, net: net, dg: nn.NewDivGrad(net), d: net.Dim(), rk: rk,
		ws: solver.NewWorkspace(), fld: &probeField{net: net}, bw: make([]float64, S),
		k: make([][]float32, S), gy: make([][]float32, S), ka: make([][]float32, S), kg: make([][]float32, S),
		div: make([][]float64, S), frob: make([][]float64, S), kin: make([][]float64, S),
		in: make([][]float32, S), xin: make([][]float32, S), ain: make([][]float32, S)}
	for i := range S {
		o.bw[i] = float64(rk.Weight(i))
	}
	return o, nil
}

// Config returns the objective's configuration.
func (o *Objective) Config() Config { return o.cfg }

// ExactDiv reports whether the objective uses the exact divergence (otherwise LossGrad
// needs a probe).
func (o *Objective) ExactDiv() bool { return o.cfg.ExactDiv(o.d) }

func (o *Objective) ensure(B int) {
	n := B * o.d
	o.y = buf.Grow(o.y, n)
	o.ab = buf.Grow(o.ab, n)
	o.tmp = buf.Grow(o.tmp, n)
	o.gv = buf.Grow(o.gv, n)
	for s := range o.k {
		o.k[s] = buf.Grow(o.k[s], n)
		o.gy[s] = buf.Grow(o.gy[s], n)
		o.div[s] = buf.Grow(o.div[s], B)
		o.frob[s] = buf.Grow(o.frob[s], B)
		o.kin[s] = buf.Grow(o.kin[s], B)
	}
	o.ell = buf.Grow(o.ell, B)
	o.ke = buf.Grow(o.ke, B)
	o.jf = buf.Grow(o.jf, B)
	o.gdiv = buf.Grow(o.gdiv, B)
	o.gfrob = buf.Grow(o.gfrob, B)
}

// LossGrad evaluates the objective on the batch x (B×d rows in the network's data space;
// not modified) and overwrites grad (len NumParams) with its gradient. probe (B×d, one
// Hutchinson vector per row, fixed along the trajectory) is required when !ExactDiv() and
// ignored otherwise. A non-finite result is an error naming the row.
func (o *Objective) LossGrad(ctx context.Context, x, probe, grad []float32) (Stats, error) {
	d := o.d
	if len(x) == 0 || len(x)%d != 0 {
		return Stats{}, fmt.Errorf("mle: batch of %d values is not a whole number of rows of dimension %d", len(x), d)
	}
	B := len(x) / d
	if len(grad) != o.net.NumParams() {
		return Stats{}, fmt.Errorf("mle: gradient has %d values, network %d", len(grad), o.net.NumParams())
	}
	if o.ExactDiv() {
		probe = nil
	} else if len(probe) != len(x) {
		return Stats{}, fmt.Errorf("mle: Hutchinson probe has %d values, want %d", len(probe), len(x))
	}
	o.ensure(B)
	clear(grad)
	if o.cfg.Gradient == GradAdjoint {
		return o.adjoint(ctx, x, probe, grad)
	}
	return o.discrete(ctx, x, probe, grad)
}

// stageEval evaluates the augmented field at stage s: v into k[s], the divergence into div
// (when non-nil), frob[s] (when needed) and |v|² per row into kin[s].
func (o *Objective) stageEval(t float64, y, probe []float32, div []float64, s int) {
	var frob []float64
	if o.cfg.Jacobian > 0 {
		frob = o.frob[s]
	}
	o.dg.Forward(t, y, probe, o.k[s], div, frob)
	d := o.d
	for r := range o.kin[s] {
		var q float64
		for _, v := range o.k[s][r*d : (r+1)*d] {
			q += float64(v) * float64(v)
		}
		o.kin[s][r] = q
	}
}

// finish turns the final state into the statistics: ell holds ∫₁⁰ div dt, ke and jf the
// regularizers' integrals, y the encodings x(0).
func (o *Objective) finish(B int) (Stats, error) {
	d := o.d
	var st Stats
	for r := range B {
		nll := -solver.StdNormal(o.y[r*d:(r+1)*d]) - o.ell[r]
		if math.IsNaN(nll) || math.IsInf(nll, 0) {
			return st, fmt.Errorf("mle: row %d: negative log-likelihood is %g", r, nll)
		}
		st.NLL += nll
		st.Kinetic += o.ke[r]
		st.Jacobian += o.jf[r]
	}
	fb := float64(B)
	st.NLL /= fb
	st.Kinetic /= fb
	st.Jacobian /= fb
	st.Loss = st.NLL + o.cfg.Kinetic*st.Kinetic + o.cfg.Jacobian*st.Jacobian
	return st, nil
}

// discrete is GradDiscrete: RK4 from t = 1 to 0 storing the stage inputs, then the
// reverse sweep through the steps.
func (o *Objective) discrete(ctx context.Context, x, probe, grad []float32) (Stats, error) {
	d, N, S := o.d, o.cfg.Steps, o.rk.Stages()
	B := len(x) / d
	n := B * d
	o.ys = buf.Grow(o.ys, S*N*n)
	copy(o.y, x)
	clear(o.ell)
	clear(o.ke)
	clear(o.jf)
	h := -1 / float64(N)
	hf := float32(h)
	vs := o.vec[:1]
	vs[0] = solver.StageVec{Y: o.y, K: o.k, In: o.in}
	for step := range N {
		if step%8 == 0 && ctx.Err() != nil {
			return Stats{}, fmt.Errorf("mle: %w", ctx.Err())
		}
		t := 1 + float64(step)*h
		base := o.ys[S*step*n:]
		for s := range S {
			o.in[s] = base[s*n : (s+1)*n]
		}
		copy(o.in[0], o.y)
		o.rk.Step(t, h, vs, func(s int, ts float64) { o.stageEval(ts, o.in[s], probe, o.div[s], s) })
		for r := range B {
			for s := range S {
				w := h * o.bw[s]
				o.ell[r] += w * o.div[s][r]
				o.ke[r] -= w * o.kin[s][r]
				o.jf[r] -= w * o.frob[s][r]
			}
		}
	}
	st, err := o.finish(B)
	st.NFE = S * N
	if err != nil {
		return st, err
	}
	// Reverse sweep. ā = ∂Loss/∂x(0) = x(0)/B; the scalar states' adjoints are constant:
	// c_ℓ = −1/B, c_K = λ_K/B, c_J = λ_J/B.
	fb := float32(B)
	for i, v := range o.y[:n] {
		o.ab[i] = v / fb
	}
	for step := N - 1; step >= 0; step-- {
		if step%8 == 0 && ctx.Err() != nil {
			return st, fmt.Errorf("mle: %w", ctx.Err())
		}
		t := 1 + float64(step)*h
		base := o.ys[S*step*n:]
		for s := S - 1; s >= 0; s-- {
			// ∂Loss/∂k_s = h·b_s·ā + Σ_{j>s} h·a_js·∂Loss/∂Y_j (the later stages whose inputs
			// Y_j = y + h·Σ a_jl·k_l read k_s).
			gk := o.gv[:n]
			for i := range gk {
				gk[i] = hf * o.rk.Weight(s) * o.ab[i]
			}
			for j := s + 1; j < S; j++ {
				if a := o.rk.Coeff(j, s); a != 0 {
					kernels.Axpy(hf*a, o.gy[j][:n], gk)
				}
			}
			o.stageVJP(o.rk.StageTime(t, h, s), base[s*n:(s+1)*n], probe, gk, h*o.bw[s], grad, o.gy[s][:n])
		}
		for s := range S {
			kernels.Axpy(1, o.gy[s][:n], o.ab[:n])
		}
	}
	st.NFEBackward = S * N
	return st, nil
}

// stageVJP re-evaluates the augmented field at (t, y) and back-propagates the cotangent gk
// of v plus sc times the scalar states' adjoints, adding into grad and writing ∂/∂y into
// gy. gk is modified.
func (o *Objective) stageVJP(t float64, y, probe, gk []float32, sc float64, grad, gy []float32) {
	B := len(y) / o.d
	o.dg.Forward(t, y, probe, o.tmp, nil, nil)
	fb := float64(B)
	cl, cK, cJ := -1/fb, o.cfg.Kinetic/fb, o.cfg.Jacobian/fb
	if cK != 0 {
		// The kinetic state's rate is −|v|² (it is integrated from t = 1 down to 0).
		kernels.Axpy(float32(-2*sc*cK), o.tmp[:len(y)], gk)
	}
	for r := range B {
		o.gdiv[r] = sc * cl
		o.gfrob[r] = -sc * cJ
	}
	var gfrob []float64
	if cJ != 0 {
		gfrob = o.gfrob[:B]
	}
	o.dg.Backward(gk, o.gdiv[:B], gfrob, grad, gy)
}

// probeField is the network as a solver.DivField whose "exact" divergence is the
// Hutchinson estimate with a fixed probe when one is set, so that the solver's forward
// solve uses the same probe as the adjoint pass.
type probeField struct {
	net   *nn.MLP
	probe []float32
}

func (f *probeField) Dim() int                             { return f.net.Dim() }
func (f *probeField) Velocity(t float64, x, out []float32) { f.net.Velocity(t, x, out) }
func (f *probeField) VelocityDiv(t float64, x, out []float32, div []float64) {
	if f.probe != nil {
		f.net.VelocityDivHutchinson(t, x, out, div, f.probe)
		return
	}
	f.net.VelocityDiv(t, x, out, div)
}
func (f *probeField) VelocityDivHutchinson(t float64, x, out []float32, div []float64, probe []float32) {
	f.net.VelocityDivHutchinson(t, x, out, div, probe)
}

// adjoint is GradAdjoint: the forward solve with the solver package, then the augmented
// adjoint system (x, a, G) integrated with RK4 from τ = 0 to 1, where
//
//	dx/dτ = v,  da/dτ = −aᵀ∂f/∂x,  dG/dτ = −aᵀ∂f/∂θ,  a(0) = x(0)/B,  G(0) = 0
//
// for the augmented field f = (v, div, −|v|², −‖∂v/∂x‖²) with the scalar states' adjoints
// (−1/B, λ_K/B, λ_J/B) constant; the gradient is G(1). The regularizers' integrals are
// accumulated along the reconstructed trajectory.
func (o *Objective) adjoint(ctx context.Context, x, probe, grad []float32) (Stats, error) {
	d, N, P, S := o.d, o.cfg.Steps, len(grad), o.rk.Stages()
	B := len(x) / d
	n := B * d
	copy(o.y, x)
	clear(o.ell)
	o.fld.probe = probe
	fopt := o.cfg.forward()
	fs, err := o.ws.SolveDiv(ctx, o.fld, o.y[:n], o.ell[:B], 1, 0, &fopt)
	o.fld.probe = nil
	if err != nil {
		return Stats{NFE: fs.NFE}, fmt.Errorf("mle: forward solve: %w", err)
	}
	// State: y (x), ab (a), grad (G). Stage buffers: k (dx), ka (da), kg (dG); the stage
	// inputs of x and a in tmp and at.
	o.at = buf.Grow(o.at, n)
	for s := range S {
		o.ka[s] = buf.Grow(o.ka[s], n)
		o.kg[s] = buf.Grow(o.kg[s], P)
		o.xin[s], o.ain[s] = o.tmp[:n], o.at[:n]
	}
	fb := float32(B)
	for i, v := range o.y[:n] {
		o.ab[i] = v / fb
	}
	x0 := o.gv[:n] // keep x(0) for the NLL
	copy(x0, o.y[:n])
	clear(o.ke)
	clear(o.jf)
	h := 1 / float64(N)
	vs := o.vec[:3]
	vs[0] = solver.StageVec{Y: o.y[:n], K: o.k, In: o.xin}
	vs[1] = solver.StageVec{Y: o.ab[:n], K: o.ka, In: o.ain}
	vs[2] = solver.StageVec{Y: grad, K: o.kg}
	for step := range N {
		if step%8 == 0 && ctx.Err() != nil {
			return Stats{NFE: fs.NFE}, fmt.Errorf("mle: adjoint: %w", ctx.Err())
		}
		o.rk.Step(float64(step)*h, h, vs, func(s int, t float64) {
			o.adjointEval(t, vs[0].Input(s), vs[1].Input(s), probe, s)
		})
		for r := range B {
			for s := range S {
				w := h * o.bw[s]
				o.ke[r] += w * o.kin[s][r]
				o.jf[r] += w * o.frob[s][r]
			}
		}
	}
	copy(o.y[:n], x0)
	st, err := o.finish(B)
	st.NFE, st.NFEBackward = fs.NFE, S*N
	return st, err
}

// adjointEval evaluates stage s of the augmented adjoint system at (t, x, a): dx/dτ = v into
// k[s] (with |v|² and the Frobenius term), da/dτ into ka[s] and dG/dτ into kg[s].
func (o *Objective) adjointEval(t float64, x, a, probe []float32, s int) {
	B, n := len(x)/o.d, len(x)
	o.stageEval(t, x, probe, nil, s)
	// Cotangent of f's value: a for v (plus the kinetic term), constants for the rest.
	gk := o.gy[s][:n]
	copy(gk, a)
	cK := o.cfg.Kinetic / float64(B)
	if cK != 0 {
		kernels.Axpy(float32(-2*cK), o.k[s][:n], gk)
	}
	for r := range B {
		o.gdiv[r] = -1 / float64(B)
		o.gfrob[r] = -o.cfg.Jacobian / float64(B)
	}
	var gfrob []float64
	if o.cfg.Jacobian > 0 {
		gfrob = o.gfrob[:B]
	}
	clear(o.kg[s])
	o.dg.Backward(gk, o.gdiv[:B], gfrob, o.kg[s], o.ka[s])
	kernels.Scale(-1, o.ka[s][:n])
	kernels.Scale(-1, o.kg[s])
}
