package solver

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/interflow/flowbench/interp"
)

// denseLin is v(t, x) = B·x with a fixed non-symmetric d×d matrix B (row-major), computed in
// float64 and rounded once. Its flow map is x(t) = exp((t − s)·B)·x(s) and its divergence
// tr B, so log ρ_t(x) = log N(exp(−t·B)·x; 0, I) − t·tr B exactly.
type denseLin struct {
	linField
	inv []float64 // exp(−B), row-major
	fwd []float64 // exp(B)
}

// newDenseLin returns the linear field of dimension d drawn from seed: B = diag(λ) + N/√d
// with λ_j spread over [−0.8, 0.6] (tr B < 0: the flow contracts on the whole) and N a
// standard normal matrix scaled by 0.4, so that B is far from symmetric and normal.
func newDenseLin(d int, seed uint64) *denseLin {
	rng := rand.New(rand.NewPCG(seed, 77))
	a := make([]float64, d*d)
	for r := 0; r < d; r++ {
		for c := 0; c < d; c++ {
			a[r*d+c] = 0.4 * rng.NormFloat64() / math.Sqrt(float64(d))
		}
		a[r*d+r] += -0.8 + 1.4*float64(r)/float64(max(d-1, 1))
	}
	neg := make([]float64, d*d)
	for i, v := range a {
		neg[i] = -v
	}
	return &denseLin{linField: linField{d: d, a: a}, inv: expm(d, neg), fwd: expm(d, a)}
}

// expm returns exp(A) of a d×d matrix by scaling and squaring with a degree-24 Taylor
// polynomial (float64; |A|/2^s ≤ 1/2, so the truncation is below 1e-30).
func expm(d int, a []float64) []float64 {
	norm := 0.0
	for r := 0; r < d; r++ {
		s := 0.0
		for c := 0; c < d; c++ {
			s += math.Abs(a[r*d+c])
		}
		norm = max(norm, s)
	}
	sq := 0
	for norm > 0.5 {
		norm /= 2
		sq++
	}
	sc := math.Ldexp(1, -sq)
	m := make([]float64, d*d)
	for i, v := range a {
		m[i] = v * sc
	}
	mul := func(x, y []float64) []float64 {
		z := make([]float64, d*d)
		for r := 0; r < d; r++ {
			for k := 0; k < d; k++ {
				xv := x[r*d+k]
				for c := 0; c < d; c++ {
					z[r*d+c] += xv * y[k*d+c]
				}
			}
		}
		return z
	}
	// Horner: E = I + M(I + M/2(I + M/3(…)))
	e := make([]float64, d*d)
	for k := 24; k >= 1; k-- {
		e = mul(m, e)
		for i := range e {
			e[i] /= float64(k)
		}
		for r := 0; r < d; r++ {
			e[r*d+r]++
		}
	}
	for range sq {
		e = mul(e, e)
	}
	return e
}

// apply writes M·x for every row of x into out (float64 products, one rounding).
func applyMat(d int, m []float64, x, out []float32) {
	for i := 0; i+d <= len(x); i += d {
		for r := 0; r < d; r++ {
			s := 0.0
			for c := 0; c < d; c++ {
				s += m[r*d+c] * float64(x[i+c])
			}
			out[i+r] = float32(s)
		}
	}
}

// logDensity1 is the exact log ρ_1(x) of the flow of B from N(0, I).
func (l *denseLin) logDensity1(x []float32) float64 {
	d := l.d
	s := 0.0
	for r := 0; r < d; r++ {
		v := 0.0
		for c := 0; c < d; c++ {
			v += l.inv[r*d+c] * float64(x[c])
		}
		s += v * v
	}
	return -0.5*s - 0.5*float64(d)*math.Log(2*math.Pi) - l.trace()
}

// sineField is u' = c ⊙ sin(u) in the rotated coordinates u = Q·x (Q orthogonal): v(t, x) =
// Qᵀ(c ⊙ sin(Q·x)), a nonlinear field whose divergence Σ_j c_j·cos(u_j) depends on x (so that
// the error control of ℓ matters), with the closed-form flow tan(u_j(t)/2) =
// tan(u_j(0)/2)·e^{c_j·t} on each branch ((2k−1)π, (2k+1)π) and
//
//	log ∂u_j(1)/∂u_j(0) = c_j − log(cos²(u_j(0)/2) + sin²(u_j(0)/2)·e^{2c_j}).
//
// N(0, I) is invariant under Q, so log ρ_1(x) = log N(x(0)) − Σ_j log ∂u_j(1)/∂u_j(0).
type sineField struct {
	d    int
	q, c []float64
	u    []float64
}

func newSineField(d int, seed uint64) *sineField {
	rng := rand.New(rand.NewPCG(seed, 99))
	q := make([]float64, d*d)
	for i := range q {
		q[i] = rng.NormFloat64()
	}
	for r := 0; r < d; r++ { // Gram–Schmidt on the rows
		row := q[r*d : r*d+d]
		for p := 0; p < r; p++ {
			prev, dot := q[p*d:p*d+d], 0.0
			for j := range row {
				dot += row[j] * prev[j]
			}
			for j := range row {
				row[j] -= dot * prev[j]
			}
		}
		nrm := 0.0
		for _, v := range row {
			nrm += v * v
		}
		for j := range row {
			row[j] /= math.Sqrt(nrm)
		}
	}
	c := make([]float64, d)
	for j := range c {
		c[j] = -1.5 + 3*float64(j)/float64(max(d-1, 1))
		if d == 1 {
			c[j] = 1
		}
	}
	return &sineField{d: d, q: q, c: c, u: make([]float64, d)}
}

func (s *sineField) Dim() int { return s.d }

// rot sets s.u = Q·x of one row.
func (s *sineField) rot(x []float32) {
	d := s.d
	for r := 0; r < d; r++ {
		v := 0.0
		for j := 0; j < d; j++ {
			v += s.q[r*d+j] * float64(x[j])
		}
		s.u[r] = v
	}
}

func (s *sineField) Velocity(t float64, x, out []float32) {
	d := s.d
	for i := 0; i+d <= len(x); i += d {
		s.rot(x[i : i+d])
		for r := range s.u {
			s.u[r] = s.c[r] * math.Sin(s.u[r])
		}
		for j := 0; j < d; j++ {
			v := 0.0
			for r := 0; r < d; r++ {
				v += s.q[r*d+j] * s.u[r]
			}
			out[i+j] = float32(v)
		}
	}
}

func (s *sineField) VelocityDiv(t float64, x, out []float32, div []float64) {
	d := s.d
	for i := range div {
		s.rot(x[i*d : i*d+d])
		dv := 0.0
		for r, u := range s.u {
			dv += s.c[r] * math.Cos(u)
		}
		div[i] = dv
	}
	s.Velocity(t, x, out)
}

func (s *sineField) VelocityDivHutchinson(t float64, x, out []float32, div []float64, probe []float32) {
	panic("not used")
}

// flowU maps u(0) to u(t) along coordinate j (float64).
func (s *sineField) flowU(j int, u, t float64) float64 {
	k := math.Round(u / (2 * math.Pi))
	v := u - 2*math.Pi*k
	return 2*math.Atan(math.Tan(v/2)*math.Exp(s.c[j]*t)) + 2*math.Pi*k
}

// push is the exact flow map 0 → 1 of a batch.
func (s *sineField) push(x0, x []float32) {
	d := s.d
	for i := 0; i+d <= len(x0); i += d {
		s.rot(x0[i : i+d])
		for r := range s.u {
			s.u[r] = s.flowU(r, s.u[r], 1)
		}
		for j := 0; j < d; j++ {
			v := 0.0
			for r := 0; r < d; r++ {
				v += s.q[r*d+j] * s.u[r]
			}
			x[i+j] = float32(v)
		}
	}
}

// logDensity1 is the exact log ρ_1(x).
func (s *sineField) logDensity1(x []float32) float64 {
	s.rot(x)
	lp := -0.5 * float64(s.d) * math.Log(2*math.Pi)
	for j, u1 := range s.u {
		u0 := s.flowU(j, u1, -1)
		lp -= 0.5 * u0 * u0
		sn, cs := math.Sincos(u0 / 2)
		lp -= s.c[j] - math.Log(cs*cs+sn*sn*math.Exp(2*s.c[j]))
	}
	return lp
}

// densityProblem is a field with a closed-form log ρ_1 and a way to draw data from ρ_1.
type densityProblem struct {
	name  string
	d     int
	f     DivField
	exact func(x []float32) float64       // log ρ_1 at one point
	push  func(x0 []float32, x []float32) // exact flow map 0 → 1 of a batch
}

// densityProblems are the closed-form fields of the accuracy tests in dimensions ds: the
// Gaussian → N(m, diag σ²) field of the linear and the trigonometric interpolant, a dense
// non-symmetric linear field (their divergences do not depend on x) and a rotated sine field
// (whose divergence does).
func densityProblems(t testing.TB, ds []int) []densityProblem {
	var ps []densityProblem
	for _, d := range ds {
		mean, std := make([]float64, d), make([]float64, d)
		for j := range mean {
			u := float64(j) / float64(max(d-1, 1))
			mean[j] = 2 * math.Sin(3*u+0.5)
			std[j] = 0.3 + 1.7*u*u
			if j%2 == 1 {
				std[j] = 2.3 - std[j]
			}
		}
		for _, ip := range []interp.Interpolant{interp.Linear{}, interp.Trig{}} {
			g, err := interp.NewGaussianField(ip, mean, std)
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, densityProblem{
				name: "gauss-" + ip.Name(), d: d, f: g,
				exact: func(x []float32) float64 { return g.LogDensity(1, x) },
				push:  func(x0, x []float32) { g.Flow(0, 1, x0, x) },
			})
		}
		l := newDenseLin(d, uint64(d))
		ps = append(ps, densityProblem{
			name: "linear", d: d, f: l, exact: l.logDensity1,
			push: func(x0, x []float32) { applyMat(d, l.fwd, x0, x) },
		})
		sf := newSineField(d, uint64(d))
		ps = append(ps, densityProblem{name: "sine", d: d, f: sf, exact: sf.logDensity1, push: sf.push})
	}
	return ps
}

// densityErrors returns the largest |log p − exact| over n points of LogDensity (backward
// from data drawn from ρ_1 with the exact flow map) and of SampleLogDensity (forward from
// base samples, against the exact log ρ_1 at the computed sample).
func densityErrors(t testing.TB, w *Workspace, p densityProblem, n int, o *Options) (back, fwd float64, st [2]Stats) {
	ctx := context.Background()
	d := p.d
	x := normals(uint64(1000+d), d*n)
	data := make([]float32, len(x))
	p.push(x, data)
	copy(x, data)
	lp := make([]float64, n)
	var err error
	if st[0], err = w.LogDensity(ctx, p.f, 1, x, lp, nil, o); err != nil {
		t.Fatal(err)
	}
	for i := range lp {
		back = max(back, math.Abs(lp[i]-p.exact(data[i*d:i*d+d])))
	}
	x = normals(uint64(2000+d), d*n)
	if st[1], err = w.SampleLogDensity(ctx, p.f, x, lp, nil, o); err != nil {
		t.Fatal(err)
	}
	for i := range lp {
		fwd = max(fwd, math.Abs(lp[i]-p.exact(x[i*d:i*d+d])))
	}
	return back, fwd, st
}

// TestLogDensityAccuracy is the regression test of the log-densities' accuracy against closed
// forms (densityProblems) in d = 2, 8 and 32, backward (LogDensity from data at t = 1) and
// forward (SampleLogDensity):
//
//   - Dopri5 at the log-density defaults (zero tolerances: DensityRTol, DensityATol) is within
//     1e-4 nats (measured: ≤ 4.1e-6); at DefaultRTol = DefaultATol = 1e-5 it is not (3.7e-4
//     backward, 2.1e-3 forward), which is logged only.
//   - RK4 with 64 to 4096 steps is within 1e-5 nats (measured: ≤ 2e-6 at every step count):
//     the state and ℓ are accumulated in float64, so the error does not grow with the step
//     count (with a float32 state it reached 1.9e-4 at 4096 steps). RK4 at 8 steps
//     (truncation error, up to 8e-3) is logged only.
//
// FLOWBENCH_ACCURACY_TABLE=1 logs the whole table with 1000 points per case.
func TestLogDensityAccuracy(t *testing.T) {
	table := os.Getenv("FLOWBENCH_ACCURACY_TABLE") != ""
	n, long := 300, 60 // points per case; RK4 at s ≥ 512 steps: long·512/s points
	steps := []int{8, 64, 512, 4096}
	if testing.Short() {
		n, long = 100, 20
	}
	if table {
		n, long = 1000, 8000
	}
	type config struct {
		name string
		o    *Options
		tol  float64 // +Inf: logged only
	}
	configs := []config{
		{"dopri5 density", &Options{Method: Dopri5}, 1e-4},
		{"dopri5 1e-5", &Options{Method: Dopri5, RTol: DefaultRTol, ATol: DefaultATol}, math.Inf(1)},
	}
	for _, s := range steps {
		tol := 1e-5
		if s < 64 {
			tol = math.Inf(1)
		}
		configs = append(configs, config{fmt.Sprintf("rk4 %d", s), &Options{Method: RK4, Steps: s}, tol})
	}
	var w Workspace
	for _, p := range densityProblems(t, []int{2, 8, 32}) {
		for _, c := range configs {
			rows := n
			if c.o.Steps >= 512 {
				rows = min(n, long*512/c.o.Steps)
			}
			back, fwd, st := densityErrors(t, &w, p, rows, c.o)
			t.Logf("%-12s d=%-3d %-15s backward %.2e (%d NFE)  forward %.2e (%d NFE)", p.name, p.d, c.name, back, st[0].NFE, fwd, st[1].NFE)
			if back > c.tol || fwd > c.tol {
				t.Errorf("%s d=%d %s: max |log p − exact| backward %.3g, forward %.3g nats, want ≤ %g", p.name, p.d, c.name, back, fwd, c.tol)
			}
		}
	}
}

// TestDensityDefaults: zero tolerances of LogDensity and SampleLogDensity are DensityRTol and
// DensityATol (the same bits as passing them), tighter than Solve's defaults.
func TestDensityDefaults(t *testing.T) {
	p := densityProblems(t, []int{3})[0]
	ctx := context.Background()
	var w Workspace
	run := func(o *Options, forward bool) ([]float64, Stats) {
		x := normals(3, 3*50)
		lp := make([]float64, 50)
		var st Stats
		var err error
		if forward {
			st, err = w.SampleLogDensity(ctx, p.f, x, lp, nil, o)
		} else {
			st, err = w.LogDensity(ctx, p.f, 1, x, lp, nil, o)
		}
		if err != nil {
			t.Fatal(err)
		}
		return lp, st
	}
	for _, fwd := range []bool{false, true} {
		a, sa := run(&Options{Method: Dopri5}, fwd)
		b, _ := run(&Options{Method: Dopri5, RTol: DensityRTol, ATol: DensityATol}, fwd)
		_, sc := run(&Options{Method: Dopri5, RTol: DefaultRTol, ATol: DefaultATol}, fwd)
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
				t.Fatalf("forward %v, row %d: zero tolerances give %v, DensityRTol/ATol %v", fwd, i, a[i], b[i])
			}
		}
		if sa.NFE <= sc.NFE {
			t.Errorf("forward %v: %d evaluations at the density defaults, %d at 1e-5", fwd, sa.NFE, sc.NFE)
		}
	}
}

// TestCombine64: combine64 against a per-element float64 loop, across block boundaries, with
// zero coefficients, a nil y, out aliasing y, and either output nil.
func TestCombine64(t *testing.T) {
	b := []float64{0.25, 0, -1.5, 1.0 / 3}
	for _, n := range []int{0, 1, 7, combineBlock - 1, combineBlock, combineBlock + 1, 3*combineBlock + 5} {
		ks := make([][]float32, len(b))
		for s := range ks {
			ks[s] = normals(uint64(10+s), n)
		}
		y := make([]float64, n)
		for i, v := range normals(9, n) {
			y[i] = float64(v) + 1e-9 // not a float32
		}
		const h = 0.37
		want := func(y0 float64, i int) float64 {
			acc := 0.0
			for s, c := range b {
				if c != 0 {
					acc += c * float64(ks[s][i])
				}
			}
			return y0 + h*acc
		}
		out, out32 := make([]float64, n), make([]float32, n)
		combine64(out, out32, y, h, b, ks)
		only32 := make([]float32, n)
		combine64(nil, only32, y, h, b, ks)
		ev := make([]float64, n)
		combine64(ev, nil, nil, h, b, ks)
		alias := append([]float64(nil), y...)
		combine64(alias, nil, alias, h, b, ks)
		for i := range n {
			w := want(y[i], i)
			if out[i] != w || out32[i] != float32(w) || only32[i] != float32(w) || alias[i] != w {
				t.Fatalf("n=%d i=%d: out %v, out32 %v, only32 %v, aliased %v; want %v", n, i, out[i], out32[i], only32[i], alias[i], w)
			}
			if e := want(0, i); ev[i] != e {
				t.Fatalf("n=%d i=%d: nil y gives %v, want %v", n, i, ev[i], e)
			}
		}
	}
}
