package solver

import (
	"context"
	"math"

	"github.com/interflow/flowbench/internal/buf"
)

// errNorm returns the scaled error norm of a step from (y, l) to (yn, ln) whose error
// estimate is in ev (and, for augmented solves, el): the RMS over the batch, or the largest
// per-row RMS, of err/(atol + rtol·max(|y|, |yn|)). It returns NaN when yn or ln holds a
// non-finite value.
func (w *Workspace) errNorm(norm Norm, y, yn, ev []float64, l, ln, el []float64, rtol, atol float64) float64 {
	d := len(y) / w.rows
	sq := w.rowSq
	for r := range sq {
		sum := 0.0
		for j := r * d; j < r*d+d; j++ {
			a, b := y[j], yn[j]
			if b-b != 0 {
				return math.NaN()
			}
			sc := atol + rtol*max(math.Abs(a), math.Abs(b))
			e := ev[j] / sc
			sum += e * e
		}
		if l != nil {
			if ln[r]-ln[r] != 0 {
				return math.NaN()
			}
			sc := atol + rtol*max(math.Abs(l[r]), math.Abs(ln[r]))
			e := el[r] / sc
			sum += e * e
		}
		sq[r] = sum
	}
	return rowRMS(norm, sq, d, l != nil)
}

// initNorm is errNorm's companion for the initial step selection: the norm of v/scale with
// scale = atol + rtol·|y|; v, vl may be the state itself or a derivative.
func (w *Workspace) initNorm(norm Norm, y, v []float64, l, vl []float64, rtol, atol float64) float64 {
	d := len(y) / w.rows
	sq := w.rowSq
	for r := range sq {
		sum := 0.0
		for j := r * d; j < r*d+d; j++ {
			e := v[j] / (atol + rtol*math.Abs(y[j]))
			sum += e * e
		}
		if l != nil {
			e := vl[r] / (atol + rtol*math.Abs(l[r]))
			sum += e * e
		}
		sq[r] = sum
	}
	return rowRMS(norm, sq, d, l != nil)
}

// rowRMS reduces the rows' sums of squares sq, each over d components (d + 1 with the
// augmented ℓ), to their RMS over the batch or, for NormRow, to the largest per-row RMS.
func rowRMS(norm Norm, sq []float64, d int, aug bool) float64 {
	per := float64(d)
	if aug {
		per++
	}
	if norm == NormRow {
		worst := 0.0
		for _, sum := range sq {
			worst = max(worst, sum/per)
		}
		return math.Sqrt(worst)
	}
	total := 0.0
	for _, sum := range sq {
		total += sum
	}
	return math.Sqrt(total / (per * float64(len(sq))))
}

// initialStep chooses the first step size as in Hairer, Nørsett and Wanner (Solving ODEs I,
// II.4) and SciPy's select_initial_step, with stage 0 holding f(t0, y). It costs one
// evaluation (into stage 1). errv is its scratch.
func (w *Workspace) initialStep(y []float64, l []float64, t0, dir, span float64, tab *tableau, opt *Options, rtol, atol float64) float64 {
	var l0 []float64
	if l != nil {
		l0 = w.kl[0]
	}
	dv := w.errv[:len(y)]
	for i, v := range w.k[0][:len(y)] {
		dv[i] = float64(v)
	}
	d0 := w.initNorm(opt.Norm, y, y, l, l, rtol, atol)
	d1 := w.initNorm(opt.Norm, y, dv, l, l0, rtol, atol)
	h0 := 1e-6
	if d0 >= 1e-5 && d1 >= 1e-5 {
		h0 = 0.01 * d0 / d1
	}
	if !(h0 > 0) || math.IsInf(h0, 0) { // tolerances so small that the norms overflow
		h0 = 1e-6
	}
	h0 = min(h0, span)
	combine64(nil, w.ytmp, y, dir*h0, one64, w.k[:1])
	w.eval(t0+dir*h0, w.ytmp, 1)
	// difference of the derivatives, scaled: reuse errv and lnew as scratch
	for i := range dv {
		dv[i] = float64(w.k[1][i]) - float64(w.k[0][i])
	}
	var dl []float64
	if l != nil {
		dl = w.lnew
		for i := range dl {
			dl[i] = w.kl[1][i] - w.kl[0][i]
		}
	}
	d2 := w.initNorm(opt.Norm, y, dv, l, dl, rtol, atol) / h0
	var h1 float64
	if d1 <= 1e-15 && d2 <= 1e-15 {
		h1 = max(1e-6, h0*1e-3)
	} else {
		h1 = math.Pow(0.01/max(d1, d2), 1/float64(tab.errOrder+1))
	}
	if h1 != h1 {
		h1 = 0 // reported as a step-size underflow at t0
	}
	return min(100*h0, h1, span)
}

var one64 = []float64{1}

// stageTime returns t + c·h, or exactly end, the step's end, when c = 1.
func stageTime(t, c, h, end float64) float64 {
	if c == 1 {
		return end
	}
	return t + c*h
}

// adaptive integrates with error control (Dopri5, Bosh3: FSAL tableaus). The state is kept
// in float64 (y64, its candidate yn64) and the stage inputs and the solution the last stage
// is evaluated at are its float32 roundings; the combinations and the error estimate are
// computed in float64 (combine64), so that a tolerance near float32 resolution is not
// defeated by the rounding of the state at every step.
func (w *Workspace) adaptive(ctx context.Context, x []float32, ell []float64, t0, t1 float64, opt *Options) error {
	tab := tableaus[opt.Method]
	S := tab.stages
	rtol := orDefault(opt.RTol, DefaultRTol)
	atol := orDefault(opt.ATol, DefaultATol)
	maxSteps := orDefault(opt.MaxSteps, DefaultMaxSteps)
	safety := orDefault(opt.Safety, DefaultSafety)
	minF := orDefault(opt.MinFactor, DefaultMinFactor)
	maxF := orDefault(opt.MaxFactor, DefaultMaxFactor)
	expo := -1 / float64(tab.errOrder+1)
	dir := 1.0
	if t1 < t0 {
		dir = -1
	}
	span := math.Abs(t1 - t0)
	maxStep := span
	if opt.MaxStep > 0 {
		maxStep = min(maxStep, opt.MaxStep)
	}

	y, yn := x, w.ynew // float32 roundings of y64, yn64: the field's inputs
	y64, yn64 := w.y64[:len(x)], w.yn64[:len(x)]
	for i, v := range x {
		y64[i] = float64(v)
	}
	ev := w.errv[:len(x)]
	var l, ln []float64
	if ell != nil {
		// ℓ is integrated from 0 in lacc so that its tolerance scale does not depend on the
		// caller's offset; ell receives the increment at the end.
		l, ln = w.lacc, w.lnew
		clear(l)
	}
	t := t0
	w.eval(t, y, 0)
	if r := firstNonFinite(w.k[0], nil, w.rows); r >= 0 {
		return w.fail(ErrNonFinite, t, 0, r, nil)
	}
	h := opt.FirstStep
	if h == 0 {
		h = w.initialStep(y64, l, t0, dir, span, tab, opt, rtol, atol)
	}
	var lastBad bool // the last rejection was caused by a non-finite value
	var err error
	for err == nil && t != t1 {
		minStep := max(opt.MinStep, 10*math.Abs(math.Nextafter(t, dir*math.Inf(1))-t))
		h = min(h, maxStep)
		rejected := false
		for {
			if e := ctx.Err(); e != nil {
				err = w.fail(e, t, dir*h, -1, context.Cause(ctx))
				break
			}
			if h < minStep && h < math.Abs(t1-t) {
				kind := ErrStepUnderflow
				if lastBad {
					kind = ErrNonFinite
				}
				err = w.fail(kind, t, dir*h, -1, nil)
				break
			}
			if w.stats.Accepted+w.stats.Rejected >= maxSteps {
				err = w.fail(ErrMaxSteps, t, dir*h, -1, nil)
				break
			}
			tn := t + dir*h
			if dir*(tn-t1) > 0 || math.Abs(t1-tn) < minStep {
				tn = t1
			}
			hs := tn - t
			h = math.Abs(hs)
			for s := 1; s < S-1; s++ {
				combine64(nil, w.ytmp, y64, hs, tab.a[s], w.k[:s])
				w.eval(stageTime(t, tab.c[s], hs, tn), w.ytmp, s)
			}
			// FSAL: the last stage is evaluated at the new solution.
			combine64(yn64, yn, y64, hs, tab.b[:S-1], w.k[:S-1])
			w.eval(tn, yn, S-1)
			combine64(ev, nil, nil, hs, tab.e, w.k[:S])
			var el []float64
			if l != nil {
				el = w.errL(tab, l, ln, hs)
			}
			ratio := w.errNorm(opt.Norm, y64, yn64, ev, l, ln, el, rtol, atol)
			if ratio < 1 {
				factor := maxF
				if ratio > 0 {
					factor = min(maxF, safety*math.Pow(ratio, expo))
				}
				if rejected {
					factor = min(1, factor)
				}
				t = tn
				y, yn = yn, y
				y64, yn64 = yn64, y64
				w.k[0], w.k[S-1] = w.k[S-1], w.k[0]
				if l != nil {
					l, ln = ln, l
					w.kl[0], w.kl[S-1] = w.kl[S-1], w.kl[0]
				}
				w.stats.Accepted++
				w.stats.LastStep = hs
				h *= factor
				lastBad = false
				break
			}
			w.stats.Rejected++
			rejected = true
			lastBad = math.IsNaN(ratio)
			if lastBad {
				h *= minF
			} else {
				h *= max(minF, safety*math.Pow(ratio, expo))
			}
		}
	}
	if &y[0] != &x[0] {
		copy(x, y) // y is w.ynew, which stays the workspace's buffer
	}
	if ell != nil {
		for i := range ell {
			ell[i] += l[i]
		}
		w.lacc, w.lnew = l, ln
		if err == nil {
			if r := firstNonFinite(nil, ell, w.rows); r >= 0 {
				err = w.fail(ErrNonFinite, t, 0, r, nil)
			}
		}
	}
	return err
}

// errL computes the new ℓ into ln (float64) and returns its error estimate (in w.errl).
// Stage-outer loops: ln and errl first accumulate Σ_s b_s·kl_s and Σ_s e_s·kl_s in stage
// order, then ln = l + h·Σ and errl = h·Σ.
func (w *Workspace) errL(tab *tableau, l, ln []float64, hs float64) []float64 {
	w.errl = buf.Grow(w.errl, len(l))
	el := w.errl[:len(l)]
	ln = ln[:len(l)]
	for s := 0; s < tab.stages; s++ {
		k := w.kl[s][:len(l)]
		b, e := tab.b[s], tab.e[s]
		if s == 0 {
			for i, v := range k {
				ln[i] = b * v
				el[i] = e * v
			}
			continue
		}
		for i, v := range k {
			ln[i] += b * v
			el[i] += e * v
		}
	}
	for i := range ln {
		ln[i] = l[i] + hs*ln[i]
		el[i] *= hs
	}
	return el
}
