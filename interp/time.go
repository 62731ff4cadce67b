package interp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// TimeSampler draws the training times t ∈ [0, 1] of a batch. Every sampler owns its
// random stream, seeded explicitly, so the same seed gives the same times.
type TimeSampler interface {
	// Fill writes len(t) times into t.
	Fill(t []float64)
	// Name returns the sampler's configuration string ("uniform", "beta:1,0.7", ...).
	Name() string
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x7469_6d65)) }

// Uniform draws independent t ~ U[0, 1).
type Uniform struct{ rng *rand.Rand }

// NewUniform returns a uniform sampler seeded with seed.
func NewUniform(seed uint64) *Uniform { return &Uniform{newRand(seed)} }

// Fill implements TimeSampler.
func (s *Uniform) Fill(t []float64) {
	for i := range t {
		t[i] = s.rng.Float64()
	}
}

// Name implements TimeSampler.
func (*Uniform) Name() string { return "uniform" }

// Beta draws independent t ~ Beta(A, B) (the paper's code uses Beta(1, 0.7), which puts more
// times near t = 1).
type Beta struct {
	A, B float64
	rng  *rand.Rand
}

// NewBeta returns a Beta(a, b) sampler seeded with seed; a and b must be finite and > 0.
func NewBeta(a, b float64, seed uint64) (*Beta, error) {
	if !(a > 0) || !(b > 0) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return nil, fmt.Errorf("interp: Beta(%g, %g): both parameters must be finite and > 0", a, b)
	}
	return &Beta{A: a, B: b, rng: newRand(seed)}, nil
}

// Fill implements TimeSampler: t = X/(X+Y) with X ~ Gamma(A), Y ~ Gamma(B).
func (s *Beta) Fill(t []float64) {
	for i := range t {
		for {
			x := gammaVariate(s.rng, s.A)
			y := gammaVariate(s.rng, s.B)
			if x+y > 0 {
				t[i] = x / (x + y)
				break
			}
		}
	}
}

// Name implements TimeSampler.
func (s *Beta) Name() string { return fmt.Sprintf("beta:%g,%g", s.A, s.B) }

// gammaVariate draws Gamma(k, 1) by Marsaglia and Tsang's method; for k < 1 it draws
// Gamma(k+1)·U^(1/k).
func gammaVariate(rng *rand.Rand, k float64) float64 {
	if k < 1 {
		u := rng.Float64()
		for u == 0 {
			u = rng.Float64()
		}
		return gammaVariate(rng, k+1) * math.Pow(u, 1/k)
	}
	d := k - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// Stratified splits [0, 1) into len(t) equal strata and draws one uniform time in each:
// t[i] = (i + u_i)/n. The batch covers [0, 1) evenly, which lowers the variance of the loss.
type Stratified struct{ rng *rand.Rand }

// NewStratified returns a stratified sampler seeded with seed.
func NewStratified(seed uint64) *Stratified { return &Stratified{newRand(seed)} }

// Fill implements TimeSampler.
func (s *Stratified) Fill(t []float64) {
	n := float64(len(t))
	for i := range t {
		t[i] = (float64(i) + s.rng.Float64()) / n
	}
}

// Name implements TimeSampler.
func (*Stratified) Name() string { return "stratified" }

// Antithetic draws uniform times in pairs (u, 1−u): t[2i] = u_i, t[2i+1] = 1 − u_i (an odd
// last element gets a fresh uniform).
type Antithetic struct{ rng *rand.Rand }

// NewAntithetic returns an antithetic sampler seeded with seed.
func NewAntithetic(seed uint64) *Antithetic { return &Antithetic{newRand(seed)} }

// Fill implements TimeSampler.
func (s *Antithetic) Fill(t []float64) {
	for i := 0; i < len(t); i += 2 {
		u := s.rng.Float64()
		t[i] = u
		if i+1 < len(t) {
			t[i+1] = 1 - u
		}
	}
}

// Name implements TimeSampler.
func (*Antithetic) Name() string { return "antithetic" }

// Grid draws times uniformly from the K points {0, 1/K, …, (K−1)/K}: the times at which a
// K-step Euler sampler evaluates the field. Training on them (after reflow, on pairs joined
// by the linear interpolant) distils a model into a K-step sampler.
type Grid struct {
	K   int
	rng *rand.Rand
}

// MaxGridSteps bounds Grid's K.
const MaxGridSteps = 1 << 16

// NewGrid returns a sampler of the K-point grid seeded with seed; K must be in
// [1, MaxGridSteps].
func NewGrid(k int, seed uint64) (*Grid, error) {
	if k < 1 || k > MaxGridSteps {
		return nil, fmt.Errorf("interp: time sampler grid:%d: want K in [1, %d]", k, MaxGridSteps)
	}
	return &Grid{K: k, rng: newRand(seed)}, nil
}

// Fill implements TimeSampler.
func (s *Grid) Fill(t []float64) {
	k := float64(s.K)
	for i := range t {
		t[i] = float64(s.rng.IntN(s.K)) / k
	}
}

// Name implements TimeSampler.
func (s *Grid) Name() string { return fmt.Sprintf("grid:%d", s.K) }

// TimeDist is a distribution of training times as a configuration value: it makes seeded
// samplers, and its Name is the configuration string that ParseTimeDist reads back. The
// distributions here are UniformTimes, BetaTimes, StratifiedTimes and AntitheticTimes; a
// program may pass its own.
type TimeDist interface {
	// NewSampler returns a sampler of this distribution on its own stream seeded with seed.
	NewSampler(seed uint64) (TimeSampler, error)
	// Name returns the configuration string ("uniform", "beta:1,0.7", ...).
	Name() string
}

// UniformTimes is t ~ U[0, 1) (Uniform).
type UniformTimes struct{}

// NewSampler implements TimeDist.
func (UniformTimes) NewSampler(seed uint64) (TimeSampler, error) { return NewUniform(seed), nil }

// Name implements TimeDist.
func (UniformTimes) Name() string { return "uniform" }

// BetaTimes is t ~ Beta(A, B) (Beta).
type BetaTimes struct{ A, B float64 }

// NewSampler implements TimeDist; A and B must be finite and > 0.
func (d BetaTimes) NewSampler(seed uint64) (TimeSampler, error) { return NewBeta(d.A, d.B, seed) }

// Name implements TimeDist.
func (d BetaTimes) Name() string { return fmt.Sprintf("beta:%g,%g", d.A, d.B) }

// StratifiedTimes is one uniform time per stratum of a batch (Stratified).
type StratifiedTimes struct{}

// NewSampler implements TimeDist.
func (StratifiedTimes) NewSampler(seed uint64) (TimeSampler, error) {
	return NewStratified(seed), nil
}

// Name implements TimeDist.
func (StratifiedTimes) Name() string { return "stratified" }

// AntitheticTimes is uniform times in pairs (t, 1 − t) (Antithetic).
type AntitheticTimes struct{}

// NewSampler implements TimeDist.
func (AntitheticTimes) NewSampler(seed uint64) (TimeSampler, error) {
	return NewAntithetic(seed), nil
}

// Name implements TimeDist.
func (AntitheticTimes) Name() string { return "antithetic" }

// GridTimes is t uniform on the K-step Euler grid {j/K} (Grid).
type GridTimes struct{ K int }

// NewSampler implements TimeDist; K must be in [1, MaxGridSteps].
func (d GridTimes) NewSampler(seed uint64) (TimeSampler, error) { return NewGrid(d.K, seed) }

// Name implements TimeDist.
func (d GridTimes) Name() string { return fmt.Sprintf("grid:%d", d.K) }

// ParseTimeDist returns the distribution named in a configuration: "uniform", "beta:A,B"
// (e.g. "beta:1,0.7"), "stratified", "antithetic" or "grid:K" (the K-step Euler times). It is the one parser of these names,
// shared by the CLI and checkpoints.
func ParseTimeDist(spec string) (TimeDist, error) {
	name, arg, hasArg := cut(spec, ':')
	switch name {
	case "uniform", "stratified", "antithetic":
		if hasArg {
			return nil, fmt.Errorf("interp: time sampler %q: %s takes no argument", spec, name)
		}
		switch name {
		case "uniform":
			return UniformTimes{}, nil
		case "stratified":
			return StratifiedTimes{}, nil
		}
		return AntitheticTimes{}, nil
	case "beta":
		var a, b float64
		parts := strings.Split(arg, ",")
		if !hasArg || len(parts) != 2 {
			return nil, fmt.Errorf("interp: time sampler %q: want beta:A,B", spec)
		}
		if _, err := fmt.Sscanf(parts[0]+" "+parts[1], "%g %g", &a, &b); err != nil {
			return nil, fmt.Errorf("interp: time sampler %q: parameters are not numbers: %v", spec, err)
		}
		d := BetaTimes{A: a, B: b}
		if _, err := d.NewSampler(0); err != nil {
			return nil, err
		}
		return d, nil
	case "grid":
		k, err := strconv.Atoi(arg)
		if !hasArg || err != nil {
			return nil, fmt.Errorf("interp: time sampler %q: want grid:K with K a whole number of steps", spec)
		}
		d := GridTimes{K: k}
		if _, err := d.NewSampler(0); err != nil {
			return nil, err
		}
		return d, nil
	}
	return nil, fmt.Errorf("interp: unknown time sampler %q (want uniform, beta:A,B, stratified, antithetic or grid:K)", spec)
}

// ParseTimeSampler returns the sampler named in a configuration (ParseTimeDist), seeded
// with seed.
func ParseTimeSampler(spec string, seed uint64) (TimeSampler, error) {
	d, err := ParseTimeDist(spec)
	if err != nil {
		return nil, err
	}
	return d.NewSampler(seed)
}
