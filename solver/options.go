package solver

import (
	"errors"
	"fmt"
	"math"

	"github.com/interflow/flowbench/internal/enum"
)

// Method is an ODE integration scheme.
type Method uint8

// The ODE methods. Euler, Midpoint, Heun and RK4 take Options.Steps equal steps; Dopri5 and
// Bosh3 choose their steps to meet Options.RTol and Options.ATol.
const (
	Euler    Method = iota // explicit Euler, order 1, 1 evaluation per step
	Midpoint               // explicit midpoint, order 2, 2 evaluations per step
	Heun                   // Heun's method (explicit trapezoid), order 2, 2 evaluations per step
	RK4                    // classical Runge–Kutta, order 4, 4 evaluations per step
	Dopri5                 // Dormand–Prince 5(4), adaptive, FSAL: 6 evaluations per step
	Bosh3                  // Bogacki–Shampine 3(2), adaptive, FSAL: 3 evaluations per step
	numMethods
)

var methodNames = enum.Names{Type: "Method", Names: []string{"euler", "midpoint", "heun", "rk4", "dopri5", "bosh3"}, Fold: true, Unknown: "solver: unknown method"}

// String returns the method's name as ParseMethod accepts it.
func (m Method) String() string { return enum.String(&methodNames, m) }

// ParseMethod returns the method with the given (case-insensitive) name: euler, midpoint,
// heun, rk4, dopri5 or bosh3.
func ParseMethod(name string) (Method, error) { return enum.Value[Method](&methodNames, name) }

// Adaptive reports whether the method controls its step size (Dopri5, Bosh3).
func (m Method) Adaptive() bool { return m == Dopri5 || m == Bosh3 }

// Order returns the method's order of accuracy (of the solution it advances with).
func (m Method) Order() int { return tableaus[m].order }

// Norm selects how an adaptive step's error is reduced to one number.
type Norm uint8

const (
	// NormBatch is the RMS of err_i/(ATol + RTol·max(|y_i|, |ŷ_i|)) over every component of
	// the whole batch, as torchdiffeq does: one step size for the batch, tolerances met on
	// average.
	NormBatch Norm = iota
	// NormRow is the largest per-row RMS: the batch still shares its steps (the field is
	// evaluated at one time for all rows) but every row meets the tolerance on its own.
	NormRow
)

// DivMode selects the divergence used by the augmented (likelihood) solves.
type DivMode uint8

const (
	// DivExact uses DivField.VelocityDiv.
	DivExact DivMode = iota
	// DivRademacher uses DivField.VelocityDivHutchinson with a Rademacher (±1) probe drawn once
	// per trajectory from Options.ProbeSeed.
	DivRademacher
	// DivGaussian is DivRademacher with a standard normal probe.
	DivGaussian
)

var divModeNames = enum.Names{Type: "DivMode", Names: []string{"exact", "rademacher", "gaussian"},
	Aliases: map[string]int{"hutchinson": int(DivRademacher)}, Fold: true, Unknown: "solver: unknown divergence", Want: "exact, rademacher/hutchinson or gaussian"}

// String returns "exact", "rademacher" or "gaussian".
func (m DivMode) String() string { return enum.String(&divModeNames, m) }

// ParseDivMode returns the divergence mode named "exact", "rademacher" (or "hutchinson") or
// "gaussian".
func ParseDivMode(name string) (DivMode, error) { return enum.Value[DivMode](&divModeNames, name) }

// Defaults used for zero fields of Options.
const (
	DefaultRTol      = 1e-5
	DefaultATol      = 1e-5
	DefaultMaxSteps  = 100000
	DefaultSafety    = 0.9
	DefaultMinFactor = 0.2
	DefaultMaxFactor = 10
)

// Tolerances of the log-density solves: LogDensity and SampleLogDensity use them for zero
// Options.RTol and Options.ATol (Solve and SolveDiv keep DefaultRTol and DefaultATol), and
// they are the tolerances to pass for log-densities accurate to 1e-4 nats.
//
// Chosen by measurement (TestLogDensityAccuracy, and the same problems in more dimensions):
// the largest |log p − exact| over 500–1000 points, Dopri5, batch norm, against closed-form
// log ρ_1 of Gaussian → Gaussian interpolant fields (linear and trigonometric), a dense
// non-symmetric linear field v = B·x and a rotated sine field whose divergence depends on x,
// backward (LogDensity from data) and forward (SampleLogDensity), with the state in float64:
//
//	rtol = atol   d = 2, 8, 32       NFE   d = 3 … 128        d = 256, 784 (Gaussian fields)
//	1e-5          3.7e-4 / 2.1e-3     62   -                  -
//	3e-6          4.2e-4 / 2.2e-4     74   -                  -
//	1e-6          1.9e-5 / 2.3e-5     86   5.3e-5 / 1.3e-4    1.9e-4 / 7.9e-4
//	3e-7          5.5e-6 / 1.5e-5    104   -                  2.3e-5 / 1.6e-4
//	1e-7          2.1e-6 / 4.1e-6    122   4.9e-6 / 6.7e-6    1.3e-5 / 2.3e-5
//	1e-8          1.3e-6 / 1.9e-6    170   -                  -
//
// (backward / forward nats; NFE the most evaluations of one solve). The error is dominated
// by the global error of the state, which the log-density sees through the gradient of the
// base (backward) or of ρ_1 (forward) summed over the d coordinates, so it grows with d, and
// at a few steps it is not monotone in the tolerance. 1e-7 meets 1e-4 nats with a margin of
// 4 or more up to d = 784, for about twice the evaluations of 1e-5; 1e-6 suffices up to
// d ≈ 100. Below about 1e-8 the float32 field values (and a network's float32 arithmetic)
// set the floor (RK4 with many steps: 1–2e-6 at d = 32). Tightening ℓ's component alone
// (absolute scale atol, or a norm of its own) was measured too and bought less accuracy per
// evaluation: at 1e-5, 1.8e-4 nats for 74 evaluations and 1.6e-4 for 92, against 2.3e-5 for
// 86 with both at 1e-6.
const (
	DensityRTol = 1e-7
	DensityATol = 1e-7
)

// Options configure an ODE solve. The zero value is not valid (Steps = 0 for a fixed-step
// method); zero tolerances and control parameters select the defaults above.
type Options struct {
	// Method is the integration scheme.
	Method Method
	// Steps is the number of equal steps of a fixed-step method (≥ 1); ignored by adaptive
	// methods.
	Steps int

	// RTol and ATol are the relative and absolute tolerances of an adaptive method (0 means
	// the default 1e-5): a step is accepted when the norm of err/(ATol + RTol·max(|y|, |ŷ|))
	// is below 1 (ratio < 1, as SciPy's solve_ivp).
	RTol, ATol float64
	// Norm selects batch-RMS (default) or per-row error control.
	Norm Norm
	// FirstStep is the first step size tried (0: chosen automatically as in Hairer, Nørsett
	// and Wanner, Solving ODEs I, II.4, at the cost of one evaluation).
	FirstStep float64
	// MinStep is the smallest step size allowed; a smaller one needed to meet the tolerance
	// is an ErrStepUnderflow. 0 means 10 units in the last place of t.
	MinStep float64
	// MaxStep bounds the step size (0: no bound beyond the span).
	MaxStep float64
	// MaxSteps bounds the number of attempted steps, accepted plus rejected (0: 100000).
	MaxSteps int
	// Safety, MinFactor and MaxFactor shape the step-size update
	// h ← h·min(MaxFactor, max(MinFactor, Safety·ratio^(−1/(q+1)))) with q the order of the
	// embedded error estimate (0: 0.9, 0.2, 10). After a rejected step the next step does
	// not grow.
	Safety, MinFactor, MaxFactor float64

	// Div selects the divergence of augmented solves (SolveDiv, LogDensity,
	// SampleLogDensity); ProbeSeed seeds their Hutchinson probes.
	Div       DivMode
	ProbeSeed uint64
}

// Validate checks the options and names the first bad field.
func (o *Options) Validate() error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("solver: Options.%s = %v: %s", field, v, want)
	}
	finiteNonNeg := func(v float64) bool { return v >= 0 && !math.IsInf(v, 0) }
	switch {
	case o.Method >= numMethods:
		return bad("Method", o.Method, "unknown method")
	case !o.Method.Adaptive() && o.Steps < 1:
		return bad("Steps", o.Steps, fmt.Sprintf("%v needs at least 1 step", o.Method))
	case !finiteNonNeg(o.RTol):
		return bad("RTol", o.RTol, "want a finite value ≥ 0 (0: default)")
	case !finiteNonNeg(o.ATol):
		return bad("ATol", o.ATol, "want a finite value ≥ 0 (0: default)")
	case !finiteNonNeg(o.FirstStep):
		return bad("FirstStep", o.FirstStep, "want a finite value ≥ 0 (0: automatic)")
	case !finiteNonNeg(o.MinStep):
		return bad("MinStep", o.MinStep, "want a finite value ≥ 0")
	case !finiteNonNeg(o.MaxStep):
		return bad("MaxStep", o.MaxStep, "want a finite value ≥ 0 (0: unbounded)")
	case o.MaxStep > 0 && o.MinStep > o.MaxStep:
		return bad("MinStep", o.MinStep, fmt.Sprintf("larger than MaxStep %g", o.MaxStep))
	case o.MaxSteps < 0:
		return bad("MaxSteps", o.MaxSteps, "want ≥ 0 (0: default)")
	case !(o.Safety == 0 || (o.Safety > 0 && o.Safety <= 1)):
		return bad("Safety", o.Safety, "want a value in (0, 1] (0: default)")
	case !(o.MinFactor == 0 || (o.MinFactor > 0 && o.MinFactor < 1)):
		return bad("MinFactor", o.MinFactor, "want a value in (0, 1) (0: default)")
	case !(o.MaxFactor == 0 || (o.MaxFactor > 1 && !math.IsInf(o.MaxFactor, 0))):
		return bad("MaxFactor", o.MaxFactor, "want a finite value > 1 (0: default)")
	case o.Norm > NormRow:
		return bad("Norm", o.Norm, "unknown norm")
	case o.Div > DivGaussian:
		return bad("Div", o.Div, "unknown divergence mode")
	}
	return nil
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Stats count the work of one solve.
type Stats struct {
	// NFE is the number of field evaluations (batch-wide calls of Velocity or VelocityDiv*).
	NFE int
	// Accepted and Rejected count the steps (fixed-step methods only accept).
	Accepted, Rejected int
	// LastStep is the size of the last step taken (signed: negative backward).
	LastStep float64
}

// Sentinel errors wrapped by StepError.
var (
	// ErrStepUnderflow: the tolerance needs a step smaller than MinStep.
	ErrStepUnderflow = errors.New("step size underflow")
	// ErrMaxSteps: more than MaxSteps steps were attempted.
	ErrMaxSteps = errors.New("maximum number of steps exceeded")
	// ErrNonFinite: the state, a field value or a divergence became NaN or infinite.
	ErrNonFinite = errors.New("non-finite state")
	// ErrScore: the SDE drift needs the score where it is singular (see interp.ScoreCoeffs).
	ErrScore = errors.New("score singular")
)

// StepError reports a failed solve: where it stopped and the work done so far.
type StepError struct {
	// Err is one of the sentinel errors (ErrStepUnderflow, ErrMaxSteps, ErrNonFinite,
	// ErrScore) or the context's error.
	Err error
	// Method is the method that failed.
	Method string
	// T is the time reached and H the step size being tried.
	T, H float64
	// Row is the first non-finite row for ErrNonFinite, else −1.
	Row int
	// Stats is the work done before the failure.
	Stats Stats
	// Cause is an underlying error, if any.
	Cause error
}

// Error implements error.
func (e *StepError) Error() string {
	s := fmt.Sprintf("solver: %s: %v at t = %.9g, step h = %.3g, after %d evaluations (%d accepted, %d rejected steps)",
		e.Method, e.Err, e.T, e.H, e.Stats.NFE, e.Stats.Accepted, e.Stats.Rejected)
	if e.Row >= 0 {
		s += fmt.Sprintf(", first bad row %d", e.Row)
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns the sentinel error and the cause.
func (e *StepError) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}
