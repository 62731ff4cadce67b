package nn

import (
	"fmt"

	"github.com/interflow/flowbench/internal/buf"
	"github.com/interflow/flowbench/kernels"
)

// VelocityDiv writes v(t, x) into out and the exact divergence tr(∂v/∂x) of each row into
// div (len(div) ≥ B). It implements the solver's DivField interface:
//
//	VelocityDiv(t float64, x, out []float32, div []float64)
//
// The divergence is computed in forward mode: the d input tangents e_j of every row are
// pushed through the layers together as one batched GEMM per hidden layer. The first
// layer's tangents are rows of W0 scaled by act' (no GEMM) and the last layer needs only
// the diagonal ∂v_j/∂x_j (a dot product per tangent, no GEMM).
func (m *MLP) VelocityDiv(t float64, x, out []float32, div []float64) {
	B := m.batchRows("VelocityDiv", x, out)
	if len(div) < B {
		panic(fmt.Sprintf("nn: VelocityDiv: len(div) = %d < %d rows", len(div), B))
	}
	if B == 0 {
		return
	}
	d, L := m.cfg.Dim, len(m.layers)
	perRow := m.ctxMode("VelocityDiv", B)
	m.foldBias(t, perRow)
	if L == 1 { // a linear map: constant divergence Σ_j W0[j, j]
		m.runChunks(chunkRun{kind: chunkInfer, rows: inferRows, b: B, x: x, out: out, perRow: perRow})
		l0 := m.layers[0]
		var s float64
		for j := 0; j < d; j++ {
			s += float64(l0.W[j*l0.Out+j])
		}
		for i := range B {
			div[i] = s
		}
		return
	}
	// The last layer's W transposed, so that column j is contiguous.
	ws, last := m.ws, m.layers[L-1]
	ws.wlt = buf.Grow(ws.wlt, d*last.In)
	for k := 0; k < last.In; k++ {
		for j := 0; j < d; j++ {
			ws.wlt[j*last.In+k] = last.W[k*d+j]
		}
	}
	rows := max(1, divTangents/d)
	m.runChunks(chunkRun{kind: chunkDiv, rows: rows, tangents: d, b: B, x: x, out: out, div: div, perRow: perRow})
}

// divChunk is VelocityDiv for n rows (context rows c when per row, else nil), in ws's
// buffers.
func (m *MLP) divChunk(ws *workspace, n int, x, c, out []float32, div []float64) {
	d, L, act := m.cfg.Dim, len(m.layers), m.cfg.Act
	l0 := m.layers[0]
	w := l0.Out
	// Layer 0: Z = x·W0[:d] + bias0 (or [x, c]·W0[:d+C] + bias0); tangent j of row b is
	// act'(Z_b) ⊙ W0[j, :].
	z, a := ws.zc[:n*w], ws.h[0][:n*w]
	in0, k0 := m.firstInput(ws, n, x, c)
	kernels.GemmBiasAct(n, w, k0, in0, k0, l0.W, w, m.ws.bias0, act, z, w, a, w)
	kernels.ActDeriv(act, z, z)
	tan := ws.tan[0][:n*d*w]
	for b := 0; b < n; b++ {
		blk := tan[b*d*w : (b+1)*d*w]
		copy(blk, l0.W[:d*w])
		kernels.ScaleCols(d, w, blk, w, z[b*w:(b+1)*w])
	}
	cur := 0
	for i := 1; i < L-1; i++ {
		l := m.layers[i]
		w = l.Out
		z = ws.zc[:n*w]
		an := ws.h[i%2][:n*w]
		kernels.GemmBiasAct(n, w, l.In, a, l.In, l.W, w, l.B, act, z, w, an, w)
		a = an
		nt := ws.tan[1-cur][:n*d*w]
		kernels.Gemm(false, false, n*d, w, l.In, 1, tan, l.In, l.W, w, 0, nt, w)
		kernels.ActDeriv(act, z, z)
		for b := 0; b < n; b++ {
			kernels.ScaleCols(d, w, nt[b*d*w:(b+1)*d*w], w, z[b*w:(b+1)*w])
		}
		tan, cur = nt, 1-cur
	}
	last := m.layers[L-1]
	kernels.GemmBiasAct(n, d, last.In, a, last.In, last.W, d, last.B, kernels.Identity, nil, 0, out, d)
	k := last.In
	for b := 0; b < n; b++ {
		var s float64
		for j := 0; j < d; j++ {
			o := (b*d + j) * k
			s += float64(kernels.Dot(tan[o:o+k], m.ws.wlt[j*k:(j+1)*k]))
		}
		div[b] = s
	}
}

// JVP writes v(t, x) into out and the Jacobian-vector product (∂v/∂x)·u of each row into
// jv (u, out and jv have the layout of x), in one forward-mode pass.
func (m *MLP) JVP(t float64, x, u, out, jv []float32) {
	B := m.batchRows("JVP", x, out)
	if len(u) < len(x) || len(jv) < len(x) {
		panic(fmt.Sprintf("nn: JVP: len(u) = %d, len(jv) = %d, want ≥ %d", len(u), len(jv), len(x)))
	}
	if B == 0 {
		return
	}
	perRow := m.ctxMode("JVP", B)
	m.foldBias(t, perRow)
	m.runChunks(chunkRun{kind: chunkJVP, rows: inferRows, tangents: 1, b: B, x: x, u: u, out: out, jv: jv, perRow: perRow})
}

// jvpChunk is JVP for n rows (context rows c when per row, else nil), in ws's buffers. The
// tangents enter through the x rows of W0 only: the context is held fixed.
func (m *MLP) jvpChunk(ws *workspace, n int, x, c, u, out, jv []float32) {
	d, L, act := m.cfg.Dim, len(m.layers), m.cfg.Act
	in0, k0 := m.firstInput(ws, n, x, c)
	in, tin, ld, tk := in0, u, k0, d
	cur := 0
	for i, l := range m.layers {
		k, bias := l.In, l.B
		if i == 0 {
			k, bias = k0, m.ws.bias0
		} else {
			tk = k
		}
		if i == L-1 {
			kernels.GemmBiasAct(n, d, k, in, ld, l.W, d, bias, kernels.Identity, nil, 0, out, d)
			kernels.Gemm(false, false, n, d, tk, 1, tin, tk, l.W, d, 0, jv, d)
			return
		}
		w := l.Out
		z, a := ws.zc[:n*w], ws.h[i%2][:n*w]
		kernels.GemmBiasAct(n, w, k, in, ld, l.W, w, bias, act, z, w, a, w)
		nt := ws.tan[cur][:n*w]
		kernels.Gemm(false, false, n, w, tk, 1, tin, tk, l.W, w, 0, nt, w)
		kernels.ActDeriv(act, z, z)
		kernels.Mul(nt, z, nt)
		in, tin, ld, cur = a, nt, w, 1-cur
	}
}

// VelocityDivHutchinson writes v(t, x) into out and, into div, the Hutchinson estimate
// εᵀ(∂v/∂x)ε of each row's divergence with the given probe ε (one d-vector per row, same
// layout as x). It implements the solver's DivField interface:
//
//	VelocityDivHutchinson(t float64, x, out []float32, div []float64, probe []float32)
//
// It costs one forward-mode JVP pass.
func (m *MLP) VelocityDivHutchinson(t float64, x, out []float32, div []float64, probe []float32) {
	B := m.batchRows("VelocityDivHutchinson", x, out)
	if len(div) < B || len(probe) < len(x) {
		panic(fmt.Sprintf("nn: VelocityDivHutchinson: len(div) = %d, len(probe) = %d for %d rows", len(div), len(probe), B))
	}
	if B == 0 {
		return
	}
	d := m.cfg.Dim
	m.ws.jv = buf.Grow(m.ws.jv, len(x))
	jv := m.ws.jv
	m.JVP(t, x, probe, out, jv)
	for b := 0; b < B; b++ {
		var s float64
		for j := b * d; j < (b+1)*d; j++ {
			s += float64(probe[j]) * float64(jv[j])
		}
		div[b] = s
	}
}

// VJP writes v(t, x) into out and the vector-Jacobian product uᵀ(∂v/∂x) of each row into
// vj (u, out and vj have the layout of x), by one forward and one backward pass.
func (m *MLP) VJP(t float64, x, u, out, vj []float32) {
	B := m.batchRows("VJP", x, out)
	if len(u) < len(x) || len(vj) < len(x) {
		panic(fmt.Sprintf("nn: VJP: len(u) = %d, len(vj) = %d, want ≥ %d", len(u), len(vj), len(x)))
	}
	ws := m.ws
	ws.trow = buf.Grow(ws.trow, B)
	for i := range ws.trow {
		ws.trow[i] = t
	}
	perRow := m.ctxMode("VJP", B)
	m.forward(ws, ws.trow, x, m.ctxChunk(perRow, 0, B), out[:len(x)])
	m.backward(ws, u[:len(x)], nil, vj, nil)
}
