package main

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/interflow/flowbench/gen"
)

// classColors are the colours of up to ten classes (then they repeat).
var classColors = []color.NRGBA{{31, 119, 180, 110}, {255, 127, 14, 110}, {44, 160, 44, 110}, {214, 39, 40, 110}, {148, 103, 189, 110},
	{140, 86, 75, 110}, {227, 119, 194, 110}, {127, 127, 127, 110}, {188, 189, 34, 110}, {23, 190, 207, 110}}

// classPlot draws a label model's samples per class with guidance o.guide: in 2-D one
// scatter with a colour per class; for a model of square images (d = s², s ≥ 4) a grid with
// one row of images per class.
func classPlot(ctx context.Context, m *gen.Model, path string, o plotOpts, report func() error) error {
	k, d := m.Net.Config().Classes, m.Dim()
	side := int(math.Round(math.Sqrt(float64(d))))
	per := max(1, o.n/k)
	if d != 2 && side*side == d && side >= 4 {
		per = min(per, 10)
	} else if d != 2 {
		return fmt.Errorf("plot: --kind classes draws 2-D models or square images (d = s²), this model has dimension %d", d)
	}
	draws := make([][]float32, k)
	for c := range k {
		res, err := m.Sample(ctx, per, gen.SampleOptions{ODE: plotODE, Batch: o.batch, Seed: o.seed + uint64(c), Cond: &gen.Condition{Labels: []int{c}, Guidance: o.guide}})
		if err != nil {
			return err
		}
		draws[c] = res.X
	}
	if d != 2 {
		return saveThen(ctx, path, func(w io.Writer) error { return png.Encode(w, imageGrid(draws, side, per)) }, report)
	}
	var all []float32
	for _, x := range draws {
		all = append(all, x...)
	}
	lim := o.lim
	if lim == 0 {
		lim = autoLimit(all, 2)
	}
	p := squarePlot(fmt.Sprintf("samples per class (guidance %g)", o.guide), lim)
	for c, x := range draws {
		s, err := scatter(x, 2, classColors[c%len(classColors)])
		if err != nil {
			return err
		}
		p.Add(s)
		p.Legend.Add(fmt.Sprintf("class %d", c), s)
	}
	const size = 6 * vg.Inch
	img := vgimg.NewWith(vgimg.UseWH(size, size), vgimg.UseDPI(96))
	p.Draw(draw.New(img))
	return saveThen(ctx, path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	}, report)
}

// imageGrid lays out rows of side×side grey images (one row per class, per images a row),
// each scaled to its own [min, max] (data units of pixels are arbitrary), 3× enlarged with a
// one-pixel gap.
func imageGrid(rows [][]float32, side, per int) image.Image {
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
			lo, hi := px[0], px[0]
			for _, v := range px {
				lo, hi = min(lo, v), max(hi, v)
			}
			span := max(hi-lo, 1e-6)
			for y := range side {
				for xx := range side {
					g := uint8(255 * (1 - (px[y*side+xx]-lo)/span)) // dark ink on white, like the data
					for dy := range zoom {
						for dx := range zoom {
							img.SetGray(gap+c*cell+xx*zoom+dx, gap+r*cell+y*zoom+dy, color.Gray{Y: g})
						}
					}
				}
			}
		}
	}
	return img
}
