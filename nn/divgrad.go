package nn

import (
	"fmt"

	"github.com/interflow/flowbench/internal/buf"
	"github.com/interflow/flowbench/kernels"
)

// DivGrad evaluates, for a batch of points at one time t, the velocity v(t, x) together
// with the divergence (exact or Hutchinson) and the squared Jacobian norm, and then
// back-propagates cotangents of those outputs to the parameters and to x: the reverse-mode
// gradient of a forward-mode divergence, which maximum-likelihood training of a continuous
// flow needs at every field evaluation.
//
// The forward pass pushes K tangents u_k per row through the layers (K = d with u_k = e_k
// for the exact divergence, K = 1 with u = ε for Hutchinson):
//
//	z_i = a_{i−1}·W_i + b_i,  a_i = σ(z_i),  P_ik = T_{i−1,k}·W_i,  T_ik = σ'(z_i) ⊙ P_ik
//	v = a_{L−2}·W_{L−1} + b_{L−1},  jv_k = T_{L−2,k}·W_{L−1} = (∂v/∂x)·u_k
//	div = Σ_k u_k·jv_k,  frob = Σ_k |jv_k|²
//
// (exact: div = tr ∂v/∂x and frob = ‖∂v/∂x‖²_F; Hutchinson: their unbiased estimates
// εᵀ(∂v/∂x)ε and |(∂v/∂x)ε|²). Backward runs the chain rule through every one of these
// products, which brings in σ” (kernels.ActDeriv2) through T_ik's dependence on z_i.
//
// A DivGrad holds the activations of its last Forward and reuses its buffers: after the
// first call at a given batch size nothing allocates. It shares the MLP's parameters (not
// its workspace) and is not safe for concurrent use.
type DivGrad struct {
	m       *MLP
	woff    []int // offset of each layer's W in the slab (its bias follows)
	b, k    int   // rows and tangents per row of the last Forward
	have    bool
	x, u    []float32
	bias0   []float32
	feat    []float32
	z, a, s []([]float32) // per hidden layer, B×w: pre-activation, activation, σ'
	p, tn   []([]float32) // per hidden layer, BK×w: tangents before and after σ'
	out, jv []float32

	ga, gz, gs, zero, gtmp, col []float32
	gt                          [2][]float32
	gjv                         []float32
}

// NewDivGrad returns a DivGrad evaluating m (sharing its parameters). m must be
// unconditional (maximum-likelihood training of conditional networks is not supported); it
// panics otherwise.
func NewDivGrad(m *MLP) *DivGrad {
	if m.cfg.Conditional() {
		panic("nn: NewDivGrad: conditional networks are not supported")
	}
	g := &DivGrad{m: m}
	off := 0
	for _, l := range m.layers {
		g.woff = append(g.woff, off)
		off += (l.In + 1) * l.Out
	}
	nh := len(m.layers) - 1
	g.z, g.a, g.s = make([][]float32, nh), make([][]float32, nh), make([][]float32, nh)
	g.p, g.tn = make([][]float32, nh), make([][]float32, nh)
	return g
}

// Forward evaluates v(t, x) into out (B×d), and into div and frob (B entries each; either
// may be nil) the divergence and squared Jacobian norm of each row: exact when probe is nil,
// otherwise the Hutchinson estimates with the given probe (B×d, one ε per row). It keeps
// the state that Backward needs. Shape errors panic.
func (g *DivGrad) Forward(t float64, x, probe, out []float32, div, frob []float64) {
	m := g.m
	d, L := m.cfg.Dim, len(m.layers)
	if len(x)%d != 0 || len(out) < len(x) {
		panic(fmt.Sprintf("nn: DivGrad.Forward: len(x) = %d, len(out) = %d, dim %d", len(x), len(out), d))
	}
	B := len(x) / d
	if (div != nil && len(div) < B) || (frob != nil && len(frob) < B) || (probe != nil && len(probe) < len(x)) {
		panic(fmt.Sprintf("nn: DivGrad.Forward: div, frob or probe too short for %d rows", B))
	}
	K := d
	if probe != nil {
		K = 1
	}
	g.b, g.k, g.have = B, K, true
	BK := B * K
	g.x = buf.Grow(g.x, B*d)
	copy(g.x, x)
	g.u = buf.Grow(g.u, BK*d)
	if probe != nil {
		copy(g.u, probe[:B*d])
	} else {
		clear(g.u)
		for r := 0; r < B; r++ {
			for k := 0; k < d; k++ {
				g.u[(r*d+k)*d+k] = 1
			}
		}
	}
	// The time enters layer 0 as a bias: bias0 = b0 + Σ_f feat_f·W0[d+f, :].
	g.bias0, g.feat = m.foldBiasInto(t, nil, g.bias0, g.feat)
	g.out = buf.Grow(g.out, B*d)
	g.jv = buf.Grow(g.jv, BK*d)
	in, tin, ld := g.x, g.u, d
	for i, l := range m.layers {
		k, bias := l.In, l.B
		if i == 0 {
			k, bias = d, g.bias0
		}
		if i == L-1 {
			kernels.GemmBiasAct(B, d, k, in, ld, l.W, d, bias, kernels.Identity, nil, 0, g.out, d)
			kernels.Gemm(false, false, BK, d, k, 1, tin, ld, l.W, d, 0, g.jv, d)
			break
		}
		w := l.Out
		g.z[i] = buf.Grow(g.z[i], B*w)
		g.a[i] = buf.Grow(g.a[i], B*w)
		g.s[i] = buf.Grow(g.s[i], B*w)
		g.p[i] = buf.Grow(g.p[i], BK*w)
		g.tn[i] = buf.Grow(g.tn[i], BK*w)
		kernels.GemmBiasAct(B, w, k, in, ld, l.W, w, bias, m.cfg.Act, g.z[i], w, g.a[i], w)
		kernels.ActDeriv(m.cfg.Act, g.z[i], g.s[i])
		kernels.Gemm(false, false, BK, w, k, 1, tin, ld, l.W, w, 0, g.p[i], w)
		copy(g.tn[i], g.p[i])
		for r := 0; r < B; r++ {
			kernels.ScaleCols(K, w, g.tn[i][r*K*w:(r+1)*K*w], w, g.s[i][r*w:(r+1)*w])
		}
		in, tin, ld = g.a[i], g.tn[i], w
	}
	copy(out, g.out)
	for r := 0; r < B; r++ {
		var sd, sf float64
		for k := 0; k < K; k++ {
			o := (r*K + k) * d
			for j := 0; j < d; j++ {
				jv := float64(g.jv[o+j])
				sd += float64(g.u[o+j]) * jv
				sf += jv * jv
			}
		}
		if div != nil {
			div[r] = sd
		}
		if frob != nil {
			frob[r] = sf
		}
	}
}

// Backward back-propagates the cotangents of the last Forward's outputs — gv = ∂L/∂v (B×d,
// may be nil for zero), gdiv = ∂L/∂div and gfrob = ∂L/∂frob (B entries each, nil for
// zero) — and adds ∂L/∂θ into grad (laid out like Params; nil skips it) and writes ∂L/∂x
// into gx (B×d; nil skips it). The state of the Forward is kept, so Backward may be called
// again with other cotangents.
func (g *DivGrad) Backward(gv []float32, gdiv, gfrob []float64, grad, gx []float32) {
	m := g.m
	if !g.have {
		panic("nn: DivGrad.Backward without a Forward")
	}
	d, L, B, K := m.cfg.Dim, len(m.layers), g.b, g.k
	BK := B * K
	if (gv != nil && len(gv) < B*d) || (gdiv != nil && len(gdiv) < B) || (gfrob != nil && len(gfrob) < B) {
		panic(fmt.Sprintf("nn: DivGrad.Backward: cotangents too short for %d rows", B))
	}
	if grad != nil && len(grad) != len(m.params) {
		panic(fmt.Sprintf("nn: DivGrad.Backward: len(grad) = %d, want %d", len(grad), len(m.params)))
	}
	if gx != nil && len(gx) < B*d {
		panic(fmt.Sprintf("nn: DivGrad.Backward: len(gx) = %d < %d", len(gx), B*d))
	}
	if B == 0 {
		return
	}
	w := m.maxWidth()
	g.ga = buf.Grow(g.ga, B*w)
	g.gz = buf.Grow(g.gz, B*w)
	g.gs = buf.Grow(g.gs, B*w)
	g.gt[0] = buf.Grow(g.gt[0], BK*w)
	g.gt[1] = buf.Grow(g.gt[1], BK*w)
	g.gtmp = buf.Grow(g.gtmp, BK*w)
	g.col = buf.Grow(g.col, w)
	g.gjv = buf.Grow(g.gjv, BK*d)
	if gv == nil {
		g.zero = buf.Grow(g.zero, B*d)
		clear(g.zero)
		gv = g.zero
	}
	// ∂L/∂jv_k = gdiv·u_k + 2·gfrob·jv_k.
	for r := 0; r < B; r++ {
		var cd, cf float32
		if gdiv != nil {
			cd = float32(gdiv[r])
		}
		if gfrob != nil {
			cf = float32(2 * gfrob[r])
		}
		o := r * K * d
		for i := o; i < o+K*d; i++ {
			g.gjv[i] = cd*g.u[i] + cf*g.jv[i]
		}
	}
	// dz and dT are ∂L/∂ of layer i's outputs: B value rows and BK tangent rows, width ld.
	dz, dT, ld := gv[:B*d], g.gjv, d
	cur := 0
	for i := L - 1; i >= 0; i-- {
		l := m.layers[i]
		ain, tin, in := g.x, g.u, d
		if i > 0 {
			ain, tin, in = g.a[i-1], g.tn[i-1], l.In
		}
		if grad != nil {
			gw := grad[g.woff[i] : g.woff[i]+l.In*l.Out]
			kernels.Gemm(true, false, in, l.Out, B, 1, ain, in, dz, ld, 1, gw, l.Out)
			kernels.Gemm(true, false, in, l.Out, BK, 1, tin, in, dT, ld, 1, gw, l.Out)
			col := g.col[:l.Out]
			kernels.ColSums(B, l.Out, dz, ld, col)
			bo := g.woff[i] + l.In*l.Out
			kernels.Axpy(1, col, grad[bo:bo+l.Out])
			if i == 0 {
				for f, v := range g.feat {
					kernels.Axpy(v, col, gw[(d+f)*l.Out:(d+f+1)*l.Out])
				}
			}
		}
		if i == 0 {
			if gx != nil {
				kernels.Gemm(false, true, B, d, l.Out, 1, dz, ld, l.W, l.Out, 0, gx, d)
			}
			return
		}
		// Into layer i−1's outputs: ∂L/∂a = dz·Wᵀ, ∂L/∂T = dT·Wᵀ.
		pw := in
		ga := g.ga[:B*pw]
		gT := g.gt[cur][:BK*pw]
		kernels.Gemm(false, true, B, pw, l.Out, 1, dz, ld, l.W, l.Out, 0, ga, pw)
		kernels.Gemm(false, true, BK, pw, l.Out, 1, dT, ld, l.W, l.Out, 0, gT, pw)
		// T = σ'(z) ⊙ P: ∂L/∂σ'(z) = Σ_k ∂L/∂T_k ⊙ P_k per row, ∂L/∂P = ∂L/∂T ⊙ σ'(z).
		h := i - 1
		s, p, z := g.s[h], g.p[h], g.z[h]
		gs, tmp := g.gs[:B*pw], g.gtmp[:BK*pw]
		kernels.Mul(gT, p, tmp)
		for r := 0; r < B; r++ {
			kernels.ColSums(K, pw, tmp[r*K*pw:(r+1)*K*pw], pw, gs[r*pw:(r+1)*pw])
			kernels.ScaleCols(K, pw, gT[r*K*pw:(r+1)*K*pw], pw, s[r*pw:(r+1)*pw])
		}
		// ∂L/∂z = ∂L/∂a ⊙ σ'(z) + ∂L/∂σ'(z) ⊙ σ”(z).
		gz := g.gz[:B*pw]
		kernels.ActDeriv2(m.cfg.Act, z, gz)
		kernels.Mul(gs, gz, gz)
		kernels.Mul(ga, s, ga)
		kernels.Axpy(1, ga, gz)
		dz, dT, ld = gz, gT, pw
		cur = 1 - cur
	}
}
