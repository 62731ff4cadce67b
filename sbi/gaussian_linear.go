package sbi

import (
	"math"
	"math/rand/v2"
)

// GaussianLinear is sbibm's gaussian_linear: θ ∈ R¹⁰ with prior N(0, 0.1·I) and
// x | θ ~ N(θ, 0.1·I). The posterior is N(x_o/2, 0.05·I) (conjugate Gaussian), sampled and
// evaluated exactly.
type GaussianLinear struct{}

// gaussianLinear's constants: dimension, prior and noise variance, posterior variance.
const (
	glDim       = 10
	glVar       = 0.1
	glPostVar   = glVar / 2 // 1/(1/0.1 + 1/0.1)
	glObsStream = 1
)

// Name implements Task.
func (GaussianLinear) Name() string { return "gaussian_linear" }

// ParamDim implements Task.
func (GaussianLinear) ParamDim() int { return glDim }

// DataDim implements Task.
func (GaussianLinear) DataDim() int { return glDim }

// SamplePrior implements Task.
func (GaussianLinear) SamplePrior(rng *rand.Rand, n int) []float64 {
	out := make([]float64, n*glDim)
	s := math.Sqrt(glVar)
	for i := range out {
		out[i] = s * rng.NormFloat64()
	}
	return out
}

// PriorLogProb implements Task.
func (t GaussianLinear) PriorLogProb(theta []float64) float64 {
	checkLen(t.Name(), "theta", theta, glDim)
	s := math.Sqrt(glVar)
	var lp float64
	for _, v := range theta {
		lp += normLogPDF(v, 0, s)
	}
	return lp
}

// Simulate implements Task.
func (t GaussianLinear) Simulate(rng *rand.Rand, theta []float64) []float64 {
	checkRows(t.Name(), "theta", theta, glDim)
	out := make([]float64, len(theta))
	s := math.Sqrt(glVar)
	for i, v := range theta {
		out[i] = v + s*rng.NormFloat64()
	}
	return out
}

// LogLikelihood implements Task.
func (t GaussianLinear) LogLikelihood(theta, x []float64) float64 {
	checkLen(t.Name(), "theta", theta, glDim)
	checkLen(t.Name(), "x", x, glDim)
	s := math.Sqrt(glVar)
	var ll float64
	for i := range theta {
		ll += normLogPDF(x[i], theta[i], s)
	}
	return ll
}

// Observation implements Task (PCG stream 1).
func (t GaussianLinear) Observation(j int) (theta, x []float64, err error) {
	return observation(t, glObsStream, j)
}

// ReferencePosterior implements Task: exact draws from N(x_o/2, 0.05·I).
func (t GaussianLinear) ReferencePosterior(rng *rand.Rand, xo []float64, n int) ([]float64, error) {
	if err := checkPosteriorArgs(t, xo, n); err != nil {
		return nil, err
	}
	out := make([]float64, n*glDim)
	s := math.Sqrt(glPostVar)
	for i := range out {
		out[i] = 0.5*xo[i%glDim] + s*rng.NormFloat64()
	}
	return out, nil
}

// PosteriorLogProb implements ExactPosterior: the log-density of N(x_o/2, 0.05·I).
func (t GaussianLinear) PosteriorLogProb(theta, xo []float64) ([]float64, error) {
	if err := checkDensityArgs(t, theta, xo); err != nil {
		return nil, err
	}
	out := make([]float64, len(theta)/glDim)
	s := math.Sqrt(glPostVar)
	for i := range out {
		for k := range glDim {
			out[i] += normLogPDF(theta[i*glDim+k], 0.5*xo[k], s)
		}
	}
	return out, nil
}
