package figure

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/internal/enum"
	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/solver"
)

// Kind is a figure of a model.
type Kind uint8

// The kinds of figure.
const (
	SamplesDensity Kind = iota // samples beside the density (2-D models; samples only above)
	Samples                    // model samples, with data points behind them when Spec.Data is set
	Density                    // the model density on a grid (2-D), colour bar, linear or log
	Panel3                     // data | samples | density side by side
	Trajectories               // paths from the base (t = 0) to the samples (t = 1)
	Loss                       // the training loss (and kinetic energy), validation NLL beside it
	ValNLL                     // validation NLL against step, the best step marked
	NFE                        // NFE and NLL of the data against the solver's tolerance
	Field                      // the velocity field as arrows at several t (2-D)
	Evolution                  // the density ρ_t at several t (2-D)
	Images                     // a grid of image samples (square images), data images beside
	Classes                    // a label model's samples per class (2-D scatter or image rows)
	numKinds
)

var kindNames = enum.Names{Type: "Kind", Names: []string{"samples+density", "samples", "density", "panel", "trajectories", "loss",
	"val-nll", "nfe", "field", "evolution", "images", "classes"}, Unknown: "unknown figure kind"}

// String returns the kind's name as --kind takes it.
func (k Kind) String() string { return enum.String(&kindNames, k) }

// ParseKind returns the kind named s.
func ParseKind(s string) (Kind, error) { return enum.Value[Kind](&kindNames, s) }

// KindNames returns the names of every kind, in order.
func KindNames() []string { return slices.Clone(kindNames.Names) }

// Scale is the colour scale of a density.
type Scale uint8

// The colour scales.
const (
	Linear Scale = iota // ρ
	Log                 // log₁₀ ρ, over the top LogDecades decades
)

// LogDecades is the range of a log-scale density's colours below its maximum.
const LogDecades = 4

var scaleNames = enum.Names{Type: "Scale", Names: []string{"linear", "log"}, Unknown: "unknown scale"}

// String returns the scale's name.
func (s Scale) String() string { return enum.String(&scaleNames, s) }

// ParseScale returns the scale named s (linear or log).
func ParseScale(s string) (Scale, error) { return enum.Value[Scale](&scaleNames, s) }

// Spec is what a figure is drawn from.
type Spec struct {
	// Model is the flow shown.
	Model *gen.Model
	// Name names the model in titles (its checkpoint's file name; "" for "model").
	Name string
	// N is the number of samples drawn (0: 20 000).
	N int
	// Grid is the number of density cells per side (0: 120).
	Grid int
	// Lim is the half-width of the square shown (0: from the samples, 99.5% of them).
	Lim float64
	// Seed seeds the samples; Batch is the number of rows solved together (0: 10 000).
	Seed  uint64
	Batch int
	// Data are points of the data set drawn beside the model (nil: none; Panel3, NFE and
	// Images need them).
	Data *gen.EvalData
	// Cond is the shared context of a conditional model (nil: none).
	Cond *gen.Condition
	// Scale is the colour scale of densities.
	Scale Scale
	// Times are the times of Field and Evolution panels, in [0, 1] (nil: 0, ¼, ½, ¾, 1).
	Times []float64
	// Tols are the tolerances of NFE (nil: 10⁻¹ … 10⁻⁷).
	Tols []float64
	// Guidance is the guidance weight of Classes.
	Guidance float64
	// ODE is the solver of samples and densities (zero: Dopri5 at rtol = atol = 10⁻⁴,
	// accurate to the eye at a fraction of the likelihood's cost).
	ODE solver.Options
	// Progress, when set, is told the units of work done out of the figure's total as
	// it is computed (rows sampled and scored).
	Progress func(done, total int)
}

// DefaultODE is the solver of figures when Spec.ODE is zero.
var DefaultODE = solver.Options{Method: solver.Dopri5, RTol: 1e-4, ATol: 1e-4}

// DefaultTimes are the times of Field and Evolution panels when Spec.Times is nil.
var DefaultTimes = []float64{0, 0.25, 0.5, 0.75, 1}

// DefaultTols are the tolerances of an NFE figure when Spec.Tols is nil.
var DefaultTols = []float64{1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7}

// withDefaults returns s with its zero fields set.
func (s Spec) withDefaults() Spec {
	if s.N == 0 {
		s.N = 20000
	}
	if s.Grid == 0 {
		s.Grid = 120
	}
	if s.Batch == 0 {
		s.Batch = 10000
	}
	if s.ODE == (solver.Options{}) {
		s.ODE = DefaultODE
	}
	if s.Times == nil {
		s.Times = DefaultTimes
	}
	if s.Tols == nil {
		s.Tols = DefaultTols
	}
	return s
}

// check validates s for kind k.
func (s *Spec) check(k Kind) error {
	if s.Model == nil {
		return fmt.Errorf("figure: no model")
	}
	switch {
	case k >= numKinds:
		return fmt.Errorf("figure: kind %d: unknown", k)
	case s.N < 1 || s.Grid < 2 || s.Batch < 1:
		return fmt.Errorf("figure: n = %d, grid = %d, batch = %d: want n ≥ 1, grid ≥ 2, batch ≥ 1", s.N, s.Grid, s.Batch)
	case s.Lim < 0 || math.IsInf(s.Lim, 0) || math.IsNaN(s.Lim):
		return fmt.Errorf("figure: half-width %v: want a finite value ≥ 0", s.Lim)
	case s.Scale > Log:
		return fmt.Errorf("figure: scale %d: unknown", s.Scale)
	}
	for _, t := range s.Times {
		if !(t >= 0 && t <= 1) {
			return fmt.Errorf("figure: time %v: want values in [0, 1]", t)
		}
	}
	for _, r := range s.Tols {
		if !(r > 0 && r < 1) {
			return fmt.Errorf("figure: tolerance %v: want values in (0, 1)", r)
		}
	}
	d := s.Model.Dim()
	need2 := map[Kind]string{Density: "the density", Field: "the velocity field", Evolution: "the density over t", Panel3: "the data | samples | density panel"}
	if what, ok := need2[k]; ok && d != 2 {
		return fmt.Errorf("figure: %s needs a 2-D model, this one has dimension %d", what, d)
	}
	if (k == SamplesDensity || k == Samples || k == Trajectories) && d < 2 {
		return fmt.Errorf("figure: %v needs dimension ≥ 2, the model has %d", k, d)
	}
	if (k == Panel3 || k == NFE) && s.Data == nil {
		return fmt.Errorf("figure: %v needs data points (--data)", k)
	}
	if k == Images {
		if _, ok := imageSide(d); !ok {
			return fmt.Errorf("figure: images need a model of square images (d = s², s ≥ 4), this one has dimension %d", d)
		}
	}
	return nil
}

// Axes are a figure's axis labels.
type Axes struct{ X, Y string }

// axesOf returns the labels of the first two coordinates: the data's column names when
// the training file had a header, else x₁ and x₂.
func axesOf(m *gen.Model) Axes {
	if c := m.Data.Columns; len(c) == m.Dim() && len(c) >= 2 && c[0] != "" && c[1] != "" {
		return Axes{c[0], c[1]}
	}
	return Axes{"x₁", "x₂"}
}

// dataName returns the name of the data set shown: Spec.Data's source, else the model's
// training data.
func (s *Spec) dataName() string {
	if s.Data != nil && s.Data.Source != "" {
		return s.Data.Source
	}
	if n := s.Model.Data.Name; n != "" {
		return filepath.Base(n)
	}
	return "unnamed data"
}

// modelLine names the model: its checkpoint, interpolant, and best validation NLL when it
// was validated.
func (s *Spec) modelLine() string {
	name := s.Name
	if name == "" {
		name = "model"
	}
	parts := []string{filepath.Base(name)}
	if s.Model.Interp != nil {
		parts = append(parts, interp.Spec(s.Model.Interp)+" interpolant")
	}
	if st := s.Model.State; st.BestStep > 0 && !math.IsInf(st.BestVal, 0) && !math.IsNaN(st.BestVal) {
		parts = append(parts, fmt.Sprintf("val NLL %.3f (step %d)", st.BestVal, st.BestStep))
	}
	if s.Cond != nil {
		parts = append(parts, "given "+condString(s.Cond))
	}
	return strings.Join(parts, " · ")
}

// condString writes a shared context briefly.
func condString(c *gen.Condition) string {
	var f []string
	for _, v := range c.Values {
		f = append(f, fmt.Sprintf("%.3g", v))
	}
	for _, l := range c.Labels {
		f = append(f, fmt.Sprintf("label %d", l))
	}
	if c.Guidance != 0 {
		f = append(f, fmt.Sprintf("guidance %g", c.Guidance))
	}
	return strings.Join(f, ", ")
}

// title returns a panel's title: what it shows.
func (s *Spec) title(what string) string { return what }

// head returns a figure's title: the data set, then the model.
func (s *Spec) head() string { return s.dataName() + "\n" + s.modelLine() }

// work splits a figure's progress into parts of known size.
type work struct {
	report      func(done, total int)
	total, next int
}

// part returns the progress callback of the next n units.
func (w *work) part(n int) func(done, total int) {
	base := w.next
	w.next += n
	if w.report == nil {
		return nil
	}
	return func(done, _ int) { w.report(min(base+done, w.total), w.total) }
}
