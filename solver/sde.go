package solver

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/interflow/flowbench/internal/buf"
	"github.com/interflow/flowbench/internal/enum"
	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/kernels"
)

// Schedule is the diffusion coefficient ε(t) ≥ 0 of the SDE sampler.
type Schedule interface {
	// Eps returns ε(t).
	Eps(t float64) float64
}

// ConstEps is ε(t) = c. With the trigonometric interpolant the score term ε·s grows like
// 1/(1 − t) near t = 1: stop early (t1 < 1) or use a vanishing schedule.
type ConstEps float64

// Eps implements Schedule.
func (c ConstEps) Eps(float64) float64 { return float64(c) }

// LinearEps is ε(t) = c·(1 − t), which vanishes at t = 1 so that ε·tan(πt/2) stays bounded.
type LinearEps float64

// Eps implements Schedule.
func (c LinearEps) Eps(t float64) float64 { return float64(c) * (1 - t) }

// CosEps is ε(t) = c·cos(πt/2), which vanishes at t = 1 so that ε·tan(πt/2) stays bounded.
type CosEps float64

// Eps implements Schedule; it is exactly 0 at t = 1.
func (c CosEps) Eps(t float64) float64 {
	if t == 1 {
		return 0
	}
	return float64(c) * math.Cos(math.Pi/2*t)
}

// EpsFunc adapts a function to Schedule.
type EpsFunc func(t float64) float64

// Eps implements Schedule.
func (f EpsFunc) Eps(t float64) float64 { return f(t) }

// ParseSchedule returns the schedule named "const:C", "linear:C" or "cos:C" (C ≥ 0 finite).
func ParseSchedule(spec string) (Schedule, error) {
	name, arg, ok := strings.Cut(spec, ":")
	var c float64
	if !ok {
		return nil, fmt.Errorf("solver: schedule %q: want const:C, linear:C or cos:C", spec)
	}
	if _, err := fmt.Sscanf(arg, "%g", &c); err != nil || !(c >= 0) || math.IsInf(c, 0) {
		return nil, fmt.Errorf("solver: schedule %q: %q is not a finite number ≥ 0", spec, arg)
	}
	switch name {
	case "const":
		return ConstEps(c), nil
	case "linear":
		return LinearEps(c), nil
	case "cos":
		return CosEps(c), nil
	}
	return nil, fmt.Errorf("solver: unknown schedule %q (want const:C, linear:C or cos:C)", spec)
}

// SDEMethod is an SDE integration scheme.
type SDEMethod uint8

// The SDE methods. The noise is additive (it depends on t only), so both have strong order
// 1; the stochastic Heun method integrates the drift to second order (with ε = 0 it is
// Heun's ODE method), which keeps the marginals closer at a given step count.
const (
	EulerMaruyama  SDEMethod = iota // 1 evaluation per step
	StochasticHeun                  // predictor–corrector, 2 evaluations per step
)

var sdeMethodNames = enum.Names{Type: "SDEMethod", Names: []string{"euler-maruyama", "heun"},
	Aliases: map[string]int{"em": int(EulerMaruyama), "euler": int(EulerMaruyama)}, Fold: true, Unknown: "solver: unknown SDE method", Want: "euler-maruyama or heun"}

// String returns "euler-maruyama" or "heun".
func (m SDEMethod) String() string { return enum.String(&sdeMethodNames, m) }

// ParseSDEMethod returns the SDE method named "euler-maruyama" (or "em") or "heun".
func ParseSDEMethod(name string) (SDEMethod, error) {
	return enum.Value[SDEMethod](&sdeMethodNames, name)
}

// SDEOptions configure SolveSDE.
type SDEOptions struct {
	// Method is the scheme; Steps (≥ 1) the number of equal steps.
	Method SDEMethod
	Steps  int
	// Eps is the diffusion schedule ε(t) (nil: no noise, the ODE by the same scheme).
	Eps Schedule
	// Interp is the interpolant the field was trained with; the score is recovered from the
	// velocity through it (interp.ScoreCoeffs). nil means interp.Trig.
	Interp interp.Interpolant
	// Seed seeds the Brownian increments, drawn row by row each step: the same seed gives
	// the same paths.
	Seed uint64
}

// Validate checks the options and names the first bad field.
func (o *SDEOptions) Validate() error {
	switch {
	case o.Method > StochasticHeun:
		return fmt.Errorf("solver: SDEOptions.Method = %d: unknown SDE method", o.Method)
	case o.Steps < 1:
		return fmt.Errorf("solver: SDEOptions.Steps = %d: want at least 1", o.Steps)
	}
	return nil
}

// MinEps is the smallest ε(t) the SDE sampler acts on: below it the step is the ODE step
// (no score, no noise), so a schedule that vanishes at t = 1 up to rounding works.
const MinEps = 1e-12

// ErrSchedule is wrapped by SDE errors when ε(t) is negative or not finite.
var ErrSchedule = errors.New("bad diffusion schedule")

// SolveSDE integrates, for a N(0, I) base and every row of x in place, from t0 to t1:
//
//	forward (t1 > t0):  dX = (v + ε(t)·s) dt + sqrt(2ε(t)) dW
//	reverse (t1 < t0):  dX = (v − ε(t)·s) dt + sqrt(2ε(t)) dW̄   (in reversed time)
//
// where v is the field and s = interp score from the velocity (interp.ScoreCoeffs). Both keep
// the marginals ρ_t of the probability-flow ODE, for any ε ≥ 0. The score is singular at
// t = 1 (a(t) = 0): where ε(t) = 0 it is not needed; elsewhere a singular score is an error
// wrapping ErrScore. Euler–Maruyama evaluates the drift at the start of each step only, so
// forward sampling to t = 1 works with any schedule; the stochastic Heun method also
// evaluates at t1 and needs ε(1) = 0 there (LinearEps, CosEps) or an early stop t1 < 1.
// In reverse, both methods evaluate at t0: starting from t0 = 1 needs ε(1) = 0 or
// t0 < 1. ε(t) ≤ MinEps counts as 0. The Brownian increments are drawn one step at a time
// from Seed, row by row, so a solve is reproducible bit for bit (given a deterministic
// field) whatever the thread count.
func (w *Workspace) SolveSDE(ctx context.Context, f Field, x []float32, t0, t1 float64, opt *SDEOptions) (Stats, error) {
	if opt == nil {
		return Stats{}, fmt.Errorf("solver: nil SDEOptions")
	}
	if err := opt.Validate(); err != nil {
		return Stats{}, err
	}
	if math.IsNaN(t0) || math.IsInf(t0, 0) || math.IsNaN(t1) || math.IsInf(t1, 0) {
		return Stats{}, fmt.Errorf("solver: times t0 = %g, t1 = %g must be finite", t0, t1)
	}
	d := f.Dim()
	if d < 1 || len(x)%d != 0 {
		return Stats{}, fmt.Errorf("solver: state has %d values, not a multiple of the field's dimension %d", len(x), d)
	}
	w.ensure(len(x), len(x)/d, false)
	w.noise = buf.Grow(w.noise, len(x))
	w.f, w.df, w.aug, w.method = f, nil, false, Euler
	w.stats = Stats{}
	ip := opt.Interp
	if ip == nil {
		ip = interp.Trig{}
	}
	if r := firstNonFinite(x, nil, w.rows); r >= 0 {
		return w.stats, w.sdeFail(opt, ErrNonFinite, t0, 0, r, nil)
	}
	if w.rows == 0 || t0 == t1 {
		return w.stats, nil
	}
	dir := 1.0
	if t1 < t0 {
		dir = -1
	}
	w.pcg.Seed(opt.Seed, 0x736465)
	h := (t1 - t0) / float64(opt.Steps)
	for n := 0; n < opt.Steps; n++ {
		t := t0 + float64(n)*h
		hn := h
		tn := t + hn
		if n == opt.Steps-1 {
			hn, tn = t1-t, t1
		}
		if err := ctx.Err(); err != nil {
			return w.stats, w.sdeFail(opt, err, t, hn, -1, context.Cause(ctx))
		}
		for i := range w.noise {
			w.noise[i] = float32(w.rng.NormFloat64())
		}
		sq := math.Sqrt(math.Abs(hn))
		// stage 0: drift at (t, x) into k[0]
		sig0, err := w.drift(ip, opt, dir, t, x, w.k[0])
		if err != nil {
			return w.stats, w.sdeFail(opt, err, t, hn, -1, nil)
		}
		if opt.Method == EulerMaruyama {
			kernels.Axpy(float32(hn), w.k[0], x)
			if sig0 != 0 {
				kernels.Axpy(float32(sig0*sq), w.noise, x)
			}
		} else {
			copy(w.ytmp, x)
			kernels.Axpy(float32(hn), w.k[0], w.ytmp)
			if sig0 != 0 {
				kernels.Axpy(float32(sig0*sq), w.noise, w.ytmp)
			}
			sig1, err := w.drift(ip, opt, dir, tn, w.ytmp, w.k[1])
			if err != nil {
				return w.stats, w.sdeFail(opt, err, tn, hn, -1, nil)
			}
			kernels.RKCombine(x, x, float32(hn), half2, w.k[:2])
			if s := 0.5 * (sig0 + sig1); s != 0 {
				kernels.Axpy(float32(s*sq), w.noise, x)
			}
		}
		w.stats.Accepted++
		w.stats.LastStep = hn
		if r := firstNonFinite(x, nil, w.rows); r >= 0 {
			return w.stats, w.sdeFail(opt, ErrNonFinite, tn, hn, r, nil)
		}
	}
	return w.stats, nil
}

var half2 = []float32{0.5, 0.5}

// drift writes v + dir·ε·s at (t, y) into out and returns the noise amplitude sqrt(2ε).
func (w *Workspace) drift(ip interp.Interpolant, opt *SDEOptions, dir, t float64, y, out []float32) (float64, error) {
	w.stats.NFE++
	w.f.Velocity(t, y, out)
	eps := 0.0
	if opt.Eps != nil {
		eps = opt.Eps.Eps(t)
	}
	if !(eps >= 0) || math.IsInf(eps, 0) {
		return 0, fmt.Errorf("%w: ε(%g) = %g", ErrSchedule, t, eps)
	}
	if eps <= MinEps {
		return 0, nil
	}
	cv, cx, err := interp.ScoreCoeffs(ip, t)
	if err != nil {
		return 0, fmt.Errorf("%w (ε(%g) = %g ≠ 0): %w", ErrScore, t, eps, err)
	}
	// out = (1 + dir·ε·cv)·v + dir·ε·cx·y
	kernels.Scale(float32(1+dir*eps*cv), out)
	kernels.Axpy(float32(dir*eps*cx), y, out)
	return math.Sqrt(2 * eps), nil
}

func (w *Workspace) sdeFail(opt *SDEOptions, err error, t, h float64, row int, cause error) error {
	e := &StepError{Err: err, Method: "sde-" + opt.Method.String(), T: t, H: h, Row: row, Stats: w.stats, Cause: cause}
	return e
}
