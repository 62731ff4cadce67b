package figure

import (
	"fmt"
	"image/color"
	"strings"

	"github.com/interflow/flowbench/gen"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// line returns a curve through pts in colour c, and its points for legend placement.
func line(pts plotter.XYs, c color.NRGBA, dashed bool) (*plotter.Line, error) {
	l, err := plotter.NewLine(pts)
	if err != nil {
		return nil, fmt.Errorf("figure: %w", err)
	}
	l.Color, l.Width = c, Theme.Line
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
	}
	return l, nil
}

// valPoints returns the history's validation NLLs against step (entries with one).
func (s *Spec) valPoints() plotter.XYs {
	var v plotter.XYs
	for _, e := range s.Model.History {
		if e.ValNLL != 0 {
			v = append(v, plotter.XY{X: float64(e.Step), Y: e.ValNLL})
		}
	}
	return v
}

// lossFigure draws the training loss and kinetic energy against step, and beside them the
// validation NLL when the history has it.
func lossFigure(s *Spec) (*Figure, error) {
	h := s.Model.History
	if len(h) == 0 {
		return nil, fmt.Errorf("figure: the model has no training history")
	}
	loss, kin := make(plotter.XYs, len(h)), make(plotter.XYs, len(h))
	for i, e := range h {
		loss[i] = plotter.XY{X: float64(e.Step), Y: e.Loss}
		kin[i] = plotter.XY{X: float64(e.Step), Y: e.Kinetic}
	}
	what, ylab, lossName := "training loss", "mean over the log interval (standardized units²)", "loss E|v − ∂ₜI|²"
	if mleRun(s.Model) {
		what, ylab, lossName = "training loss (maximum likelihood)", "mean over the log interval", "loss: NLL (+ regularizers)"
	}
	p := newPlot(s.title(what), "step", ylab)
	l1, err := line(loss, Theme.Model, false)
	if err != nil {
		return nil, err
	}
	l2, err := line(kin, Theme.End, true)
	if err != nil {
		return nil, err
	}
	p.Add(l1, l2)
	p.Legend.Add(lossName, l1)
	p.Legend.Add("kinetic energy E|v|²", l2)
	p.X.Min = 0
	autoRange(p, append(loss, kin...))
	placeLegend(p, append(loss, kin...))
	f := &Figure{Panels: []Panel{{Plot: p}}}
	if v := s.valPoints(); len(v) > 0 {
		vp, err := valPlot(s, v)
		if err != nil {
			return nil, err
		}
		f.Panels = append(f.Panels, Panel{Plot: vp})
	}
	return f, nil
}

// valFigure draws the validation NLL against step.
func valFigure(s *Spec) (*Figure, error) {
	v := s.valPoints()
	if len(v) == 0 {
		return nil, fmt.Errorf("figure: the model's history has no validation NLL (train with validation: a data file, or --val-every)")
	}
	p, err := valPlot(s, v)
	if err != nil {
		return nil, err
	}
	return &Figure{Panels: []Panel{{Plot: p}}}, nil
}

// valPlot draws validation NLLs v with the best one marked.
func valPlot(s *Spec, v plotter.XYs) (*plot.Plot, error) {
	p := newPlot(s.title("validation NLL"), "step", "held-out NLL (nats per row)")
	l, err := line(v, Theme.Val, false)
	if err != nil {
		return nil, err
	}
	p.Add(l)
	p.Legend.Add("validation NLL", l)
	best := 0
	for i := range v {
		if v[i].Y < v[best].Y {
			best = i
		}
	}
	m := &plotter.Scatter{XYs: v[best : best+1]}
	m.GlyphStyle = draw.GlyphStyle{Color: Theme.End, Radius: Theme.Marker, Shape: draw.CircleGlyph{}}
	p.Add(m)
	p.Legend.Add(fmt.Sprintf("best %.4f at step %.0f", v[best].Y, v[best].X), m)
	p.X.Min = 0
	autoRange(p, v)
	placeLegend(p, v)
	return p, nil
}

// autoRange sets p's range to pts' with a margin at the top for the legend.
func autoRange(p *plot.Plot, pts plotter.XYs) {
	x0, x1, y0, y1 := plotter.XYRange(pts)
	p.X.Min, p.X.Max = min(p.X.Min, x0), x1
	span := y1 - y0
	if span <= 0 {
		span = 1
	}
	p.Y.Min, p.Y.Max = y0-0.05*span, y1+0.05*span
}

// mleRun reports whether the model was trained by maximum likelihood, as its recorded
// command line says (--objective mle): its loss is then an NLL, not the interpolant's.
func mleRun(m *gen.Model) bool {
	if m.Provenance == nil {
		return false
	}
	c := m.Provenance.Command
	for i, a := range c {
		a = strings.TrimLeft(a, "-")
		if a == "objective=mle" || (a == "objective" && i+1 < len(c) && c[i+1] == "mle") {
			return true
		}
	}
	return false
}
