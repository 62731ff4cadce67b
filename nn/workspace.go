package nn

import (
	"fmt"

	"github.com/interflow/flowbench/internal/buf"
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
	xc    []float32    // [x, context] rows of a per-row context

	// batched passes with per-row t (training)
	rows    int         // rows of the last Forward
	haveFwd bool        // a Forward's state is held for Backward
	in      []float32   // rows × InputDim: [x, context, features(t)]; overwritten by Backward
	ts      []float64   // the times of the last Forward
	z, a    [][]float32 // per hidden layer: pre-activations and activations
	out     []float32   // v, then dL/dv, of LossGrad
	tdf     []float64   // d features/dt of one t
	trow    []float64   // a scalar t replicated (VJP)
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

// ensureChunk sizes ws's scalar-t buffers for chunks of n rows and nt tangent rows.
func (m *MLP) ensureChunk(ws *workspace, n, nt int) {
	w := m.maxWidth()
	ws.h[0] = buf.Grow(ws.h[0], n*w)
	ws.h[1] = buf.Grow(ws.h[1], n*w)
	ws.zc = buf.Grow(ws.zc, n*w)
	if nt > 0 {
		ws.tan[0] = buf.Grow(ws.tan[0], nt*w)
		ws.tan[1] = buf.Grow(ws.tan[1], nt*w)
	}
}
