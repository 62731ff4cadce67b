package solver

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/interflow/flowbench/internal/buf"
)

// Workspace holds the buffers of a solve. Reuse one across solves of the same batch size:
// after the first solve, further solves allocate nothing. A Workspace is not safe for
// concurrent use; the zero value is ready to use.
type Workspace struct {
	n, rows int

	k            [][]float32 // stage derivatives
	in           [][]float32 // stage inputs of a fixed step: every stage's is ytmp
	vec          [1]StageVec // the state of a fixed step
	kl           [][]float64 // stage divergences (augmented solves)
	ytmp, ynew   []float32
	y64, yn64    []float64 // the state in float64 (fixed and adaptive solves) and its candidate
	errv         []float64 // error estimate of an adaptive step; scratch of initialStep
	lnew, lacc   []float64
	errl         []float64
	rowSq        []float64 // per-row sums of squares of the adaptive error norms
	probe, noise []float32
	pcg          rand.PCG
	rng          *rand.Rand

	// the current solve
	f      Field
	df     DivField
	aug    bool
	div    DivMode
	method Method
	stats  Stats
}

// NewWorkspace returns an empty workspace (equivalent to new(Workspace)).
func NewWorkspace() *Workspace { return new(Workspace) }

// ensure sizes the buffers for n values in rows rows.
func (w *Workspace) ensure(n, rows int, aug bool) {
	const stages = 7
	for len(w.k) < stages {
		w.k = append(w.k, nil)
		w.kl = append(w.kl, nil)
	}
	for s := 0; s < stages; s++ {
		w.k[s] = buf.Grow(w.k[s], n)
		if aug {
			w.kl[s] = buf.Grow(w.kl[s], rows)
		}
	}
	w.ytmp = buf.Grow(w.ytmp, n)
	w.ynew = buf.Grow(w.ynew, n)
	w.y64 = buf.Grow(w.y64, n)
	w.yn64 = buf.Grow(w.yn64, n)
	w.errv = buf.Grow(w.errv, n)
	w.in = w.in[:0]
	for range stages {
		w.in = append(w.in, w.ytmp)
	}
	w.rowSq = buf.Grow(w.rowSq, rows)
	if aug {
		w.lnew = buf.Grow(w.lnew, rows)
		w.lacc = buf.Grow(w.lacc, rows)
	}
	if w.rng == nil {
		w.rng = rand.New(&w.pcg)
	}
	w.n, w.rows = n, rows
}

// eval evaluates the field (and divergence for augmented solves) at (t, y) into stage s.
func (w *Workspace) eval(t float64, y []float32, s int) {
	w.stats.NFE++
	if !w.aug {
		w.f.Velocity(t, y, w.k[s])
		return
	}
	if w.div == DivExact {
		w.df.VelocityDiv(t, y, w.k[s], w.kl[s])
	} else {
		w.df.VelocityDivHutchinson(t, y, w.k[s], w.kl[s], w.probe)
	}
}

// Solve integrates dx/dt = v(t, x) from t0 to t1 (backward when t1 < t0) for every row of
// x, in place, with the method and controls of opt. It uses a fresh workspace; reuse a
// Workspace to avoid allocating.
func Solve(ctx context.Context, f Field, x []float32, t0, t1 float64, opt *Options) (Stats, error) {
	var w Workspace
	return w.Solve(ctx, f, x, t0, t1, opt)
}

// Solve integrates dx/dt = v(t, x) from t0 to t1 (backward when t1 < t0) for every row of
// x, in place. The last step lands exactly on t1. On failure x holds the state at the time
// reported by the *StepError (for a fixed-step method, possibly the non-finite state of the
// failed step). ctx is checked once per step; when it is done the solve stops with a
// StepError wrapping ctx.Err().
func (w *Workspace) Solve(ctx context.Context, f Field, x []float32, t0, t1 float64, opt *Options) (Stats, error) {
	if err := w.setup(f, nil, x, nil, t0, t1, opt); err != nil {
		return Stats{}, err
	}
	return w.run(ctx, x, nil, t0, t1, opt)
}

// SolveDiv integrates the augmented system dx/dt = v(t, x), dℓ/dt = div v(t, x) from t0 to
// t1: x in place, and ell[i] += ∫_{t0}^{t1} div v dt along row i (accumulated in float64).
// The divergence is exact or a Hutchinson estimate (opt.Div) whose probe is drawn once per
// call from opt.ProbeSeed, row by row, and kept along each trajectory. With adaptive
// methods the error control covers ℓ as one more component of each row.
func (w *Workspace) SolveDiv(ctx context.Context, f DivField, x []float32, ell []float64, t0, t1 float64, opt *Options) (Stats, error) {
	if err := w.setup(f, f, x, ell, t0, t1, opt); err != nil {
		return Stats{}, err
	}
	return w.run(ctx, x, ell, t0, t1, opt)
}

func (w *Workspace) setup(f Field, df DivField, x []float32, ell []float64, t0, t1 float64, opt *Options) error {
	if opt == nil {
		return fmt.Errorf("solver: nil Options")
	}
	if err := opt.Validate(); err != nil {
		return err
	}
	if math.IsNaN(t0) || math.IsInf(t0, 0) || math.IsNaN(t1) || math.IsInf(t1, 0) {
		return fmt.Errorf("solver: times t0 = %g, t1 = %g must be finite", t0, t1)
	}
	d := f.Dim()
	if d < 1 || len(x)%d != 0 {
		return fmt.Errorf("solver: state has %d values, not a multiple of the field's dimension %d", len(x), d)
	}
	rows := len(x) / d
	if df != nil && len(ell) != rows {
		return fmt.Errorf("solver: ell has %d values for %d rows", len(ell), rows)
	}
	w.ensure(len(x), rows, df != nil)
	w.f, w.df, w.aug, w.div, w.method = f, df, df != nil, opt.Div, opt.Method
	w.stats = Stats{}
	if df != nil && opt.Div != DivExact {
		w.drawProbe(opt.Div, opt.ProbeSeed)
	}
	return nil
}

// drawProbe fills the Hutchinson probe row by row from seed.
func (w *Workspace) drawProbe(mode DivMode, seed uint64) {
	w.probe = buf.Grow(w.probe, w.n)
	w.pcg.Seed(seed, 0x70726f6265)
	if mode == DivGaussian {
		for i := range w.probe {
			w.probe[i] = float32(w.rng.NormFloat64())
		}
		return
	}
	var bits uint64
	for i := range w.probe {
		if i%64 == 0 {
			bits = w.rng.Uint64()
		}
		w.probe[i] = float32(1 - 2*int(bits&1))
		bits >>= 1
	}
}

func (w *Workspace) fail(err error, t, h float64, row int, cause error) error {
	return &StepError{Err: err, Method: w.method.String(), T: t, H: h, Row: row, Stats: w.stats, Cause: cause}
}

// firstNonFinite returns the first row holding a NaN or infinity in x or ell, or −1.
func firstNonFinite(x []float32, ell []float64, rows int) int {
	d := len(x) / max(rows, 1)
	for i, v := range x {
		if v-v != 0 {
			return i / d
		}
	}
	for i, v := range ell {
		if v-v != 0 {
			return i
		}
	}
	return -1
}

func (w *Workspace) run(ctx context.Context, x []float32, ell []float64, t0, t1 float64, opt *Options) (Stats, error) {
	if r := firstNonFinite(x, ell, w.rows); r >= 0 {
		return w.stats, w.fail(ErrNonFinite, t0, 0, r, nil)
	}
	if w.rows == 0 || t0 == t1 {
		return w.stats, nil
	}
	var err error
	if opt.Method.Adaptive() {
		err = w.adaptive(ctx, x, ell, t0, t1, opt)
	} else {
		err = w.fixed(ctx, x, ell, t0, t1, opt)
	}
	return w.stats, err
}

// fixed takes opt.Steps equal steps through the method's Stepper, the last one ending
// exactly at t1. The state is advanced in float64 (StageVec.Y64, x its rounding) and ℓ in
// float64, so that neither loses precision as the step count grows.
func (w *Workspace) fixed(ctx context.Context, x []float32, ell []float64, t0, t1 float64, opt *Options) error {
	st := &steppers[opt.Method]
	tab := st.tab
	S := tab.stages
	y64 := w.y64[:len(x)]
	for i, v := range x {
		y64[i] = float64(v)
	}
	vs := w.vec[:]
	vs[0] = StageVec{Y: x, Y64: y64, K: w.k[:S], In: w.in[:S]}
	h := (t1 - t0) / float64(opt.Steps)
	for n := 0; n < opt.Steps; n++ {
		t := t0 + float64(n)*h
		hn := h
		last := n == opt.Steps-1
		if last {
			hn = t1 - t
		}
		if err := ctx.Err(); err != nil {
			return w.fail(err, t, hn, -1, context.Cause(ctx))
		}
		st.Step(t, hn, vs, func(i int, ti float64) {
			if last && tab.c[i] == 1 {
				ti = t1
			}
			w.eval(ti, vs[0].Input(i), i)
		})
		if ell != nil {
			for i := range ell {
				acc := 0.0
				for s := 0; s < S; s++ {
					acc += tab.b[s] * w.kl[s][i]
				}
				ell[i] += hn * acc
			}
		}
		w.stats.Accepted++
		w.stats.LastStep = hn
		if r := firstNonFinite(x, ell, w.rows); r >= 0 {
			return w.fail(ErrNonFinite, t+hn, hn, r, nil)
		}
	}
	return nil
}
