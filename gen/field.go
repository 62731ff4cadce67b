package gen

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/interflow/flowbench/solver"
)

// Velocity returns the model's velocity v(t, x) at time t ∈ [0, 1] for every row of x
// (n×d, data units; x is not modified), in data units per unit time: the network's field
// in standardized units mapped back by the standardization (dx/dt = σ ⊙ v(t, (x − μ)/σ)).
// c is the context of a conditional model (nil for an unconditional one). Figures draw
// the field with it (arrows at several t).
func (m *Model) Velocity(ctx context.Context, t float64, x []float32, c *Condition) ([]float32, error) {
	d := m.Dim()
	if len(x) == 0 || len(x)%d != 0 {
		return nil, fmt.Errorf("velocity: %d values is not a whole number of rows of dimension %d", len(x), d)
	}
	if !(t >= 0 && t <= 1) {
		return nil, fmt.Errorf("velocity: time %g: want a value in [0, 1]", t)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := len(x) / d
	cond, err := m.encodeCondition("velocity", c, n)
	if err != nil {
		return nil, err
	}
	net := m.Net
	f, g := m.forks(net, cond)
	defer m.putForks(net, f, g)
	xs := slices.Clone(x)
	st := m.Data.Stats
	if st != nil {
		st.Standardize(xs)
	}
	out := make([]float32, len(x))
	cond.field(f, g, 0, n).Velocity(t, xs, out)
	if st != nil {
		for i := range out {
			out[i] = float32(float64(out[i]) * st.Std[i%d])
		}
	}
	for i, v := range out {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("velocity: row %d: the field is not finite", i/d)
		}
	}
	return out, nil
}

// checkRecord validates the recording times of a sample (SampleOptions.Record) against its
// end time.
func checkRecord(rec []float64, tEnd float64, sde, logp bool) error {
	if len(rec) == 0 {
		return nil
	}
	if sde || logp {
		return errors.New("sample: recording intermediate states needs the plain ODE sampler (no SDE, no log-densities)")
	}
	for i, r := range rec {
		if !(r >= 0 && r <= tEnd) || (i > 0 && r <= rec[i-1]) {
			return fmt.Errorf("sample: record time %d = %g: want increasing times in [0, %g]", i, r, tEnd)
		}
	}
	return nil
}

// solveRecorded integrates x (one chunk of rows s..e, standardized units) from 0 to tEnd
// in one pass, stopping at each time of rec to copy the state into path[k][s*d:e*d]
// (standardized units). A fixed-step method's steps are shared out among the pieces in
// proportion to their length (at least one each), so the whole solve takes about
// opt.Steps steps; an adaptive method keeps its tolerance on every piece.
func solveRecorded(ctx context.Context, ws *solver.Workspace, f solver.Field, x []float32, tEnd float64, rec []float64, path [][]float32, s, d int, opt solver.Options) (solver.Stats, error) {
	var total solver.Stats
	prev := 0.0
	times := rec
	if rec[len(rec)-1] < tEnd {
		times = append(slices.Clone(rec), tEnd)
	}
	steps := opt.Steps
	for k, t := range times {
		o := opt
		if !o.Method.Adaptive() {
			o.Steps = max(1, int(math.Round(float64(steps)*(t-prev)/tEnd)))
		}
		if t > prev {
			st, err := ws.Solve(ctx, f, x, prev, t, &o)
			total.NFE += st.NFE
			if err != nil {
				return total, err
			}
		}
		if k < len(path) {
			copy(path[k][s*d:s*d+len(x)], x)
		}
		prev = t
	}
	return total, nil
}

// progressField reports, at every field evaluation, how far the solve of one chunk of rows
// has come in time, as rows done: lo + (hi − lo)·|t − t0|/|t1 − t0|, called only when that
// number grows (so a chunk's first seconds show progress, not only its end).
type progressField struct {
	solver.DivField
	t0, t1 float64
	lo, hi int
	total  int
	last   int
	report func(done, total int)
}

// newProgress wraps f so that opt's progress callback is told of rows lo..hi of total
// advancing as the solve goes from t0 to t1; f itself when report is nil.
func newProgress(f solver.DivField, report func(done, total int), t0, t1 float64, lo, hi, total int) solver.DivField {
	if report == nil || t0 == t1 {
		return f
	}
	return &progressField{DivField: f, t0: t0, t1: t1, lo: lo, hi: hi, total: total, last: lo, report: report}
}

func (p *progressField) note(t float64) {
	frac := math.Min(1, math.Abs(t-p.t0)/math.Abs(p.t1-p.t0))
	done := p.lo + int(frac*float64(p.hi-p.lo))
	if done >= p.hi {
		done = p.hi - 1 // the chunk's end is reported once it is finished
	}
	if done > p.last {
		p.last = done
		p.report(done, p.total)
	}
}

// Velocity reports progress and evaluates the wrapped field.
func (p *progressField) Velocity(t float64, x, out []float32) {
	p.note(t)
	p.DivField.Velocity(t, x, out)
}

// VelocityDiv reports progress and evaluates the wrapped field and its divergence.
func (p *progressField) VelocityDiv(t float64, x, out []float32, div []float64) {
	p.note(t)
	p.DivField.VelocityDiv(t, x, out, div)
}

// VelocityDivHutchinson reports progress and evaluates the wrapped field and a Hutchinson
// estimate of its divergence.
func (p *progressField) VelocityDivHutchinson(t float64, x, out []float32, div []float64, probe []float32) {
	p.note(t)
	p.DivField.VelocityDivHutchinson(t, x, out, div, probe)
}
