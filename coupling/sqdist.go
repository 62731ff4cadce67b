package coupling

import (
	"fmt"

	"github.com/interflow/flowbench/internal/buf"
	"github.com/interflow/flowbench/kernels"
)

// SqDist writes into cost (len na·nb, row-major) the squared distances between the rows of
// a (na×d) and b (nb×d): cost[i][j] = |a_i|² + |b_j|² − 2·a_i·b_j, with the cross products
// from kernels.Gemm (NT, float32), the norms and the sum in float64, and negative values
// (rounding, for near-equal points) clamped to 0. ws may be nil.
func SqDist(a, b []float32, na, nb, d int, cost []float64, ws *Workspace) error {
	switch {
	case na < 0 || nb < 0 || d < 1:
		return fmt.Errorf("coupling: sqdist: na = %d, nb = %d, d = %d: want na, nb ≥ 0 and d ≥ 1", na, nb, d)
	case len(a) != na*d:
		return fmt.Errorf("coupling: sqdist: a has %d values, want na·d = %d", len(a), na*d)
	case len(b) != nb*d:
		return fmt.Errorf("coupling: sqdist: b has %d values, want nb·d = %d", len(b), nb*d)
	case len(cost) != na*nb:
		return fmt.Errorf("coupling: sqdist: cost has %d entries, want na·nb = %d", len(cost), na*nb)
	}
	if na == 0 || nb == 0 {
		return nil
	}
	if ws == nil {
		ws = new(Workspace)
	}
	ws.cross = buf.Grow(ws.cross, na*nb)
	ws.nx0 = rowNorms(ws.nx0, a, na, d)
	ws.nx1 = rowNorms(ws.nx1, b, nb, d)
	kernels.Gemm(false, true, na, nb, d, 1, a, d, b, d, 0, ws.cross, nb)
	for i := range na {
		ni := ws.nx0[i]
		ci, gi := cost[i*nb:i*nb+nb], ws.cross[i*nb:i*nb+nb]
		for j, g := range gi {
			ci[j] = max(0, ni+ws.nx1[j]-2*float64(g))
		}
	}
	return nil
}

// rowNorms returns dst grown to n holding the squared norms of the n rows of x (n×d), in
// float64.
func rowNorms(dst []float64, x []float32, n, d int) []float64 {
	dst = buf.Grow(dst, n)
	for i := range n {
		s := 0.0
		for _, v := range x[i*d : i*d+d] {
			s += float64(v) * float64(v)
		}
		dst[i] = s
	}
	return dst
}
