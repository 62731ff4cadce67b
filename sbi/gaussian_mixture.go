package sbi

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// GaussianMixture is sbibm's gaussian_mixture: θ ∈ R² with prior U[−10, 10]² and
// x | θ ~ ½·N(θ, I) + ½·N(θ, 0.01·I), the component drawn anew for every simulation.
//
// The likelihood is symmetric in θ and x, so the posterior is the same mixture centred at
// x_o, truncated to the prior box: component k (standard deviation σ_k ∈ {1, 0.1}) keeps the
// weight ½·Π_i P_k,i, where P_k,i = Φ((10 − x_o,i)/σ_k) − Φ((−10 − x_o,i)/σ_k) is the mass it
// leaves in the box, and the normalizer Z = Σ_k ½·Π_i P_k,i makes PosteriorLogProb exact.
// ReferencePosterior draws exactly: a component with probability ½·Π_i P_k,i / Z, then each
// coordinate from its normal truncated to [−10, 10] by inverting the CDF. This is the
// distribution sbibm samples by rejection (draw from the untruncated mixture, keep draws in
// the box), without rejection's cost when x_o lies far outside the box.
//
// sbibm's simulator draws one mixture component per call, shared by every θ of a batch;
// this one draws it per simulation, which is the model that its reference posterior and
// the paper describe.
type GaussianMixture struct{}

// gaussianMixture's constants: prior half-width, component standard deviations.
const (
	gmDim       = 2
	gmBox       = 10.0
	gmObsStream = 2
)

// gmSigma are the standard deviations of the two equally weighted components.
var gmSigma = [2]float64{1, 0.1}

// Name implements Task.
func (GaussianMixture) Name() string { return "gaussian_mixture" }

// ParamDim implements Task.
func (GaussianMixture) ParamDim() int { return gmDim }

// DataDim implements Task.
func (GaussianMixture) DataDim() int { return gmDim }

// SamplePrior implements Task.
func (GaussianMixture) SamplePrior(rng *rand.Rand, n int) []float64 {
	return sampleBox(rng, n, gmDim, gmBox)
}

// PriorLogProb implements Task.
func (t GaussianMixture) PriorLogProb(theta []float64) float64 {
	checkLen(t.Name(), "theta", theta, gmDim)
	return boxLogProb(theta, gmBox)
}

// Simulate implements Task: per row, a component (u < ½: σ = 1, else σ = 0.1), then
// x = θ + σ·z.
func (t GaussianMixture) Simulate(rng *rand.Rand, theta []float64) []float64 {
	n := checkRows(t.Name(), "theta", theta, gmDim)
	out := make([]float64, len(theta))
	for i := range n {
		s := gmSigma[0]
		if rng.Float64() >= 0.5 {
			s = gmSigma[1]
		}
		for k := range gmDim {
			out[i*gmDim+k] = theta[i*gmDim+k] + s*rng.NormFloat64()
		}
	}
	return out
}

// gmLogMix returns log(½·N(a; b, I) + ½·N(a; b, 0.01·I)) for 2-vectors a and b.
func gmLogMix(a, b []float64) float64 {
	var l [2]float64
	for c, s := range gmSigma {
		l[c] = math.Log(0.5)
		for k := range gmDim {
			l[c] += normLogPDF(a[k], b[k], s)
		}
	}
	return logSumExp(l[0], l[1])
}

// LogLikelihood implements Task.
func (t GaussianMixture) LogLikelihood(theta, x []float64) float64 {
	checkLen(t.Name(), "theta", theta, gmDim)
	checkLen(t.Name(), "x", x, gmDim)
	return gmLogMix(x, theta)
}

// Observation implements Task (PCG stream 2).
func (t GaussianMixture) Observation(j int) (theta, x []float64, err error) {
	return observation(t, gmObsStream, j)
}

// gmLogWeights returns log(½·Π_i P_k,i) for both components and their log-sum log Z, or
// an error when Z underflows (x_o hundreds of standard deviations outside the box).
func (t GaussianMixture) gmLogWeights(xo []float64) (lw [2]float64, logZ float64, err error) {
	for c, s := range gmSigma {
		lw[c] = math.Log(0.5)
		for k := range gmDim {
			lw[c] += math.Log(normProb((-gmBox-xo[k])/s, (gmBox-xo[k])/s))
		}
	}
	logZ = logSumExp(lw[0], lw[1])
	if math.IsInf(logZ, -1) {
		return lw, logZ, fmt.Errorf("sbi: %s: x_o = %v: %w in the prior box", t.Name(), xo, ErrNoPosteriorMass)
	}
	return lw, logZ, nil
}

// ReferencePosterior implements Task: exact draws (see the type's documentation).
func (t GaussianMixture) ReferencePosterior(rng *rand.Rand, xo []float64, n int) ([]float64, error) {
	if err := checkPosteriorArgs(t, xo, n); err != nil {
		return nil, err
	}
	lw, logZ, err := t.gmLogWeights(xo)
	if err != nil {
		return nil, err
	}
	p0 := math.Exp(lw[0] - logZ) // probability of the σ = 1 component
	out := make([]float64, n*gmDim)
	for i := range n {
		s := gmSigma[1]
		if rng.Float64() < p0 {
			s = gmSigma[0]
		}
		for k := range gmDim {
			z := truncNormal(rng, (-gmBox-xo[k])/s, (gmBox-xo[k])/s)
			out[i*gmDim+k] = min(max(xo[k]+s*z, -gmBox), gmBox)
		}
	}
	return out, nil
}

// PosteriorLogProb implements ExactPosterior: log(½·N(θ; x_o, I) + ½·N(θ; x_o, 0.01·I)) −
// log Z inside the box.
func (t GaussianMixture) PosteriorLogProb(theta, xo []float64) ([]float64, error) {
	if err := checkDensityArgs(t, theta, xo); err != nil {
		return nil, err
	}
	_, logZ, err := t.gmLogWeights(xo)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(theta)/gmDim)
	for i := range out {
		th := theta[i*gmDim : (i+1)*gmDim]
		if math.IsInf(boxLogProb(th, gmBox), -1) {
			out[i] = math.Inf(-1)
			continue
		}
		out[i] = gmLogMix(th, xo) - logZ
	}
	return out, nil
}
