package nn

import "github.com/interflow/flowbench/kernels"

// The scalar-t passes (Velocity, VelocityDiv, JVP) work in row chunks whose activations
// stay in cache. With more than one kernel thread and more than one chunk, the chunks run
// in parallel through kernels.RunTasks, each worker in its own chunk workspace and every
// kernel call inside single-threaded: one split per pass instead of a parallel section per
// GEMM, which lets inference scale on two threads where the per-GEMM split paid a barrier
// and a serial activation pass per layer. A chunk computes the same bits whichever worker
// runs it and however many run, since no kernel's result depends on its thread count.

// Row-chunk sizes of the passes at a scalar t: activations of one chunk stay in cache.
var (
	inferRows   = 1024 // rows per chunk of Velocity and JVP
	divTangents = 2048 // rows × tangents per chunk of VelocityDiv
)

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
	perRow        bool // the context is per row (sliced per chunk)
	x, u, out, jv []float32
	div           []float64
}

// RunTask implements kernels.Task: chunk t on worker w's workspace.
func (c *chunkRun) RunTask(w, t int) {
	m, d := c.m, c.m.cfg.Dim
	ws := m.workerWS(w)
	r := t * c.rows
	n := min(c.rows, c.b-r)
	x, out := c.x[r*d:(r+n)*d], c.out[r*d:(r+n)*d]
	cx := m.ctxRows(c.perRow, r, n)
	switch c.kind {
	case chunkInfer:
		m.inferChunk(ws, n, x, cx, out)
	case chunkDiv:
		m.divChunk(ws, n, x, cx, out, c.div[r:r+n])
	case chunkJVP:
		m.jvpChunk(ws, n, x, cx, c.u[r*d:(r+n)*d], out, c.jv[r*d:(r+n)*d])
	}
}

// runChunks runs the pass c (its m set here) over every chunk, in parallel when there are
// several chunks and threads, after sizing one chunk workspace per worker.
func (m *MLP) runChunks(c chunkRun) {
	c.m = m
	nch := (c.b + c.rows - 1) / c.rows
	rows := min(c.rows, c.b)
	nw := m.ensureWorkers(nch)
	for w := range nw {
		m.ensureChunk(m.workerWS(w), rows, rows*c.tangents)
	}
	m.run = c
	kernels.RunTasks(nch, nw, &m.run)
	m.run = chunkRun{}
}

// ensureWorkers makes sure there is a workspace for every worker RunTasks may use for n
// tasks and returns that worker count.
func (m *MLP) ensureWorkers(n int) int {
	nw := kernels.WorkersFor(n)
	for len(m.wsw) < nw-1 {
		m.wsw = append(m.wsw, &workspace{})
	}
	return nw
}

// workerWS returns worker w's workspace: m.ws for the calling goroutine (worker 0).
func (m *MLP) workerWS(w int) *workspace {
	if w == 0 {
		return m.ws
	}
	return m.wsw[w-1]
}

// trainRows is the row chunk of a LossGrad pass with more rows than that. It is fixed, not
// derived from the thread count, so the partial sums, and so the bits, are the same on any
// number of threads: each chunk runs forward, loss and backward on its rows into its own
// gradient buffer (chunk 0 into grad), and the partial gradients and loss sums are then
// added in chunk order. On two threads the chunks run in parallel with single-threaded
// kernels, like the scalar-t passes, and one chunk's activations (1024 × width floats per
// tensor) stay near the core that made them.
const trainRows = 1024

// trainRun is one chunked LossGrad; it lives in the MLP (m.trun) while it runs.
type trainRun struct {
	m             *MLP
	b             int
	t             []float64
	perRow        bool
	xt, dxt, grad []float32
	dx            []float32
	dt            []float64
}

// RunTask implements kernels.Task: forward, loss and backward of chunk k on worker w.
func (c *trainRun) RunTask(w, k int) {
	m, d := c.m, c.m.cfg.Dim
	ws := m.workerWS(w)
	r := k * trainRows
	n := min(trainRows, c.b-r)
	out := m.ws.out[r*d : (r+n)*d]
	m.forward(ws, c.t[r:r+n], c.xt[r*d:(r+n)*d], m.ctxChunk(c.perRow, r, n), out)
	l, g, kin := lossRows(out, c.dxt[r*d:(r+n)*d], float32(2/float64(c.b)))
	m.lossPart[k] = [3]float64{l, g, kin}
	gp := c.grad
	if k > 0 {
		gp = m.gpart[k-1]
	}
	var dx []float32
	if c.dx != nil {
		dx = c.dx[r*d : (r+n)*d]
	}
	var dt []float64
	if c.dt != nil {
		dt = c.dt[r : r+n]
	}
	m.backward(ws, out, gp, dx, dt)
}

// lossGradChunks is LossGrad for B > trainRows rows (m.ws.out already sized B×d).
func (m *MLP) lossGradChunks(t []float64, xt, dxt, grad, dx []float32, dt []float64, perRow bool) LossStats {
	B := len(t)
	nch := (B + trainRows - 1) / trainRows
	nw := m.ensureWorkers(nch)
	for len(m.gpart) < nch-1 {
		m.gpart = append(m.gpart, make([]float32, len(m.params)))
	}
	if cap(m.lossPart) < nch {
		m.lossPart = make([][3]float64, nch)
	}
	m.lossPart = m.lossPart[:nch]
	m.trun = trainRun{m: m, b: B, t: t, perRow: perRow, xt: xt, dxt: dxt, grad: grad, dx: dx, dt: dt}
	kernels.RunTasks(nch, nw, &m.trun)
	m.trun = trainRun{}
	var loss, g, kin float64
	for k, p := range m.lossPart {
		loss, g, kin = loss+p[0], g+p[1], kin+p[2]
		if k > 0 {
			kernels.Axpy(1, m.gpart[k-1], grad)
		}
	}
	fb := float64(B)
	return LossStats{Loss: loss / fb, G: g / fb, GTilde: (g + kin) / fb, Kinetic: kin / fb}
}
