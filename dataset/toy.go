package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
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

// The 2-D toy densities below follow FFJORD's lib/toy_data.py (Grathwohl et al. 2019) with
// its parameters. Where FFJORD lays points on an evenly spaced grid of angles and fixed
// per-component counts (circles, rings, moons, pinwheel), these generators draw the angle
// and the component independently and uniformly, so that every row is an independent
// draw from the same limiting distribution.

// EightGaussians is FFJORD's 8gaussians: centres 4·(cos, sin)(kπ/4), k = 0..7, plus
// N(0, 0.5²·I) noise, the sum divided by 1.414. It is an equal mixture of 8 isotropic
// Gaussians with means 4·(cos, sin)(kπ/4)/1.414 and standard deviation 0.5/1.414.
type EightGaussians struct{}

// eightGaussScale is FFJORD's divisor (1.414, not √2).
const eightGaussScale = 1.414

// Name implements Sampler.
func (EightGaussians) Name() string { return "8gaussians" }

// Dim implements Sampler.
func (EightGaussians) Dim() int { return 2 }

// Sample implements Sampler.
func (g EightGaussians) Sample(rng *rand.Rand, dst []float32) { g.SampleLabeled(rng, dst, nil) }

// Classes implements Labeled: the 8 components, numbered counter-clockwise from angle 0.
func (EightGaussians) Classes() int { return 8 }

// SampleLabeled implements Labeled.
func (EightGaussians) SampleLabeled(rng *rand.Rand, dst []float32, labels []int) {
	for i := 0; i+1 < len(dst); i += 2 {
		k := rng.IntN(8)
		if labels != nil {
			labels[i/2] = k
		}
		s, c := math.Sincos(float64(k) * math.Pi / 4)
		x := 4*c + 0.5*rng.NormFloat64()
		y := 4*s + 0.5*rng.NormFloat64()
		dst[i], dst[i+1] = float32(x/eightGaussScale), float32(y/eightGaussScale)
	}
}

// LogProb implements Density: log of (1/8)·Σ_k N(x; μ_k, σ²I), computed in float64 with
// a log-sum-exp.
func (EightGaussians) LogProb(x []float32) float64 {
	const sigma = 0.5 / eightGaussScale
	u, v := float64(x[0]), float64(x[1])
	var e [8]float64
	m := math.Inf(-1)
	for k := range 8 {
		s, c := math.Sincos(float64(k) * math.Pi / 4)
		du, dv := u-4*c/eightGaussScale, v-4*s/eightGaussScale
		e[k] = -(du*du + dv*dv) / (2 * sigma * sigma)
		m = max(m, e[k])
	}
	var sum float64
	for _, ek := range e {
		sum += math.Exp(ek - m)
	}
	return m + math.Log(sum/8) - math.Log(2*math.Pi*sigma*sigma)
}

// SwissRoll is FFJORD's swissroll: scikit-learn's make_swiss_roll with noise 1, keeping
// the two coordinates of the spiral and dividing by 5: t ~ 1.5π·(1 + 2·U[0, 1)), the point
// (t·cos t + ε₁, t·sin t + ε₂)/5 with ε ~ N(0, I).
type SwissRoll struct{}

// Name implements Sampler.
func (SwissRoll) Name() string { return "swissroll" }

// Dim implements Sampler.
func (SwissRoll) Dim() int { return 2 }

// Sample implements Sampler.
func (SwissRoll) Sample(rng *rand.Rand, dst []float32) {
	for i := 0; i+1 < len(dst); i += 2 {
		t := 1.5 * math.Pi * (1 + 2*rng.Float64())
		s, c := math.Sincos(t)
		dst[i] = float32((t*c + rng.NormFloat64()) / 5)
		dst[i+1] = float32((t*s + rng.NormFloat64()) / 5)
	}
}

// Circles is FFJORD's circles: scikit-learn's make_circles with factor 0.5 and noise 0.08,
// times 3. A point lies on the unit circle or the circle of radius 0.5 (probability ½
// each) at a uniform angle, plus N(0, 0.08²·I) noise, all times 3.
type Circles struct{}

// Name implements Sampler.
func (Circles) Name() string { return "circles" }

// Dim implements Sampler.
func (Circles) Dim() int { return 2 }

// Sample implements Sampler.
func (Circles) Sample(rng *rand.Rand, dst []float32) {
	for i := 0; i+1 < len(dst); i += 2 {
		r := 1.0
		if rng.IntN(2) == 1 {
			r = 0.5
		}
		s, c := math.Sincos(2 * math.Pi * rng.Float64())
		dst[i] = float32(3 * (r*c + 0.08*rng.NormFloat64()))
		dst[i+1] = float32(3 * (r*s + 0.08*rng.NormFloat64()))
	}
}

// Rings is FFJORD's rings: four concentric circles of radii 3, 2.25, 1.5 and 0.75
// (probability ¼ each) at a uniform angle, plus N(0, 0.08²·I) noise added after scaling.
type Rings struct{}

// Name implements Sampler.
func (Rings) Name() string { return "rings" }

// Dim implements Sampler.
func (Rings) Dim() int { return 2 }

// Sample implements Sampler.
func (Rings) Sample(rng *rand.Rand, dst []float32) {
	for i := 0; i+1 < len(dst); i += 2 {
		r := 3 * float64(4-rng.IntN(4)) / 4
		s, c := math.Sincos(2 * math.Pi * rng.Float64())
		dst[i] = float32(r*c + 0.08*rng.NormFloat64())
		dst[i+1] = float32(r*s + 0.08*rng.NormFloat64())
	}
}

// Moons is FFJORD's moons: scikit-learn's make_moons with noise 0.1, then times 2 plus
// (−1, −0.2). With θ ~ U[0, π] a point is (cos θ, sin θ) or (1 − cos θ, 0.5 − sin θ)
// (probability ½ each), plus N(0, 0.1²·I) noise, then 2·p + (−1, −0.2).
type Moons struct{}

// Name implements Sampler.
func (Moons) Name() string { return "moons" }

// Dim implements Sampler.
func (Moons) Dim() int { return 2 }

// Sample implements Sampler.
func (Moons) Sample(rng *rand.Rand, dst []float32) {
	for i := 0; i+1 < len(dst); i += 2 {
		s, c := math.Sincos(math.Pi * rng.Float64())
		x, y := c, s
		if rng.IntN(2) == 1 {
			x, y = 1-c, 0.5-s
		}
		x += 0.1 * rng.NormFloat64()
		y += 0.1 * rng.NormFloat64()
		dst[i], dst[i+1] = float32(2*x-1), float32(2*y-0.2)
	}
}

// Pinwheel is FFJORD's pinwheel: 5 arms k (probability ⅕ each); radial coordinate
// r ~ N(1, 0.3²), tangential s ~ N(0, 0.1²); the angle a = 2πk/5 + 0.25·exp(r); the point
// 2·(r·cos a + s·sin a, −r·sin a + s·cos a).
type Pinwheel struct{}

// Name implements Sampler.
func (Pinwheel) Name() string { return "pinwheel" }

// Dim implements Sampler.
func (Pinwheel) Dim() int { return 2 }

// Sample implements Sampler.
func (Pinwheel) Sample(rng *rand.Rand, dst []float32) {
	for i := 0; i+1 < len(dst); i += 2 {
		k := rng.IntN(5)
		r := 1 + 0.3*rng.NormFloat64()
		t := 0.1 * rng.NormFloat64()
		sa, ca := math.Sincos(2*math.Pi*float64(k)/5 + 0.25*math.Exp(r))
		dst[i] = float32(2 * (r*ca + t*sa))
		dst[i+1] = float32(2 * (-r*sa + t*ca))
	}
}

// TwoSpirals is FFJORD's 2spirals: n = √U[0, 1)·3π (540°), the point
// ±(−n·cos n + 0.5·U[0, 1), n·sin n + 0.5·U[0, 1))/3 (sign ± with probability ½, applied to
// the whole point), plus N(0, 0.1²·I) noise.
type TwoSpirals struct{}

// Name implements Sampler.
func (TwoSpirals) Name() string { return "2spirals" }

// Dim implements Sampler.
func (TwoSpirals) Dim() int { return 2 }

// Sample implements Sampler.
func (TwoSpirals) Sample(rng *rand.Rand, dst []float32) {
	for i := 0; i+1 < len(dst); i += 2 {
		n := math.Sqrt(rng.Float64()) * 3 * math.Pi
		s, c := math.Sincos(n)
		x := -c*n + 0.5*rng.Float64()
		y := s*n + 0.5*rng.Float64()
		if rng.IntN(2) == 1 {
			x, y = -x, -y
		}
		dst[i] = float32(x/3 + 0.1*rng.NormFloat64())
		dst[i+1] = float32(y/3 + 0.1*rng.NormFloat64())
	}
}

// Line is FFJORD's line: x ~ U[−2.5, 2.5), the point (x, x). It has no density in 2-D.
type Line struct{}

// Name implements Sampler.
func (Line) Name() string { return "line" }

// Dim implements Sampler.
func (Line) Dim() int { return 2 }

// Sample implements Sampler.
func (Line) Sample(rng *rand.Rand, dst []float32) {
	for i := 0; i+1 < len(dst); i += 2 {
		x := float32(rng.Float64()*5 - 2.5)
		dst[i], dst[i+1] = x, x
	}
}

// Cos is FFJORD's cos: x ~ U[−2.5, 2.5), the point (x, 2.5·sin x) (FFJORD names it cos but
// uses the sine). It has no density in 2-D.
type Cos struct{}

// Name implements Sampler.
func (Cos) Name() string { return "cos" }

// Dim implements Sampler.
func (Cos) Dim() int { return 2 }

// Sample implements Sampler.
func (Cos) Sample(rng *rand.Rand, dst []float32) {
	for i := 0; i+1 < len(dst); i += 2 {
		x := rng.Float64()*5 - 2.5
		dst[i], dst[i+1] = float32(x), float32(2.5*math.Sin(x))
	}
}

var toyRegistry = map[string]func() Sampler{}

// RegisterToy adds a named generator to the registry read by NewToy and ToyNames (call it
// from an init function). It panics if the name is already taken.
func RegisterToy(name string, f func() Sampler) {
	if _, dup := toyRegistry[name]; dup {
		panic("data: toy data set " + name + " registered twice")
	}
	toyRegistry[name] = f
}

func init() {
	for _, s := range []Sampler{SwissRoll{}, Circles{}, Rings{}, Moons{}, EightGaussians{},
		Pinwheel{}, TwoSpirals{}, Checkerboard{}, Line{}, Cos{}} {
		RegisterToy(s.Name(), func() Sampler { return s })
	}
	// The fixed 64-D Gaussian mixture of the W-train-64d workload is a named data set too,
	// so that train/nll/eval/bench take it as --data gmm64.
	RegisterToy("gmm64", func() Sampler { return GMM64() })
}

// ToyNames returns the names of the registered generated data sets, sorted.
func ToyNames() []string {
	names := make([]string, 0, len(toyRegistry))
	for n := range toyRegistry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// NewToy returns the generated data set of that name, or an error that names it and lists
// the known ones.
func NewToy(name string) (Sampler, error) {
	f, ok := toyRegistry[name]
	if !ok {
		return nil, fmt.Errorf("unknown data set %q (known: %s)", name, strings.Join(ToyNames(), ", "))
	}
	return f(), nil
}

// ToyRNG returns the generator used for seeded draws: a PCG seeded with (seed, stream).
// Different streams give independent sequences for the same seed (e.g. a training stream
// and a test stream).
func ToyRNG(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream^0x9e3779b97f4a7c15))
}

// Labeled is a generated data set whose points each come from one of Classes() labelled
// parts (a mixture's components): SampleLabeled draws like Sample (the same points for the
// same generator state) and writes each point's label, in [0, Classes()), into labels (one
// per point; nil: none).
type Labeled interface {
	Sampler
	Classes() int
	SampleLabeled(rng *rand.Rand, dst []float32, labels []int)
}

// SampleNLabeled is SampleN for a labelled data set, with the labels of the points.
func SampleNLabeled(s Labeled, n int, seed uint64) ([]float32, []int) {
	dst, labels := make([]float32, n*s.Dim()), make([]int, n)
	s.SampleLabeled(ToyRNG(seed, 0), dst, labels)
	return dst, labels
}

// SampleN returns n draws from s (row-major n×s.Dim()) using ToyRNG(seed, 0). The same seed
// gives the same bits.
func SampleN(s Sampler, n int, seed uint64) []float32 {
	dst := make([]float32, n*s.Dim())
	s.Sample(ToyRNG(seed, 0), dst)
	return dst
}

// The densities of Circles and Rings: a circle of radius R blurred by N(0, σ²·I) has the
// density (1/(2πσ²))·exp(−(ρ² + R²)/(2σ²))·I₀(ρR/σ²) at distance ρ from the centre (I₀
// the modified Bessel function of the first kind), from integrating the Gaussian over the
// uniform angle. In logs: −log(2πσ²) − (ρ − R)²/(2σ²) + log(e^{−z}·I₀(z)), z = ρR/σ².

// LogProb implements Density: an equal mixture of blurred circles of radii 3 and 1.5 with
// σ = 0.24.
func (Circles) LogProb(x []float32) float64 {
	return ringsLogProb(x, []float64{3, 1.5}, 0.24)
}

// LogProb implements Density: an equal mixture of blurred circles of radii 3, 2.25, 1.5
// and 0.75 with σ = 0.08.
func (Rings) LogProb(x []float32) float64 {
	return ringsLogProb(x, []float64{3, 2.25, 1.5, 0.75}, 0.08)
}

func ringsLogProb(x []float32, radii []float64, sigma float64) float64 {
	rho := math.Hypot(float64(x[0]), float64(x[1]))
	s2 := sigma * sigma
	m := math.Inf(-1)
	var e [4]float64
	for k, r := range radii {
		e[k] = -(rho-r)*(rho-r)/(2*s2) + math.Log(besselI0e(rho*r/s2))
		m = max(m, e[k])
	}
	var sum float64
	for _, v := range e[:len(radii)] {
		sum += math.Exp(v - m)
	}
	return m + math.Log(sum/float64(len(radii))) - math.Log(2*math.Pi*s2)
}

// besselI0e returns e^{−z}·I₀(z) for z ≥ 0: by the power series Σ (z²/4)^k/(k!)² (all
// terms positive) for z ≤ 25, and by the asymptotic series
// (2πz)^{−½}·Σ_k ((2k−1)!!)²/(k!·(8z)^k), truncated at its smallest term (error below
// e^{−2z}), above.
func besselI0e(z float64) float64 {
	if z <= 25 {
		t := z * z / 4
		sum, term := 1.0, 1.0
		for k := 1; k < 200; k++ {
			term *= t / float64(k*k)
			sum += term
			if term < 1e-17*sum {
				break
			}
		}
		return sum * math.Exp(-z)
	}
	sum, term := 1.0, 1.0
	for k := 1; k < 200; k++ {
		next := term * float64((2*k-1)*(2*k-1)) / (8 * z * float64(k))
		if next >= term || next < 1e-17*sum {
			break
		}
		term = next
		sum += term
	}
	return sum / math.Sqrt(2*math.Pi*z)
}
