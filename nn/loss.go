package nn

import (
	"fmt"

	"github.com/interflow/flowbench/internal/buf"
)

// LossStats are the batch statistics of the method's loss, reduced in float64.
type LossStats struct {
	// Loss is L = (1/B) Σ_rows |v − dI/dt|² (sum over dimensions, mean over the batch).
	Loss float64
	// G is the paper's objective (1/B) Σ_rows (|v|² − 2 dI/dt·v) = Loss − (1/B) Σ |dI/dt|².
	G float64
	// GTilde is the diagnostic G + Kinetic, which tends to 0 as v approaches the true field.
	GTilde float64
	// Kinetic is (1/B) Σ_rows |v|², the kinetic term.
	Kinetic float64
}

// LossGrad is the fused training pass: for a batch of B = len(t) rows with times t, points
// xt = x_t and targets dxt = dI/dt (B×d each), it computes v = v(t, x_t), the loss
// statistics, and overwrites grad (len NumParams) with dL/dθ. When dx or dt are non-nil
// they receive dL/dx_t (B×d) and dL/dt (B) of each row, for training the interpolant;
// dL/d(dI/dt) is the negation of LossGradOutput(). It allocates nothing once the workspace
// has grown to B rows. A conditional network uses the context of SetContext (shared or one
// row per batch row); dx is then dL/dx_t with the context held fixed. A batch of more than 1024 rows runs in fixed chunks of 1024 rows whose
// gradients and loss sums are added in chunk order, in parallel on several kernel threads
// (chunks.go): the bits are the same on any thread count.
func (m *MLP) LossGrad(t []float64, xt, dxt, grad, dx []float32, dt []float64) LossStats {
	B, d := len(t), m.cfg.Dim
	if len(xt) != B*d || len(dxt) != B*d {
		panic(fmt.Sprintf("nn: LossGrad: %d times, len(xt) = %d, len(dxt) = %d, want %d", B, len(xt), len(dxt), B*d))
	}
	if len(grad) != len(m.params) {
		panic(fmt.Sprintf("nn: LossGrad: len(grad) = %d, want %d", len(grad), len(m.params)))
	}
	if dx != nil && len(dx) < B*d || dt != nil && len(dt) < B {
		panic(fmt.Sprintf("nn: LossGrad: len(dx) = %d, len(dt) = %d for %d rows", len(dx), len(dt), B))
	}
	ws := m.ws
	ws.out = buf.Grow(ws.out, B*d)
	if B == 0 {
		m.forward(ws, t, xt, nil, ws.out)
		clear(grad)
		return LossStats{}
	}
	perRow := m.ctxMode("LossGrad", B)
	if B > trainRows {
		return m.lossGradChunks(t, xt, dxt, grad, dx, dt, perRow)
	}
	m.forward(ws, t, xt, m.ctxChunk(perRow, 0, B), ws.out)
	loss, g, kin := lossRows(ws.out, dxt[:B*d], float32(2/float64(B)))
	m.backward(ws, ws.out, grad, dx, dt)
	fb := float64(B)
	return LossStats{Loss: loss / fb, G: g / fb, GTilde: (g + kin) / fb, Kinetic: kin / fb}
}

// lossRows accumulates the loss sums of v against the targets u and overwrites v with
// dL/dv = scale·(v − u).
func lossRows(v, u []float32, scale float32) (loss, g, kin float64) {
	for i, u32 := range u {
		vv, uu := float64(v[i]), float64(u32)
		r := vv - uu
		loss += r * r
		g += vv*vv - 2*uu*vv
		kin += vv * vv
		v[i] = scale * (v[i] - u32)
	}
	return loss, g, kin
}

// LossGradOutput returns dL/dv of the last LossGrad call (B×d, valid until the next pass on
// this MLP); dL/d(dI/dt) is its negation.
func (m *MLP) LossGradOutput() []float32 { return m.ws.out }
