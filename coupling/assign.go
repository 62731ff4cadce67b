package coupling

import (
	"errors"
	"fmt"
	"math"

	"github.com/interflow/flowbench/internal/buf"
)

// Workspace holds the buffers of Assign, SinkhornPlan and SamplePlan, grown on first use
// and reused. The zero value is ready; a workspace serves one call at a time.
type Workspace struct {
	// assignment: row potentials u, column potentials v (with the virtual column n),
	// the row matched to each column, the search's predecessor columns, distances, labels
	// and each row's column
	u, v, minv []float64
	p, way     []int
	used       []bool
	// Sinkhorn: potentials f (rows) and g (columns), a row of logits
	f, g, row []float64
	// SqDist: the cross products and the squared norms
	cross    []float32
	nx0, nx1 []float64
}

// ErrCost is wrapped by the errors of a cost matrix with a non-finite entry.
var ErrCost = errors.New("coupling: non-finite cost")

// checkSquare checks an n×n cost matrix.
func checkSquare(what string, cost []float64, n int) error {
	if n < 0 {
		return fmt.Errorf("coupling: %s: n = %d: want ≥ 0", what, n)
	}
	if len(cost) != n*n {
		return fmt.Errorf("coupling: %s: cost has %d entries, want n·n = %d", what, len(cost), n*n)
	}
	for k, c := range cost {
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return fmt.Errorf("%w: %s: cost[%d][%d] = %g", ErrCost, what, k/n, k%n, c)
		}
	}
	return nil
}

// Assign solves the linear assignment problem of the n×n row-major cost matrix: it writes
// into perm (len n) the permutation that minimizes Σ_i cost[i][perm[i]] and returns that
// minimum. ws may be nil (a temporary workspace is used).
//
// The solver is the shortest-augmenting-path method of Jonker and Volgenant (1987)
// without its auction-like row reduction: column reduction (v_j = min_i c_ij, and each
// column's cheapest row assigned to it when that row is still free) gives dual-feasible
// potentials and a partial assignment on tight edges; then, for each free row in order, a
// Dijkstra search over reduced costs c_ij − u_i − v_j ≥ 0 finds the shortest augmenting
// path, the potentials are updated so that the reduced costs stay non-negative and every
// assigned edge tight, and the path is flipped. At the end u and v certify optimality
// (LP duality: Σ u + Σ v equals the assignment's cost and no reduced cost is negative). Each
// search is O(n·k) for k columns labeled, so O(n³) in the worst case and far less on
// random geometric costs. Ties go to the lowest column index, so the result is a function
// of the costs alone.
func Assign(cost []float64, n int, perm []int, ws *Workspace) (float64, error) {
	if err := checkSquare("assign", cost, n); err != nil {
		return 0, err
	}
	if len(perm) != n {
		return 0, fmt.Errorf("coupling: assign: perm has length %d, want %d", len(perm), n)
	}
	if ws == nil {
		ws = new(Workspace)
	}
	ws.assign(cost, n)
	total := 0.0
	for j := range n {
		perm[ws.p[j]] = j
	}
	for i, j := range perm {
		total += cost[i*n+j]
	}
	return total, nil
}

// assign runs the solver, leaving the row of each column in ws.p[:n] and the potentials in
// ws.u and ws.v[:n].
func (ws *Workspace) assign(cost []float64, n int) {
	ws.u = buf.Grow(ws.u, n)
	ws.v = buf.Grow(ws.v, n+1)
	ws.minv = buf.Grow(ws.minv, n+1)
	ws.p = buf.Grow(ws.p, n+1)
	ws.way = buf.Grow(ws.way, n+1)
	ws.used = buf.Grow(ws.used, n+1)
	u, v, minv, p, way, used := ws.u, ws.v, ws.minv, ws.p, ws.way, ws.used
	// The Sinkhorn row buffer serves as the rows' assigned flags (1: assigned).
	ws.row = buf.Grow(ws.row, n)
	assigned := ws.row
	clear(u)
	clear(assigned)
	// Column reduction.
	for j := range n {
		best, bi := math.Inf(1), 0
		for i := range n {
			if c := cost[i*n+j]; c < best {
				best, bi = c, i
			}
		}
		v[j] = best
		p[j] = -1
		if assigned[bi] == 0 {
			assigned[bi] = 1
			p[j] = bi
		}
	}
	v[n] = 0
	// One Dijkstra search per free row; column n is the virtual start column.
	for i := range n {
		if assigned[i] != 0 {
			continue
		}
		p[n] = i
		j0 := n
		for j := range n + 1 {
			minv[j] = math.Inf(1)
			used[j] = false
		}
		for {
			used[j0] = true
			i0 := p[j0]
			delta, j1 := math.Inf(1), -1
			ci := cost[i0*n : i0*n+n]
			ui := u[i0]
			for j := range n {
				if used[j] {
					continue
				}
				if cur := ci[j] - ui - v[j]; cur < minv[j] {
					minv[j] = cur
					way[j] = j0
				}
				if minv[j] < delta {
					delta, j1 = minv[j], j
				}
			}
			for j := range n + 1 {
				if used[j] {
					u[p[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if p[j0] < 0 {
				break
			}
		}
		// Flip the augmenting path back to the start column.
		for j0 != n {
			j1 := way[j0]
			p[j0] = p[j1]
			j0 = j1
		}
	}
}
