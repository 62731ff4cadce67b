package gen

import (
	"fmt"
	"math"

	"github.com/interflow/flowbench/solver"
)

// GaussianBase is a learnable Gaussian base density: x0 = μ + L·z with z ~ N(0, I) and L
// lower-triangular with a non-zero diagonal, so that
//
//	log ρ0(x) = log N(L⁻¹(x − μ); 0, I) − Σ_j log |L_jj|.
type GaussianBase struct {
	Mu []float64 // μ, d values
	L  []float64 // L, d×d row-major; entries above the diagonal are ignored (kept 0)
}

// NewGaussianBase returns the standard normal as a learnable base of dimension d (μ = 0,
// L = I).
func NewGaussianBase(d int) *GaussianBase {
	g := &GaussianBase{Mu: make([]float64, d), L: make([]float64, d*d)}
	for j := range d {
		g.L[j*d+j] = 1
	}
	return g
}

// Dim returns d.
func (g *GaussianBase) Dim() int { return len(g.Mu) }

// Validate reports whether the parameters define a density: L is d×d with a finite,
// non-zero diagonal and zeros above it.
func (g *GaussianBase) Validate() error {
	d := len(g.Mu)
	if len(g.L) != d*d {
		return fmt.Errorf("learned base: L has %d values, want %d×%d", len(g.L), d, d)
	}
	for i := range d {
		for j := range d {
			v := g.L[i*d+j]
			switch {
			case math.IsNaN(v) || math.IsInf(v, 0):
				return fmt.Errorf("learned base: L[%d,%d] = %g", i, j, v)
			case j > i && v != 0:
				return fmt.Errorf("learned base: L[%d,%d] = %g above the diagonal (want 0)", i, j, v)
			case j == i && v == 0:
				return fmt.Errorf("learned base: L[%d,%d] = 0 (singular)", i, i)
			}
		}
	}
	return nil
}

// Transform maps rows z (n×d) to x = μ + L·z.
func (g *GaussianBase) Transform(z, x []float32) {
	d := len(g.Mu)
	for r := 0; r+d <= len(z); r += d {
		zr, xr := z[r:r+d], x[r:r+d]
		for i := range d {
			s := g.Mu[i]
			li := g.L[i*d : i*d+i+1]
			for j, l := range li {
				s += l * float64(zr[j])
			}
			xr[i] = float32(s)
		}
	}
}

// Inverse maps rows x (n×d) to z = L⁻¹(x − μ) by forward substitution.
func (g *GaussianBase) Inverse(x, z []float32) {
	d := len(g.Mu)
	buf := make([]float64, d)
	for r := 0; r+d <= len(x); r += d {
		g.inverseRow(x[r:r+d], buf)
		for j, v := range buf {
			z[r+j] = float32(v)
		}
	}
}

func (g *GaussianBase) inverseRow(x []float32, z []float64) {
	d := len(g.Mu)
	for i := range d {
		s := float64(x[i]) - g.Mu[i]
		for j := range i {
			s -= g.L[i*d+j] * z[j]
		}
		z[i] = s / g.L[i*d+i]
	}
}

// LogDet returns Σ_j log |L_jj|.
func (g *GaussianBase) LogDet() float64 {
	d := len(g.Mu)
	s := 0.0
	for j := range d {
		s += math.Log(math.Abs(g.L[j*d+j]))
	}
	return s
}

// LogProb returns log ρ0(x) for one point.
func (g *GaussianBase) LogProb(x []float32) float64 {
	return g.logProb(x, make([]float64, len(g.Mu)))
}

// logProb is LogProb with z (d values) as the buffer of L⁻¹(x − μ): the one implementation
// of the base's log-density.
func (g *GaussianBase) logProb(x []float32, z []float64) float64 {
	g.inverseRow(x, z)
	s := 0.0
	for _, v := range z {
		s += v * v
	}
	return -0.5*s - 0.5*float64(len(z))*log2Pi - g.LogDet()
}

// logDensityFunc returns log ρ0 as a solver.LogDensityFunc with its own buffer (a call of
// Sample or LogProb makes its own, so concurrent calls do not share it).
func (g *GaussianBase) logDensityFunc() solver.LogDensityFunc {
	z := make([]float64, g.Dim())
	return func(x []float32) float64 { return g.logProb(x, z) }
}
