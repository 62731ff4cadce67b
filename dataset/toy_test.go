package dataset

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/interflow/flowbench/metrics"
)

// quad integrates f over [a, b] with composite Simpson's rule on n (even) intervals.
func quad(f func(float64) float64, a, b float64, n int) float64 {
	h := (b - a) / float64(n)
	s := f(a) + f(b)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		s += w * f(a+float64(i)*h)
	}
	return s * h / 3
}

// toyMoments are the exact E[x], E[y] and E[x² + y²] of each toy, from the definitions in
// closed form or by quadrature over the generator's parameters.
func toyMoments(t *testing.T, name string) (mx, my, m2 float64) {
	switch name {
	case "8gaussians":
		// centres on a circle of radius 4, noise variance 0.25 per axis, all / 1.414.
		return 0, 0, (16 + 2*0.25) / (1.414 * 1.414)
	case "checkerboard":
		// both coordinates are marginally U[−4, 4): variance 64/12.
		return 0, 0, 2 * 64.0 / 12
	case "swissroll":
		a, b := 1.5*math.Pi, 4.5*math.Pi
		ex := quad(func(t float64) float64 { return t * math.Cos(t) }, a, b, 20000) / (b - a)
		ey := quad(func(t float64) float64 { return t * math.Sin(t) }, a, b, 20000) / (b - a)
		et2 := quad(func(t float64) float64 { return t * t }, a, b, 20000) / (b - a)
		return ex / 5, ey / 5, (et2 + 2) / 25
	case "circles":
		return 0, 0, 9 * ((1+0.25)/2 + 2*0.08*0.08)
	case "rings":
		return 0, 0, 9*(1+0.5625+0.25+0.0625)/4 + 2*0.08*0.08
	case "moons":
		// outer (cos θ, sin θ), inner (1 − cos θ, 0.5 − sin θ), θ ~ U[0, π]: E sin θ = 2/π,
		// E cos θ = 0, E cos²θ = E sin²θ = ½.
		ex := 0.5 * (0 + 1)
		ey := 0.5 * (2/math.Pi + 0.5 - 2/math.Pi)
		// E|p|² before the affine map: outer 1; inner E[(1−c)² + (0.5−s)²] = 1 + ½ + ¼ − 2/π + ½.
		ep2 := 0.5*1 + 0.5*(1+0.5+0.25-2/math.Pi+0.5) + 2*0.01
		// q = 2p − (1, 0.2): E|q|² = 4E|p|² − 4(E px + 0.2 E py) + 1.04.
		return 2*ex - 1, 2*ey - 0.2, 4*ep2 - 4*(ex+0.2*ey) + 1.04
	case "pinwheel":
		return 0, 0, 4 * (1 + 0.09 + 0.01)
	case "2spirals":
		// n = 3π√u has density 2n/(3π)² on [0, 3π].
		L := 3 * math.Pi
		pdf := func(n float64) float64 { return 2 * n / (L * L) }
		en2 := quad(func(n float64) float64 { return n * n * pdf(n) }, 0, L, 20000)
		encos := quad(func(n float64) float64 { return n * math.Cos(n) * pdf(n) }, 0, L, 20000)
		ensin := quad(func(n float64) float64 { return n * math.Sin(n) * pdf(n) }, 0, L, 20000)
		// E[(−n cos n + u/2)² + (n sin n + v/2)²] with u, v ~ U[0,1) independent of n.
		e := en2 - 0.5*encos + 0.5*ensin + 1.0/6
		return 0, 0, e/9 + 2*0.01
	case "line":
		return 0, 0, 2 * 25.0 / 12
	case "cos":
		// E[6.25 sin² x] for x ~ U[−2.5, 2.5).
		es2 := quad(func(x float64) float64 { return math.Sin(x) * math.Sin(x) }, -2.5, 2.5, 20000) / 5
		return 0, 0, 25.0/12 + 6.25*es2
	}
	t.Fatalf("no moments for %s", name)
	return
}

func TestToyMoments(t *testing.T) {
	n := 200000
	if testing.Short() {
		n = 50000
	}
	for _, name := range ToyNames() {
		t.Run(name, func(t *testing.T) {
			s, err := NewToy(name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Name() != name {
				t.Fatalf("Name %q", s.Name())
			}
			if s.Dim() != 2 {
				t.Skipf("%s is %d-dimensional: its moments are tested beside it (gmm_test.go)", name, s.Dim())
			}
			x := SampleN(s, n, 1)
			var sx, sy, s2, vx, vy, v2 float64
			for i := range n {
				a, b := float64(x[2*i]), float64(x[2*i+1])
				sx += a
				sy += b
				s2 += a*a + b*b
			}
			sx, sy, s2 = sx/float64(n), sy/float64(n), s2/float64(n)
			for i := range n {
				a, b := float64(x[2*i]), float64(x[2*i+1])
				vx += (a - sx) * (a - sx)
				vy += (b - sy) * (b - sy)
				v2 += (a*a + b*b - s2) * (a*a + b*b - s2)
			}
			se := func(v float64) float64 { return math.Sqrt(v/float64(n-1)) / math.Sqrt(float64(n)) }
			mx, my, m2 := toyMoments(t, name)
			for _, c := range []struct {
				what      string
				got, want float64
				se        float64
			}{{"E[x]", sx, mx, se(vx)}, {"E[y]", sy, my, se(vy)}, {"E[|p|²]", s2, m2, se(v2)}} {
				if math.Abs(c.got-c.want) > 5*c.se+1e-6 {
					t.Errorf("%s = %.5f, want %.5f (± %.5f)", c.what, c.got, c.want, c.se)
				}
			}
		})
	}
}

func TestToySupport(t *testing.T) {
	n := 20000
	for _, name := range []string{"line", "cos", "checkerboard"} {
		s, _ := NewToy(name)
		x := SampleN(s, n, 3)
		for i := range n {
			a, b := x[2*i], x[2*i+1]
			ok := true
			switch name {
			case "line":
				ok = a == b && a >= -2.5 && a < 2.5
			case "cos":
				ok = math.Abs(float64(b)-2.5*math.Sin(float64(a))) < 1e-6 && a >= -2.5 && a < 2.5
			case "checkerboard":
				ok = !math.IsInf(Checkerboard{}.LogProb(x[2*i:2*i+2]), -1)
			}
			if !ok {
				t.Fatalf("%s: point (%g, %g) outside the support", name, a, b)
			}
		}
	}
}

func TestToyDeterminism(t *testing.T) {
	for _, name := range ToyNames() {
		s, _ := NewToy(name)
		a, b, c := SampleN(s, 100, 7), SampleN(s, 100, 7), SampleN(s, 100, 8)
		if !slices.Equal(a, b) {
			t.Errorf("%s: same seed gave different draws", name)
		}
		if slices.Equal(a, c) {
			t.Errorf("%s: different seeds gave the same draws", name)
		}
	}
}

func TestNewToyUnknown(t *testing.T) {
	_, err := NewToy("nine-gaussians")
	if err == nil || !strings.Contains(err.Error(), `"nine-gaussians"`) || !strings.Contains(err.Error(), "8gaussians") {
		t.Fatalf("got %v", err)
	}
}

// gridIntegral returns Σ exp(LogProb) · h² over a grid of cell centres covering [−L, L]².
func gridIntegral(p Density, L, h float64) float64 {
	var s float64
	pt := make([]float32, 2)
	for u := -L + h/2; u < L; u += h {
		for v := -L + h/2; v < L; v += h {
			pt[0], pt[1] = float32(u), float32(v)
			s += math.Exp(p.LogProb(pt))
		}
	}
	return s * h * h
}

func TestLogProbIntegratesToOne(t *testing.T) {
	for _, c := range []struct {
		p    Density
		L, h float64
		tol  float64
	}{
		{EightGaussians{}, 6, 0.01, 1e-6},
		{Checkerboard{}, 5, 0.01, 1e-9},
		{Circles{}, 5, 0.01, 1e-6},
		{Rings{}, 4, 0.01, 1e-6},
	} {
		if testing.Short() {
			c.h *= 2
		}
		if got := gridIntegral(c.p, c.L, c.h); math.Abs(got-1) > c.tol {
			t.Errorf("%s: ∫ρ = %.9f, want 1", c.p.Name(), got)
		}
	}
}

func TestLogProbValues(t *testing.T) {
	// Checkerboard: 1/32 inside, 0 outside.
	cb := Checkerboard{}
	if got := cb.LogProb([]float32{-3, 1}); got != -math.Log(32) {
		t.Errorf("checkerboard inside: %v", got)
	}
	if got := cb.LogProb([]float32{-3, -1}); !math.IsInf(got, -1) {
		t.Errorf("checkerboard outside: %v", got)
	}
	// 8gaussians at a centre: the component's peak (the others contribute < e^-18).
	sigma := 0.5 / 1.414
	want := math.Log(1.0/8/(2*math.Pi*sigma*sigma)) + math.Log1p(0)
	got := EightGaussians{}.LogProb([]float32{float32(4 / 1.414), 0})
	if math.Abs(got-want) > 1e-6 {
		t.Errorf("8gaussians at a centre: %v, want %v", got, want)
	}
	// Mean NLL of samples ≈ entropy: the components barely overlap, so
	// H ≈ log 8 + log(2πe σ²).
	x := SampleN(EightGaussians{}, 100000, 5)
	v := make([]float64, 100000)
	for i := range v {
		v[i] = -EightGaussians{}.LogProb(x[2*i : 2*i+2])
	}
	m, se := metrics.MeanStderr(v)
	h := math.Log(8) + math.Log(2*math.Pi*math.E*sigma*sigma)
	if math.Abs(m-h) > 5*se+1e-3 {
		t.Errorf("8gaussians mean NLL %.4f ± %.4f, want ≈ %.4f", m, se, h)
	}
}

// TestBesselI0e compares with (1/π)∫₀^π e^{z(cos θ − 1)} dθ by the trapezoid rule, which
// converges geometrically for this periodic integrand.
func TestBesselI0e(t *testing.T) {
	for _, z := range []float64{0, 1e-3, 0.5, 1, 5, 10, 24.9, 25, 25.1, 40, 100, 1000, 5000} {
		n := 20000
		var s float64
		for i := 0; i <= n; i++ {
			w := 1.0
			if i == 0 || i == n {
				w = 0.5
			}
			s += w * math.Exp(z*(math.Cos(math.Pi*float64(i)/float64(n))-1))
		}
		want := s / float64(n)
		if got := besselI0e(z); math.Abs(got-want) > 1e-13*want {
			t.Errorf("I0e(%v) = %.17g, want %.17g", z, got, want)
		}
	}
}

// TestLogProbMatchesSampler checks that each closed-form density is the sampler's: the mean
// of log ρ over draws equals ∫ ρ log ρ over a grid (the negative entropy) only when the
// draws come from ρ.
func TestLogProbMatchesSampler(t *testing.T) {
	for _, c := range []struct {
		p    Density
		L, h float64
	}{{EightGaussians{}, 6, 0.01}, {Circles{}, 5, 0.01}, {Rings{}, 4, 0.01}, {Checkerboard{}, 5, 0.02}} {
		if testing.Short() {
			c.h *= 2
		}
		var negH float64
		pt := make([]float32, 2)
		for u := -c.L + c.h/2; u < c.L; u += c.h {
			for v := -c.L + c.h/2; v < c.L; v += c.h {
				pt[0], pt[1] = float32(u), float32(v)
				if lp := c.p.LogProb(pt); !math.IsInf(lp, -1) {
					negH += math.Exp(lp) * lp * c.h * c.h
				}
			}
		}
		n := 50000
		x := SampleN(c.p, n, 9)
		v := make([]float64, n)
		for i := range v {
			v[i] = c.p.LogProb(x[2*i : 2*i+2])
		}
		m, se := metrics.MeanStderr(v)
		if math.Abs(m-negH) > 5*se+1e-4 {
			t.Errorf("%s: mean log ρ of draws %.4f ± %.4f, ∫ρ log ρ = %.4f", c.p.Name(), m, se, negH)
		}
	}
}

// A labelled draw is the plain draw (same bits) with each point's component, and the
// components are where they should be.
func TestSampleLabeled(t *testing.T) {
	for _, s := range []Labeled{EightGaussians{}, NewGMM(3, 5, 0.1, 4, 7)} {
		x := SampleN(s, 2000, 3)
		y, labels := SampleNLabeled(s, 2000, 3)
		d := s.Dim()
		count := make([]int, s.Classes())
		for i := range x {
			if x[i] != y[i] {
				t.Fatalf("%s: labelled draws differ from Sample's", s.Name())
			}
		}
		// The mean of each class is its component's mean.
		means := make([]float64, s.Classes()*d)
		for i, l := range labels {
			count[l]++
			for j := range d {
				means[l*d+j] += float64(y[i*d+j])
			}
		}
		for k, c := range count {
			if c < 2000/s.Classes()/2 {
				t.Fatalf("%s: class %d has %d of 2000 points", s.Name(), k, c)
			}
			var want []float64
			switch g := s.(type) {
			case EightGaussians:
				sn, cs := math.Sincos(float64(k) * math.Pi / 4)
				want = []float64{4 * cs / eightGaussScale, 4 * sn / eightGaussScale}
			case *GMM:
				want = g.Means[k*d : (k+1)*d]
			}
			for j := range d {
				if m := means[k*d+j] / float64(c); math.Abs(m-want[j]) > 0.1 {
					t.Fatalf("%s class %d: mean %v, component mean %v", s.Name(), k, m, want[j])
				}
			}
		}
	}
}
