package figure

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/solver"
)

// Build computes and draws figure k of spec.Model.
func Build(ctx context.Context, k Kind, spec Spec) (*Figure, error) {
	s := spec.withDefaults()
	if err := s.check(k); err != nil {
		return nil, err
	}
	f, err := build(ctx, k, &s)
	if err != nil {
		return nil, err
	}
	f.Title = s.head()
	return f, nil
}

// build computes and draws the panels of figure k.
func build(ctx context.Context, k Kind, sp *Spec) (*Figure, error) {
	s := *sp
	d := s.Model.Dim()
	cells := s.Grid * s.Grid
	w := &work{report: s.Progress}
	switch k {
	case Loss:
		return lossFigure(&s)
	case ValNLL:
		return valFigure(&s)
	case Classes:
		w.total = s.N
		return classFigure(ctx, &s, w)
	case Images:
		w.total = imageCount(s.N)
		return imageFigure(ctx, &s, w)
	case Trajectories:
		w.total = trajectoryCount
		return trajectoryFigure(ctx, &s, w)
	case NFE:
		w.total = len(s.Tols) * nfeRows(&s)
		return nfeFigure(ctx, &s, w)
	case Field:
		if s.Lim == 0 {
			w.total = s.N
		}
		return fieldFigure(ctx, &s, w)
	case Evolution:
		w.total = len(s.Times) * cells
		if s.Lim == 0 {
			w.total += s.N
		}
		return evolutionFigure(ctx, &s, w)
	}
	// samples, density, both, panel: one set of samples sets the square shown
	w.total = s.N
	if d == 2 && k != Samples {
		w.total += cells
	}
	x, nfe, err := s.samples(ctx, w.part(s.N))
	if err != nil {
		return nil, err
	}
	lim := s.limit(x, d)
	ax := axesOf(s.Model)
	f := &Figure{}
	if k == Panel3 {
		f.Panels = append(f.Panels, Panel{Plot: scatterPanel(s.title(fmt.Sprintf("data (n = %d)", s.Data.N)), ax, lim, nil, s.Data.X, d)})
	}
	if k != Density {
		data := s.Data
		if k == Panel3 {
			data = nil
		}
		var dx []float32
		if data != nil {
			dx = data.X
		}
		f.Panels = append(f.Panels, Panel{Plot: scatterPanel(s.title(fmt.Sprintf("samples (n = %d, %d NFE)", s.N, nfe)), ax, lim, x, dx, d)})
	}
	if d == 2 && k != Samples {
		g, err := DensityGrid(ctx, s.Model, 1, lim, s.Grid, s.Cond, s.Batch, s.ODE, w.part(cells))
		if err != nil {
			return nil, err
		}
		f.Panels = append(f.Panels, densityPanel(s.title(fmt.Sprintf("model density (%s, mass in view %.3f)", s.Scale, g.Mass())), ax, lim, g, s.Scale, 0))
	}
	return f, nil
}

// samples draws s.N samples of the model (and returns the field evaluations of a solve).
func (s *Spec) samples(ctx context.Context, progress func(int, int)) ([]float32, int, error) {
	res, err := s.Model.Sample(ctx, s.N, gen.SampleOptions{ODE: s.ODE, Batch: s.Batch, Seed: s.Seed, Cond: s.Cond, Progress: progress})
	if err != nil {
		return nil, 0, err
	}
	chunks := (s.N + s.Batch - 1) / s.Batch
	return res.X, res.NFE / chunks, nil
}

// limit returns Spec.Lim, or the half-width that holds 99.5% of the first two coordinates
// of x (and of the data when given).
func (s *Spec) limit(x []float32, d int) float64 {
	if s.Lim > 0 {
		return s.Lim
	}
	all := x
	if s.Data != nil {
		all = append(slices.Clone(x), s.Data.X...)
	}
	return AutoLimit(all, d)
}

// AutoLimit returns a half-width that holds 99.5% of the first two coordinates of the
// rows of x (d columns), with a 10% margin.
func AutoLimit(x []float32, d int) float64 {
	var a []float64
	for i := 0; i+1 < len(x) && i+min(d, 2) <= len(x); i += d {
		a = append(a, math.Abs(float64(x[i])))
		if d > 1 {
			a = append(a, math.Abs(float64(x[i+1])))
		}
	}
	slices.Sort(a)
	if len(a) == 0 {
		return 1
	}
	v := a[min(len(a)-1, int(0.995*float64(len(a))))] * 1.1
	return math.Max(v, 1e-3)
}

// xy returns the first two coordinates of the rows of x.
func xy(x []float32, d int) plotter.XYs {
	pts := make(plotter.XYs, len(x)/d)
	for i := range pts {
		pts[i].X, pts[i].Y = float64(x[i*d]), float64(x[i*d+1])
	}
	return pts
}

// scatter returns pts as a cloud of small points of colour c, translucent in proportion
// to their number.
func scatter(pts plotter.XYs, c color.NRGBA) *plotter.Scatter {
	s := &plotter.Scatter{XYs: pts}
	a := uint8(max(40, min(220, 40000/max(len(pts), 1))))
	s.GlyphStyle = draw.GlyphStyle{Color: alpha(c, a), Radius: Theme.Point, Shape: draw.CircleGlyph{}}
	return s
}

// scatterPanel draws samples x (model colour) over data (data colour) of dimension d, with
// a legend of visible markers in the emptiest corner when both are shown.
func scatterPanel(title string, ax Axes, lim float64, x, data []float32, d int) *plot.Plot {
	p := squarePlot(title, ax, lim)
	var all plotter.XYs
	if data != nil {
		pts := xy(data, d)
		p.Add(scatter(pts, Theme.Data))
		all = append(all, pts...)
	}
	if x != nil {
		pts := xy(x, d)
		p.Add(scatter(pts, Theme.Model))
		all = append(all, pts...)
	}
	square(p, lim)
	if data != nil && x != nil {
		p.Legend.Add("data", marker(Theme.Data, draw.CircleGlyph{}))
		p.Legend.Add("model samples", marker(Theme.Model, draw.CircleGlyph{}))
		placeLegend(p, all)
	}
	return p
}

// evolutionFigure draws ρ_t at each of Spec.Times on one colour scale.
func evolutionFigure(ctx context.Context, s *Spec, w *work) (*Figure, error) {
	lim := s.Lim
	if lim == 0 {
		x, _, err := s.samples(ctx, w.part(s.N))
		if err != nil {
			return nil, err
		}
		lim = s.limit(x, 2)
	}
	grids := make([]*Grid, len(s.Times))
	top := 0.0
	for i, t := range s.Times {
		g, err := DensityGrid(ctx, s.Model, t, lim, s.Grid, s.Cond, s.Batch, s.ODE, w.part(s.Grid*s.Grid))
		if err != nil {
			return nil, err
		}
		grids[i] = g
		top = max(top, slices.Max(g.Rho))
	}
	ax := axesOf(s.Model)
	f := &Figure{}
	for i, g := range grids {
		p := densityPanel(s.title(fmt.Sprintf("density ρ_t at t = %g (%s)", s.Times[i], s.Scale)), ax, lim, g, s.Scale, top)
		if i < len(grids)-1 {
			p.Bar = nil // one colour bar, at the right, for the shared scale
		}
		f.Panels = append(f.Panels, p)
	}
	return f, nil
}

// nfeRows is the number of data rows an NFE figure scores at each tolerance.
func nfeRows(s *Spec) int { return min(s.N, s.Data.N, 1000) }

// NFEPoint is the cost and result of the likelihood at one tolerance.
type NFEPoint struct {
	RTol float64
	NFE  int     // field evaluations of one solve
	NLL  float64 // mean NLL of the rows (nats)
}

// NFESweep scores rows x of model m with Dopri5 at rtol = atol = each of tols, in one
// solve per tolerance (all rows together).
func NFESweep(ctx context.Context, m *gen.Model, x []float32, tols []float64, cond *gen.Condition, progress func(int, int)) ([]NFEPoint, error) {
	n := len(x) / m.Dim()
	w := &work{report: progress, total: n * len(tols)}
	var out []NFEPoint
	for _, r := range tols {
		lp, nfe, err := m.LogProb(ctx, x, gen.LikelihoodOptions{ODE: solver.Options{Method: solver.Dopri5, RTol: r, ATol: r}, Cond: cond, Progress: w.part(n)})
		if err != nil {
			return nil, fmt.Errorf("figure: rtol %g: %w", r, err)
		}
		out = append(out, NFEPoint{RTol: r, NFE: nfe, NLL: gen.SummarizeNLL(lp, m.Dim()).NLL})
	}
	return out, nil
}

// nfeFigure draws NFE and NLL against the tolerance.
func nfeFigure(ctx context.Context, s *Spec, w *work) (*Figure, error) {
	n := nfeRows(s)
	pts, err := NFESweep(ctx, s.Model, s.Data.X[:n*s.Model.Dim()], s.Tols, s.Cond, w.report)
	if err != nil {
		return nil, err
	}
	nfe, nll := make(plotter.XYs, len(pts)), make(plotter.XYs, len(pts))
	for i, q := range pts {
		nfe[i] = plotter.XY{X: q.RTol, Y: float64(q.NFE)}
		nll[i] = plotter.XY{X: q.RTol, Y: q.NLL}
	}
	p1 := newPlot(s.title(fmt.Sprintf("field evaluations per solve (Dopri5, %d rows)", n)), "rtol = atol", "NFE")
	p2 := newPlot(s.title(fmt.Sprintf("NLL of %d rows (Dopri5)", n)), "rtol = atol", "NLL (nats)")
	for _, c := range []struct {
		p   *plot.Plot
		xys plotter.XYs
	}{{p1, nfe}, {p2, nll}} {
		c.p.X.Scale, c.p.X.Tick.Marker = plot.LogScale{}, decades{}
		l, sc, err := plotter.NewLinePoints(c.xys)
		if err != nil {
			return nil, fmt.Errorf("figure: %w", err)
		}
		l.Color, l.Width = Theme.Model, Theme.Line
		sc.GlyphStyle = draw.GlyphStyle{Color: Theme.Model, Radius: Theme.Marker, Shape: draw.CircleGlyph{}}
		c.p.Add(l, sc)
	}
	return &Figure{Panels: []Panel{{Plot: p1}, {Plot: p2}}}, nil
}

// decades are the ticks of a log axis: one labelled 10ᵏ at each power of ten, exactly.
type decades struct{}

// Ticks returns the powers of ten in [lo, hi] (and lo and hi when they span less than one).
func (decades) Ticks(lo, hi float64) []plot.Tick {
	var t []plot.Tick
	for k := int(math.Floor(math.Log10(lo))); k <= int(math.Ceil(math.Log10(hi))); k++ {
		if v := math.Pow10(k); v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
			t = append(t, plot.Tick{Value: v, Label: fmt.Sprintf("1e%d", k)})
		}
	}
	if len(t) < 2 {
		t = []plot.Tick{{Value: lo, Label: fmt.Sprintf("%.2g", lo)}, {Value: hi, Label: fmt.Sprintf("%.2g", hi)}}
	}
	return t
}
