package nn

import (
	"fmt"

	"github.com/interflow/flowbench/kernels"
)

// Row-chunk sizes of the passes at a scalar t: activations of one chunk stay in cache.
var (
	inferRows   = 1024 // rows per chunk of Velocity and JVP
	divTangents = 2048 // rows × tangents per chunk of VelocityDiv
)

// workspace holds every buffer the passes reuse. Buffers only grow.
type workspace struct {
	// scalar-t passes
	bias0 []float32    // first-layer bias with the time features folded in
	feat  []float32    // time features of one t
	h     [2][]float32 // ping-pong activations, chunk × max width
	zc    []float32    // pre-activations, then act' of one layer, chunk × max width
	tan   [2][]float32 // ping-pong tangents
	wlt   []float32    // last layer's W transposed (d × fan_in)
	jv    []float32    // JVP output for Hutchinson

	// batched passes with per-row t (training)
	rows    int         // rows of the last Forward
	haveFwd bool        // a Forward's state is held for Backward
	in      []float32   // rows × InputDim: [x, features(t)]; overwritten by Backward
	ts      []float64   // the times of the last Forward
	z, a    [][]float32 // per hidden layer: pre-activations and activations
	out     []float32   // v, then dL/dv, of LossGrad
	tdf     []float64   // d features/dt of one t
	trow    []float64   // a scalar t replicated (VJP)
	jvOut   []float32   // scratch output for VJP when out is nil
}

func grow32(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func grow64(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// maxWidth returns the widest layer output.
func (m *MLP) maxWidth() int {
	w := m.cfg.Dim
	for _, h := range m.cfg.Hidden {
		w = max(w, h)
	}
	return w
}

// batchRows checks that x holds whole rows and out at least as many, and returns B.
func (m *MLP) batchRows(name string, x, out []float32) int {
	d := m.cfg.Dim
	if len(x)%d != 0 {
		panic(fmt.Sprintf("nn: %s: len(x) = %d is not a multiple of dim %d", name, len(x), d))
	}
	if len(out) < len(x) {
		panic(fmt.Sprintf("nn: %s: len(out) = %d < len(x) = %d", name, len(out), len(x)))
	}
	return len(x) / d
}

// foldBias sets ws.bias0 = b0 + Σ_f feature_f(t)·W0[d+f, :], so that the first layer at a
// scalar t is x·W0[:d, :] + bias0 with no concatenation.
func (m *MLP) foldBias(t float64) {
	ws, l0, d := m.ws, m.layers[0], m.cfg.Dim
	ws.bias0 = grow32(ws.bias0, l0.Out)
	ws.feat = grow32(ws.feat, m.cfg.timeWidth())
	m.cfg.timeFeatures(t, ws.feat, nil)
	copy(ws.bias0, l0.B)
	for f, v := range ws.feat {
		kernels.Axpy(v, l0.W[(d+f)*l0.Out:(d+f+1)*l0.Out], ws.bias0)
	}
}

// ensureChunk sizes ws's scalar-t buffers for chunks of n rows and nt tangent rows.
func (m *MLP) ensureChunk(ws *workspace, n, nt int) {
	w := m.maxWidth()
	ws.h[0] = grow32(ws.h[0], n*w)
	ws.h[1] = grow32(ws.h[1], n*w)
	ws.zc = grow32(ws.zc, n*w)
	if nt > 0 {
		ws.tan[0] = grow32(ws.tan[0], nt*w)
		ws.tan[1] = grow32(ws.tan[1], nt*w)
	}
}

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
