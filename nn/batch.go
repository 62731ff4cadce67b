package nn

import (
	"fmt"

	"github.com/interflow/flowbench/internal/buf"
	"github.com/interflow/flowbench/kernels"
)

// Forward computes out = v(t_b, x_b) for every row b with its own time t[b] (B = len(t)
// rows; x and out are B×d), keeping in the workspace what Backward needs. The input is the
// concatenation [x, context, features(t)], with the context of SetContext (shared or per
// row).
func (m *MLP) Forward(t []float64, x, out []float32) {
	B, d := len(t), m.cfg.Dim
	if len(x) != B*d || len(out) < B*d {
		panic(fmt.Sprintf("nn: Forward: %d times, len(x) = %d, len(out) = %d, want x = %d", B, len(x), len(out), B*d))
	}
	perRow := m.ctxMode("Forward", B)
	m.forward(m.ws, t, x, m.ctxChunk(perRow, 0, B), out)
}

// forward is Forward in the buffers of ws, with the context c of these rows: one shared
// row (len ContextWidth()), one per row, or nil for an unconditional network.
func (m *MLP) forward(ws *workspace, t []float64, x, c, out []float32) {
	B, d, cw := len(t), m.cfg.Dim, m.cfg.ContextWidth()
	id, L := m.cfg.InputDim(), len(m.layers)
	ws.rows, ws.haveFwd = 0, true
	if B == 0 {
		return
	}
	ws.in = buf.Grow(ws.in, B*id)
	ws.ts = buf.Grow(ws.ts, B)
	copy(ws.ts, t)
	if len(ws.z) != L-1 {
		ws.z, ws.a = make([][]float32, L-1), make([][]float32, L-1)
	}
	for i := 0; i < L-1; i++ {
		ws.z[i] = buf.Grow(ws.z[i], B*m.layers[i].Out)
		ws.a[i] = buf.Grow(ws.a[i], B*m.layers[i].Out)
	}
	for b := 0; b < B; b++ {
		row := ws.in[b*id : (b+1)*id]
		copy(row, x[b*d:(b+1)*d])
		if cw > 0 {
			if len(c) == cw {
				copy(row[d:d+cw], c)
			} else {
				copy(row[d:d+cw], c[b*cw:(b+1)*cw])
			}
		}
		m.cfg.timeFeatures(t[b], row[d+cw:], nil)
	}
	in, ld := ws.in, id
	for i, l := range m.layers {
		if i == L-1 {
			kernels.GemmBiasAct(B, d, l.In, in, ld, l.W, d, l.B, kernels.Identity, nil, 0, out, d)
			break
		}
		kernels.GemmBiasAct(B, l.Out, l.In, in, ld, l.W, l.Out, l.B, m.cfg.Act, ws.z[i], l.Out, ws.a[i], l.Out)
		in, ld = ws.a[i], l.Out
	}
	ws.rows = B
}

// Backward back-propagates dOut = dL/dv (B×d, the rows of the last Forward) through the
// network. When grad is non-nil (len NumParams, laid out like Params) it is overwritten
// with dL/dθ. When dx (B×d) or dt (B) is non-nil it receives dL/dx or dL/dt of each row.
// Backward consumes the state of the last Forward (it reuses its buffers), so each
// Backward needs a fresh Forward; dOut is not modified.
func (m *MLP) Backward(dOut, grad, dx []float32, dt []float64) {
	ws, d := m.ws, m.cfg.Dim
	B := ws.rows
	if !ws.haveFwd {
		panic("nn: Backward without a preceding Forward")
	}
	if len(dOut) != B*d {
		panic(fmt.Sprintf("nn: Backward: len(dOut) = %d, Forward had %d rows of %d", len(dOut), B, d))
	}
	if grad != nil && len(grad) != len(m.params) {
		panic(fmt.Sprintf("nn: Backward: len(grad) = %d, want %d", len(grad), len(m.params)))
	}
	if dx != nil && len(dx) < B*d {
		panic(fmt.Sprintf("nn: Backward: len(dx) = %d < %d", len(dx), B*d))
	}
	if dt != nil && len(dt) < B {
		panic(fmt.Sprintf("nn: Backward: len(dt) = %d < %d", len(dt), B))
	}
	m.backward(m.ws, dOut, grad, dx, dt)
}

// backward is Backward on the state ws holds from its forward.
func (m *MLP) backward(ws *workspace, dOut, grad, dx []float32, dt []float64) {
	d, id, L := m.cfg.Dim, m.cfg.InputDim(), len(m.layers)
	B := ws.rows
	ws.rows, ws.haveFwd = 0, false
	if B == 0 {
		if grad != nil {
			clear(grad)
		}
		return
	}
	// Parameter offsets follow the slab layout: W then bias, layer by layer.
	off := len(m.params)
	dz, ldz := dOut, d
	for i := L - 1; i >= 0; i-- {
		l := m.layers[i]
		off -= (l.In + 1) * l.Out
		ain, ldin := ws.in, id
		if i > 0 {
			ain, ldin = ws.a[i-1], l.In
		}
		if grad != nil {
			gw := grad[off : off+l.In*l.Out]
			kernels.Gemm(true, false, l.In, l.Out, B, 1, ain, ldin, dz, ldz, 0, gw, l.Out)
			if i == L-1 {
				kernels.ColSums(B, d, dz, ldz, grad[off+l.In*l.Out:off+(l.In+1)*l.Out])
			}
		}
		if i == 0 {
			break
		}
		// dA_{i-1} = dZ_i · W_iᵀ, written over A_{i-1} (no longer needed), then
		// dZ_{i-1} = dA_{i-1} ⊙ act'(Z_{i-1}) in place, with the bias gradient.
		prev := ws.a[i-1]
		kernels.Gemm(false, true, B, l.In, l.Out, 1, dz, ldz, l.W, l.Out, 0, prev, l.In)
		var db []float32
		if grad != nil {
			pl := m.layers[i-1]
			bo := off - pl.Out
			db = grad[bo : bo+pl.Out]
			clear(db)
		}
		kernels.ActBackward(m.cfg.Act, B, l.In, prev, l.In, ws.z[i-1], l.In, prev, l.In, db)
		dz, ldz = prev, l.In
	}
	if dx == nil && dt == nil {
		return
	}
	// dL/d[x, context, features] = dZ_0 · W0ᵀ, written over the input buffer.
	l0, cw := m.layers[0], m.cfg.ContextWidth()
	kernels.Gemm(false, true, B, id, l0.Out, 1, dz, ldz, l0.W, l0.Out, 0, ws.in, id)
	tw := id - d - cw
	ws.tdf = buf.Grow(ws.tdf, tw)
	ws.feat = buf.Grow(ws.feat, tw)
	for b := 0; b < B; b++ {
		row := ws.in[b*id : (b+1)*id]
		if dx != nil {
			copy(dx[b*d:(b+1)*d], row[:d])
		}
		if dt != nil {
			m.cfg.timeFeatures(ws.ts[b], ws.feat, ws.tdf)
			var s float64
			for f, g := range row[d+cw:] {
				s += float64(g) * ws.tdf[f]
			}
			dt[b] = s
		}
	}
}
