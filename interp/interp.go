// Package interp defines the interpolants x_t = a(t)·x0 + b(t)·x1 (+ γ(t)·z) that join the
// base density (t = 0) to the data (t = 1), the time samplers of training, and the score of
// a Gaussian base recovered from a velocity.
//
// The package knows nothing of solvers or networks; GaussianField, the exact velocity of a
// Gaussian-to-Gaussian transport, satisfies solver.Field and solver.DivField structurally.
package interp

import (
	"fmt"
	"math"
)

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

// Affine is an interpolant built from user functions a, b and their derivatives. Build it
// with NewAffine, which checks the endpoint conditions and that the derivatives match the
// functions.
type Affine struct {
	name         string
	a, b, da, db func(t float64) float64
}

// NewAffine returns the interpolant x_t = a(t)·x0 + b(t)·x1 with the given derivatives
// da = ȧ and db = ḃ. It checks a(0)=1, a(1)=0, b(0)=0, b(1)=1 (to 1e-9), that every value
// is finite on [0, 1], and that da and db agree with central finite differences of a and b
// at a few interior times (to a relative 1e-4), and names the failing condition otherwise.
func NewAffine(name string, a, b, da, db func(t float64) float64) (*Affine, error) {
	if a == nil || b == nil || da == nil || db == nil {
		return nil, fmt.Errorf("interp: affine interpolant %q: a, b, da and db must all be given", name)
	}
	ip := &Affine{name: name, a: a, b: b, da: da, db: db}
	if err := Check(ip); err != nil {
		return nil, err
	}
	return ip, nil
}

// Coeffs implements Interpolant.
func (p *Affine) Coeffs(t float64) (a, b, da, db float64) { return p.a(t), p.b(t), p.da(t), p.db(t) }

// Name implements Interpolant.
func (p *Affine) Name() string { return p.name }

// Check verifies an interpolant: endpoint conditions a(0)=1, a(1)=0, b(0)=0, b(1)=1 to
// 1e-9, finite coefficients on a grid of [0, 1], and derivatives that match central finite
// differences (relative 1e-4) at interior times. The error names the condition and t.
func Check(ip Interpolant) error {
	a0, b0, _, _ := ip.Coeffs(0)
	a1, b1, _, _ := ip.Coeffs(1)
	const tol = 1e-9
	switch {
	case math.Abs(a0-1) > tol:
		return fmt.Errorf("interp: interpolant %q: a(0) = %g, want 1", ip.Name(), a0)
	case math.Abs(b0) > tol:
		return fmt.Errorf("interp: interpolant %q: b(0) = %g, want 0", ip.Name(), b0)
	case math.Abs(a1) > tol:
		return fmt.Errorf("interp: interpolant %q: a(1) = %g, want 0", ip.Name(), a1)
	case math.Abs(b1-1) > tol:
		return fmt.Errorf("interp: interpolant %q: b(1) = %g, want 1", ip.Name(), b1)
	}
	for i := 0; i <= 64; i++ {
		t := float64(i) / 64
		a, b, da, db := ip.Coeffs(t)
		for k, v := range [4]float64{a, b, da, db} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("interp: interpolant %q: %s(%g) = %g is not finite", ip.Name(), [4]string{"a", "b", "da", "db"}[k], t, v)
			}
		}
	}
	const h = 1e-5
	for _, t := range []float64{0.013, 0.25, 0.5, 0.77, 0.987} {
		ap, bp, _, _ := ip.Coeffs(t + h)
		am, bm, _, _ := ip.Coeffs(t - h)
		_, _, da, db := ip.Coeffs(t)
		fa, fb := (ap-am)/(2*h), (bp-bm)/(2*h)
		if math.Abs(fa-da) > 1e-4*max(1, math.Abs(fa)) {
			return fmt.Errorf("interp: interpolant %q: da(%g) = %g but the finite difference of a is %g", ip.Name(), t, da, fa)
		}
		if math.Abs(fb-db) > 1e-4*max(1, math.Abs(fb)) {
			return fmt.Errorf("interp: interpolant %q: db(%g) = %g but the finite difference of b is %g", ip.Name(), t, db, fb)
		}
	}
	return nil
}

// Fourier is the learnable interpolant
//
//	a(t) = cos(πt/2) + Σ_m Alpha[m−1]·sin(mπt),  b(t) = sin(πt/2) + Σ_m Beta[m−1]·sin(mπt)
//
// for m = 1..len(Alpha) (Alpha and Beta have the same length). Every sin(mπt) vanishes at
// t = 0 and t = 1, so the endpoint conditions hold for any coefficients. The coefficients are
// the parameters of the path-length max–min; Grad gives their gradients.
type Fourier struct {
	Alpha, Beta []float64
}

// NewFourier returns a Fourier interpolant with m zero coefficients per function (it starts
// as Trig).
func NewFourier(m int) *Fourier {
	return &Fourier{Alpha: make([]float64, m), Beta: make([]float64, m)}
}

// Coeffs implements Interpolant.
func (p *Fourier) Coeffs(t float64) (a, b, da, db float64) {
	s, c := math.Sincos(math.Pi / 2 * t)
	a, b, da, db = c, s, -math.Pi/2*s, math.Pi/2*c
	for i := range p.Alpha {
		w := float64(i+1) * math.Pi
		sm, cm := math.Sincos(w * t)
		a += p.Alpha[i] * sm
		da += p.Alpha[i] * w * cm
		b += p.Beta[i] * sm
		db += p.Beta[i] * w * cm
	}
	return a, b, da, db
}

// Name implements Interpolant.
func (p *Fourier) Name() string { return "fourier" }

// Grad accumulates the chain rule for a scalar loss L that depends on the coefficients at
// time t through ga = ∂L/∂a, gb = ∂L/∂b, gda = ∂L/∂ȧ and gdb = ∂L/∂ḃ:
//
//	gAlpha[m−1] += ga·sin(mπt) + gda·mπ·cos(mπt),  gBeta[m−1] += gb·sin(mπt) + gdb·mπ·cos(mπt).
//
// gAlpha and gBeta must have len(p.Alpha) elements.
func (p *Fourier) Grad(t, ga, gb, gda, gdb float64, gAlpha, gBeta []float64) {
	if len(gAlpha) != len(p.Alpha) || len(gBeta) != len(p.Beta) {
		panic("interp: Fourier.Grad gradient lengths differ from the coefficients")
	}
	for i := range p.Alpha {
		w := float64(i+1) * math.Pi
		sm, cm := math.Sincos(w * t)
		gAlpha[i] += ga*sm + gda*w*cm
		gBeta[i] += gb*sm + gdb*w*cm
	}
}

// Noise is the optional latent term γ(t)·z of a stochastic interpolant, with
// γ(0) = γ(1) = 0.
type Noise interface {
	// Gamma returns γ(t) and γ̇(t).
	Gamma(t float64) (g, dg float64)
	// Name returns the noise term's name ("sqrt", "sin", ...).
	Name() string
}

// SqrtNoise is γ(t) = Scale·sqrt(2t(1−t)). Its derivative is infinite at t = 0 and t = 1;
// Gamma returns γ̇ = 0 there (a training loss never samples the endpoints exactly).
type SqrtNoise struct{ Scale float64 }

// Gamma implements Noise.
func (n SqrtNoise) Gamma(t float64) (g, dg float64) {
	q := 2 * t * (1 - t)
	if q <= 0 {
		return 0, 0
	}
	r := math.Sqrt(q)
	return n.Scale * r, n.Scale * (1 - 2*t) / r
}

// Name implements Noise.
func (SqrtNoise) Name() string { return "sqrt" }

// SinNoise is γ(t) = Scale·sin(πt), smooth at both ends.
type SinNoise struct{ Scale float64 }

// Gamma implements Noise.
func (n SinNoise) Gamma(t float64) (g, dg float64) {
	s, c := math.Sincos(math.Pi * t)
	return n.Scale * s, n.Scale * math.Pi * c
}

// Name implements Noise.
func (SinNoise) Name() string { return "sin" }

// Noisy is the stochastic interpolant x_t = a(t)·x0 + b(t)·x1 + γ(t)·z with z ~ N(0, I)
// independent of x0 and x1. Its Coeffs are those of Base (the deterministic part); use
// BatchNoise to evaluate it. For a N(0, I) base, a·x0 + γ·z is distributed as ã·x0 with
// ã = sqrt(a² + γ²), so the learned velocity is that of the affine interpolant (ã, b):
// Marginal returns those coefficients, and the score and Gaussian fields use them.
type Noisy struct {
	Base  Interpolant
	Noise Noise
}

// Coeffs implements Interpolant with the deterministic coefficients of Base.
func (p Noisy) Coeffs(t float64) (a, b, da, db float64) { return p.Base.Coeffs(t) }

// Name implements Interpolant: "<base>+<noise>".
func (p Noisy) Name() string { return p.Base.Name() + "+" + p.Noise.Name() }

// Gamma returns γ(t) and γ̇(t).
func (p Noisy) Gamma(t float64) (g, dg float64) { return p.Noise.Gamma(t) }

// Marginal returns the coefficients of the affine interpolant with the same velocity field
// and marginals as ip for a N(0, I) base: ip's own Coeffs, or for a Noisy interpolant
// ã = sqrt(a² + γ²), ȧ̃ = (a·ȧ + γ·γ̇)/ã (ȧ̃ = ȧ where ã = 0).
func Marginal(ip Interpolant, t float64) (a, b, da, db float64) {
	a, b, da, db = ip.Coeffs(t)
	if n, ok := ip.(Noisy); ok && n.Noise != nil {
		g, dg := n.Noise.Gamma(t)
		at := math.Hypot(a, g)
		if at > 0 {
			da = (a*da + g*dg) / at
		}
		a = at
	}
	return a, b, da, db
}

// Batch evaluates the interpolant for a batch of B rows of dimension d with one time per
// row: xt[i,:] = a(t_i)·x0[i,:] + b(t_i)·x1[i,:] and dxt[i,:] = ȧ(t_i)·x0[i,:] + ḃ(t_i)·x1[i,:].
// It panics for a Noisy interpolant with a noise term (use BatchNoise).
func Batch(ip Interpolant, d int, t []float64, x0, x1, xt, dxt []float32) {
	if n, ok := ip.(Noisy); ok && n.Noise != nil {
		panic("interp: Batch on a Noisy interpolant; use BatchNoise")
	}
	BatchNoise(ip, d, t, x0, x1, nil, xt, dxt)
}

// BatchNoise is Batch with the latent term of a Noisy interpolant: xt[i,:] += γ(t_i)·z[i,:]
// and dxt[i,:] += γ̇(t_i)·z[i,:]. z is ignored (and may be nil) when ip is not Noisy.
func BatchNoise(ip Interpolant, d int, t []float64, x0, x1, z, xt, dxt []float32) {
	n := len(t) * d
	if len(x0) < n || len(x1) < n || len(xt) < n || len(dxt) < n {
		panic(fmt.Sprintf("interp: batch of %d rows of %d needs %d values per operand", len(t), d, n))
	}
	noisy, isNoisy := ip.(Noisy)
	if isNoisy && noisy.Noise != nil {
		if len(z) < n {
			panic("interp: BatchNoise needs z for a Noisy interpolant")
		}
	} else {
		isNoisy = false
	}
	for i, ti := range t {
		a, b, da, db := ip.Coeffs(ti)
		fa, fb, fda, fdb := float32(a), float32(b), float32(da), float32(db)
		r0, r1 := x0[i*d:i*d+d], x1[i*d:i*d+d]
		o, od := xt[i*d:i*d+d], dxt[i*d:i*d+d]
		for j := range r0 {
			o[j] = fa*r0[j] + fb*r1[j]
			od[j] = fda*r0[j] + fdb*r1[j]
		}
		if isNoisy {
			g, dg := noisy.Noise.Gamma(ti)
			fg, fdg := float32(g), float32(dg)
			rz := z[i*d : i*d+d]
			for j := range rz {
				o[j] += fg * rz[j]
				od[j] += fdg * rz[j]
			}
		}
	}
}

// Parse returns the interpolant named in a configuration: "trig", "linear" or
// "fourier:M" (M ≥ 0 zero coefficients), optionally followed by "+sqrt:S" or "+sin:S" for a
// latent noise term of scale S (e.g. "linear+sqrt:1").
func Parse(spec string) (Interpolant, error) {
	base, noise, hasNoise := cut(spec, '+')
	var ip Interpolant
	name, arg, hasArg := cut(base, ':')
	switch name {
	case "trig":
		ip = Trig{}
	case "linear":
		ip = Linear{}
	case "fourier":
		m := 0
		if hasArg {
			if _, err := fmt.Sscanf(arg, "%d", &m); err != nil || m < 0 || m > 1024 {
				return nil, fmt.Errorf("interp: %q: fourier needs a count 0..1024 after ':', got %q", spec, arg)
			}
		}
		ip = NewFourier(m)
		hasArg = false
	default:
		return nil, fmt.Errorf("interp: unknown interpolant %q (want trig, linear or fourier:M, optionally +sqrt:S or +sin:S)", spec)
	}
	if hasArg {
		return nil, fmt.Errorf("interp: %q: %s takes no argument", spec, name)
	}
	if !hasNoise {
		return ip, nil
	}
	nname, narg, _ := cut(noise, ':')
	scale := 1.0
	if narg != "" {
		if _, err := fmt.Sscanf(narg, "%g", &scale); err != nil || !(scale >= 0) || math.IsInf(scale, 0) {
			return nil, fmt.Errorf("interp: %q: noise scale %q is not a finite number ≥ 0", spec, narg)
		}
	}
	switch nname {
	case "sqrt":
		return Noisy{Base: ip, Noise: SqrtNoise{Scale: scale}}, nil
	case "sin":
		return Noisy{Base: ip, Noise: SinNoise{Scale: scale}}, nil
	}
	return nil, fmt.Errorf("interp: %q: unknown noise term %q (want sqrt or sin)", spec, nname)
}

// Spec returns the configuration string of ip that Parse reads back into an interpolant of
// the same kind and shape: "fourier:M" for a Fourier interpolant (its coefficients are
// values, not configuration), "linear+sqrt:0.5" for a noisy one, and Name otherwise. For an
// interpolant Parse does not know (an Affine, a program's own type), Parse(Spec(ip)) fails.
func Spec(ip Interpolant) string {
	switch p := ip.(type) {
	case *Fourier:
		return fmt.Sprintf("fourier:%d", len(p.Alpha))
	case Noisy:
		scale := math.NaN()
		switch n := p.Noise.(type) {
		case SqrtNoise:
			scale = n.Scale
		case SinNoise:
			scale = n.Scale
		}
		if math.IsNaN(scale) {
			return p.Name()
		}
		return fmt.Sprintf("%s+%s:%g", Spec(p.Base), p.Noise.Name(), scale)
	}
	return ip.Name()
}

func cut(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
