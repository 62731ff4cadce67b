package interp

import (
	"errors"
	"fmt"
	"math"
)

// ErrScoreSingular is returned (wrapped) by ScoreCoeffs and ScoreFromVelocity at times where
// the score cannot be recovered from the velocity: at t = 1 (a(t) = 0) and wherever
// a·(a·ḃ − ȧ·b) vanishes.
var ErrScoreSingular = errors.New("score from velocity is singular")

// MinScoreDenominator is the smallest |a·(a·ḃ − ȧ·b)| for which ScoreCoeffs returns a
// score. For Trig this is reached at 1 − t ≈ 4·10⁻⁷.
const MinScoreDenominator = 1e-6

// ScoreCoeffs returns cv and cx such that the score of the marginal density at t, for a
// N(0, I) base, is s = cv·v + cx·x, where v is the velocity at (t, x):
//
//	s = (b·v − ḃ·x) / (a·(a·ḃ − ȧ·b)),  i.e. cv = b/D, cx = −ḃ/D with D = a·(a·ḃ − ȧ·b),
//
// using the Marginal coefficients of ip (so Noisy interpolants are handled). For Trig,
// s = −x + (2/π)·tan(πt/2)·v.
//
// Near t = 1 the formula is singular: a(t) → 0 and any error δv of the velocity enters the
// score as cv·δv with cv ~ 1/a (for Trig, (2/π)·tan(πt/2) ≈ 4/(π²(1−t))). ScoreCoeffs
// returns an error wrapping ErrScoreSingular when |D| < MinScoreDenominator or t is
// outside [0, 1]; callers that integrate to t = 1 should weight the score by a factor that
// vanishes there (see the SDE schedules of package solver) or stop early.
func ScoreCoeffs(ip Interpolant, t float64) (cv, cx float64, err error) {
	if !(t >= 0 && t <= 1) {
		return 0, 0, fmt.Errorf("interp: score at t = %g outside [0, 1]: %w", t, ErrScoreSingular)
	}
	a, b, da, db := Marginal(ip, t)
	den := a * (a*db - da*b)
	if !(math.Abs(den) >= MinScoreDenominator) || math.IsInf(den, 0) {
		return 0, 0, fmt.Errorf("interp: score of %q at t = %g: a·(a·ḃ − ȧ·b) = %g: %w", ip.Name(), t, den, ErrScoreSingular)
	}
	return b / den, -db / den, nil
}

// ScoreFromVelocity writes into s the score ∇log ρ_t(x) of every row recovered from the
// velocity v at (t, x) for a N(0, I) base: s = cv·v + cx·x (see ScoreCoeffs, including its
// behaviour near t = 1). x, v and s have the same length; s may alias x or v.
func ScoreFromVelocity(ip Interpolant, t float64, x, v, s []float32) error {
	if len(v) != len(x) || len(s) != len(x) {
		panic(fmt.Sprintf("interp: ScoreFromVelocity lengths x %d, v %d, s %d differ", len(x), len(v), len(s)))
	}
	cv, cx, err := ScoreCoeffs(ip, t)
	if err != nil {
		return err
	}
	fv, fx := float32(cv), float32(cx)
	for i := range x {
		s[i] = fv*v[i] + fx*x[i]
	}
	return nil
}
