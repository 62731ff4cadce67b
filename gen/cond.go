package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/nn"
	"github.com/interflow/flowbench/solver"
)

// Conditional models. A model trained with a context (TrainData.Cond and/or Labels) learns
// v(t, x, c): the interpolant joins x0 ~ ρ0 to x1 ~ ρ(x | c) for pairs (x1, c) of the data,
// the loss is the unconditional one with c as an extra input, and sampling and likelihood
// integrate in x with c held fixed (the divergence is in x only), so LogProb returns
// log p(x | c). Continuous contexts are standardized by the training rows' statistics
// (recorded in the checkpoint, DataInfo.Cond); labels enter as a one-hot code with a null
// label ∅ (nn.Config).
//
// Classifier-free guidance: a label model trained with TrainConfig.GuidanceDrop = p > 0
// sees the null label on a fraction p of its training rows, so it learns the unconditional
// field v(t, x, ∅) too. Sampling with Condition.Guidance = w integrates
// ṽ = (1 + w)·v(t, x, c) − w·v(t, x, ∅). ṽ is still a velocity field, so LogProb with
// the same Guidance is the exact log-density of the distribution that guided sampling
// draws from (the push-forward of ρ0 by ṽ's flow, not p(x | c) and in general not
// p(x | c)^(1+w)/p(x)^w either): the divergence of ṽ is (1 + w)·div v(c) − w·div v(∅).

// CondInfo describes a conditional model's context, as recorded in the checkpoint.
type CondInfo struct {
	Name    string         `json:"name,omitempty"`    // the context file
	SHA256  string         `json:"sha256,omitempty"`  // its content hash
	Columns []string       `json:"columns,omitempty"` // continuous context columns
	Stats   *dataset.Stats `json:"stats,omitempty"`   // standardization of the continuous columns
	Classes int            `json:"classes,omitempty"` // number of class labels (0: none)
}

// Condition is the context of a conditional model's Sample, LogProb or Encode call, in data
// units: one context shared by every row, or one per row.
type Condition struct {
	// Values are the continuous context columns: Context values (one shared context) or
	// n×Context (one per row, row-major). Empty for a label-only model.
	Values []float32
	// Labels are the class labels in [0, Classes): one (shared) or n (one per row); a
	// negative label is the null label ∅ (the unconditional field of a model trained with
	// guidance dropout). Empty for a model without labels.
	Labels []int
	// Guidance w ≥ 0 samples and scores the guided field (1 + w)·v(c) − w·v(∅) (label
	// models trained with guidance dropout only; 0: the plain conditional field).
	Guidance float64
}

// Shared returns a Condition with one context shared by every row.
func Shared(values []float32, label ...int) *Condition {
	return &Condition{Values: values, Labels: label}
}

// encodedCond is a Condition checked against a model and encoded in its units: one shared
// row or n rows of ContextWidth values, and the null context for guidance.
type encodedCond struct {
	cw     int
	rows   []float32 // cw (shared) or n×cw
	null   []float32 // the context with the null label (guidance), cw values; nil without
	w      float64
	shared bool
}

// encodeCondition checks c for n rows of model m (what names the call in errors) and
// encodes it; it returns nil for an unconditional model given no condition.
func (m *Model) encodeCondition(what string, c *Condition, n int) (*encodedCond, error) {
	nc := m.Net.Config()
	cw := nc.ContextWidth()
	if cw == 0 {
		if c != nil && (len(c.Values) > 0 || len(c.Labels) > 0) {
			return nil, fmt.Errorf("%s: the model is unconditional but a context was given", what)
		}
		return nil, nil
	}
	if c == nil {
		return nil, fmt.Errorf("%s: the model is conditional (%s): give a context", what, m.condShape())
	}
	rowsV, rowsL := 1, 1
	if nc.Context > 0 {
		if len(c.Values) == 0 || len(c.Values)%nc.Context != 0 {
			return nil, fmt.Errorf("%s: %d context values for %d continuous context columns", what, len(c.Values), nc.Context)
		}
		rowsV = len(c.Values) / nc.Context
	} else if len(c.Values) > 0 {
		return nil, fmt.Errorf("%s: the model takes no continuous context but %d values were given", what, len(c.Values))
	}
	if nc.Classes > 0 {
		if len(c.Labels) == 0 {
			return nil, fmt.Errorf("%s: the model takes a class label in [0, %d)", what, nc.Classes)
		}
		rowsL = len(c.Labels)
	} else if len(c.Labels) > 0 {
		return nil, fmt.Errorf("%s: the model takes no class label", what)
	}
	if !(c.Guidance >= 0) || math.IsInf(c.Guidance, 0) {
		return nil, fmt.Errorf("%s: guidance %g: want a finite value ≥ 0", what, c.Guidance)
	}
	if c.Guidance > 0 && nc.Classes == 0 {
		return nil, fmt.Errorf("%s: guidance needs a model with class labels", what)
	}
	rows := max(rowsV, rowsL)
	if rows != 1 && rows != n || rowsV != 1 && rowsV != rows || rowsL != 1 && rowsL != rows {
		return nil, fmt.Errorf("%s: %d context rows and %d labels for %d rows (want 1 or %d of each)", what, rowsV, rowsL, n, n)
	}
	e := &encodedCond{cw: cw, rows: make([]float32, rows*cw), w: c.Guidance, shared: rows == 1}
	cont := make([]float32, nc.Context)
	st := m.Data.Cond.stats()
	for r := range rows {
		if nc.Context > 0 {
			src := c.Values[(r%rowsV)*nc.Context:]
			for j := range cont {
				v := src[j]
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return nil, fmt.Errorf("%s: context row %d column %d is %v", what, r+1, j+1, v)
				}
				cont[j] = v
			}
			if st != nil {
				st.Standardize(cont)
			}
		}
		label := -1
		if nc.Classes > 0 {
			label = c.Labels[r%rowsL]
			if label >= nc.Classes {
				return nil, fmt.Errorf("%s: label %d (row %d) outside [0, %d)", what, label, r+1, nc.Classes)
			}
		}
		nc.EncodeContext(e.rows[r*cw:(r+1)*cw], cont, label)
	}
	if c.Guidance > 0 {
		if e.shared {
			e.null = make([]float32, cw)
			copy(e.null, e.rows)
			nc.EncodeContext(e.null, e.null[:nc.Context], -1)
		} else {
			e.null = make([]float32, len(e.rows))
			copy(e.null, e.rows)
			for r := range rows {
				nc.EncodeContext(e.null[r*cw:(r+1)*cw], e.null[r*cw:r*cw+nc.Context], -1)
			}
		}
	}
	return e, nil
}

// condShape describes what context a conditional model takes.
func (m *Model) condShape() string {
	nc := m.Net.Config()
	switch {
	case nc.Context > 0 && nc.Classes > 0:
		return fmt.Sprintf("%d context columns and a label in [0, %d)", nc.Context, nc.Classes)
	case nc.Classes > 0:
		return fmt.Sprintf("a label in [0, %d)", nc.Classes)
	}
	return fmt.Sprintf("%d context columns", nc.Context)
}

// stats returns the continuous context's statistics (nil when none).
func (c *CondInfo) stats() *dataset.Stats {
	if c == nil {
		return nil
	}
	return c.Stats
}

// field returns the field of rows [s, e) for the fork f (its context set): f itself, or
// the guided field with the null-label fork g (nil without guidance). f and g come from the
// model's pool.
func (e *encodedCond) field(f, g *nn.MLP, s, end int) solver.DivField {
	if e == nil {
		return f
	}
	f.SetContext(e.slice(e.rows, s, end))
	if e.w == 0 {
		return f
	}
	g.SetContext(e.slice(e.null, s, end))
	return &guidedField{c: f, u: g, w: e.w}
}

func (e *encodedCond) slice(rows []float32, s, end int) []float32 {
	if e.shared {
		return rows
	}
	return rows[s*e.cw : end*e.cw]
}

// guided reports whether the calls need a second (null-label) fork.
func (e *encodedCond) guided() bool { return e != nil && e.w > 0 }

// forks takes the views of net a call with condition e needs from the pool: one, and a
// second (for the null label) when guided.
func (m *Model) forks(net *nn.MLP, e *encodedCond) (f, g *nn.MLP) {
	f = m.views.get(net)
	if e.guided() {
		g = m.views.get(net)
	}
	return f, g
}

// putForks returns the views taken by forks.
func (m *Model) putForks(net, f, g *nn.MLP) {
	m.views.put(net, f)
	if g != nil {
		m.views.put(net, g)
	}
}

// guidedField is ṽ = (1 + w)·v(t, x, c) − w·v(t, x, ∅): two forks of one network, one with
// the context, one with the null label. Its divergence is the same combination of theirs.
type guidedField struct {
	c, u *nn.MLP
	w    float64
	tmp  []float32
	dtmp []float64
}

// Dim returns the dimension of a point.
func (g *guidedField) Dim() int { return g.c.Dim() }

func (g *guidedField) grow(n, b int) ([]float32, []float64) {
	if cap(g.tmp) < n {
		g.tmp = make([]float32, n)
	}
	if cap(g.dtmp) < b {
		g.dtmp = make([]float64, b)
	}
	return g.tmp[:n], g.dtmp[:b]
}

func (g *guidedField) mix(out, tmp []float32, div, dtmp []float64) {
	a, b := float32(1+g.w), float32(g.w)
	for i := range tmp {
		out[i] = a*out[i] - b*tmp[i]
	}
	for i := range dtmp {
		div[i] = (1+g.w)*div[i] - g.w*dtmp[i]
	}
}

// Velocity writes ṽ(t, x) into out.
func (g *guidedField) Velocity(t float64, x, out []float32) {
	tmp, _ := g.grow(len(x), 0)
	g.c.Velocity(t, x, out)
	g.u.Velocity(t, x, tmp)
	g.mix(out, tmp, nil, nil)
}

// VelocityDiv writes ṽ and its exact divergence.
func (g *guidedField) VelocityDiv(t float64, x, out []float32, div []float64) {
	B := len(x) / g.Dim()
	tmp, dtmp := g.grow(len(x), B)
	g.c.VelocityDiv(t, x, out, div)
	g.u.VelocityDiv(t, x, tmp, dtmp)
	g.mix(out, tmp, div[:B], dtmp)
}

// VelocityDivHutchinson writes ṽ and the Hutchinson estimate of its divergence with the
// probe (the same probe for both fields, so the estimate is of ṽ's divergence).
func (g *guidedField) VelocityDivHutchinson(t float64, x, out []float32, div []float64, probe []float32) {
	B := len(x) / g.Dim()
	tmp, dtmp := g.grow(len(x), B)
	g.c.VelocityDivHutchinson(t, x, out, div, probe)
	g.u.VelocityDivHutchinson(t, x, tmp, dtmp, probe)
	g.mix(out, tmp, div[:B], dtmp)
}

// drawContext writes the encoded context of training row r into dst (len ContextWidth),
// dropping the label to ∅ with probability drop (GuidanceDrop).
func (tr *trainer) drawContext(rng *rand.Rand, dst []float32, r int, drop float64) {
	tr.encodeRow(dst, tr.data.Cond, tr.data.Labels, r, drop > 0 && tr.cfg.Net.Classes > 0 && rng.Float64() < drop)
}

// encodeRow writes the encoded context of row r of the continuous contexts cond and the
// labels into dst, with the null label when null is set.
func (tr *trainer) encodeRow(dst []float32, cond *dataset.Table, labels []int, r int, null bool) {
	nc := tr.cfg.Net
	var cont []float32
	if nc.Context > 0 {
		cont = cond.Data[r*nc.Context : (r+1)*nc.Context]
	}
	label := -1
	if nc.Classes > 0 && !null {
		label = labels[r]
	}
	nc.EncodeContext(dst, cont, label)
}

// validateCond checks a conditional data set's context against its rows.
func (d *TrainData) validateCond() error {
	if d.Cond == nil && d.Classes == 0 && len(d.Labels) == 0 {
		if d.ValCond != nil || len(d.ValLabels) > 0 {
			return fmt.Errorf("train data %s: validation contexts without training contexts", d.Name)
		}
		return nil
	}
	if d.Train == nil {
		return fmt.Errorf("train data %s: a conditional model trains on rows with contexts (Train), not a generated data set", d.Name)
	}
	if d.Cond != nil && d.Cond.N != d.Train.N {
		return fmt.Errorf("train data %s: %d context rows for %d data rows", d.Name, d.Cond.N, d.Train.N)
	}
	if d.Classes < 0 || d.Classes > nn.MaxClasses {
		return fmt.Errorf("train data %s: %d classes, want [0, %d]", d.Name, d.Classes, nn.MaxClasses)
	}
	if (d.Classes > 0) != (d.Labels != nil) {
		return fmt.Errorf("train data %s: set Labels and Classes together", d.Name)
	}
	check := func(what string, labels []int, n int) error {
		if d.Classes == 0 {
			if len(labels) > 0 {
				return fmt.Errorf("train data %s: %s labels without Classes", d.Name, what)
			}
			return nil
		}
		if len(labels) != n {
			return fmt.Errorf("train data %s: %d %s labels for %d rows", d.Name, len(labels), what, n)
		}
		for i, l := range labels {
			if l < 0 || l >= d.Classes {
				return fmt.Errorf("train data %s: %s row %d: label %d outside [0, %d)", d.Name, what, i+1, l, d.Classes)
			}
		}
		return nil
	}
	if err := check("training", d.Labels, d.Train.N); err != nil {
		return err
	}
	if d.Val != nil {
		if err := check("validation", d.ValLabels, d.Val.N); err != nil {
			return err
		}
		if (d.Cond != nil) != (d.ValCond != nil) || d.ValCond != nil && (d.ValCond.N != d.Val.N || d.ValCond.D != d.Cond.D) {
			return fmt.Errorf("train data %s: the validation rows need one context row each, like the training rows", d.Name)
		}
	}
	return nil
}

// condStandardized returns d with its continuous contexts standardized by the training
// contexts' statistics (recorded in CondInfo), or d itself when there is nothing to do.
func (d *TrainData) condStandardized() (*TrainData, error) {
	if d.Cond == nil || d.CondInfo != nil && d.CondInfo.Stats != nil {
		return d, nil
	}
	st, err := dataset.ComputeStats(d.Cond, nil)
	if err != nil {
		return nil, fmt.Errorf("train data %s: context: %w", d.Name, err)
	}
	c := *d
	ci := CondInfo{}
	if d.CondInfo != nil {
		ci = *d.CondInfo
	}
	ci.Stats = &st
	c.CondInfo = &ci
	c.Cond = st.Standardized(d.Cond)
	if d.ValCond != nil {
		c.ValCond = st.Standardized(d.ValCond)
	}
	return &c, nil
}

// contextRows returns the encoded contexts of the first n rows with continuous contexts
// cond and labels (no guidance dropout), or nil for an unconditional model.
func (tr *trainer) contextRows(cond *dataset.Table, labels []int, n int) []float32 {
	nc := tr.cfg.Net
	cw := nc.ContextWidth()
	if cw == 0 {
		return nil
	}
	out := make([]float32, n*cw)
	for r := range n {
		tr.encodeRow(out[r*cw:(r+1)*cw], cond, labels, r, false)
	}
	return out
}

// check reports whether the recorded context fits the network nc (c may be nil).
func (c *CondInfo) check(nc nn.Config) error {
	if c == nil {
		if nc.Conditional() {
			return fmt.Errorf("the network takes a context (%d columns, %d classes) but none is described", nc.Context, nc.Classes)
		}
		return nil
	}
	if c.Classes != nc.Classes {
		return fmt.Errorf("context: %d classes recorded, the network has %d", c.Classes, nc.Classes)
	}
	st := c.Stats
	if st == nil {
		return nil
	}
	if len(st.Mean) != nc.Context || len(st.Std) != nc.Context {
		return fmt.Errorf("context: statistics for %d/%d columns, the network takes %d", len(st.Mean), len(st.Std), nc.Context)
	}
	for j, s := range st.Std {
		if !(s >= 1e-30 && s <= maxStat) || !(math.Abs(st.Mean[j]) <= maxStat) {
			return fmt.Errorf("context: column %d has mean %g and std %g (want |mean| ≤ %.3g and std in [1e-30, %.3g])", j+1, st.Mean[j], s, maxStat, maxStat)
		}
	}
	return nil
}

// attachContext reads opt.CondPath, the contexts of the n rows of the data file name, and
// splits them as the data rows were split.
func (d *TrainData) attachContext(name string, n int, opt DataOptions) error {
	if opt.ValPath != "" {
		return fmt.Errorf("%s: a validation file (%s) cannot be used with a context file: hold out a validation fraction instead", opt.CondPath, opt.ValPath)
	}
	ct, err := dataset.ReadTable(opt.CondPath)
	if err != nil {
		return err
	}
	if ct.N != n {
		return fmt.Errorf("%s has %d rows but the data file %s has %d: row i of the context file is the context of row i of the data", opt.CondPath, ct.N, name, n)
	}
	part := func(p dataset.SplitPart) (*dataset.Table, error) { return d.Split.Take(ct, p) }
	train, err := part(dataset.PartTrain)
	if err != nil {
		return err
	}
	var val *dataset.Table
	if d.Val != nil {
		if val, err = part(dataset.PartVal); err != nil {
			return err
		}
	}
	d.CondInfo = &CondInfo{Name: opt.CondPath, SHA256: ct.SHA256, Columns: ct.Columns}
	if !opt.CondLabels {
		d.Cond, d.ValCond = train, val
		return nil
	}
	_, classes, err := LabelsOf(ct)
	if err != nil {
		return err
	}
	d.Classes = classes
	if d.Labels, err = labelColumn(train); err != nil {
		return err
	}
	if val != nil {
		if d.ValLabels, err = labelColumn(val); err != nil {
			return err
		}
	}
	return nil
}

// LabelsOf reads class labels from a one-column table of whole numbers ≥ 0 and returns them
// with the number of classes (the largest label + 1); an error names the file and row.
func LabelsOf(t *dataset.Table) ([]int, int, error) {
	labels, err := labelColumn(t)
	if err != nil {
		return nil, 0, err
	}
	k := 0
	for _, l := range labels {
		k = max(k, l+1)
	}
	return labels, k, nil
}

func labelColumn(t *dataset.Table) ([]int, error) {
	if t.D != 1 {
		return nil, fmt.Errorf("%s: %d columns: a label file holds one class label per row", t.Source, t.D)
	}
	out := make([]int, t.N)
	for i, v := range t.Data {
		if !(v >= 0 && v <= nn.MaxClasses-1) || v != float32(math.Trunc(float64(v))) {
			return nil, fmt.Errorf("%s: row %d: label %v is not a whole number in [0, %d)", t.Source, i+1, v, nn.MaxClasses)
		}
		out[i] = int(v)
	}
	return out, nil
}

// ConditionOf returns the Condition of a model for the rows of a context table (one
// context per row): continuous columns for a model with a continuous context, one label
// column for a label model. The table's rows are in data units.
func (m *Model) ConditionOf(t *dataset.Table) (*Condition, error) {
	nc := m.Net.Config()
	switch {
	case !nc.Conditional():
		return nil, fmt.Errorf("%s: the model is unconditional: it takes no context", t.Source)
	case nc.Classes > 0 && nc.Context > 0:
		return nil, fmt.Errorf("%s: the model takes continuous contexts and labels: pass them through the library (gen.Condition)", t.Source)
	case nc.Classes > 0:
		labels, err := labelColumn(t)
		if err != nil {
			return nil, err
		}
		for i, l := range labels {
			if l >= nc.Classes {
				return nil, fmt.Errorf("%s: row %d: label %d outside the model's [0, %d)", t.Source, i+1, l, nc.Classes)
			}
		}
		return &Condition{Labels: labels}, nil
	}
	if t.D != nc.Context {
		return nil, fmt.Errorf("%s: %d columns, the model takes %d context columns", t.Source, t.D, nc.Context)
	}
	return &Condition{Values: t.Data}, nil
}

// ParseGiven parses one shared context written as comma-separated values ("0.1,0.2,…",
// in data units; for a label model, the label), for the model m.
func (m *Model) ParseGiven(s string) (*Condition, error) {
	nc := m.Net.Config()
	if !nc.Conditional() {
		return nil, fmt.Errorf("the model is unconditional: it takes no context")
	}
	var vals []float32
	for i, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, fmt.Errorf("value %d (%q) is not a finite number", i+1, f)
		}
		vals = append(vals, float32(v))
	}
	if nc.Classes > 0 {
		want := nc.Context + 1
		if len(vals) != want {
			return nil, fmt.Errorf("%d values: the model takes %s (the label last)", len(vals), m.condShape())
		}
		l := vals[nc.Context]
		if l != float32(math.Trunc(float64(l))) || l < -1 || int(l) >= nc.Classes {
			return nil, fmt.Errorf("label %v: want a whole number in [0, %d) (or -1 for the null label)", l, nc.Classes)
		}
		return &Condition{Values: vals[:nc.Context], Labels: []int{int(l)}}, nil
	}
	if len(vals) != nc.Context {
		return nil, fmt.Errorf("%d values: the model takes %s", len(vals), m.condShape())
	}
	return &Condition{Values: vals}, nil
}

// evalContext attaches to ed (rows of part p of the file data, which has full rows) the
// contexts of the file condPath, or of the model's own context file when condPath is empty
// and data is the training file; it does nothing for an unconditional model given no file.
func (m *Model) evalContext(ed *EvalData, data, condPath string, p dataset.SplitPart, full int) error {
	if condPath == "" {
		ci := m.Data.Cond
		if ci == nil || ci.Name == "" || !samePath(data, m.Data.Name) {
			return nil
		}
		condPath = ci.Name
	}
	if !m.Net.Config().Conditional() {
		return fmt.Errorf("%s: the model is unconditional: it takes no context", condPath)
	}
	ct, err := dataset.ReadTable(condPath)
	if err != nil {
		return err
	}
	if ct.N != full {
		return fmt.Errorf("%s has %d rows but the data file %s has %d: row i of the context file is the context of row i of the data", condPath, ct.N, data, full)
	}
	if p != dataset.PartAll {
		if ct, err = m.Data.Split.Take(ct, p); err != nil {
			return fmt.Errorf("%s: %w", condPath, err)
		}
	}
	if ed.N < ct.N {
		ct.N = ed.N
		ct.Data = ct.Data[:ed.N*ct.D]
	}
	ed.Cond, err = m.ConditionOf(ct)
	return err
}
