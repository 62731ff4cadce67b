// Package interp defines the interpolants x_t = a(t)·x0 + b(t)·x1 that join the base density
// (t = 0) to the data (t = 1), the time samplers of training, and the score of a Gaussian
// base recovered from a velocity.
package interp

import "math"

// Interpolant is an affine path x_t = a(t)·x0 + b(t)·x1 with a(0)=1, a(1)=0, b(0)=0, b(1)=1.
type Interpolant interface {
	// Coeffs returns a(t), b(t) and their time derivatives ȧ(t), ḃ(t).
	Coeffs(t float64) (a, b, da, db float64)
	// Name returns the interpolant's name as used in configurations ("trig", "linear", ...).
	Name() string
}

// Trig is the trigonometric interpolant of the paper: a = cos(πt/2), b = sin(πt/2).
type Trig struct{}

// Coeffs implements Interpolant.
func (Trig) Coeffs(t float64) (a, b, da, db float64) {
	s, c := math.Sincos(math.Pi / 2 * t)
	return c, s, -math.Pi / 2 * s, math.Pi / 2 * c
}

// Name implements Interpolant.
func (Trig) Name() string { return "trig" }

// Linear is the linear interpolant a = 1 − t, b = t.
type Linear struct{}

// Coeffs implements Interpolant.
func (Linear) Coeffs(t float64) (a, b, da, db float64) { return 1 - t, t, -1, 1 }

// Name implements Interpolant.
func (Linear) Name() string { return "linear" }

// Batch evaluates the interpolant for a batch of B rows of dimension d with one time per
// row: xt[i,:] = a(t_i)·x0[i,:] + b(t_i)·x1[i,:] and dxt[i,:] = ȧ(t_i)·x0[i,:] + ḃ(t_i)·x1[i,:].
func Batch(ip Interpolant, d int, t []float64, x0, x1, xt, dxt []float32) {
	for i, ti := range t {
		a, b, da, db := ip.Coeffs(ti)
		fa, fb, fda, fdb := float32(a), float32(b), float32(da), float32(db)
		r0, r1 := x0[i*d:i*d+d], x1[i*d:i*d+d]
		o, od := xt[i*d:i*d+d], dxt[i*d:i*d+d]
		for j := range r0 {
			o[j] = fa*r0[j] + fb*r1[j]
			od[j] = fda*r0[j] + fdb*r1[j]
		}
	}
}
