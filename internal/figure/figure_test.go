package figure

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/nn"
)

// constModel returns a model whose velocity is the constant c (all weights zero, last bias
// c): x_t = x0 + c·t, so ρ_t = N(c·t, I) and the field is c everywhere, in closed form.
func constModel(t *testing.T, c []float32) *gen.Model {
	t.Helper()
	net, err := nn.NewZero(nn.Config{Dim: len(c), Hidden: []int{8}, Act: kernels.Tanh})
	if err != nil {
		t.Fatal(err)
	}
	ls := net.Layers()
	copy(ls[len(ls)-1].B, c)
	return &gen.Model{Net: net, Interp: interp.Trig{}, Data: gen.DataInfo{Name: "closed-form"}}
}

// render writes f as PNG and decodes it; FIGURE_DIR keeps a copy for a person to look at.
func render(t *testing.T, name string, f *Figure) image.Image {
	t.Helper()
	var b bytes.Buffer
	if err := f.Write(&b, Options{Format: PNG, DPI: 60}); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("FIGURE_DIR"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name+".png"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatalf("%s: the PNG does not decode: %v", name, err)
	}
	return img
}

// inked returns the fraction of pixels that are not white, and the number of distinct
// colours (at 4 bits a channel).
func inked(img image.Image) (float64, int) {
	b := img.Bounds()
	n := 0
	var seen [1 << 12]bool
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				n++
			}
			seen[r>>12<<8|g>>12<<4|bl>>12] = true
		}
	}
	colours := 0
	for _, v := range seen {
		if v {
			colours++
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy()), colours
}

// notBlank fails unless img has ink beyond its axes and text (more than 2% of pixels)
// and some colour.
func notBlank(t *testing.T, name string, img image.Image, minColours int) {
	t.Helper()
	frac, cols := inked(img)
	if frac < 0.02 || cols < minColours {
		t.Errorf("%s: %.1f%% of pixels inked, %d colours: looks blank", name, 100*frac, cols)
	}
}

func toyData(t *testing.T, m *gen.Model, name string, n int) *gen.EvalData {
	t.Helper()
	ed, err := gen.LoadEvalData(m, name, dataset.PartAll, n, 1)
	if err != nil {
		t.Fatal(err)
	}
	return ed
}

// Every kind renders, is not blank, and its vector forms are well formed.
func TestEveryKindRenders(t *testing.T) {
	ctx := context.Background()
	m := constModel(t, []float32{0, 1.5})
	m.History = []gen.LogEntry{{Step: 10, Loss: 2, Kinetic: 1.5}, {Step: 20, Loss: 1.2, Kinetic: 1.4, ValNLL: 3.1},
		{Step: 30, Loss: 1.0, Kinetic: 1.3}, {Step: 40, Loss: 0.9, Kinetic: 1.3, ValNLL: 2.9}, {Step: 60, Loss: 0.95, Kinetic: 1.3, ValNLL: 2.95}}
	data := toyData(t, m, "8gaussians", 300)
	img := constModel(t, make([]float32, 16))
	label := constModel(t, []float32{1, -1})
	lab, err := nn.NewZero(nn.Config{Dim: 2, Hidden: []int{8}, Act: kernels.Tanh, Classes: 3})
	if err != nil {
		t.Fatal(err)
	}
	label.Net = lab
	for _, k := range []Kind{SamplesDensity, Samples, Density, Panel3, Trajectories, Loss, ValNLL, NFE, Field, Evolution, Images, Classes} {
		t.Run(k.String(), func(t *testing.T) {
			s := Spec{Model: m, Name: "const.safetensors", N: 300, Grid: 16, Data: data, Times: []float64{0, 0.5, 1}, Tols: []float64{1e-2, 1e-4}}
			switch k {
			case Images:
				s.Model, s.Data = img, nil
			case Classes:
				s.Model, s.Data = label, nil
			}
			done, total := 0, 0
			s.Progress = func(d, n int) {
				if d < done || (total != 0 && n != total) || d > n {
					t.Errorf("progress %d/%d after %d/%d", d, n, done, total)
				}
				done, total = d, n
			}
			f, err := Build(ctx, k, s)
			if err != nil {
				t.Fatal(err)
			}
			if done != total {
				t.Errorf("progress ended at %d/%d", done, total)
			}
			if !strings.Contains(f.Title, "const.safetensors") || !strings.Contains(f.Title, "trig interpolant") || !strings.Contains(f.Title, s.dataName()) {
				t.Errorf("title %q does not name the model and the data", f.Title)
			}
			for _, p := range f.Panels {
				if p.Plot.Title.Text == "" {
					t.Error("a panel has no title")
				}
				if k != Images && !(k == Classes && s.Model.Dim() != 2) && (p.Plot.X.Label.Text == "" || p.Plot.Y.Label.Text == "") {
					t.Errorf("panel %q has unlabelled axes", p.Plot.Title.Text)
				}
			}
			if raceEnabled {
				// The race detector makes rasterizing 20 times slower; the figure's
				// computation above ran under it, and the other builds check the files.
				return
			}
			minColours := 3
			if k == Images {
				minColours = 2
			}
			notBlank(t, k.String(), render(t, k.String(), f), minColours)
			var b bytes.Buffer
			if err := f.Write(&b, Options{Format: SVG}); err != nil {
				t.Fatal(err)
			}
			wellFormedSVG(t, b.Bytes())
			b.Reset()
			if err := f.Write(&b, Options{Format: PDF}); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) || !bytes.Contains(b.Bytes()[max(0, b.Len()-1024):], []byte("%%EOF")) {
				t.Errorf("the PDF does not start with %%PDF- and end with %%%%EOF")
			}
		})
	}
}

// wellFormedSVG fails unless b parses as XML with an <svg> root.
func wellFormedSVG(t *testing.T, b []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Fatalf("the SVG's root element is %q", root)
	}
}

// The density of the constant field c = (0, 1.5) is N(c·t, I): its grid peaks at the cell
// holding c·t, holds the closed-form mass, and in the image the bright (high-density)
// pixels lie in the upper half of the heat map.
func TestDensityContent(t *testing.T) {
	ctx := context.Background()
	m := constModel(t, []float32{0, 1.5})
	m.Data.Stats = &dataset.Stats{N: 1, Mean: []float64{0, 0}, Std: []float64{1, 1}}
	const lim, n = 4.0, 40
	for _, tt := range []float64{0, 0.5, 1} {
		g, err := DensityGrid(ctx, m, tt, lim, n, nil, 1000, DefaultODE, nil)
		if err != nil {
			t.Fatal(err)
		}
		best := 0
		for i, v := range g.Rho {
			if v > g.Rho[best] {
				best = i
			}
		}
		x, y := g.Center(best%n, best/n)
		if math.Abs(x) > g.Dx || math.Abs(y-1.5*tt) > g.Dx {
			t.Errorf("t = %g: the density peaks at (%.2f, %.2f), want (0, %.2f)", tt, x, y, 1.5*tt)
		}
		// N(μ, I)'s mass in the square: a product of two normal intervals.
		phi := func(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }
		want := (phi(lim) - phi(-lim)) * (phi(lim-1.5*tt) - phi(-lim-1.5*tt))
		if got := g.Mass(); math.Abs(got-want) > 2e-3 {
			t.Errorf("t = %g: mass in view %.4f, want %.4f", tt, got, want)
		}
	}
	// The raster: the heat map's bright pixels (the colour map's upper part, short of its
	// white top, which the background shares) sit above the image's middle, in both scales.
	for _, sc := range []Scale{Linear, Log} {
		f, err := Build(ctx, Density, Spec{Model: m, Lim: lim, Grid: n, Scale: sc})
		if err != nil {
			t.Fatal(err)
		}
		img := render(t, "density-"+sc.String(), f)
		all := colorMap(0, 1).Palette(255).Colors()
		dark, pal := newPaletteSet(all[:128]), newPaletteSet(all[150:240])
		b := img.Bounds()
		w := int(float64(b.Dx()) * float64(4*72) / float64(4*72+BarWidth)) // the panel, without its colour bar
		// the heat map is the box of pixels of the colour map's dark half
		y0, y1 := b.Max.Y, b.Min.Y
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < w; x++ {
				if dark.near(img.At(x, y)) {
					y0, y1 = min(y0, y), max(y1, y)
				}
			}
		}
		mid := (y0 + y1) / 2
		var up, down int
		for y := y0; y <= y1; y++ {
			for x := b.Min.X; x < w; x++ {
				if pal.near(img.At(x, y)) {
					if y < mid {
						up++
					} else {
						down++
					}
				}
			}
		}
		if up < 20 || up < 3*down {
			t.Errorf("%v: %d brightest pixels in the upper half, %d in the lower: the peak is not at (0, 1.5)", sc, up, down)
		}
	}
}

// paletteSet is a set of colours with a tolerance: a colour is near the set when each of
// its channels, at 5 bits, is within one step of a member's.
type paletteSet [1 << 15]bool

func newPaletteSet(pal []color.Color) *paletteSet {
	var s paletteSet
	for _, p := range pal {
		r, g, b, _ := p.RGBA()
		r, g, b = r>>11, g>>11, b>>11
		for dr := -1; dr <= 1; dr++ {
			for dg := -1; dg <= 1; dg++ {
				for db := -1; db <= 1; db++ {
					rr, gg, bb := int(r)+dr, int(g)+dg, int(b)+db
					if rr >= 0 && rr < 32 && gg >= 0 && gg < 32 && bb >= 0 && bb < 32 {
						s[rr<<10|gg<<5|bb] = true
					}
				}
			}
		}
	}
	return &s
}

func (s *paletteSet) near(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return s[r>>11<<10|g>>11<<5|b>>11]
}

// The arrows of the constant field point along c with its length everywhere, at every t;
// trajectories are straight lines x0 + c·t, recorded in one solve.
func TestFieldAndTrajectoriesContent(t *testing.T) {
	ctx := context.Background()
	c := []float32{0.6, -0.8}
	m := constModel(t, c)
	m.Data.Stats = &dataset.Stats{N: 1, Mean: []float64{0, 0}, Std: []float64{2, 1}}
	for _, tt := range []float64{0, 0.5, 1} {
		a, err := FieldArrows(ctx, m, tt, 3, 5, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != 25 || math.Abs(a[0].X+2.4) > 1e-6 || math.Abs(a[0].Y+2.4) > 1e-6 {
			t.Fatalf("arrows: %d, first at (%v, %v), want 25 from (-2.4, -2.4)", len(a), a[0].X, a[0].Y)
		}
		for _, q := range a {
			if math.Abs(q.U-1.2) > 1e-6 || math.Abs(q.W+0.8) > 1e-6 {
				t.Fatalf("t = %g: arrow at (%v, %v) = (%v, %v), want σ ⊙ c = (1.2, -0.8)", tt, q.X, q.Y, q.U, q.W)
			}
		}
	}
	s := Spec{Model: m, Seed: 2, Batch: 100}
	s = s.withDefaults()
	paths, err := TrajectoryPaths(ctx, &s, 10, 8, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		if len(p) != 9 {
			t.Fatalf("path %d has %d points, want 9", i, len(p))
		}
		for k, q := range p {
			tk := float64(k) / 8
			if math.Abs(q.X-(p[0].X+1.2*tk)) > 1e-4 || math.Abs(q.Y-(p[0].Y-0.8*tk)) > 1e-4 {
				t.Fatalf("path %d at t = %g: (%v, %v), want x0 + σ⊙c·t", i, tk, q.X, q.Y)
			}
		}
	}
}

// The NFE sweep's NLL of the constant field is the closed form at every tolerance.
func TestNFESweep(t *testing.T) {
	ctx := context.Background()
	m := constModel(t, []float32{1, 0})
	x := []float32{0, 0, 1, 1, 2, -1}
	want := 0.0
	for i := range 3 {
		u, v := float64(x[2*i])-1, float64(x[2*i+1])
		want += (0.5*(u*u+v*v) + math.Log(2*math.Pi)) / 3
	}
	pts, err := NFESweep(ctx, m, x, []float64{1e-2, 1e-5}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range pts {
		if q.NFE < 2 || math.Abs(q.NLL-want) > 1e-4 {
			t.Errorf("rtol %g: NFE %d, NLL %.6f, want > 1 and %.6f", q.RTol, q.NFE, q.NLL, want)
		}
	}
}

// An image grid puts each pixel where it belongs: a sample whose first pixel is far above
// the rest shows a black top-left pixel in every tile, the rest light.
func TestImageGridContent(t *testing.T) {
	const side = 4
	x := make([]float32, 3*side*side)
	for i := range 3 {
		x[i*side*side] = 10
	}
	img := ImageGrid([][]float32{x}, side, 3, Range{0, 10})
	cell := side*3 + 2
	for c := range 3 {
		if v := img.GrayAt(2+c*cell, 2).Y; v != 0 {
			t.Errorf("tile %d: top-left pixel %d, want 0 (black)", c, v)
		}
		if v := img.GrayAt(2+c*cell+3, 2+3).Y; v != 255 {
			t.Errorf("tile %d: pixel (1, 1) %d, want 255 (white)", c, v)
		}
	}
}

func TestLegendCorner(t *testing.T) {
	// a curve falling from the top left to the bottom right leaves the top right empty
	got := EmptiestCorner(fallingCurve(), 0, 1, 0, 1)
	if got != (Corner{Top: true}) {
		t.Errorf("falling curve: corner %+v, want top right", got)
	}
	got = EmptiestCorner(risingCurve(), 0, 1, 0, 1)
	if got != (Corner{Top: true, Left: true}) {
		t.Errorf("rising curve: corner %+v, want top left", got)
	}
}

func TestOptionsAndNames(t *testing.T) {
	for cmd, want := range map[string]bool{"flowbench train --objective mle": true, "flowbench train --objective=mle": true,
		"flowbench train -objective mle": true, "flowbench train --objective interpolant": false, "flowbench train": false} {
		m := constModel(t, []float32{0, 0})
		m.Provenance = &gen.Provenance{Command: strings.Fields(cmd)}
		if got := mleRun(m); got != want {
			t.Errorf("%q: MLE run %v, want %v", cmd, got, want)
		}
	}
	for path, want := range map[string]Format{"a.png": PNG, "b.SVG": SVG, "c.pdf": PDF} {
		if f, err := FormatOf(path); err != nil || f != want {
			t.Errorf("FormatOf(%q) = %v, %v; want %v", path, f, err, want)
		}
	}
	if _, err := FormatOf("a.jpg"); err == nil || !strings.Contains(err.Error(), "a.jpg") {
		t.Errorf("FormatOf(a.jpg): %v", err)
	}
	for _, o := range []Options{{DPI: -1}, {DPI: 5000}, {Width: 0.1 * 72}} {
		if err := o.Check(); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	f := &Figure{Panels: []Panel{{Plot: newPlot("x", "a", "b")}}}
	if err := f.Write(io.Discard, Options{DPI: 1200, Width: 40 * 72}); err == nil || !strings.Contains(err.Error(), "pixels") {
		t.Errorf("a 48000-pixel PNG: %v", err)
	}
	m := constModel(t, []float32{0, 0})
	m.Data.Columns = []string{"age", "income"}
	if ax := axesOf(m); ax != (Axes{"age", "income"}) {
		t.Errorf("axes %+v, want the column names", ax)
	}
	for _, k := range KindNames() {
		if kk, err := ParseKind(k); err != nil || kk.String() != k {
			t.Errorf("kind %q: %v, %v", k, kk, err)
		}
	}
	if _, err := Build(context.Background(), Density, Spec{Model: constModel(t, []float32{0, 0, 0})}); err == nil || !strings.Contains(err.Error(), "2-D") {
		t.Errorf("density of a 3-D model: %v", err)
	}
	for _, k := range []Kind{SamplesDensity, Samples, Trajectories} {
		if _, err := Build(context.Background(), k, Spec{Model: constModel(t, []float32{1})}); err == nil || !strings.Contains(err.Error(), "dimension ≥ 2") {
			t.Errorf("%v of a 1-D model: %v", k, err)
		}
	}
	if _, err := Build(context.Background(), NFE, Spec{Model: m}); err == nil || !strings.Contains(err.Error(), "--data") {
		t.Errorf("nfe without data: %v", err)
	}
}

func fallingCurve() (p plotter.XYs) {
	for i := range 50 {
		x := float64(i) / 49
		p = append(p, plotter.XY{X: x, Y: 1 - x})
	}
	return p
}

func risingCurve() (p plotter.XYs) {
	for i := range 50 {
		x := float64(i) / 49
		p = append(p, plotter.XY{X: x, Y: x})
	}
	return p
}
