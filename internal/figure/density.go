package figure

import (
	"context"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot/plotter"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/solver"
)

// Grid is a model density on the square [Lo, Lo + N·Dx]² (2-D), cell (c, r) at column c
// (x₁) and row r (x₂, increasing upwards).
type Grid struct {
	N      int
	Lo, Dx float64
	// Rho is the density at the centre of cell (c, r), index r·N + c (data units).
	Rho []float64
}

// Center returns the centre of cell (c, r).
func (g *Grid) Center(c, r int) (x, y float64) {
	return g.Lo + (float64(c)+0.5)*g.Dx, g.Lo + (float64(r)+0.5)*g.Dx
}

// Mass returns the density's integral over the grid (the midpoint rule).
func (g *Grid) Mass() float64 {
	s := 0.0
	for _, v := range g.Rho {
		s += v
	}
	return s * g.Dx * g.Dx
}

// DensityGrid evaluates the density ρ_t of model m at time t ∈ [0, 1] on an n×n grid over
// [−lim, lim]²: by the change of variables from t back to 0 (gen.LikelihoodOptions.Time),
// and at t = 0 the base density itself (the flow is the identity there). progress, when set,
// is told the cells done out of n².
func DensityGrid(ctx context.Context, m *gen.Model, t, lim float64, n int, cond *gen.Condition, batch int, ode solver.Options, progress func(done, total int)) (*Grid, error) {
	if m.Dim() != 2 {
		return nil, fmt.Errorf("figure: the density needs a 2-D model, this one has dimension %d", m.Dim())
	}
	g := &Grid{N: n, Lo: -lim, Dx: 2 * lim / float64(n)}
	x := make([]float32, 0, 2*n*n)
	for r := range n {
		for c := range n {
			a, b := g.Center(c, r)
			x = append(x, float32(a), float32(b))
		}
	}
	var logp []float64
	if t == 0 {
		logp = baseLogDensity(m, x)
		if progress != nil {
			progress(n*n, n*n)
		}
	} else {
		var err error
		logp, _, err = m.LogProb(ctx, x, gen.LikelihoodOptions{ODE: ode, Batch: batch, Cond: cond, Time: t, Progress: progress})
		if err != nil {
			return nil, err
		}
	}
	g.Rho = make([]float64, len(logp))
	for i, v := range logp {
		g.Rho[i] = math.Exp(v)
	}
	return g, nil
}

// baseLogDensity returns log ρ0 of rows x in data units: the base density of the
// standardized point less the standardization's log-scale.
func baseLogDensity(m *gen.Model, x []float32) []float64 {
	d := m.Dim()
	u := slices.Clone(x)
	ls := 0.0
	if st := m.Data.Stats; st != nil {
		st.Standardize(u)
		ls = st.LogScale()
	}
	out := make([]float64, len(x)/d)
	for i := range out {
		row := u[i*d : (i+1)*d]
		if m.Base != nil {
			out[i] = m.Base.LogProb(row) - ls
		} else {
			out[i] = solver.StdNormal(row) - ls
		}
	}
	return out
}

// heat is a Grid as a heat map's values on a scale.
type heat struct {
	g     *Grid
	z     []float64
	lo    float64
	hi    float64
	label string
}

// newHeat returns g's values on scale sc with the colour range [lo, hi] (log: log₁₀ ρ
// floored LogDecades below the maximum). top, when > 0, is the maximum of ρ the colour
// range should reach (to share one scale among panels).
func newHeat(g *Grid, sc Scale, top float64) *heat {
	if top <= 0 {
		top = slices.Max(g.Rho)
	}
	h := &heat{g: g, z: make([]float64, len(g.Rho))}
	switch sc {
	case Log:
		hi := math.Log10(max(top, math.SmallestNonzeroFloat64))
		h.lo, h.hi, h.label = hi-LogDecades, hi, "log₁₀ density"
		for i, v := range g.Rho {
			h.z[i] = max(math.Log10(max(v, math.SmallestNonzeroFloat64)), h.lo)
		}
	default:
		h.lo, h.hi, h.label = 0, top, "density"
		copy(h.z, g.Rho)
	}
	if !(h.hi > h.lo) {
		h.hi = h.lo + 1
	}
	return h
}

// Dims returns the grid's columns and rows.
func (h *heat) Dims() (int, int) { return h.g.N, h.g.N }

// Z returns the value of cell (c, r).
func (h *heat) Z(c, r int) float64 { return h.z[r*h.g.N+c] }

// X returns the centre of column c.
func (h *heat) X(c int) float64 { x, _ := h.g.Center(c, 0); return x }

// Y returns the centre of row r.
func (h *heat) Y(r int) float64 { _, y := h.g.Center(0, r); return y }

var _ plotter.GridXYZ = (*heat)(nil)

// densityPanel draws g with its colour bar.
func densityPanel(title string, ax Axes, lim float64, g *Grid, sc Scale, top float64) Panel {
	h := newHeat(g, sc, top)
	cm := colorMap(h.lo, h.hi)
	hm := plotter.NewHeatMap(h, cm.Palette(255))
	hm.Min, hm.Max = h.lo, h.hi
	hm.Rasterized = true
	p := squarePlot(title, ax, lim)
	p.Add(hm)
	square(p, lim)
	return Panel{Plot: p, Bar: colorBar(cm, h.label)}
}
