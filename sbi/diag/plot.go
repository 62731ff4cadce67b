package diag

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// FigureOptions are the settings every figure shares.
type FigureOptions struct {
	// Width and Height are the image size in pixels (0: the figure's default), each at
	// most 8000.
	Width, Height int
	// Title is drawn above the figure (empty: a default naming what is shown).
	Title string
	// Names are the parameters' names (nil: θ1, θ2, …); when set, one per dimension.
	Names []string
}

// Figure is a rendered figure: an opaque image at 96 dpi.
type Figure struct {
	img image.Image
}

// Image returns the figure's image.
func (f *Figure) Image() image.Image { return f.img }

// WritePNG writes the figure to w as PNG.
func (f *Figure) WritePNG(w io.Writer) error {
	if err := png.Encode(w, f.img); err != nil {
		return fmt.Errorf("diag: writing PNG: %w", err)
	}
	return nil
}

const (
	figureDPI = 96
	maxPixels = 8000
)

var (
	modelColor = color.NRGBA{R: 30, G: 80, B: 180, A: 255}
	refColor   = color.NRGBA{R: 210, G: 110, B: 30, A: 255}
	bandColor  = color.NRGBA{R: 160, G: 160, B: 160, A: 90}
)

// figureSize returns the size asked for, or the default, checked.
func figureSize(fn string, o FigureOptions, defW, defH int) (int, int, error) {
	w, h := o.Width, o.Height
	if w == 0 {
		w = defW
	}
	if h == 0 {
		h = defH
	}
	if w < 64 || h < 64 || w > maxPixels || h > maxPixels {
		return 0, 0, fmt.Errorf("diag: %s: size %d×%d pixels, want 64..%d on each side", fn, w, h, maxPixels)
	}
	return w, h, nil
}

// paramNames returns the names of d parameters.
func paramNames(fn string, o FigureOptions, d int) ([]string, error) {
	if o.Names == nil {
		names := make([]string, d)
		for j := range names {
			names[j] = fmt.Sprintf("θ%d", j+1)
		}
		return names, nil
	}
	if len(o.Names) != d {
		return nil, fmt.Errorf("diag: %s: %d Names for %d dimensions", fn, len(o.Names), d)
	}
	return o.Names, nil
}

// render draws a grid of plots (nil cells stay blank) under a title into a w×h image.
func render(grid [][]*plot.Plot, title string, w, h int) *Figure {
	// The canvas draws into its own copy of the image it is given.
	c := vgimg.NewWith(vgimg.UseImage(image.NewRGBA(image.Rect(0, 0, w, h))), vgimg.UseDPI(figureDPI))
	dc := draw.New(c)
	top := vg.Length(0)
	if title != "" {
		fnt := plot.DefaultFont
		fnt.Size = vg.Points(12)
		sty := draw.TextStyle{Color: color.Black, Font: fnt, Handler: plot.DefaultTextHandler, XAlign: draw.XCenter, YAlign: draw.YTop}
		top = sty.Height(title) + 2*vg.Millimeter
		dc.FillText(sty, vg.Point{X: dc.Center().X, Y: dc.Max.Y - vg.Millimeter}, title)
	}
	area := draw.Crop(dc, 0, 0, 0, -top)
	rows, cols := len(grid), len(grid[0])
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter, PadY: vg.Millimeter,
		PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: vg.Millimeter * 2}
	cs := plot.Align(grid, tiles, area)
	for r := range grid {
		for k, p := range grid[r] {
			if p != nil {
				p.Draw(cs[r][k])
			}
		}
	}
	return &Figure{img: c.Image()}
}

// quantileRange returns the [q, 1−q] quantile range of the values, padded by 5% (and
// widened around a constant).
func quantileRange(v []float64, q float64) (float64, float64) {
	s := slices.Clone(v)
	slices.Sort(s)
	lo := s[int(q*float64(len(s)-1))]
	hi := s[int((1-q)*float64(len(s)-1)+0.5)]
	if hi-lo < 1e-12*math.Max(1, math.Abs(lo)) {
		lo, hi = lo-0.5, hi+0.5
	}
	pad := 0.05 * (hi - lo)
	return lo - pad, hi + pad
}

// CornerOptions are the settings of Corner.
type CornerOptions struct {
	FigureOptions
	// Bins is the number of histogram bins per axis (0: 40).
	Bins int
}

// Corner draws a posterior corner plot of model draws (row-major n×d) beside reference
// draws (m×d, or nil for none): marginal histograms (as densities) of both on the
// diagonal, model 2-D histograms below it and reference 2-D histograms above it, every
// panel with its column's parameter on x and its row's on y. The axis ranges hold the
// central 99% of both sets. The default size is 220 pixels per panel (at least 480).
func Corner(model, reference []float64, d int, opt CornerOptions) (*Figure, error) {
	const fn = "Corner"
	n, err := checkRows(fn, "model", model, d, 2)
	if err != nil {
		return nil, err
	}
	m := 0
	if reference != nil {
		if m, err = checkRows(fn, "reference", reference, d, 2); err != nil {
			return nil, err
		}
	}
	bins := opt.Bins
	if bins == 0 {
		bins = 40
	}
	if bins < 2 || bins > 1000 {
		return nil, fmt.Errorf("diag: %s: Bins = %d, want 2..1000", fn, opt.Bins)
	}
	side := max(480, 220*d)
	w, h, err := figureSize(fn, opt.FigureOptions, side, side)
	if err != nil {
		return nil, err
	}
	names, err := paramNames(fn, opt.FigureOptions, d)
	if err != nil {
		return nil, err
	}
	lo, hi := make([]float64, d), make([]float64, d)
	col := make([]float64, 0, n+m)
	for j := range d {
		col = col[:0]
		for i := range n {
			col = append(col, model[i*d+j])
		}
		for i := range m {
			col = append(col, reference[i*d+j])
		}
		lo[j], hi[j] = quantileRange(col, 0.005)
	}
	grid := make([][]*plot.Plot, d)
	for r := range d {
		grid[r] = make([]*plot.Plot, d)
		for c := range d {
			p := plot.New()
			p.X.Min, p.X.Max = lo[c], hi[c]
			if r == d-1 {
				p.X.Label.Text = names[c]
			} else {
				p.X.Tick.Marker = plot.TickerFunc(func(float64, float64) []plot.Tick { return nil })
			}
			switch {
			case r == c:
				if err := addMarginal(p, model, d, c, lo[c], hi[c], bins, modelColor); err != nil {
					return nil, err
				}
				if m > 0 {
					if err := addMarginal(p, reference, d, c, lo[c], hi[c], bins, refColor); err != nil {
						return nil, err
					}
				}
				p.Y.Tick.Marker = plot.TickerFunc(func(float64, float64) []plot.Tick { return nil })
				if r == 0 && m > 0 {
					p.Legend.Add("model", lineThumb(modelColor))
					p.Legend.Add("reference", lineThumb(refColor))
					p.Legend.Top = true
				}
			case r > c || m > 0:
				src, k, clr := model, n, modelColor
				if r < c {
					src, k, clr = reference, m, refColor
				}
				g := hist2D(src, k, d, c, r, lo, hi, bins)
				hm := plotter.NewHeatMap(g, rampPalette(clr))
				hm.Rasterized = true
				hm.Min, hm.Max = 0, g.max
				p.Add(hm)
				p.Y.Min, p.Y.Max = lo[r], hi[r]
				if c == 0 {
					p.Y.Label.Text = names[r]
				} else {
					p.Y.Tick.Marker = plot.TickerFunc(func(float64, float64) []plot.Tick { return nil })
				}
			default:
				p = nil
			}
			grid[r][c] = p
		}
	}
	title := opt.Title
	if title == "" {
		switch {
		case m == 0:
			title = fmt.Sprintf("model (n = %d)", n)
		case d == 1:
			title = fmt.Sprintf("model (n = %d) and reference (n = %d)", n, m)
		default:
			title = fmt.Sprintf("model (n = %d, below the diagonal) and reference (n = %d, above)", n, m)
		}
	}
	return render(grid, title, w, h), nil
}

// addMarginal adds the density histogram of column j of the rows of a as a step line.
func addMarginal(p *plot.Plot, a []float64, d, j int, lo, hi float64, bins int, c color.Color) error {
	n := len(a) / d
	counts := make([]float64, bins)
	width := (hi - lo) / float64(bins)
	for i := range n {
		b := int((a[i*d+j] - lo) / width)
		if b >= 0 && b < bins {
			counts[b]++
		}
	}
	pts := make(plotter.XYs, 0, 2*bins+2)
	pts = append(pts, plotter.XY{X: lo, Y: 0})
	for b, v := range counts {
		y := v / (float64(n) * width)
		pts = append(pts, plotter.XY{X: lo + float64(b)*width, Y: y}, plotter.XY{X: lo + float64(b+1)*width, Y: y})
	}
	pts = append(pts, plotter.XY{X: hi, Y: 0})
	l, err := plotter.NewLine(pts)
	if err != nil {
		return fmt.Errorf("diag: plot: %w", err)
	}
	l.Color = c
	l.Width = vg.Points(1.2)
	p.Add(l)
	p.Y.Min = 0
	return nil
}

// lineThumb is a legend entry of a line in color c.
func lineThumb(c color.Color) plot.Thumbnailer {
	l, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 0}})
	l.Color = c
	l.Width = vg.Points(2)
	return l
}

// grid2D is a 2-D histogram for a heat map.
type grid2D struct {
	n              int
	x0, dx, y0, dy float64
	z              []float64
	max            float64
}

// Dims returns the grid's columns and rows (plotter.GridXYZ).
func (g *grid2D) Dims() (int, int) { return g.n, g.n }

// Z returns the count in column c, row r.
func (g *grid2D) Z(c, r int) float64 { return g.z[r*g.n+c] }

// X returns the center of column c.
func (g *grid2D) X(c int) float64 { return g.x0 + (float64(c)+0.5)*g.dx }

// Y returns the center of row r.
func (g *grid2D) Y(r int) float64 { return g.y0 + (float64(r)+0.5)*g.dy }

// hist2D counts the rows of a (n×d) in a bins×bins grid over columns cx (x) and cy (y).
func hist2D(a []float64, n, d, cx, cy int, lo, hi []float64, bins int) *grid2D {
	g := &grid2D{n: bins, x0: lo[cx], y0: lo[cy], dx: (hi[cx] - lo[cx]) / float64(bins), dy: (hi[cy] - lo[cy]) / float64(bins)}
	g.z = make([]float64, bins*bins)
	for i := range n {
		c := int((a[i*d+cx] - g.x0) / g.dx)
		r := int((a[i*d+cy] - g.y0) / g.dy)
		if c >= 0 && c < bins && r >= 0 && r < bins {
			g.z[r*bins+c]++
		}
	}
	g.max = math.Max(1, slices.Max(g.z))
	return g
}

// ramp is a palette from white to a color.
type ramp []color.Color

// Colors returns the palette's colors (palette.Palette).
func (r ramp) Colors() []color.Color { return r }

// rampPalette returns 64 colors from white to c.
func rampPalette(c color.NRGBA) ramp {
	const k = 64
	p := make(ramp, k)
	for i := range p {
		t := float64(i) / (k - 1)
		mix := func(a uint8) uint8 { return uint8(255 + t*(float64(a)-255) + 0.5) }
		p[i] = color.NRGBA{R: mix(c.R), G: mix(c.G), B: mix(c.B), A: 255}
	}
	return p
}

// RankHistograms draws each dimension's SBC rank histogram with the band that holds a
// calibrated posterior's bin counts with probability 99% each (RankTest.Band), and the
// chi-square p-value in the panel title. The default size is 320×260 pixels per panel,
// the panels in a near-square grid.
func RankHistograms(res *SBCResult, opt FigureOptions) (*Figure, error) {
	const fn = "RankHistograms"
	if res == nil {
		return nil, fmt.Errorf("diag: %s: res is nil", fn)
	}
	if res.D < 1 || len(res.Dims) != res.D || res.L < 1 {
		return nil, fmt.Errorf("diag: %s: res has D = %d, L = %d and %d rank tests; want D ≥ 1 tests and L ≥ 1", fn, res.D, res.L, len(res.Dims))
	}
	names, err := paramNames(fn, opt, res.D)
	if err != nil {
		return nil, err
	}
	cols := int(math.Ceil(math.Sqrt(float64(res.D))))
	rows := (res.D + cols - 1) / cols
	w, h, err := figureSize(fn, opt, 320*cols, 260*rows+30)
	if err != nil {
		return nil, err
	}
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
	}
	top := float64(res.L + 1)
	for j, t := range res.Dims {
		bins := len(t.Counts)
		if bins < 1 || len(t.Expected) != bins {
			return nil, fmt.Errorf("diag: %s: rank test %d has %d counts and %d expected counts", fn, j, bins, len(t.Expected))
		}
		lo, hi, err := t.Band(0.99)
		if err != nil {
			return nil, err
		}
		p := plot.New()
		p.Title.Text = fmt.Sprintf("%s: χ² p = %.3g", names[j], t.ChiSquareP)
		p.X.Label.Text = "rank"
		p.X.Min, p.X.Max = 0, top
		p.Y.Min = 0
		// Bin b holds the ranks r with ⌊r·B/(L+1)⌋ = b: from ⌈b(L+1)/B⌉ to ⌈(b+1)(L+1)/B⌉.
		edge := func(b int) float64 { return math.Ceil(float64(b) * top / float64(bins)) }
		var steps plotter.XYs
		steps = append(steps, plotter.XY{X: 0, Y: 0})
		for b := range bins {
			x0, x1 := edge(b), edge(b+1)
			band, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: float64(lo[b])}, {X: x1, Y: float64(lo[b])}, {X: x1, Y: float64(hi[b])}, {X: x0, Y: float64(hi[b])}})
			if err != nil {
				return nil, fmt.Errorf("diag: plot: %w", err)
			}
			band.Color = bandColor
			band.LineStyle.Width = 0
			p.Add(band)
			c := float64(t.Counts[b])
			steps = append(steps, plotter.XY{X: x0, Y: c}, plotter.XY{X: x1, Y: c})
		}
		steps = append(steps, plotter.XY{X: top, Y: 0})
		l, err := plotter.NewLine(steps)
		if err != nil {
			return nil, fmt.Errorf("diag: plot: %w", err)
		}
		l.Color = modelColor
		l.Width = vg.Points(1.2)
		p.Add(l)
		grid[j/cols][j%cols] = p
	}
	title := opt.Title
	if title == "" {
		title = fmt.Sprintf("SBC ranks (N = %d, L = %d) with the 99%% band per bin", res.N, res.L)
	}
	return render(grid, title, w, h), nil
}

// CoverageCurve draws expected-coverage curves, nominal level against the fraction of true
// parameters inside the credible region, with the diagonal of perfect calibration and the
// band of ±2.576 binomial standard errors (99%) around it for the first curve's N; the
// requested levels are marked. labels name the curves (nil: "estimate 1", …). The default
// size is 560×560 pixels.
func CoverageCurve(results []*CoverageResult, labels []string, opt FigureOptions) (*Figure, error) {
	const fn = "CoverageCurve"
	if len(results) == 0 {
		return nil, fmt.Errorf("diag: %s: no results", fn)
	}
	if labels != nil && len(labels) != len(results) {
		return nil, fmt.Errorf("diag: %s: %d labels for %d results", fn, len(labels), len(results))
	}
	w, h, err := figureSize(fn, opt, 560, 560)
	if err != nil {
		return nil, err
	}
	for k, r := range results {
		if r == nil {
			return nil, fmt.Errorf("diag: %s: results[%d] is nil", fn, k)
		}
		if len(r.Nominal) < 2 || len(r.Nominal) != len(r.Empirical) || len(r.Levels) != len(r.Coverage) || r.N < 1 {
			return nil, fmt.Errorf("diag: %s: results[%d] has %d nominal and %d empirical points, %d levels, %d coverages, N = %d", fn, k, len(r.Nominal), len(r.Empirical), len(r.Levels), len(r.Coverage), r.N)
		}
		for _, a := range [][]float64{r.Nominal, r.Empirical, r.Levels, r.Coverage} {
			for i, v := range a {
				if !(v >= 0 && v <= 1) {
					return nil, fmt.Errorf("diag: %s: results[%d] holds %v at point %d, want values in [0, 1]", fn, k, v, i)
				}
			}
		}
	}
	p := plot.New()
	p.X.Label.Text = "nominal credibility level"
	p.Y.Label.Text = "empirical coverage"
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	n := float64(results[0].N)
	var up, down plotter.XYs
	for k := 0; k <= 100; k++ {
		a := float64(k) / 100
		e := 2.576 * math.Sqrt(a*(1-a)/n)
		up = append(up, plotter.XY{X: a, Y: math.Min(1, a+e)})
		down = append(down, plotter.XY{X: a, Y: math.Max(0, a-e)})
	}
	slices.Reverse(down)
	band, err := plotter.NewPolygon(append(up, down...))
	if err != nil {
		return nil, fmt.Errorf("diag: plot: %w", err)
	}
	band.Color = bandColor
	band.LineStyle.Width = 0
	p.Add(band)
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return nil, fmt.Errorf("diag: plot: %w", err)
	}
	diag.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	diag.Color = color.Gray{Y: 80}
	p.Add(diag)
	p.Legend.Add(fmt.Sprintf("calibrated, 99%% band (N = %d)", results[0].N), band)
	p.Legend.Top = true
	p.Legend.Left = true
	palette := []color.Color{modelColor, refColor, color.NRGBA{R: 40, G: 150, B: 60, A: 255}, color.NRGBA{R: 150, G: 40, B: 150, A: 255}}
	for k, r := range results {
		pts := make(plotter.XYs, len(r.Nominal))
		for i := range pts {
			pts[i] = plotter.XY{X: r.Nominal[i], Y: r.Empirical[i]}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("diag: plot: %w", err)
		}
		l.Color = palette[k%len(palette)]
		l.Width = vg.Points(1.5)
		p.Add(l)
		lv := make(plotter.XYs, len(r.Levels))
		for i := range lv {
			lv[i] = plotter.XY{X: r.Levels[i], Y: r.Coverage[i]}
		}
		if len(lv) > 0 {
			s, err := plotter.NewScatter(lv)
			if err != nil {
				return nil, fmt.Errorf("diag: plot: %w", err)
			}
			s.GlyphStyle.Color = l.Color
			s.GlyphStyle.Radius = vg.Points(3)
			s.GlyphStyle.Shape = draw.CircleGlyph{}
			p.Add(s)
		}
		label := fmt.Sprintf("estimate %d", k+1)
		if labels != nil {
			label = labels[k]
		}
		p.Legend.Add(label, l)
	}
	title := opt.Title
	if title == "" {
		title = "expected coverage"
	}
	return render([][]*plot.Plot{{p}}, title, w, h), nil
}
