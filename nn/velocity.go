package nn

import (
	"github.com/interflow/flowbench/internal/buf"
	"github.com/interflow/flowbench/kernels"
)

// Velocity writes v(t, x) for every row of x into out (the inference pass: it keeps no
// state for a backward pass). It implements the solver's Field interface:
//
//	Velocity(t float64, x, out []float32)
//
// The time (and a shared context) is folded into the first layer's bias. It panics if
// len(x) is not a multiple of Dim() or out is shorter than x, or if a conditional network's
// context does not fit the batch (SetContext).
func (m *MLP) Velocity(t float64, x, out []float32) {
	B := m.batchRows("Velocity", x, out)
	if B == 0 {
		return
	}
	perRow := m.ctxMode("Velocity", B)
	m.foldBias(t, perRow)
	m.runChunks(chunkRun{kind: chunkInfer, rows: inferRows, b: B, x: x, out: out, perRow: perRow})
}

// inferChunk runs the forward pass of n rows (context rows c when the context is per row,
// else nil) at the folded bias, in ws's buffers.
func (m *MLP) inferChunk(ws *workspace, n int, x, c, out []float32) {
	d, L := m.cfg.Dim, len(m.layers)
	in0, k0 := m.firstInput(ws, n, x, c)
	in, ld := in0, k0
	for i, l := range m.layers {
		k, bias := l.In, l.B
		if i == 0 {
			k, bias = k0, m.ws.bias0
		}
		if i == L-1 {
			kernels.GemmBiasAct(n, l.Out, k, in, ld, l.W, l.Out, bias, kernels.Identity, nil, 0, out, d)
			return
		}
		y := ws.h[i%2][:n*l.Out]
		kernels.GemmBiasAct(n, l.Out, k, in, ld, l.W, l.Out, bias, m.cfg.Act, nil, 0, y, l.Out)
		in, ld = y, l.Out
	}
}

// foldBias sets ws.bias0 = b0 + Σ_f feature_f(t)·W0[d+C+f, :] (C = ContextWidth()), plus
// Σ_j c_j·W0[d+j, :] for a shared context c, so that the first layer at a scalar t is
// x·W0[:d, :] + bias0 with no concatenation (or [x, c]·W0[:d+C, :] + bias0 for a per-row
// context).
func (m *MLP) foldBias(t float64, perRow bool) {
	var c []float32
	if !perRow {
		c = m.ctx
	}
	m.ws.bias0, m.ws.feat = m.foldBiasInto(t, c, m.ws.bias0, m.ws.feat)
}

// foldBiasInto is foldBias into the given buffers (grown as needed) with the shared
// context c (nil: none folded): it returns the folded bias and the time features of t.
func (m *MLP) foldBiasInto(t float64, c, bias0, feat []float32) ([]float32, []float32) {
	l0, d, cw := m.layers[0], m.cfg.Dim, m.cfg.ContextWidth()
	bias0 = buf.Grow(bias0, l0.Out)
	feat = buf.Grow(feat, m.cfg.timeWidth())
	m.cfg.timeFeatures(t, feat, nil)
	copy(bias0, l0.B)
	for j, v := range c {
		if v != 0 {
			kernels.Axpy(v, l0.W[(d+j)*l0.Out:(d+j+1)*l0.Out], bias0)
		}
	}
	for f, v := range feat {
		o := d + cw + f
		kernels.Axpy(v, l0.W[o*l0.Out:(o+1)*l0.Out], bias0)
	}
	return bias0, feat
}
