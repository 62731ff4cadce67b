package figure

import (
	"bufio"
	"fmt"
	"image/color"
	"io"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/interflow/flowbench/internal/enum"
)

// Format is an output format of a figure.
type Format uint8

// The output formats.
const (
	PNG Format = iota // raster, at Options.DPI
	SVG               // vector (rasterized heat maps embedded as PNG)
	PDF               // vector
	numFormats
)

var formatNames = enum.Names{Type: "Format", Names: []string{"png", "svg", "pdf"}, Fold: true, Unknown: "unknown format"}

// String returns the format's name (png, svg, pdf).
func (f Format) String() string { return enum.String(&formatNames, f) }

// ParseFormat returns the format named s (png, svg or pdf).
func ParseFormat(s string) (Format, error) { return enum.Value[Format](&formatNames, s) }

// FormatOf returns the format named by path's extension (.png, .svg or .pdf, any case).
func FormatOf(path string) (Format, error) {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	f, err := ParseFormat(ext)
	if err != nil {
		return 0, fmt.Errorf("%q: want a .png, .svg or .pdf file (or give the format)", path)
	}
	return f, nil
}

// Options set a figure's output.
type Options struct {
	// Format is the file format.
	Format Format
	// DPI is the resolution of a PNG (0: 150); the size of an SVG or PDF is in points.
	DPI int
	// Width and Height are the size of one panel (0: 4 inches each); a colour bar adds
	// BarWidth beside its panel.
	Width, Height vg.Length
}

// Limits of Options.
const (
	MaxDPI   = 1200
	MinSide  = vg.Inch
	MaxSide  = 40 * vg.Inch
	BarWidth = 0.9 * vg.Inch
	// MaxPixels bounds a PNG's width and height.
	MaxPixels = 20000
)

// Check validates the options, naming the first bad field.
func (o *Options) Check() error {
	switch {
	case o.Format >= numFormats:
		return fmt.Errorf("figure: format %d: unknown", o.Format)
	case o.DPI < 0 || o.DPI > MaxDPI:
		return fmt.Errorf("figure: dpi %d: want 1..%d (0: 150)", o.DPI, MaxDPI)
	case o.Width != 0 && (o.Width < MinSide || o.Width > MaxSide):
		return fmt.Errorf("figure: width %.2g in: want %g..%g inches", o.Width/vg.Inch, MinSide/vg.Inch, MaxSide/vg.Inch)
	case o.Height != 0 && (o.Height < MinSide || o.Height > MaxSide):
		return fmt.Errorf("figure: height %.2g in: want %g..%g inches", o.Height/vg.Inch, MinSide/vg.Inch, MaxSide/vg.Inch)
	}
	return nil
}

func (o *Options) dpi() int {
	if o.DPI == 0 {
		return 150
	}
	return o.DPI
}

func (o *Options) side() (vg.Length, vg.Length) {
	w, h := o.Width, o.Height
	if w == 0 {
		w = 4 * vg.Inch
	}
	if h == 0 {
		h = 4 * vg.Inch
	}
	return w, h
}

// Panel is one plot of a figure and, where colour carries a value, its colour bar.
type Panel struct {
	Plot *plot.Plot
	// Bar is the colour bar drawn at the right of Plot (nil: none).
	Bar *plot.Plot
}

// Figure is a row of panels under a title.
type Figure struct {
	// Title is drawn centred above the panels (Build: the data set, then the model), one
	// line per line of text.
	Title  string
	Panels []Panel
}

// Size returns the width and height of the figure's panels for o (the title adds its
// lines above them).
func (f *Figure) Size(o Options) (vg.Length, vg.Length) {
	w, h := o.side()
	var tw vg.Length
	for _, p := range f.Panels {
		tw += w
		if p.Bar != nil {
			tw += BarWidth
		}
	}
	return tw, h
}

// Write draws the figure and writes it to w in o's format.
func (f *Figure) Write(w io.Writer, o Options) error {
	if err := o.Check(); err != nil {
		return err
	}
	if len(f.Panels) == 0 {
		return fmt.Errorf("figure: no panels to draw")
	}
	tw, th := f.Size(o)
	th += f.titleHeight()
	var c vg.CanvasWriterTo
	switch o.Format {
	case PNG:
		dpi := o.dpi()
		if px := float64(max(tw, th)/vg.Inch) * float64(dpi); px > MaxPixels {
			return fmt.Errorf("figure: %.0f pixels a side at %d dpi: at most %d (lower --dpi or --size)", px, dpi, MaxPixels)
		}
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(tw, th), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))}
	case SVG:
		c = vgsvg.New(tw, th)
	case PDF:
		c = vgpdf.New(tw, th)
	}
	f.draw(draw.New(c), o)
	bw := bufio.NewWriter(w)
	if _, err := c.WriteTo(bw); err != nil {
		return fmt.Errorf("figure: writing %v: %w", o.Format, err)
	}
	return bw.Flush()
}

// titleHeight is the space the title takes above the panels.
func (f *Figure) titleHeight() vg.Length {
	if f.Title == "" {
		return 0
	}
	sty := newPlot("", "", "").Title.TextStyle
	sty.Font.Size = Theme.HeadSize
	return sty.Height(f.Title) + Theme.Pad
}

// draw lays the panels out left to right, each colour bar beside its panel with its scale
// aligned to the panel's data area.
func (f *Figure) draw(dc draw.Canvas, o Options) {
	pw, _ := o.side()
	if _, ok := dc.Canvas.(*vgimg.Canvas); !ok {
		// vector canvases start transparent: paint the page white as the PNG is
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
	}
	if f.Title != "" {
		sty := newPlot("", "", "").Title.TextStyle
		sty.Font.Size = Theme.HeadSize
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
		top := dc.Max.Y - Theme.Pad
		dc.FillText(sty, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: top}, f.Title)
		dc.Max.Y = top - sty.Height(f.Title)
	}
	x := dc.Min.X
	for _, p := range f.Panels {
		cell := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: x, Y: dc.Min.Y}, Max: vg.Point{X: x + pw, Y: dc.Max.Y}}}
		cell = draw.Crop(cell, Theme.Pad, -Theme.Pad, Theme.Pad, -Theme.Pad)
		p.Plot.Draw(cell)
		x += pw
		if p.Bar != nil {
			da := p.Plot.DataCanvas(cell)
			bar := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: x, Y: da.Min.Y}, Max: vg.Point{X: x + BarWidth - Theme.Pad, Y: da.Max.Y}}}
			p.Bar.Draw(bar)
			x += BarWidth
		}
	}
}
