package main

import (
	"context"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/solver"
)

func init() {
	register(&command{name: "plot", summary: "plot a model's samples, density, trajectories or training loss (PNG)", run: runPlot})
}

// plotOpts are the settings of a figure.
type plotOpts struct {
	kind  string
	n     int     // samples drawn
	grid  int     // density grid cells per side
	lim   float64 // half-width of the square shown (0: from the samples)
	seed  uint64
	batch int
	data  string         // data set drawn beside the model (optional)
	cond  *gen.Condition // the shared context of a conditional model (--given), or nil
	guide float64        // the guidance weight of the classes kind
}

func runPlot(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const cmd = "plot"
	fs := newFlags(cmd, "--model MODEL --out FILE.png [--kind samples|density|trajectories|loss|classes] [flags]", stdout)
	model := fs.String("model", "", "model checkpoint")
	out := fs.String("out", "", "output PNG file")
	kind := fs.String("kind", "", "samples, density, trajectories, loss or classes (a label model's draws per class: a scatter in 2-D, a grid of images for square images) (default: samples beside density)")
	data := fs.String("data", "", "also draw points of this generated data set or data file (samples kind)")
	n := fs.Int("n", 20000, "samples drawn")
	grid := fs.Int("grid", 120, "density grid cells per side")
	lim := fs.Float64("lim", 0, "half-width of the square shown (0: from the samples)")
	batch := fs.Int("batch", 10000, "rows solved together")
	cf := addCondFlags(fs, "")
	c := addCommon(fs)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if err := mustPositive(cmd, "n", *n, "grid", *grid, "batch", *batch); err != nil {
		return err
	}
	if *lim < 0 || math.IsInf(*lim, 0) || math.IsNaN(*lim) {
		return usagef("%s: --lim must be a finite value ≥ 0, got %v", cmd, *lim)
	}
	if *kind != "" {
		if err := parseChoice(cmd, "kind", *kind, "samples", "density", "trajectories", "loss", "classes"); err != nil {
			return err
		}
	}
	if !strings.EqualFold(filepath.Ext(*out), ".png") {
		return usagef("%s: --out %q: want a .png file", cmd, *out)
	}
	if err := checkOut(cmd, "out", *out); err != nil {
		return err
	}
	if err := checkNotInput(cmd, *out, "--model", *model, "--data", *data); err != nil {
		return err
	}
	m, err := c.loadModel(cmd, *model)
	if err != nil {
		return err
	}
	po := plotOpts{kind: *kind, n: *n, grid: *grid, lim: *lim, seed: *c.seed, batch: *batch, data: *data, guide: *cf.guidance}
	if *cf.cond != "" {
		return usagef("%s: give a conditional model's context with --given (one context for the figure)", cmd)
	}
	if err := cf.check(cmd, m); err != nil {
		return err
	}
	if *kind == "classes" {
		if m.Net.Config().Classes == 0 || m.Net.Config().Context > 0 {
			return usagef("%s: --kind classes needs a model trained with class labels only (--cond-labels)", cmd)
		}
	} else {
		if po.cond, err = cf.shared(cmd, m); err != nil {
			return err
		}
		if err := need(cmd, m, po.cond); err != nil && *kind != "loss" {
			return err
		}
	}
	kindName := *kind
	if kindName == "" {
		kindName = "samples+density"
	}
	return writePlot(ctx, m, *out, po, func() error { return c.emitter(stdout).Summary(cmd, "out", *out, "kind", kindName) })
}

// writePlot draws the figure and writes it atomically as PNG, running report before the
// file replaces path (saveThen).
func writePlot(ctx context.Context, m *gen.Model, path string, o plotOpts, report func() error) error {
	var plots []*plot.Plot
	switch o.kind {
	case "classes":
		return classPlot(ctx, m, path, o, report)
	case "loss":
		p, err := lossPlot(m)
		if err != nil {
			return err
		}
		plots = append(plots, p)
	case "trajectories":
		p, err := trajectoryPlot(ctx, m, o)
		if err != nil {
			return err
		}
		plots = append(plots, p)
	default:
		x, err := m.Sample(ctx, o.n, gen.SampleOptions{ODE: plotODE, Batch: o.batch, Seed: o.seed, Cond: o.cond})
		if err != nil {
			return err
		}
		lim := o.lim
		if lim == 0 {
			lim = autoLimit(x.X, m.Dim())
		}
		if o.kind == "" || o.kind == "samples" {
			p, err := samplePlot(m, x.X, lim, o)
			if err != nil {
				return err
			}
			plots = append(plots, p)
		}
		if o.kind == "" || o.kind == "density" {
			if m.Dim() != 2 {
				if o.kind == "density" {
					return fmt.Errorf("plot: the density plot needs a 2-D model, this one has dimension %d", m.Dim())
				}
			} else {
				p, err := densityPlot(ctx, m, lim, o)
				if err != nil {
					return err
				}
				plots = append(plots, p)
			}
		}
	}
	const side = 5 * vg.Inch
	img := vgimg.NewWith(vgimg.UseWH(side*vg.Length(len(plots)), side), vgimg.UseDPI(96))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	cs := plot.Align([][]*plot.Plot{plots}, tiles, dc)
	for i, p := range plots {
		p.Draw(cs[0][i])
	}
	return saveThen(ctx, path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	}, report)
}

// autoLimit returns a half-width that holds 99.5% of the first two coordinates.
func autoLimit(x []float32, d int) float64 {
	var a []float64
	for i := 0; i+1 < len(x); i += d {
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

func squarePlot(title string, lim float64) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -lim, lim, -lim, lim
	return p
}

func samplePlot(m *gen.Model, x []float32, lim float64, o plotOpts) (*plot.Plot, error) {
	d := m.Dim()
	p := squarePlot(fmt.Sprintf("samples (n = %d)", len(x)/d), lim)
	if d < 2 {
		return nil, fmt.Errorf("plot: samples need dimension ≥ 2, the model has %d", d)
	}
	if o.data != "" {
		ed, err := gen.LoadEvalData(m, o.data, dataset.PartAll, o.n, o.seed)
		if err != nil {
			return nil, err
		}
		s, err := scatter(ed.X, d, color.NRGBA{R: 200, G: 120, B: 40, A: 60})
		if err != nil {
			return nil, err
		}
		p.Add(s)
		p.Legend.Add("data", s)
	}
	s, err := scatter(x, d, color.NRGBA{R: 30, G: 60, B: 160, A: 90})
	if err != nil {
		return nil, err
	}
	p.Add(s)
	if o.data != "" {
		p.Legend.Add("model", s)
	}
	return p, nil
}

func scatter(x []float32, d int, c color.Color) (*plotter.Scatter, error) {
	pts := make(plotter.XYs, len(x)/d)
	for i := range pts {
		pts[i].X, pts[i].Y = float64(x[i*d]), float64(x[i*d+1])
	}
	s, err := plotter.NewScatter(pts)
	if err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	s.GlyphStyle.Radius = vg.Points(0.6)
	s.GlyphStyle.Shape = draw.CircleGlyph{}
	s.GlyphStyle.Color = c
	return s, nil
}

// gridXYZ is a density grid for the heat map.
type gridXYZ struct {
	n      int
	lo, dx float64
	z      []float64
}

func (g *gridXYZ) Dims() (int, int)                  { return g.n, g.n }
func (g *gridXYZ) Z(c, r int) float64                { return g.z[r*g.n+c] }
func (g *gridXYZ) X(c int) float64                   { return g.lo + (float64(c)+0.5)*g.dx }
func (g *gridXYZ) Y(r int) float64                   { return g.lo + (float64(r)+0.5)*g.dx }
func (g *gridXYZ) Min() float64                      { return 0 }
func (g *gridXYZ) Max() float64                      { return slices.Max(g.z) }
func (g *gridXYZ) point(c, r int) (float32, float32) { return float32(g.X(c)), float32(g.Y(r)) }

func densityPlot(ctx context.Context, m *gen.Model, lim float64, o plotOpts) (*plot.Plot, error) {
	g := &gridXYZ{n: o.grid, lo: -lim, dx: 2 * lim / float64(o.grid)}
	x := make([]float32, 0, 2*g.n*g.n)
	for r := range g.n {
		for c := range g.n {
			a, b := g.point(c, r)
			x = append(x, a, b)
		}
	}
	logp, _, err := m.LogProb(ctx, x, gen.LikelihoodOptions{ODE: plotODE, Batch: o.batch, Cond: o.cond})
	if err != nil {
		return nil, err
	}
	g.z = make([]float64, len(logp))
	for i, v := range logp {
		g.z[i] = math.Exp(v)
	}
	p := squarePlot("model density exp(log ρ)", lim)
	h := plotter.NewHeatMap(g, moreland.Kindlmann().Palette(255))
	h.Rasterized = true
	p.Add(h)
	return p, nil
}

func trajectoryPlot(ctx context.Context, m *gen.Model, o plotOpts) (*plot.Plot, error) {
	d := m.Dim()
	if d < 2 {
		return nil, fmt.Errorf("plot: trajectories need dimension ≥ 2, the model has %d", d)
	}
	const k, segs = 300, 20
	// Trajectories from the base to t = 1: sample with increasing end times from the same
	// seed (same base draws), so each path is traced in segs pieces.
	paths := make([]plotter.XYs, k)
	for s := 0; s <= segs; s++ {
		t := float64(s) / segs
		var xs []float32
		if s == 0 {
			res, err := m.Sample(ctx, k, gen.SampleOptions{ODE: solver.Options{Method: solver.RK4, Steps: 1}, TEnd: 1e-9, Seed: o.seed, Cond: o.cond})
			if err != nil {
				return nil, err
			}
			xs = res.X
		} else {
			res, err := m.Sample(ctx, k, gen.SampleOptions{ODE: solver.Options{Method: solver.RK4, Steps: 2 * s}, TEnd: t, Seed: o.seed, Cond: o.cond})
			if err != nil {
				return nil, err
			}
			xs = res.X
		}
		for i := range k {
			paths[i] = append(paths[i], plotter.XY{X: float64(xs[i*d]), Y: float64(xs[i*d+1])})
		}
	}
	var all []float32
	for _, pth := range paths {
		for _, q := range pth {
			all = append(all, float32(q.X), float32(q.Y))
		}
	}
	lim := o.lim
	if lim == 0 {
		lim = autoLimit(all, 2)
	}
	p := squarePlot("trajectories t = 0 → 1", lim)
	for _, pth := range paths {
		l, err := plotter.NewLine(pth)
		if err != nil {
			return nil, fmt.Errorf("plot: %w", err)
		}
		l.Color = color.NRGBA{R: 30, G: 60, B: 160, A: 60}
		l.Width = vg.Points(0.5)
		p.Add(l)
		end, _ := plotter.NewScatter(pth[len(pth)-1:])
		end.GlyphStyle.Radius = vg.Points(1)
		end.GlyphStyle.Color = color.RGBA{R: 200, A: 255}
		p.Add(end)
	}
	return p, nil
}

func lossPlot(m *gen.Model) (*plot.Plot, error) {
	if len(m.History) == 0 {
		return nil, fmt.Errorf("plot: the model has no training history")
	}
	p := plot.New()
	p.Title.Text = "training"
	p.X.Label.Text = "step"
	loss := make(plotter.XYs, len(m.History))
	kin := make(plotter.XYs, len(m.History))
	for i, e := range m.History {
		loss[i] = plotter.XY{X: float64(e.Step), Y: e.Loss}
		kin[i] = plotter.XY{X: float64(e.Step), Y: e.Kinetic}
	}
	l1, err := plotter.NewLine(loss)
	if err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	l1.Color = color.RGBA{B: 200, A: 255}
	l2, err := plotter.NewLine(kin)
	if err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	l2.Color = color.RGBA{R: 200, A: 255}
	p.Add(l1, l2)
	p.Legend.Add("loss", l1)
	p.Legend.Add("kinetic E|v|²", l2)
	return p, nil
}

// plotODE is the solver of figures: accurate to the eye at a fraction of the cost of the
// likelihood's default tolerance.
var plotODE = solver.Options{Method: solver.Dopri5, RTol: 1e-4, ATol: 1e-4}
