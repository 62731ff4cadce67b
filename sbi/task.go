package sbi

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Task is a simulation-based-inference benchmark problem: a prior p(θ), a simulator that
// draws x ~ p(x | θ), its likelihood in closed form, ten fixed observations and a sampler of
// the reference posterior p(θ | x_o).
//
// Parameters and data are flat row-major []float64: n rows of ParamDim (θ) or DataDim (x)
// values. Methods that take one θ or one x panic when a slice has the wrong length, as an
// out-of-range index does; code that takes lengths from users checks them against
// ParamDim and DataDim first. ReferencePosterior, which can fail for reasons other than
// shape, returns errors.
//
// The tasks of this package are stateless values, safe for concurrent use; a *rand.Rand
// is not, so give each goroutine its own.
type Task interface {
	// Name returns the task's name as sbibm spells it ("two_moons", ...).
	Name() string
	// ParamDim returns the dimension of θ.
	ParamDim() int
	// DataDim returns the dimension of x.
	DataDim() int
	// SamplePrior returns n draws θ ~ p(θ), row-major n×ParamDim.
	SamplePrior(rng *rand.Rand, n int) []float64
	// PriorLogProb returns log p(θ) for one θ: −Inf outside the prior's support.
	PriorLogProb(theta []float64) float64
	// Simulate returns one draw x ~ p(x | θ) for every row of theta (rows of DataDim),
	// consuming rng row by row. It panics if len(theta) is not a multiple of ParamDim.
	Simulate(rng *rand.Rand, theta []float64) []float64
	// LogLikelihood returns log p(x | θ) for one pair, in closed form.
	LogLikelihood(theta, x []float64) float64
	// Observation returns the j-th reference observation, j = 1..NumObservations: a
	// parameter θ* drawn from the prior and x_o ~ p(x | θ*), both from a fixed seed (see
	// the package documentation). Other j are an error.
	Observation(j int) (theta, x []float64, err error)
	// ReferencePosterior returns n draws from p(θ | x_o), row-major n×ParamDim, by an
	// exact sampler or, where none exists, a checked MCMC run (see each task). It fails
	// if len(xo) ≠ DataDim, n < 0, or the sampler cannot deliver (an x_o no parameter
	// in the prior's support can produce, an MCMC run that fails its checks).
	ReferencePosterior(rng *rand.Rand, xo []float64, n int) ([]float64, error)
}

// ExactPosterior is implemented by tasks whose posterior density is known in closed form,
// up to at most a one-dimensional quadrature for the normalizer.
type ExactPosterior interface {
	// PosteriorLogProb returns the normalized log p(θ | x_o) for every row of theta
	// (−Inf outside the prior's support). The normalizer is computed once per call, so
	// pass all rows for one x_o together. It fails if the lengths do not fit the task or
	// the posterior of x_o has no mass.
	PosteriorLogProb(theta, xo []float64) ([]float64, error)
}

// NumObservations is the number of reference observations of every task, as in sbibm.
const NumObservations = 10

// ErrUnknownTask is wrapped by Lookup's error for a name it does not know.
var ErrUnknownTask = errors.New("unknown task")

// ErrNoPosteriorMass is wrapped by the errors of ReferencePosterior and PosteriorLogProb
// when no parameter in the prior's support can produce x_o (or so few that exact sampling
// would not end).
var ErrNoPosteriorMass = errors.New("no posterior mass")

// tasks lists every task in the order of Names.
var tasks = []Task{GaussianLinear{}, GaussianMixture{}, SLCP{}, TwoMoons{}}

// Names returns the names of the built-in tasks, sorted.
func Names() []string {
	out := make([]string, len(tasks))
	for i, t := range tasks {
		out[i] = t.Name()
	}
	return out
}

// Lookup returns the task with the given name; the error names the task and lists the
// known ones.
func Lookup(name string) (Task, error) {
	for _, t := range tasks {
		if t.Name() == name {
			return t, nil
		}
	}
	return nil, fmt.Errorf("sbi: %w %q (known: %s)", ErrUnknownTask, name, strings.Join(Names(), ", "))
}

// Simulations returns the training set of n simulations for seed: θ ~ prior (n×ParamDim)
// and x ~ p(x | θ) row by row (n×DataDim), both from rand.New(rand.NewPCG(seed,
// SimulationStream)). The same seed gives the same bits (for one Go release).
func Simulations(t Task, n int, seed uint64) (theta, x []float64) {
	rng := rand.New(rand.NewPCG(seed, SimulationStream))
	theta = t.SamplePrior(rng, n)
	return theta, t.Simulate(rng, theta)
}

// SimulationStream is the PCG stream of Simulations' generator.
const SimulationStream = 0x5b1

// observationSeed is the PCG seed of observation j; the stream is the task's own constant.
func observationSeed(j int) uint64 { return 1_000_000 + uint64(j) }

// observation implements Task.Observation for t with PCG stream stream: θ* = SamplePrior(rng,
// 1), x_o = Simulate(rng, θ*) with rng = rand.New(rand.NewPCG(1000000+j, stream)).
func observation(t Task, stream uint64, j int) (theta, x []float64, err error) {
	if j < 1 || j > NumObservations {
		return nil, nil, fmt.Errorf("sbi: %s: observation %d out of range 1..%d", t.Name(), j, NumObservations)
	}
	rng := rand.New(rand.NewPCG(observationSeed(j), stream))
	theta = t.SamplePrior(rng, 1)
	return theta, t.Simulate(rng, theta), nil
}

// checkLen panics unless len(s) == want; what names the slice.
func checkLen(task, what string, s []float64, want int) {
	if len(s) != want {
		panic(fmt.Sprintf("sbi: %s: len(%s) = %d, want %d", task, what, len(s), want))
	}
}

// checkRows panics unless len(s) is a multiple of dim and returns the number of rows.
func checkRows(task, what string, s []float64, dim int) int {
	if len(s)%dim != 0 {
		panic(fmt.Sprintf("sbi: %s: len(%s) = %d is not a multiple of %d", task, what, len(s), dim))
	}
	return len(s) / dim
}

// checkPosteriorArgs is the shared argument check of ReferencePosterior.
func checkPosteriorArgs(t Task, xo []float64, n int) error {
	if len(xo) != t.DataDim() {
		return fmt.Errorf("sbi: %s: x_o has %d values, want %d", t.Name(), len(xo), t.DataDim())
	}
	if n < 0 {
		return fmt.Errorf("sbi: %s: negative number of posterior draws %d", t.Name(), n)
	}
	for i, v := range xo {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("sbi: %s: x_o[%d] = %v is not finite", t.Name(), i, v)
		}
	}
	return nil
}

// checkDensityArgs is the shared argument check of PosteriorLogProb.
func checkDensityArgs(t Task, theta, xo []float64) error {
	if len(theta)%t.ParamDim() != 0 {
		return fmt.Errorf("sbi: %s: len(theta) = %d is not a multiple of %d", t.Name(), len(theta), t.ParamDim())
	}
	return checkPosteriorArgs(t, xo, 0)
}

// boxLogProb is the log-density of the uniform prior on [−b, b]^d at theta.
func boxLogProb(theta []float64, b float64) float64 {
	for _, v := range theta {
		if !(v >= -b && v <= b) {
			return math.Inf(-1)
		}
	}
	return -float64(len(theta)) * math.Log(2*b)
}

// sampleBox returns n×d draws from the uniform distribution on [−b, b]^d.
func sampleBox(rng *rand.Rand, n, d int, b float64) []float64 {
	out := make([]float64, n*d)
	for i := range out {
		out[i] = (2*rng.Float64() - 1) * b
	}
	return out
}

// logSumExp returns log(e^a + e^b).
func logSumExp(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(a, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}
