package interp

import (
	"fmt"
	"math"
)

// GaussianField is the exact velocity field of an interpolant between the base N(0, I) and
// the target N(m, diag σ²): with x = a·x0 + b·x1 the marginal at t is N(μ, diag S) with
// μ = b·m and S_j = a² + b²σ_j², and Gaussian conditioning gives
//
//	v(t, x) = ȧ·E[x0|x] + ḃ·E[x1|x] = ḃ·m + k ⊙ (x − μ),  k_j = (a·ȧ + b·ḃ·σ_j²)/S_j = Ṡ_j/(2S_j),
//
// (Marginal coefficients, so Noisy interpolants work too). Its divergence is Σ_j k_j, its
// flow map and log-densities are known in closed form, which makes it the reference for
// solver tests. It satisfies solver.Field and solver.DivField. The velocity is computed in
// float64 and rounded once, so that its flow agrees with the float64 divergence Σ_j k_j to
// float32 resolution (rates rounded to float32 would shift the log-det by about
// d·6e-8 nats, systematically). The methods use scratch space in the field: do not call
// them concurrently on one value.
type GaussianField struct {
	Interp    Interpolant
	Mean, Std []float64

	k, c []float64
}

// NewGaussianField returns the exact field for the target N(mean, diag std²). mean and std
// must have the same non-zero length, std finite and > 0.
func NewGaussianField(ip Interpolant, mean, std []float64) (*GaussianField, error) {
	if len(mean) == 0 || len(mean) != len(std) {
		return nil, fmt.Errorf("interp: Gaussian field: mean has %d values and std %d; want the same, > 0", len(mean), len(std))
	}
	for j, s := range std {
		if !(s > 0) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("interp: Gaussian field: std[%d] = %g, want finite and > 0", j, s)
		}
		if math.IsNaN(mean[j]) || math.IsInf(mean[j], 0) {
			return nil, fmt.Errorf("interp: Gaussian field: mean[%d] = %g is not finite", j, mean[j])
		}
	}
	d := len(mean)
	return &GaussianField{Interp: ip, Mean: mean, Std: std, k: make([]float64, d), c: make([]float64, d)}, nil
}

// Dim implements solver.Field.
func (g *GaussianField) Dim() int { return len(g.Mean) }

// Moments returns the marginal mean μ_j and variance S_j of dimension j at time t.
func (g *GaussianField) Moments(t float64, j int) (mu, variance float64) {
	a, b, _, _ := Marginal(g.Interp, t)
	s := g.Std[j]
	return b * g.Mean[j], a*a + b*b*s*s
}

// rates returns k_j and the offset ḃ·m_j − k_j·μ_j in float64.
func (g *GaussianField) rate(t float64, j int) (k, c float64) {
	a, b, da, db := Marginal(g.Interp, t)
	s2 := g.Std[j] * g.Std[j]
	S := a*a + b*b*s2
	k = (a*da + b*db*s2) / S
	return k, db*g.Mean[j] - k*b*g.Mean[j]
}

func (g *GaussianField) prepare(t float64) float64 {
	div := 0.0
	for j := range g.Mean {
		k, c := g.rate(t, j)
		g.k[j], g.c[j] = k, c
		div += k
	}
	return div
}

// Velocity implements solver.Field.
func (g *GaussianField) Velocity(t float64, x, out []float32) {
	g.prepare(t)
	d := len(g.k)
	for i := 0; i+d <= len(x); i += d {
		r, o := x[i:i+d], out[i:i+d]
		for j, k := range g.k {
			o[j] = float32(k*float64(r[j]) + g.c[j])
		}
	}
}

// VelocityDiv implements solver.DivField: the divergence Σ_j k_j is the same for every row.
func (g *GaussianField) VelocityDiv(t float64, x, out []float32, div []float64) {
	dv := g.prepare(t)
	g.Velocity(t, x, out)
	for i := range div {
		div[i] = dv
	}
}

// VelocityDivHutchinson implements solver.DivField: div[i] = Σ_j k_j·ε_ij².
func (g *GaussianField) VelocityDivHutchinson(t float64, x, out []float32, div []float64, probe []float32) {
	g.Velocity(t, x, out)
	d := len(g.k)
	for i := range div {
		e := probe[i*d : i*d+d]
		s := 0.0
		for j, k := range g.k {
			s += k * float64(e[j]) * float64(e[j])
		}
		div[i] = s
	}
}

// Divergence returns the exact divergence Σ_j k_j(t) in float64.
func (g *GaussianField) Divergence(t float64) float64 {
	s := 0.0
	for j := range g.Mean {
		k, _ := g.rate(t, j)
		s += k
	}
	return s
}

// LogDensity returns log ρ_t(x) of the marginal N(μ(t), diag S(t)) at one point x (d values),
// in float64.
func (g *GaussianField) LogDensity(t float64, x []float32) float64 {
	lp := 0.0
	for j := range g.Mean {
		mu, v := g.Moments(t, j)
		r := float64(x[j]) - mu
		lp += -0.5*math.Log(2*math.Pi*v) - 0.5*r*r/v
	}
	return lp
}

// Score writes the exact score −(x − μ(t))/S(t) of every row of x into out.
func (g *GaussianField) Score(t float64, x, out []float32) {
	d := len(g.Mean)
	for j := range g.Mean {
		mu, v := g.Moments(t, j)
		for i := j; i < len(x); i += d {
			out[i] = float32(-(float64(x[i]) - mu) / v)
		}
	}
}

// Flow writes into out the exact solution at time t of dx/dt = v started from x at time s:
// out = μ(t) + sqrt(S(t)/S(s))·(x − μ(s)). out may alias x.
func (g *GaussianField) Flow(s, t float64, x, out []float32) {
	d := len(g.Mean)
	for j := range g.Mean {
		ms, vs := g.Moments(s, j)
		mt, vt := g.Moments(t, j)
		r := math.Sqrt(vt / vs)
		for i := j; i < len(x); i += d {
			out[i] = float32(mt + r*(float64(x[i])-ms))
		}
	}
}
