package figure

import (
	"context"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/interflow/flowbench/gen"
)

// trajectoryCount and trajectorySteps are the number of trajectories drawn and of the
// times each is recorded at after t = 0.
const (
	trajectoryCount = 300
	trajectorySteps = 40
)

// Trajectories returns n paths of model m from t = 0 to 1, each recorded at steps + 1
// equally spaced times (path[i][k] is sample i at t = k/steps) by one solve through all
// the times (gen.SampleOptions.Record).
func TrajectoryPaths(ctx context.Context, s *Spec, n, steps int, progress func(int, int)) ([]plotter.XYs, error) {
	rec := make([]float64, steps+1)
	for k := range rec {
		rec[k] = float64(k) / float64(steps)
	}
	res, err := s.Model.Sample(ctx, n, gen.SampleOptions{ODE: s.ODE, Batch: s.Batch, Seed: s.Seed, Cond: s.Cond, Record: rec, Progress: progress})
	if err != nil {
		return nil, err
	}
	d := s.Model.Dim()
	paths := make([]plotter.XYs, n)
	for i := range paths {
		paths[i] = make(plotter.XYs, len(rec))
		for k, x := range res.Path {
			paths[i][k] = plotter.XY{X: float64(x[i*d]), Y: float64(x[i*d+1])}
		}
	}
	return paths, nil
}

// trajectoryFigure draws paths from the base to the samples, marking both ends.
func trajectoryFigure(ctx context.Context, s *Spec, w *work) (*Figure, error) {
	paths, err := TrajectoryPaths(ctx, s, trajectoryCount, trajectorySteps, w.part(trajectoryCount))
	if err != nil {
		return nil, err
	}
	var all, starts, ends plotter.XYs
	for _, p := range paths {
		all = append(all, p...)
		starts = append(starts, p[0])
		ends = append(ends, p[len(p)-1])
	}
	lim := s.Lim
	if lim == 0 {
		x := make([]float32, 0, 2*len(all))
		for _, q := range all {
			x = append(x, float32(q.X), float32(q.Y))
		}
		lim = AutoLimit(x, 2)
	}
	p := squarePlot(s.title(fmt.Sprintf("%d trajectories, t = 0 → 1", len(paths))), axesOf(s.Model), lim)
	for _, pth := range paths {
		l, err := plotter.NewLine(pth)
		if err != nil {
			return nil, fmt.Errorf("figure: %w", err)
		}
		l.Color, l.Width = alpha(Theme.Model, 70), vg.Points(0.5)
		p.Add(l)
	}
	st := &plotter.Scatter{XYs: starts}
	st.GlyphStyle = draw.GlyphStyle{Color: Theme.Start, Radius: vg.Points(1.3), Shape: draw.CircleGlyph{}}
	en := &plotter.Scatter{XYs: ends}
	en.GlyphStyle = draw.GlyphStyle{Color: Theme.End, Radius: vg.Points(1.3), Shape: draw.CircleGlyph{}}
	p.Add(st, en)
	p.Legend.Add("t = 0: base draw x₀", marker(Theme.Start, draw.CircleGlyph{}))
	p.Legend.Add("t = 1: sample x₁", marker(Theme.End, draw.CircleGlyph{}))
	p.Legend.Add("path x_t", &plotter.Line{LineStyle: draw.LineStyle{Color: Theme.Model, Width: Theme.Line}})
	square(p, lim)
	placeLegend(p, all)
	return &Figure{Panels: []Panel{{Plot: p}}}, nil
}

// Arrow is the velocity V = (U, W) at the point (X, Y).
type Arrow struct{ X, Y, U, W float64 }

// FieldArrows returns the model's velocity (data units per unit time) at time t on a k×k
// grid of cell centres over [−lim, lim]².
func FieldArrows(ctx context.Context, m *gen.Model, t, lim float64, k int, cond *gen.Condition) ([]Arrow, error) {
	dx := 2 * lim / float64(k)
	x := make([]float32, 0, 2*k*k)
	for r := range k {
		for c := range k {
			x = append(x, float32(-lim+(float64(c)+0.5)*dx), float32(-lim+(float64(r)+0.5)*dx))
		}
	}
	v, err := m.Velocity(ctx, t, x, cond)
	if err != nil {
		return nil, err
	}
	out := make([]Arrow, k*k)
	for i := range out {
		out[i] = Arrow{X: float64(x[2*i]), Y: float64(x[2*i+1]), U: float64(v[2*i]), W: float64(v[2*i+1])}
	}
	return out, nil
}

// arrowCells is the number of arrows per side of a field panel.
const arrowCells = 17

// fieldFigure draws the velocity field as arrows at each of Spec.Times, on one length
// scale (the longest arrow of all panels spans 0.9 of a cell).
func fieldFigure(ctx context.Context, s *Spec, w *work) (*Figure, error) {
	lim := s.Lim
	if lim == 0 {
		x, _, err := s.samples(ctx, w.part(s.N))
		if err != nil {
			return nil, err
		}
		lim = s.limit(x, 2)
	}
	sets := make([][]Arrow, len(s.Times))
	vmax := 0.0
	for i, t := range s.Times {
		a, err := FieldArrows(ctx, s.Model, t, lim, arrowCells, s.Cond)
		if err != nil {
			return nil, err
		}
		sets[i] = a
		for _, q := range a {
			vmax = max(vmax, math.Hypot(q.U, q.W))
		}
	}
	scale := 0.0
	if vmax > 0 {
		scale = 0.9 * (2 * lim / arrowCells) / vmax
	}
	ax := axesOf(s.Model)
	f := &Figure{}
	for i, a := range sets {
		p := squarePlot(s.title(fmt.Sprintf("velocity v(t, x) at t = %g (max |v| %.3g)", s.Times[i], vmax)), ax, lim)
		p.Add(&arrows{a: a, scale: scale, color: Theme.Model})
		f.Panels = append(f.Panels, Panel{Plot: p})
	}
	return f, nil
}

// arrows is a plot.Plotter of arrows: a shaft from (X, Y) to (X, Y) + scale·(U, W) and a
// head at its end.
type arrows struct {
	a     []Arrow
	scale float64
	color color.NRGBA
}

// Plot draws the arrows on c.
func (a *arrows) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	c.SetLineStyle(draw.LineStyle{Color: a.color, Width: vg.Points(0.8)})
	for _, q := range a.a {
		x0, y0 := trX(q.X), trY(q.Y)
		x1, y1 := trX(q.X+a.scale*q.U), trY(q.Y+a.scale*q.W)
		dx, dy := float64(x1-x0), float64(y1-y0)
		l := math.Hypot(dx, dy)
		if l < 0.5 {
			continue
		}
		var path vg.Path
		path.Move(vg.Point{X: x0, Y: y0})
		path.Line(vg.Point{X: x1, Y: y1})
		head := math.Min(4, 0.35*l)
		ux, uy := dx/l, dy/l
		for _, sgn := range []float64{1, -1} {
			// the head's sides at ±25° to the shaft
			cs, sn := math.Cos(25*math.Pi/180), sgn*math.Sin(25*math.Pi/180)
			hx, hy := -(ux*cs - uy*sn), -(ux*sn + uy*cs)
			path.Move(vg.Point{X: x1, Y: y1})
			path.Line(vg.Point{X: x1 + vg.Length(head*hx), Y: y1 + vg.Length(head*hy)})
		}
		c.Stroke(path)
	}
}
