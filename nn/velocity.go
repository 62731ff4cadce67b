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
// The time is folded into the first layer's bias. It panics if len(x) is not a multiple of
// Dim() or out is shorter than x.
func (m *MLP) Velocity(t float64, x, out []float32) {
	B := m.batchRows("Velocity", x, out)
	if B == 0 {
		return
	}
	m.foldBias(t)
	m.runChunks(chunkRun{kind: chunkInfer, rows: inferRows, b: B, x: x, out: out})
}

// inferChunk runs the forward pass of n rows at the folded bias, in ws's buffers.
func (m *MLP) inferChunk(ws *workspace, n int, x, out []float32) {
	d, L := m.cfg.Dim, len(m.layers)
	in, ld := x, d
	for i, l := range m.layers {
		k, bias := l.In, l.B
		if i == 0 {
			k, bias = d, m.ws.bias0
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

// foldBias sets ws.bias0 = b0 + Σ_f feature_f(t)·W0[d+f, :], so that the first layer at a
// scalar t is x·W0[:d, :] + bias0 with no concatenation.
func (m *MLP) foldBias(t float64) {
	m.ws.bias0, m.ws.feat = m.foldBiasInto(t, m.ws.bias0, m.ws.feat)
}

// foldBiasInto is foldBias into the given buffers (grown as needed): it returns the folded
// bias and the time features of t.
func (m *MLP) foldBiasInto(t float64, bias0, feat []float32) ([]float32, []float32) {
	l0, d := m.layers[0], m.cfg.Dim
	bias0 = buf.Grow(bias0, l0.Out)
	feat = buf.Grow(feat, m.cfg.timeWidth())
	m.cfg.timeFeatures(t, feat, nil)
	copy(bias0, l0.B)
	for f, v := range feat {
		kernels.Axpy(v, l0.W[(d+f)*l0.Out:(d+f+1)*l0.Out], bias0)
	}
	return bias0, feat
}
