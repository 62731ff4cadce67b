package figure

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"

	"github.com/interflow/flowbench/gen"
)

// imageSide returns s when d = s² with s ≥ 4 (a model of square images).
func imageSide(d int) (int, bool) {
	s := int(math.Round(math.Sqrt(float64(d))))
	return s, s*s == d && s >= 4
}

// imageCols is the number of images per row of an image grid.
const imageCols = 8

// imageCount is the number of image samples drawn for n asked: at most 8 rows of 8.
func imageCount(n int) int { return min(n, imageCols*imageCols) }

// Range is the grey scale of an image grid: values at or below Lo are white, at or above Hi
// black (dark ink on white, as MNIST-like data are shown).
type Range struct{ Lo, Hi float64 }

// rangeOf returns the 0.5th and 99.5th percentiles of x.
func rangeOf(x []float32) Range {
	v := make([]float64, len(x))
	for i, a := range x {
		v[i] = float64(a)
	}
	slices.Sort(v)
	lo, hi := v[int(0.005*float64(len(v)-1))], v[int(0.995*float64(len(v)-1))]
	if !(hi > lo) {
		hi = lo + 1
	}
	return Range{lo, hi}
}

// ImageGrid lays out rows of side×side grey images (rows[r] holds per images of d = side²
// values, row-major), each pixel on the grey scale g, zoomed 3× with a 2-pixel white gap.
func ImageGrid(rows [][]float32, side, per int, g Range) *image.Gray {
	const zoom, gap = 3, 2
	cell := side*zoom + gap
	img := image.NewGray(image.Rect(0, 0, per*cell+gap, len(rows)*cell+gap))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	d := side * side
	for r, x := range rows {
		for c := 0; c < per && (c+1)*d <= len(x); c++ {
			px := x[c*d : (c+1)*d]
			for y := range side {
				for xx := range side {
					u := (float64(px[y*side+xx]) - g.Lo) / (g.Hi - g.Lo)
					v := uint8(math.Round(255 * (1 - math.Min(1, math.Max(0, u)))))
					for dy := range zoom {
						for dx := range zoom {
							img.SetGray(gap+c*cell+xx*zoom+dx, gap+r*cell+y*zoom+dy, color.Gray{Y: v})
						}
					}
				}
			}
		}
	}
	return img
}

// imagePanel draws a grid of images as a panel with a title and no axes.
func imagePanel(title string, img image.Image) Panel {
	p := newPlot(title, "", "")
	b := img.Bounds()
	w, h := float64(b.Dx()), float64(b.Dy())
	p.Add(plotter.NewImage(img, 0, 0, w, h))
	p.HideAxes()
	// keep the pixels square: pad the shorter side
	side := math.Max(w, h)
	p.X.Min, p.X.Max = (w-side)/2, (w+side)/2
	p.Y.Min, p.Y.Max = (h-side)/2, (h+side)/2
	return Panel{Plot: p}
}

// split returns x (n×d) as rows of per images each.
func split(x []float32, d, per int) [][]float32 {
	var rows [][]float32
	for s := 0; s < len(x); s += per * d {
		rows = append(rows, x[s:min(len(x), s+per*d)])
	}
	return rows
}

// imageFigure draws a grid of image samples, and of data images beside it when Spec.Data
// is set, on one grey scale (the data's, else the samples').
func imageFigure(ctx context.Context, s *Spec, w *work) (*Figure, error) {
	d := s.Model.Dim()
	side, _ := imageSide(d)
	n := imageCount(s.N)
	res, err := s.Model.Sample(ctx, n, gen.SampleOptions{ODE: s.ODE, Batch: s.Batch, Seed: s.Seed, Cond: s.Cond, Progress: w.part(n)})
	if err != nil {
		return nil, err
	}
	g := rangeOf(res.X)
	f := &Figure{}
	if s.Data != nil {
		dx := s.Data.X[:min(len(s.Data.X), n*d)]
		g = rangeOf(dx)
		f.Panels = append(f.Panels, imagePanel(s.title(fmt.Sprintf("data (%d images, %d×%d)", len(dx)/d, side, side)), ImageGrid(split(dx, d, imageCols), side, imageCols, g)))
	}
	f.Panels = append(f.Panels, imagePanel(s.title(fmt.Sprintf("model samples (%d images, %d NFE)", n, res.NFE/max(1, (n+s.Batch-1)/s.Batch))), ImageGrid(split(res.X, d, imageCols), side, imageCols, g)))
	return f, nil
}

// classFigure draws a label model's samples per class with guidance Spec.Guidance: in 2-D
// one scatter with a colour per class, for square images a grid with a row per class.
func classFigure(ctx context.Context, s *Spec, w *work) (*Figure, error) {
	cfg := s.Model.Net.Config()
	k, d := cfg.Classes, s.Model.Dim()
	if k == 0 || cfg.Context > 0 {
		return nil, fmt.Errorf("figure: classes need a model trained with class labels only")
	}
	side, img := imageSide(d)
	if d != 2 && !img {
		return nil, fmt.Errorf("figure: classes are drawn for 2-D models or square images (d = s², s ≥ 4), this model has dimension %d", d)
	}
	per := max(1, s.N/k)
	if img {
		per = min(per, 10)
	}
	draws := make([][]float32, k)
	for c := range k {
		res, err := s.Model.Sample(ctx, per, gen.SampleOptions{ODE: s.ODE, Batch: s.Batch, Seed: s.Seed + uint64(c),
			Cond: &gen.Condition{Labels: []int{c}, Guidance: s.Guidance}, Progress: w.part(per)})
		if err != nil {
			return nil, err
		}
		draws[c] = res.X
	}
	what := fmt.Sprintf("samples per class (guidance %g)", s.Guidance)
	if img {
		return &Figure{Panels: []Panel{imagePanel(s.title(what+", a row per class"), ImageGrid(draws, side, per, rangeOf(slices.Concat(draws...))))}}, nil
	}
	all := slices.Concat(draws...)
	lim := s.limit(all, 2)
	p := squarePlot(s.title(what), axesOf(s.Model), lim)
	var pts plotter.XYs
	for c, x := range draws {
		q := xy(x, 2)
		col := Theme.Classes[c%len(Theme.Classes)]
		p.Add(scatter(q, col))
		p.Legend.Add(fmt.Sprintf("class %d", c), marker(col, draw.CircleGlyph{}))
		pts = append(pts, q...)
	}
	square(p, lim)
	placeLegend(p, pts)
	return &Figure{Panels: []Panel{{Plot: p}}}, nil
}

var _ plot.Plotter = (*arrows)(nil)
