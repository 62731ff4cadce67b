package solver

import (
	"math"
	"math/rand/v2"
)

// rowField applies a per-row ODE right-hand side (in float64) to every row of a batch.
type rowField struct {
	d   int
	f   func(t float64, y, dy []float64)
	div func(t float64, y []float64) float64 // exact divergence, may be nil
	yb  [8]float64
	db  [8]float64
	ts  []float64 // times of evaluation, when recording
	rec bool
}

func (r *rowField) Dim() int { return r.d }

func (r *rowField) Velocity(t float64, x, out []float32) {
	if r.rec {
		r.ts = append(r.ts, t)
	}
	y, dy := r.yb[:r.d], r.db[:r.d]
	for i := 0; i+r.d <= len(x); i += r.d {
		for j := range y {
			y[j] = float64(x[i+j])
		}
		r.f(t, y, dy)
		for j := range dy {
			out[i+j] = float32(dy[j])
		}
	}
}

func (r *rowField) VelocityDiv(t float64, x, out []float32, div []float64) {
	r.Velocity(t, x, out)
	y := r.yb[:r.d]
	for i := range div {
		for j := range y {
			y[j] = float64(x[i*r.d+j])
		}
		div[i] = r.div(t, y)
	}
}

func (r *rowField) VelocityDivHutchinson(t float64, x, out []float32, div []float64, probe []float32) {
	panic("not used")
}

// The closed-form problems (also run through SciPy's solve_ivp, see scipyCounts).
func expSin() *rowField { // y' = y cos t, y = y0 exp(sin t − sin t0)
	return &rowField{d: 1, f: func(t float64, y, dy []float64) { dy[0] = y[0] * math.Cos(t) },
		div: func(t float64, y []float64) float64 { return math.Cos(t) }}
}

func oscillator() *rowField { // y1' = y2, y2' = −y1
	return &rowField{d: 2, f: func(t float64, y, dy []float64) { dy[0], dy[1] = y[1], -y[0] },
		div: func(float64, []float64) float64 { return 0 }}
}

func logistic() *rowField { // y' = −2t y², y = 1/(1 + t²) from y(0) = 1
	return &rowField{d: 1, f: func(t float64, y, dy []float64) { dy[0] = -2 * t * y[0] * y[0] },
		div: func(t float64, y []float64) float64 { return -4 * t * y[0] }}
}

// linField is v = A·x with a constant d×d matrix (row-major), exact divergence tr A and the
// Hutchinson estimate εᵀAε.
type linField struct {
	d int
	a []float64
}

func (l *linField) Dim() int { return l.d }

func (l *linField) Velocity(t float64, x, out []float32) {
	d := l.d
	for i := 0; i+d <= len(x); i += d {
		for r := 0; r < d; r++ {
			s := 0.0
			for c := 0; c < d; c++ {
				s += l.a[r*d+c] * float64(x[i+c])
			}
			out[i+r] = float32(s)
		}
	}
}

func (l *linField) trace() float64 {
	s := 0.0
	for r := 0; r < l.d; r++ {
		s += l.a[r*l.d+r]
	}
	return s
}

func (l *linField) VelocityDiv(t float64, x, out []float32, div []float64) {
	l.Velocity(t, x, out)
	for i := range div {
		div[i] = l.trace()
	}
}

func (l *linField) VelocityDivHutchinson(t float64, x, out []float32, div []float64, probe []float32) {
	l.Velocity(t, x, out)
	d := l.d
	for i := range div {
		e := probe[i*d : i*d+d]
		s := 0.0
		for r := 0; r < d; r++ {
			for c := 0; c < d; c++ {
				s += float64(e[r]) * l.a[r*d+c] * float64(e[c])
			}
		}
		div[i] = s
	}
}

func normals(seed uint64, n int) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

func maxAbsDiff(a, b []float32) float64 {
	e := 0.0
	for i := range a {
		e = max(e, math.Abs(float64(a[i])-float64(b[i])))
	}
	return e
}
