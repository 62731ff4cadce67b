package sbi

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// TwoMoons is sbibm's two_moons: θ ∈ R² with prior U[−1, 1]², and
//
//	a ~ U(−π/2, π/2),  r ~ N(0.1, 0.01²),  p = (r·cos a + 0.25, r·sin a),
//	x = p + g(θ),      g(θ) = (−|θ1 + θ2|/√2, (−θ1 + θ2)/√2).
//
// Writing z = (z0, z1) = ((θ1 + θ2)/√2, (−θ1 + θ2)/√2) for θ rotated by −π/4,
// g(θ) = (−|z0|, z1). The likelihood is the density of p at x − g(θ): with
// (u, v) = p − (0.25, 0) and ρ = |(u, v)|, the polar change of variables gives
//
//	f_p(p) = N(±ρ; 0.1, 0.01²) / (π·ρ),  sign + when u > 0 (r > 0) and − when u < 0 (r < 0).
//
// (f_p is unbounded, though integrable, as ρ → 0, where the normal factor is e⁻⁵⁰.)
// sbibm's likelihood keeps only N(ρ; 0.1, 0.01²): it drops the Jacobian 1/(πρ), which is
// not constant (ρ varies by ±10% across the moon).
//
// Exact posterior. For x_o and a simulator draw p, the parameters with x_o = p + g(θ) are
// |z0| = p0 − x_o,0 and z1 = x_o,1 − p1, two points (z0 = ±|z0|) mirrored across
// θ1 + θ2 = 0, and none when p0 < x_o,0. The map θ → g(θ) preserves area on each half-plane,
// so drawing p, a fair sign and keeping θ when p0 ≥ x_o,0 and θ is in the box gives the
// posterior exactly; the acceptance probability is Z(x_o), and
// p(θ | x_o) = f_p(x_o − g(θ)) / (2·Z(x_o)) on the box. ReferencePosterior samples so;
// PosteriorLogProb computes Z by a one-dimensional quadrature over a of the normal
// probability of the r-interval that lands θ in the box (for fixed a and sign every
// constraint is linear in r).
//
// sbibm's reference sampler omits the test p0 ≥ x_o,0: it flips the sign of p0 − x_o,0
// whatever that sign is. Since p0 ≥ 0.25 this changes nothing when x_o,0 ≤ 0.25, but when
// x_o,0 > 0.25 the draws with p0 < x_o,0 are kept as points whose simulator output could
// not be x_o, adding the mirror image (across u = x_o,0 − 0.25) of the part of the moon left
// of x_o to the posterior.
type TwoMoons struct{}

// twoMoons' constants.
const (
	tmDim       = 2
	tmBox       = 1.0
	tmOffset    = 0.25
	tmRLoc      = 0.1
	tmRScale    = 0.01
	tmObsStream = 3
	// tmQuadTol is the absolute tolerance of the normalizer Z ∈ [0, 1].
	tmQuadTol = 1e-11
	// tmMaxProposals bounds the proposals of one ReferencePosterior call; tmMinRate is the
	// acceptance rate below which it reports ErrNoPosteriorMass instead of sampling.
	tmMaxProposals = 1 << 31
	tmMinRate      = 1e-6
)

// Name implements Task.
func (TwoMoons) Name() string { return "two_moons" }

// ParamDim implements Task.
func (TwoMoons) ParamDim() int { return tmDim }

// DataDim implements Task.
func (TwoMoons) DataDim() int { return tmDim }

// SamplePrior implements Task.
func (TwoMoons) SamplePrior(rng *rand.Rand, n int) []float64 {
	return sampleBox(rng, n, tmDim, tmBox)
}

// PriorLogProb implements Task.
func (t TwoMoons) PriorLogProb(theta []float64) float64 {
	checkLen(t.Name(), "theta", theta, tmDim)
	return boxLogProb(theta, tmBox)
}

// tmG returns g(θ) = (−|θ1 + θ2|/√2, (−θ1 + θ2)/√2).
func tmG(t0, t1 float64) (g0, g1 float64) {
	return -math.Abs(t0+t1) / math.Sqrt2, (t1 - t0) / math.Sqrt2
}

// tmDrawP draws the simulator's noise point p: a ~ U(−π/2, π/2), then r ~ N(0.1, 0.01²).
func tmDrawP(rng *rand.Rand) (p0, p1 float64) {
	a := (rng.Float64() - 0.5) * math.Pi
	r := tmRLoc + tmRScale*rng.NormFloat64()
	s, c := math.Sincos(a)
	return r*c + tmOffset, r * s
}

// Simulate implements Task.
func (t TwoMoons) Simulate(rng *rand.Rand, theta []float64) []float64 {
	n := checkRows(t.Name(), "theta", theta, tmDim)
	out := make([]float64, len(theta))
	for i := range n {
		p0, p1 := tmDrawP(rng)
		g0, g1 := tmG(theta[2*i], theta[2*i+1])
		out[2*i], out[2*i+1] = p0+g0, p1+g1
	}
	return out
}

// tmLogFp returns log f_p(p), the density of the simulator's noise point (see TwoMoons).
func tmLogFp(p0, p1 float64) float64 {
	u, v := p0-tmOffset, p1
	rho := math.Hypot(u, v)
	r := rho
	if u < 0 {
		r = -rho
	}
	return normLogPDF(r, tmRLoc, tmRScale) - math.Log(math.Pi) - math.Log(rho)
}

// LogLikelihood implements Task: log f_p(x − g(θ)).
func (t TwoMoons) LogLikelihood(theta, x []float64) float64 {
	checkLen(t.Name(), "theta", theta, tmDim)
	checkLen(t.Name(), "x", x, tmDim)
	g0, g1 := tmG(theta[0], theta[1])
	return tmLogFp(x[0]-g0, x[1]-g1)
}

// Observation implements Task (PCG stream 3).
func (t TwoMoons) Observation(j int) (theta, x []float64, err error) {
	return observation(t, tmObsStream, j)
}

// tmPropose makes one proposal of the exact sampler for x_o: it draws p and a fair sign and
// returns the θ that maps p to x_o, and whether it is valid (p0 ≥ x_o,0 and θ in the box).
func tmPropose(rng *rand.Rand, x0, x1 float64) (t0, t1 float64, ok bool) {
	p0, p1 := tmDrawP(rng)
	z0, z1 := p0-x0, x1-p1 // z0 = |θ1 + θ2|/√2 when valid
	neg := rng.Uint64()&1 == 1
	if z0 < 0 {
		return 0, 0, false
	}
	if neg {
		z0 = -z0
	}
	t0, t1 = (z0-z1)/math.Sqrt2, (z0+z1)/math.Sqrt2
	return t0, t1, math.Abs(t0) <= tmBox && math.Abs(t1) <= tmBox
}

// ReferencePosterior implements Task: exact draws by inverting the simulator (see the type's
// documentation). It reports ErrNoPosteriorMass when, after 10⁶ proposals, the acceptance
// rate is below 10⁻⁶ (the normalizer Z(x_o) of PosteriorLogProb is that rate), or after
// 2³¹ proposals in all.
func (t TwoMoons) ReferencePosterior(rng *rand.Rand, xo []float64, n int) ([]float64, error) {
	if err := checkPosteriorArgs(t, xo, n); err != nil {
		return nil, err
	}
	out := make([]float64, 0, n*tmDim)
	var tries int
	for len(out) < n*tmDim {
		t0, t1, ok := tmPropose(rng, xo[0], xo[1])
		tries++
		if ok {
			out = append(out, t0, t1)
			continue
		}
		if tries >= 1_000_000 && float64(len(out)/tmDim) < tmMinRate*float64(tries) || tries >= tmMaxProposals {
			return nil, fmt.Errorf("sbi: %s: x_o = %v: %w (%d of %d proposals accepted)",
				t.Name(), xo, ErrNoPosteriorMass, len(out)/tmDim, tries)
		}
	}
	return out, nil
}

// tmNormalizer returns Z(x_o), the acceptance probability of the exact sampler:
//
//	Z = (1/π) ∫_{−π/2}^{π/2} ½ Σ_{s=±1} P(r ∈ R_s(a)) da,
//
// where R_s(a) is the interval of r for which p = (r cos a + 0.25, r sin a) gives
// p0 ≥ x_o,0 and θ = (s|z0| − z1, s|z0| + z1)/√2 in the box; every condition is linear in r.
func tmNormalizer(x0, x1 float64) float64 {
	c0 := tmOffset - x0 // p0 − x_o,0 = c0 + r cos a
	f := func(a float64) float64 {
		sa, ca := math.Sincos(a)
		var sum float64
		for _, s := range [2]float64{1, -1} {
			lo, hi := math.Inf(-1), math.Inf(1)
			// c0 + r·ca ≥ 0 with ca > 0 on the open interval.
			lo = max(lo, -c0/ca)
			// √2·θ1 = s(c0 + r ca) − (x1 − r sa) = (s c0 − x1) + r (s ca + sa),
			// √2·θ2 = s(c0 + r ca) + (x1 − r sa) = (s c0 + x1) + r (s ca − sa); |√2·θi| ≤ √2.
			for _, lin := range [2][2]float64{{s*c0 - x1, s*ca + sa}, {s*c0 + x1, s*ca - sa}} {
				c, b := lin[0], lin[1]
				switch {
				case b > 0:
					lo, hi = max(lo, (-math.Sqrt2-c)/b), min(hi, (math.Sqrt2-c)/b)
				case b < 0:
					lo, hi = max(lo, (math.Sqrt2-c)/b), min(hi, (-math.Sqrt2-c)/b)
				case math.Abs(c) > math.Sqrt2:
					hi = lo
				}
			}
			sum += normProb((lo-tmRLoc)/tmRScale, (hi-tmRLoc)/tmRScale)
		}
		return 0.5 * sum / math.Pi
	}
	return integrate(f, -math.Pi/2, math.Pi/2, 64, tmQuadTol)
}

// PosteriorLogProb implements ExactPosterior: log f_p(x_o − g(θ)) − log 2 − log Z(x_o) on the
// box (see the type's documentation).
func (t TwoMoons) PosteriorLogProb(theta, xo []float64) ([]float64, error) {
	if err := checkDensityArgs(t, theta, xo); err != nil {
		return nil, err
	}
	z := tmNormalizer(xo[0], xo[1])
	if !(z > 0) {
		return nil, fmt.Errorf("sbi: %s: x_o = %v: %w (normalizer %g)", t.Name(), xo, ErrNoPosteriorMass, z)
	}
	logNorm := math.Log(2 * z)
	out := make([]float64, len(theta)/tmDim)
	for i := range out {
		t0, t1 := theta[2*i], theta[2*i+1]
		if math.IsInf(boxLogProb(theta[2*i:2*i+2], tmBox), -1) {
			out[i] = math.Inf(-1)
			continue
		}
		g0, g1 := tmG(t0, t1)
		out[i] = tmLogFp(xo[0]-g0, xo[1]-g1) - logNorm
	}
	return out, nil
}
