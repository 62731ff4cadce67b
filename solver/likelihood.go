package solver

import (
	"context"
	"fmt"
	"math"
)

// LogDensityFunc returns the log-density (nats) of the base distribution at one point x0.
type LogDensityFunc func(x0 []float32) float64

// StdNormal is the log-density of N(0, I): −½|x|² − (d/2)·log 2π, accumulated in float64.
func StdNormal(x0 []float32) float64 {
	s := 0.0
	for _, v := range x0 {
		s += float64(v) * float64(v)
	}
	return -0.5*s - 0.5*float64(len(x0))*math.Log(2*math.Pi)
}

// LogDensity computes log ρ_t(x) for every row of x under the flow of f: it integrates the
// augmented system from t back to 0 and returns, in logp,
//
//	log ρ_t(x) = log ρ0(x(0)) − ∫₀ᵗ div v(s, x(s)) ds
//
// with base = log ρ0 (nil: StdNormal). t = 1 gives the model's log-likelihood of data. x is
// overwritten with its encoding x(0). The divergence is exact or a Hutchinson estimate as
// opt.Div says (the probe is fixed along each trajectory, drawn from opt.ProbeSeed). Zero
// opt.RTol and opt.ATol select DensityRTol and DensityATol. A row whose result is not finite
// is reported as an ErrNonFinite StepError.
func (w *Workspace) LogDensity(ctx context.Context, f DivField, t float64, x []float32, logp []float64, base LogDensityFunc, opt *Options) (Stats, error) {
	d, base, err := densityArgs(f, x, logp, base, opt)
	if err != nil {
		return Stats{}, err
	}
	o := densityOptions(opt)
	clear(logp)
	st, err := w.SolveDiv(ctx, f, x, logp, t, 0, &o)
	if err != nil {
		return st, err
	}
	for i := range logp {
		logp[i] += base(x[i*d : i*d+d])
	}
	return st, w.checkDensity(logp, 0)
}

// SampleLogDensity pushes base samples x (drawn by the caller at t = 0) forward to t = 1 in
// place and writes each sample's log-density under the model into logp:
//
//	log ρ1(x(1)) = log ρ0(x(0)) − ∫₀¹ div v(s, x(s)) ds
//
// with base = log ρ0 (nil: StdNormal). Divergence, probe and default tolerances as in
// LogDensity.
func (w *Workspace) SampleLogDensity(ctx context.Context, f DivField, x []float32, logp []float64, base LogDensityFunc, opt *Options) (Stats, error) {
	d, base, err := densityArgs(f, x, logp, base, opt)
	if err != nil {
		return Stats{}, err
	}
	o := densityOptions(opt)
	// SolveDiv adds ∫div to ell (integrating ℓ from 0 internally, so the tolerance scale
	// does not depend on this offset): start from −log ρ0 and negate at the end.
	for i := range logp {
		logp[i] = -base(x[i*d : i*d+d])
	}
	st, err := w.SolveDiv(ctx, f, x, logp, 0, 1, &o)
	for i := range logp {
		logp[i] = -logp[i]
	}
	if err != nil {
		return st, err
	}
	return st, w.checkDensity(logp, 1)
}

// densityOptions returns opt with zero tolerances replaced by DensityRTol and DensityATol.
func densityOptions(opt *Options) Options {
	o := *opt
	o.RTol = orDefault(o.RTol, DensityRTol)
	o.ATol = orDefault(o.ATol, DensityATol)
	return o
}

// densityArgs checks the options and the state and log-density slices of LogDensity and
// SampleLogDensity against the field and returns the dimension and the base density
// (StdNormal for nil).
func densityArgs(f DivField, x []float32, logp []float64, base LogDensityFunc, opt *Options) (int, LogDensityFunc, error) {
	if opt == nil {
		return 0, nil, fmt.Errorf("solver: nil Options")
	}
	d := f.Dim()
	if d < 1 || len(x)%d != 0 {
		return 0, nil, fmt.Errorf("solver: state has %d values, not a multiple of the field's dimension %d", len(x), d)
	}
	if rows := len(x) / d; len(logp) != rows {
		return 0, nil, fmt.Errorf("solver: logp has %d values for %d rows", len(logp), rows)
	}
	if base == nil {
		base = StdNormal
	}
	return d, base, nil
}

// checkDensity reports the first row of logp that is not finite as an ErrNonFinite
// StepError at time t.
func (w *Workspace) checkDensity(logp []float64, t float64) error {
	if r := firstNonFinite(nil, logp, len(logp)); r >= 0 {
		return w.fail(ErrNonFinite, t, 0, r, fmt.Errorf("log-density of row %d is %g", r, logp[r]))
	}
	return nil
}
