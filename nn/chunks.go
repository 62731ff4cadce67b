package nn

import "github.com/interflow/flowbench/kernels"

// The scalar-t passes (Velocity, VelocityDiv, JVP) work in row chunks whose activations
// stay in cache. With more than one kernel thread and more than one chunk, the chunks run
// in parallel through kernels.RunTasks, each worker in its own chunk workspace and every
// kernel call inside single-threaded: one split per pass instead of a parallel section per
// GEMM, which lets inference scale on two threads where the per-GEMM split paid a barrier
// and a serial activation pass per layer. A chunk computes the same bits whichever worker
// runs it and however many run, since no kernel's result depends on its thread count.

const (
	chunkInfer = iota
	chunkDiv
	chunkJVP
)

// chunkRun is one scalar-t pass over b rows in chunks of rows (tangents per row: the
// tangent rows a chunk needs per row, 0 for inference). It lives in the MLP (m.run) while
// the pass runs, so handing it to RunTasks allocates nothing.
type chunkRun struct {
	m             *MLP
	kind, rows, b int
	tangents      int
	x, u, out, jv []float32
	div           []float64
}

// RunTask implements kernels.Task: chunk t on worker w's workspace.
func (c *chunkRun) RunTask(w, t int) {
	m, d := c.m, c.m.cfg.Dim
	ws := m.ws
	if w > 0 {
		ws = m.wsw[w-1]
	}
	r := t * c.rows
	n := min(c.rows, c.b-r)
	x, out := c.x[r*d:(r+n)*d], c.out[r*d:(r+n)*d]
	switch c.kind {
	case chunkInfer:
		m.inferChunk(ws, n, x, out)
	case chunkDiv:
		m.divChunk(ws, n, x, out, c.div[r:r+n])
	case chunkJVP:
		m.jvpChunk(ws, n, x, c.u[r*d:(r+n)*d], out, c.jv[r*d:(r+n)*d])
	}
}

// runChunks runs the pass c (its m set here) over every chunk, in parallel when there are
// several chunks and threads, after sizing one chunk workspace per worker.
func (m *MLP) runChunks(c chunkRun) {
	c.m = m
	nch := (c.b + c.rows - 1) / c.rows
	rows := min(c.rows, c.b)
	nw := kernels.WorkersFor(nch)
	for len(m.wsw) < nw-1 {
		m.wsw = append(m.wsw, &workspace{})
	}
	m.ensureChunk(m.ws, rows, rows*c.tangents)
	for _, ws := range m.wsw[:nw-1] {
		m.ensureChunk(ws, rows, rows*c.tangents)
	}
	m.run = c
	kernels.RunTasks(nch, &m.run)
	m.run = chunkRun{}
}
