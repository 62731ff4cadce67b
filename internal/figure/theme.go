package figure

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Theme is the one style of every figure: font sizes, line widths, marker sizes and colours.
var Theme = struct {
	// HeadSize, TitleSize, LabelSize, TickSize and LegendSize are the font sizes of the
	// figure's title, panel titles, axis labels, tick labels and legend entries.
	HeadSize, TitleSize, LabelSize, TickSize, LegendSize font.Length
	// Line is the width of curves; Point the radius of a scatter's points; Marker the radius
	// of a marker drawn in a legend or at a trajectory's ends.
	Line, Point, Marker vg.Length
	// Model, Data, Start, End and Val are the colours of model samples and curves, data
	// points, trajectory starts (t = 0), trajectory ends (t = 1) and validation curves.
	Model, Data, Start, End, Val color.NRGBA
	// Classes are the colours of up to ten classes (then they repeat).
	Classes []color.NRGBA
	// Pad is the space around every panel.
	Pad vg.Length
}{
	HeadSize: 10, TitleSize: 10, LabelSize: 10, TickSize: 8, LegendSize: 8,
	Line: vg.Points(1.2), Point: vg.Points(0.7), Marker: vg.Points(3),
	// The Okabe–Ito palette (distinct under the common colour-vision deficiencies).
	Model: color.NRGBA{0, 114, 178, 255}, Data: color.NRGBA{230, 159, 0, 255}, Start: color.NRGBA{86, 86, 86, 255},
	End: color.NRGBA{213, 94, 0, 255}, Val: color.NRGBA{0, 158, 115, 255},
	Classes: []color.NRGBA{{0, 114, 178, 255}, {230, 159, 0, 255}, {0, 158, 115, 255}, {213, 94, 0, 255}, {204, 121, 167, 255},
		{86, 180, 233, 255}, {240, 228, 66, 255}, {0, 0, 0, 255}, {140, 86, 75, 255}, {127, 127, 127, 255}},
	Pad: vg.Millimeter * 3,
}

// alpha returns c with opacity a (0–255).
func alpha(c color.NRGBA, a uint8) color.NRGBA { c.A = a; return c }

// newPlot returns a plot in the theme with a title and axis labels.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = Theme.TitleSize
	p.Title.Padding = vg.Points(6)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = Theme.LabelSize
		a.Tick.Label.Font.Size = Theme.TickSize
		a.Padding = vg.Points(2)
	}
	p.X.Label.Text, p.Y.Label.Text = x, y
	p.Legend.TextStyle.Font.Size = Theme.LegendSize
	p.Legend.ThumbnailWidth = vg.Points(14)
	p.Legend.Padding = vg.Points(1)
	return p
}

// squarePlot returns a plot of the square [−lim, lim]² with a title and axis labels.
func squarePlot(title string, ax Axes, lim float64) *plot.Plot {
	p := newPlot(title, ax.X, ax.Y)
	square(p, lim)
	return p
}

// square sets p's axes to [−lim, lim]² (again after Add, which widens them to fit the data:
// points outside the square are not drawn).
func square(p *plot.Plot, lim float64) {
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -lim, lim, -lim, lim
}

// Corner is a corner of a plot's data area.
type Corner struct{ Top, Left bool }

// EmptiestCorner returns the corner of the data rectangle [x0, x1]×[y0, y1] whose box (a
// third of the width, a quarter of the height) holds the fewest of pts, preferring the top
// right on ties: where a legend covers the least data.
func EmptiestCorner(pts plotter.XYs, x0, x1, y0, y1 float64) Corner {
	best, bestN := Corner{Top: true}, math.MaxInt
	for _, c := range []Corner{{Top: true}, {Top: true, Left: true}, {}, {Left: true}} {
		bx0, bx1 := x1-(x1-x0)/3, x1
		if c.Left {
			bx0, bx1 = x0, x0+(x1-x0)/3
		}
		by0, by1 := y0, y0+(y1-y0)/4
		if c.Top {
			by0, by1 = y1-(y1-y0)/4, y1
		}
		n := 0
		for _, q := range pts {
			if q.X >= bx0 && q.X <= bx1 && q.Y >= by0 && q.Y <= by1 {
				n++
			}
		}
		if n < bestN {
			best, bestN = c, n
		}
	}
	return best
}

// placeLegend puts p's legend in the emptiest corner of its data range for pts.
func placeLegend(p *plot.Plot, pts plotter.XYs) {
	x0, x1, y0, y1 := p.X.Min, p.X.Max, p.Y.Min, p.Y.Max
	if len(pts) > 0 && (x0 >= x1 || y0 >= y1) {
		x0, x1, y0, y1 = plotter.XYRange(pts)
	}
	c := EmptiestCorner(pts, x0, x1, y0, y1)
	p.Legend.Top, p.Legend.Left = c.Top, c.Left
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(4), -vg.Points(4)
	if c.Left {
		p.Legend.XOffs = vg.Points(4)
	}
	if !c.Top {
		p.Legend.YOffs = vg.Points(4)
	}
}

// marker returns a legend thumbnail for points of colour c: a filled circle large and
// opaque enough to be seen, whatever the size and opacity of the points it stands for.
func marker(c color.NRGBA, shape draw.GlyphDrawer) plot.Thumbnailer {
	s := &plotter.Scatter{GlyphStyleFunc: nil}
	s.GlyphStyle = draw.GlyphStyle{Color: alpha(c, 255), Radius: Theme.Marker, Shape: shape}
	return s
}

// colorMap returns the colour map of values in [lo, hi] (Kindlmann's perceptually uniform
// map, dark for low values).
func colorMap(lo, hi float64) palette.ColorMap {
	cm := moreland.Kindlmann()
	if !(hi > lo) {
		hi = lo + 1
	}
	cm.SetMin(lo)
	cm.SetMax(hi)
	return cm
}

// colorBar returns the colour bar of cm with label, drawn vertically beside a panel.
func colorBar(cm palette.ColorMap, label string) *plot.Plot {
	p := newPlot("", "", label)
	p.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true, Colors: 255})
	p.HideX()
	p.Y.Min, p.Y.Max = cm.Min(), cm.Max()
	return p
}
