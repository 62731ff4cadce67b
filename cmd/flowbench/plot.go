package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot/vg"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/internal/figure"
)

func init() {
	register(&command{name: "plot", summary: "draw a model's figures: samples, density, trajectories, field, curves, … (PNG, SVG, PDF)", run: runPlot})
}

// plotKinds says what each --kind draws, for --help.
const plotKinds = `kinds (--kind; default: samples beside density):
  samples        model samples (with --data: the data's points behind them)
  density        the model density on a grid, colour bar (--scale linear|log)
  panel          data | samples | density side by side (data: --data, else the training data)
  trajectories   300 paths from the base draw (t = 0) to the sample (t = 1), one solve each
  field          the velocity field as arrows at each of --times
  evolution      the density ρ_t at each of --times (change of variables from t back to 0)
  loss           training loss and kinetic energy against step, validation NLL beside them
  val-nll        validation NLL against step, the best step marked
  nfe            NFE and NLL of --n ≤ 1000 data rows against the solver tolerance (--rtols)
  images         a grid of image samples of a model of square images (IDX), data beside
  classes        a label model's samples per class (--guidance)`

// plotOpts are the settings of a figure.
type plotOpts struct {
	kind   figure.Kind
	n      int     // samples drawn
	grid   int     // density grid cells per side
	lim    float64 // half-width of the square shown (0: from the samples)
	seed   uint64
	batch  int
	name   string         // the model's name in titles
	data   *gen.EvalData  // data drawn beside the model, or nil
	cond   *gen.Condition // the shared context of a conditional model (--given), or nil
	guide  float64        // the guidance weight of the classes kind
	scale  figure.Scale   // colour scale of densities
	times  []float64      // field and evolution times (nil: default)
	tols   []float64      // nfe tolerances (nil: default)
	out    figure.Options // format, dpi, size
	report func(int, int) // progress (nil: none)
}

func runPlot(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const cmd = "plot"
	fs := newFlags(cmd, "--model MODEL --out FILE.png|.svg|.pdf [--kind KIND] [flags]", stdout)
	addHelpNotes(fs, plotKinds)
	model := fs.String("model", "", "model checkpoint")
	out := fs.String("out", "", "output file (.png, .svg or .pdf)")
	kind := fs.String("kind", "", "what to draw: "+strings.Join(figure.KindNames()[1:], ", ")+" (default: samples beside density)")
	data := fs.String("data", "", "a generated data set or data file drawn beside the model (samples, panel, images) or scored (nfe); panel and nfe default to the training data")
	n := fs.Int("n", 20000, "samples drawn (nfe: data rows scored, at most 1000)")
	grid := fs.Int("grid", 120, "density grid cells per side")
	lim := fs.Float64("lim", 0, "half-width of the square shown (0: from the samples)")
	batch := fs.Int("batch", 10000, "rows solved together")
	scale := fs.String("scale", "linear", "colour scale of densities: linear or log (log₁₀, the top 4 decades)")
	format := fs.String("format", "", "png, svg or pdf (default: from the --out extension)")
	dpi := fs.Int("dpi", 150, "resolution of a PNG, dots per inch")
	size := fs.String("size", "4x4", "size of one panel in inches, WxH (a colour bar adds 0.9 in)")
	times := fs.String("times", "0,0.25,0.5,0.75,1", "times of the field and evolution panels, comma-separated in [0, 1]")
	rtols := fs.String("rtols", "1e-1,1e-2,1e-3,1e-4,1e-5,1e-6,1e-7", "tolerances of the nfe figure (rtol = atol), comma-separated in (0, 1)")
	cf := addCondFlags(fs, "")
	c := addCommon(fs)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if err := mustPositive(cmd, "n", *n, "grid", *grid, "batch", *batch, "dpi", *dpi); err != nil {
		return err
	}
	if *lim < 0 || math.IsInf(*lim, 0) || math.IsNaN(*lim) {
		return usagef("%s: --lim must be a finite value ≥ 0, got %v", cmd, *lim)
	}
	po := plotOpts{n: *n, grid: *grid, lim: *lim, seed: *c.seed, batch: *batch, guide: *cf.guidance, name: filepath.Base(*model)}
	var err error
	if *kind != "" {
		if *kind == figure.SamplesDensity.String() {
			return usagef("%s: --kind %q: leave --kind out for samples beside density", cmd, *kind)
		}
		if po.kind, err = figure.ParseKind(*kind); err != nil {
			return usagef("%s: --kind %q: want one of %s", cmd, *kind, strings.Join(figure.KindNames()[1:], ", "))
		}
	}
	if po.scale, err = figure.ParseScale(*scale); err != nil {
		return usagef("%s: --scale %q: want linear or log", cmd, *scale)
	}
	if po.out, err = plotOutput(cmd, *out, *format, *dpi, *size); err != nil {
		return err
	}
	if po.times, err = floatList(cmd, "times", *times, 0, 1, true); err != nil {
		return err
	}
	if po.tols, err = floatList(cmd, "rtols", *rtols, 0, 1, false); err != nil {
		return err
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
	if *cf.cond != "" {
		return usagef("%s: give a conditional model's context with --given (one context for the figure)", cmd)
	}
	if err := cf.check(cmd, m); err != nil {
		return err
	}
	if po.kind == figure.Classes {
		if m.Net.Config().Classes == 0 || m.Net.Config().Context > 0 {
			return usagef("%s: --kind classes needs a model trained with class labels only (--cond-labels)", cmd)
		}
	} else {
		if po.cond, err = cf.shared(cmd, m); err != nil {
			return err
		}
		if err := need(cmd, m, po.cond); err != nil && po.kind != figure.Loss && po.kind != figure.ValNLL {
			return err
		}
	}
	dataPath := *data
	if dataPath == "" && (po.kind == figure.Panel3 || po.kind == figure.NFE) {
		if dataPath = m.Data.Name; dataPath == "" {
			return usagef("%s: --kind %v needs data points: give --data", cmd, po.kind)
		}
		if err := checkNotInput(cmd, *out, "the training data", dataPath); err != nil {
			return err
		}
	}
	if dataPath != "" && po.kind != figure.Loss && po.kind != figure.ValNLL && po.kind != figure.Classes {
		if po.data, err = gen.LoadEvalData(m, dataPath, dataset.PartAll, po.n, po.seed); err != nil {
			return err
		}
	}
	pb := newBar(stderr, *c.quiet, 1, cmd+" "+po.kind.String())
	defer pb.done()
	po.report = func(done, total int) { pb.setTotal(done, total) }
	return writePlot(ctx, m, *out, po, func() error {
		pb.done()
		return c.emitter(stdout).Summary(cmd, "out", *out, "kind", po.kind.String(), "format", po.out.Format.String())
	})
}

// plotOutput returns the output options of --out, --format, --dpi and --size.
func plotOutput(cmd, out, format string, dpi int, size string) (figure.Options, error) {
	var o figure.Options
	var err error
	if format != "" {
		if o.Format, err = figure.ParseFormat(format); err != nil {
			return o, usagef("%s: --format %q: want png, svg or pdf", cmd, format)
		}
		if f, err := figure.FormatOf(out); err == nil && f != o.Format {
			return o, usagef("%s: --out %q is not a .%v file (--format %v)", cmd, out, o.Format, o.Format)
		}
	} else if o.Format, err = figure.FormatOf(out); err != nil {
		return o, usagef("%s: --out %v", cmd, err)
	}
	o.DPI = dpi
	w, h, ok := strings.Cut(size, "x")
	wi, err1 := strconv.ParseFloat(w, 64)
	hi, err2 := strconv.ParseFloat(h, 64)
	if !ok || err1 != nil || err2 != nil {
		return o, usagef("%s: --size %q: want W×H in inches, such as 4x4", cmd, size)
	}
	o.Width, o.Height = vg.Length(wi)*vg.Inch, vg.Length(hi)*vg.Inch
	if err := o.Check(); err != nil {
		return o, usagef("%s: --dpi %d --size %s: %s", cmd, dpi, size, strings.TrimPrefix(err.Error(), "figure: "))
	}
	return o, nil
}

// floatList parses a comma-separated list of values in [lo, hi] (closed: the ends
// allowed; else (lo, hi)).
func floatList(cmd, name, s string, lo, hi float64, closed bool) ([]float64, error) {
	var v []float64
	for _, f := range strings.Split(s, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		in := x >= lo && x <= hi
		if !closed {
			in = x > lo && x < hi
		}
		if err != nil || !in {
			ends := fmt.Sprintf("(%g, %g)", lo, hi)
			if closed {
				ends = fmt.Sprintf("[%g, %g]", lo, hi)
			}
			return nil, usagef("%s: --%s %q: want comma-separated values in %s", cmd, name, s, ends)
		}
		v = append(v, x)
	}
	return v, nil
}

// writePlot draws the figure and writes it atomically, running report before the file
// replaces path (saveThen). Zero output options give a PNG at the default size and dpi.
func writePlot(ctx context.Context, m *gen.Model, path string, o plotOpts, report func() error) error {
	f, err := figure.Build(ctx, o.kind, figure.Spec{Model: m, Name: o.name, N: o.n, Grid: o.grid, Lim: o.lim, Seed: o.seed, Batch: o.batch,
		Data: o.data, Cond: o.cond, Scale: o.scale, Times: o.times, Tols: o.tols, Guidance: o.guide, Progress: o.report})
	if err != nil {
		return fmt.Errorf("plot: %s", strings.TrimPrefix(err.Error(), "figure: "))
	}
	return saveThen(ctx, path, func(w io.Writer) error { return f.Write(w, o.out) }, report)
}
