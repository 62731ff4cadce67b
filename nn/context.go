package nn

import (
	"fmt"

	"github.com/interflow/flowbench/internal/buf"
)

// A conditional network (Config.ContextWidth() > 0) computes v(t, x, c). The context of
// every pass is set beforehand with SetContext, in one of two forms:
//
//   - shared: one row of ContextWidth() values used by every row of every later pass (the
//     common case: many posterior draws or log-densities for one observation). The scalar-t
//     passes fold c·W0[context rows] into the first layer's bias together with the time
//     term, so they cost what the unconditional ones do.
//   - per row: B rows, one per row of the batches that follow (which must then have B
//     rows). The first layer multiplies the concatenation [x, c] as one GEMM.
//
// The divergence, JVP and VJP are taken in x only: the context is held fixed.

// SetContext sets the context of the passes that follow (see above): len(c) is
// ContextWidth() for one shared row or a multiple of it for one row per batch row. The
// values are copied. An empty c clears the context. It panics on an unconditional network
// given a non-empty c, or when len(c) is not a multiple of ContextWidth(). A Fork starts
// with no context.
func (m *MLP) SetContext(c []float32) {
	cw := m.cfg.ContextWidth()
	if len(c) > 0 && cw == 0 || cw > 0 && len(c)%cw != 0 {
		panic(fmt.Sprintf("nn: SetContext: len(c) = %d for context width %d", len(c), cw))
	}
	m.ctx = buf.Grow(m.ctx, len(c))
	copy(m.ctx, c)
}

// Context returns the context set by SetContext (not a copy; nil when none).
func (m *MLP) Context() []float32 {
	if len(m.ctx) == 0 {
		return nil
	}
	return m.ctx
}

// ctxMode checks the context against a pass of B rows and reports whether it is per row.
// A shared context (or none, for an unconditional network) returns false.
func (m *MLP) ctxMode(name string, B int) (perRow bool) {
	cw := m.cfg.ContextWidth()
	if cw == 0 {
		return false
	}
	switch len(m.ctx) {
	case 0:
		panic(fmt.Sprintf("nn: %s: conditional network (context width %d) without a context: call SetContext", name, cw))
	case cw:
		return false
	case B * cw:
		return true
	}
	panic(fmt.Sprintf("nn: %s: %d context rows for %d rows", name, len(m.ctx)/cw, B))
}

// ctxRows returns the per-row context of rows [r, r+n) when perRow, else nil.
func (m *MLP) ctxRows(perRow bool, r, n int) []float32 {
	if !perRow {
		return nil
	}
	cw := m.cfg.ContextWidth()
	return m.ctx[r*cw : (r+n)*cw]
}

// firstInput returns the first layer's input for n rows of x with their context rows c:
// x itself (leading dimension d, K = d) when c is nil, else [x, c] concatenated in ws.xc
// (leading dimension and K = d + ContextWidth()).
func (m *MLP) firstInput(ws *workspace, n int, x, c []float32) (in []float32, k int) {
	d := m.cfg.Dim
	if c == nil {
		return x, d
	}
	cw := m.cfg.ContextWidth()
	k = d + cw
	ws.xc = buf.Grow(ws.xc, n*k)
	for b := 0; b < n; b++ {
		copy(ws.xc[b*k:b*k+d], x[b*d:(b+1)*d])
		copy(ws.xc[b*k+d:(b+1)*k], c[b*cw:(b+1)*cw])
	}
	return ws.xc[:n*k], k
}

// ctxChunk returns the context of rows [r, r+n) for the batched passes: the per-row slice
// when perRow, else the shared row (nil for an unconditional network).
func (m *MLP) ctxChunk(perRow bool, r, n int) []float32 {
	if perRow {
		return m.ctxRows(true, r, n)
	}
	if m.cfg.ContextWidth() == 0 {
		return nil
	}
	return m.ctx
}
