package gen

import (
	"math"
	"math/rand/v2"
)

// Sampler draws points from a distribution.
type Sampler interface {
	// Name returns the data set's name ("checkerboard", ...).
	Name() string
	// Dim returns the dimension of a point.
	Dim() int
	// Sample fills dst (len(dst)/Dim() rows) with independent draws using rng.
	Sample(rng *rand.Rand, dst []float32)
}

// Density is a Sampler whose log-density is known in closed form.
type Density interface {
	Sampler
	// LogProb returns log ρ(x) in nats for one point x.
	LogProb(x []float32) float64
}

// Checkerboard is FFJORD's checkerboard toy: x1 ~ U[−2, 2), x2 ~ U[0, 1) − 2·Bernoulli(½) +
// (⌊x1⌋ mod 2), both times 2. Its density is 1/32 on 8 squares of side 2 (true NLL log 32).
type Checkerboard struct{}

// Name implements Sampler.
func (Checkerboard) Name() string { return "checkerboard" }

// Dim implements Sampler.
func (Checkerboard) Dim() int { return 2 }

// Sample implements Sampler.
func (Checkerboard) Sample(rng *rand.Rand, dst []float32) {
	for i := 0; i+1 < len(dst); i += 2 {
		x1 := rng.Float64()*4 - 2
		x2 := rng.Float64() - float64(2*rng.IntN(2)) + math.Mod(math.Floor(x1)+4, 2)
		dst[i], dst[i+1] = float32(2*x1), float32(2*x2)
	}
}

// LogProb implements Density.
func (Checkerboard) LogProb(x []float32) float64 {
	u, v := float64(x[0])/2, float64(x[1])/2
	if u < -2 || u >= 2 || v < -2 || v >= 2 {
		return math.Inf(-1)
	}
	if int(math.Floor(u)+math.Floor(v)+8)%2 != 0 {
		return math.Inf(-1)
	}
	return -math.Log(32)
}
