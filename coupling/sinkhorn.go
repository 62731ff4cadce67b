package coupling

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/interflow/flowbench/internal/buf"
)

// Defaults of SinkhornOptions.
const (
	DefaultTol     = 1e-4
	DefaultMaxIter = 1000
)

// SinkhornOptions are the settings of SinkhornPlan.
type SinkhornOptions struct {
	// Eps is the entropic regularization ε > 0, in the units of the costs.
	Eps float64
	// Tol is the stopping tolerance on the L1 error of the row marginals,
	// Σ_i |Σ_j P_ij − 1/n| (0: DefaultTol); the column marginals are exact after every
	// iteration.
	Tol float64
	// MaxIter bounds the iterations (0: DefaultMaxIter).
	MaxIter int
}

// SinkhornResult reports a SinkhornPlan run. F and G are the dual potentials (len n each,
// owned by the workspace and valid until its next use): the plan is
// P_ij = exp((F_i + G_j − c_ij)/ε).
type SinkhornResult struct {
	F, G        []float64
	Iters       int     // iterations run (one iteration updates F, then G)
	MarginalErr float64 // the row marginals' L1 error of the returned plan
	Converged   bool    // MarginalErr ≤ Tol (false: stopped by MaxIter)
}

// SinkhornPlan computes the entropic optimal-transport plan between two uniform
// distributions over n points each for the n×n row-major cost matrix: the P ≥ 0 with row
// and column sums 1/n that minimizes Σ P_ij c_ij + ε Σ P_ij (log P_ij − 1).
//
// The iterations run in the log domain, so that small ε neither underflows nor overflows:
// starting from F = G = 0, each iteration sets F_i = −ε log n − ε·LSE_j((G_j − c_ij)/ε)
// (the rows sum to 1/n), then G_j = −ε log n − ε·LSE_i((F_i − c_ij)/ε) (the columns sum
// to 1/n), with LSE the log-sum-exp taken about its maximum. Stopping rule: before each
// F update the row sums of the current plan are read off the same log-sum-exps
// (r_i = exp(F_i/ε + LSE_i)); when Σ_i |r_i − 1/n| ≤ Tol the run stops with that plan
// (Converged), otherwise after MaxIter iterations in all (the plan's columns still exact,
// its rows off by MarginalErr). Small ε converges slowly from F = G = 0, so the run anneals
// (ε-scaling): stages at ε_k = c_max/2^k for k = 0, 1, … while above ε, each warm-started
// from the previous potentials and stopped at a row error of 1e-2 (or Tol if larger), come
// before the stage at ε itself; they count toward MaxIter. Each iteration costs 2n²
// exponentials. ws may be nil.
func SinkhornPlan(cost []float64, n int, o SinkhornOptions, ws *Workspace) (SinkhornResult, error) {
	if err := checkSquare("sinkhorn", cost, n); err != nil {
		return SinkhornResult{}, err
	}
	if !(o.Eps > 0) || math.IsInf(o.Eps, 0) {
		return SinkhornResult{}, fmt.Errorf("coupling: sinkhorn: eps = %g: want a finite value > 0", o.Eps)
	}
	if !(o.Tol >= 0) || math.IsInf(o.Tol, 0) || o.MaxIter < 0 {
		return SinkhornResult{}, fmt.Errorf("coupling: sinkhorn: tol = %g, max_iter = %d: want tol finite ≥ 0 and max_iter ≥ 0", o.Tol, o.MaxIter)
	}
	if o.Tol == 0 {
		o.Tol = DefaultTol
	}
	if o.MaxIter == 0 {
		o.MaxIter = DefaultMaxIter
	}
	if ws == nil {
		ws = new(Workspace)
	}
	ws.f = buf.Grow(ws.f, n)
	ws.g = buf.Grow(ws.g, n)
	ws.row = buf.Grow(ws.row, n)
	ws.u = buf.Grow(ws.u, n) // column maxima and sums of the G update
	ws.minv = buf.Grow(ws.minv, n)
	f, g := ws.f, ws.g
	clear(f)
	clear(g)
	res := SinkhornResult{F: f, G: g}
	if n == 0 {
		res.Converged = true
		return res, nil
	}
	// ε-scaling: stages at ε_k = max(ε, c_max/2^k), each warm-started from the last and run
	// to the loose tolerance scaleTol, then the final stage at ε to Tol.
	cmax := 0.0
	for _, c := range cost {
		cmax = max(cmax, math.Abs(c))
	}
	budget := o.MaxIter
	for e := cmax; e > o.Eps && budget > 0; e /= 2 {
		it, _, _ := ws.sinkhornIters(cost, n, e, max(o.Tol, scaleTol), budget)
		budget -= it
		res.Iters += it
	}
	it, errRows, ok := ws.sinkhornIters(cost, n, o.Eps, o.Tol, max(budget, 1))
	res.Iters += it
	res.MarginalErr, res.Converged = errRows, ok
	return res, nil
}

// scaleTol is the row-marginal tolerance of SinkhornPlan's intermediate ε stages.
const scaleTol = 1e-2

// sinkhornIters runs at most maxIter Sinkhorn iterations at eps from the potentials in ws.f
// and ws.g, stopping once the row marginals' L1 error is at most tol; it returns the
// iterations run, the error of the plan left in ws.f, ws.g and whether it is within tol.
func (ws *Workspace) sinkhornIters(cost []float64, n int, eps, tol float64, maxIter int) (int, float64, bool) {
	f, g, fn := ws.f, ws.g, ws.row
	inv := 1 / eps
	logA := -math.Log(float64(n))
	a := 1 / float64(n)
	for it := 0; ; it++ {
		// Row log-sum-exps: the candidate F and the current plan's row sums.
		errRows := 0.0
		for i := range n {
			ci := cost[i*n : i*n+n]
			m := math.Inf(-1)
			for j, c := range ci {
				m = max(m, (g[j]-c)*inv)
			}
			s := 0.0
			for j, c := range ci {
				s += math.Exp((g[j]-c)*inv - m)
			}
			lse := m + math.Log(s)
			fn[i] = eps * (logA - lse)
			errRows += math.Abs(math.Exp(f[i]*inv+lse) - a)
		}
		if it > 0 && (errRows <= tol || it == maxIter) {
			return it, errRows, errRows <= tol
		}
		copy(f, fn)
		// Column log-sum-exps, in two row-major passes (maxima, then sums).
		cm, cs := ws.u, ws.minv
		for j := range n {
			cm[j] = math.Inf(-1)
		}
		clear(cs)
		for i := range n {
			ci, fi := cost[i*n:i*n+n], f[i]
			for j, c := range ci {
				cm[j] = max(cm[j], (fi-c)*inv)
			}
		}
		for i := range n {
			ci, fi := cost[i*n:i*n+n], f[i]
			for j, c := range ci {
				cs[j] += math.Exp((fi-c)*inv - cm[j])
			}
		}
		for j := range n {
			g[j] = eps * (logA - cm[j] - math.Log(cs[j]))
		}
	}
}

// Plan writes into plan (len n·n) the plan P_ij = exp((f_i + g_j − c_ij)/ε) of the
// potentials of a SinkhornPlan run.
func Plan(cost []float64, n int, eps float64, f, g, plan []float64) {
	inv := 1 / eps
	for i := range n {
		for j := range n {
			plan[i*n+j] = math.Exp((f[i] + g[j] - cost[i*n+j]) * inv)
		}
	}
}

// SamplePlan draws a permutation perm (len n) from the plan of the potentials g (f only
// scales rows, so it is not needed) without replacement: the rows are visited in an order
// shuffled by rng, and each row i takes a column j among those not yet taken with
// probability P_ij / Σ_{j' free} P_ij' (weights formed in the log domain about their
// maximum, so a row never finds all its weights underflowed). Each column is used once,
// so a batch paired this way keeps both of its sets of points. When P is a permutation
// (ε → 0) the draw returns it; when P is uniform (ε → ∞) the draw is a uniformly random
// permutation. ws may be nil (its sampling buffers are then temporary).
func SamplePlan(cost []float64, n int, eps float64, g []float64, rng *rand.Rand, perm []int, ws *Workspace) error {
	if err := checkSquare("sample plan", cost, n); err != nil {
		return err
	}
	if !(eps > 0) || math.IsInf(eps, 0) || len(g) != n || len(perm) != n {
		return fmt.Errorf("coupling: sample plan: eps = %g, len(g) = %d, len(perm) = %d: want eps finite > 0 and lengths n = %d", eps, len(g), len(perm), n)
	}
	if ws == nil {
		ws = new(Workspace)
	}
	ws.way = buf.Grow(ws.way, n)
	ws.used = buf.Grow(ws.used, n)
	ws.minv = buf.Grow(ws.minv, n)
	order, taken, w := ws.way, ws.used, ws.minv
	for i := range order {
		order[i] = i
	}
	rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	clear(taken)
	inv := 1 / eps
	for _, i := range order {
		ci := cost[i*n : i*n+n]
		m := math.Inf(-1)
		for j, c := range ci {
			if !taken[j] {
				m = max(m, (g[j]-c)*inv)
			}
		}
		s := 0.0
		last := -1
		for j, c := range ci {
			w[j] = 0
			if !taken[j] {
				w[j] = math.Exp((g[j]-c)*inv - m)
				s += w[j]
				last = j
			}
		}
		pick, r := last, rng.Float64()*s
		for j := range n {
			if taken[j] {
				continue
			}
			if r -= w[j]; r < 0 {
				pick = j
				break
			}
		}
		taken[pick] = true
		perm[i] = pick
	}
	return nil
}
