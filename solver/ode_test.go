package solver

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/interflow/flowbench/interp"
)

// multiExp: row r solves y' = ω_r·y·cos(ω_r t), y = exp(sin(ω_r t)).
type multiExp struct{ om []float64 }

func (m *multiExp) Dim() int { return 1 }
func (m *multiExp) Velocity(t float64, x, out []float32) {
	for i, w := range m.om {
		out[i] = float32(w * float64(x[i]) * math.Cos(w*t))
	}
}

// multiLog: row r solves y' = −2·c_r·t·y², y = 1/(1 + c_r·t²).
type multiLog struct{ c []float64 }

func (m *multiLog) Dim() int { return 1 }
func (m *multiLog) Velocity(t float64, x, out []float32) {
	for i, c := range m.c {
		y := float64(x[i])
		out[i] = float32(-2 * c * t * y * y)
	}
}

// fixedOpts returns options taking n equal steps with any method; adaptive methods get
// FirstStep = MaxStep = span/n and tolerances so loose that every step is accepted.
func fixedOpts(m Method, n int, span float64) *Options {
	if m.Adaptive() {
		h := span / float64(n)
		return &Options{Method: m, RTol: 1e6, ATol: 1e6, FirstStep: h, MaxStep: h}
	}
	return &Options{Method: m, Steps: n}
}

// TestConvergenceOrder measures the order of every method, forward and backward, on
// closed-form problems: the least-squares slope of log(error) against log(steps) over step
// counts whose errors lie well above float32 rounding. The field sees float32 values, so for
// orders ≥ 4 only one or two halvings fit between the pre-asymptotic range and the rounding
// floor; pre-asymptotic slopes often exceed the order there, so the bound is asymmetric:
// slope ≥ p − 0.35 (a wrong coefficient drops the order by at least one; Dopri5: see below)
// and ≤ p + 1.5. TestTableauOrder checks the tableaus' orders in float64.
func TestConvergenceOrder(t *testing.T) {
	const rows = 32
	me, ml := &multiExp{}, &multiLog{}
	for i := 0; i < rows; i++ {
		me.om = append(me.om, 1+3*float64(i)/(rows-1))
		ml.c = append(ml.c, 0.5+2*float64(i)/(rows-1))
	}
	type problem struct {
		name   string
		f      Field
		t0, t1 float64
		exact  func(i int, t float64) float64
	}
	expSol := func(i int, t float64) float64 { return math.Exp(math.Sin(me.om[i] * t)) }
	logSol := func(i int, t float64) float64 { return 1 / (1 + ml.c[i]*t*t) }
	cases := []struct {
		m    Method
		p    problem
		ns   []int
		want float64
	}{
		{Euler, problem{"exp", me, 0, 2, expSol}, []int{64, 128, 256, 512}, 1},
		{Euler, problem{"exp-back", me, 2, 0, expSol}, []int{64, 128, 256, 512}, 1},
		{Midpoint, problem{"exp", me, 0, 2, expSol}, []int{64, 128, 256}, 2},
		{Midpoint, problem{"exp-back", me, 2, 0, expSol}, []int{64, 128, 256}, 2},
		{Heun, problem{"exp", me, 0, 2, expSol}, []int{64, 128, 256}, 2},
		{Heun, problem{"exp-back", me, 2, 0, expSol}, []int{64, 128, 256}, 2},
		{Bosh3, problem{"exp", me, 0, 2, expSol}, []int{32, 64, 128}, 3},
		{Bosh3, problem{"exp-back", me, 2, 0, expSol}, []int{32, 64, 128}, 3},
		{RK4, problem{"log", ml, 0, 3, logSol}, []int{8, 12, 16, 24}, 4},
		{RK4, problem{"log-back", ml, 3, 0, logSol}, []int{16, 24, 32, 48}, 4},
		{Dopri5, problem{"log-back", ml, 3, 0, logSol}, []int{4, 6, 8, 12, 16}, 5},
		{Dopri5, problem{"exp", me, 0, 2, expSol}, []int{8, 12, 16}, 5},
	}
	for _, c := range cases {
		t.Run(c.m.String()+"/"+c.p.name, func(t *testing.T) {
			var lx, ly []float64
			for _, n := range c.ns {
				x := make([]float32, rows)
				for i := range x {
					x[i] = float32(c.p.exact(i, c.p.t0))
				}
				st, err := Solve(context.Background(), c.p.f, x, c.p.t0, c.p.t1, fixedOpts(c.m, n, math.Abs(c.p.t1-c.p.t0)))
				if err != nil {
					t.Fatal(err)
				}
				if st.Accepted != n || st.Rejected != 0 {
					t.Fatalf("n=%d: %d accepted, %d rejected steps", n, st.Accepted, st.Rejected)
				}
				s := 0.0
				for i := range x {
					e := float64(x[i]) - c.p.exact(i, c.p.t1)
					s += e * e
				}
				e := math.Sqrt(s / rows)
				if e < 1e-7 {
					t.Fatalf("n=%d: error %.3g is too close to float32 rounding to measure an order", n, e)
				}
				lx = append(lx, math.Log(float64(n)))
				ly = append(ly, math.Log(e))
			}
			slope := -lsSlope(lx, ly)
			t.Logf("order %.2f (want %v)", slope, c.want)
			lo := c.want - 0.35
			if c.m == Dopri5 {
				// Dopri5's error constants are so small that its asymptotic range starts
				// below float32 rounding (TestTableauOrder shows order 5 in float64 only
				// for errors < 1e-9); the measurable slope here is 4.3–5.1.
				lo = c.want - 0.75
			}
			if slope < lo || slope > c.want+1.5 {
				t.Errorf("measured order %.2f, want ≈ %v", slope, c.want)
			}
		})
	}
}

// TestTableauOrder runs every tableau (and the embedded estimate b̂ = b − e of the adaptive
// ones) through a float64 stepping loop on y' = 3y·cos 3t, where the asymptotic orders show
// cleanly: the slope between 128 and 256 steps must be within 0.15 of the order.
func TestTableauOrder(t *testing.T) {
	f := func(t, y float64) float64 { return 3 * y * math.Cos(3*t) }
	want := math.Exp(math.Sin(6))
	solve := func(tab *tableau, b []float64, n int) float64 {
		h := 2.0 / float64(n)
		y := 1.0
		k := make([]float64, tab.stages)
		for i := 0; i < n; i++ {
			t0 := float64(i) * h
			for s := 0; s < tab.stages; s++ {
				ys := y
				for j := 0; j < s; j++ {
					ys += h * tab.a[s][j] * k[j]
				}
				k[s] = f(t0+tab.c[s]*h, ys)
			}
			for s := range k {
				y += h * b[s] * k[s]
			}
		}
		return math.Abs(y - want)
	}
	for m := Method(0); m < numMethods; m++ {
		tab := tableaus[m]
		check := func(name string, b []float64, order int) {
			e1, e2 := solve(tab, b, 128), solve(tab, b, 256)
			slope := math.Log2(e1 / e2)
			if math.Abs(slope-float64(order)) > 0.15 {
				t.Errorf("%v %s: slope %.3f (errors %.3g, %.3g), want %d", m, name, slope, e1, e2, order)
			}
		}
		check("b", tab.b, tab.order)
		if tab.e != nil {
			// The embedded solution's global error cancels on this problem; check its local
			// error of one step from t = 0.3 instead: O(h^(q+1)).
			local := func(h float64) float64 {
				k := make([]float64, tab.stages)
				y0 := math.Exp(math.Sin(0.9))
				for s := 0; s < tab.stages; s++ {
					ys := y0
					for j := 0; j < s; j++ {
						ys += h * tab.a[s][j] * k[j]
					}
					k[s] = f(0.3+tab.c[s]*h, ys)
				}
				y := y0
				for s := range k {
					y += h * (tab.b[s] - tab.e[s]) * k[s]
				}
				return math.Abs(y - math.Exp(math.Sin(3*(0.3+h))))
			}
			e1, e2 := local(1.0/32), local(1.0/64)
			if slope := math.Log2(e1 / e2); math.Abs(slope-float64(tab.errOrder+1)) > 0.2 {
				t.Errorf("%v b̂: local error slope %.3f (errors %.3g, %.3g), want %d", m, slope, e1, e2, tab.errOrder+1)
			}
		}
	}
}

func lsSlope(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(x))
	var sxy, sxx float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
	}
	return sxy / sxx
}

// TestDopri5VsSciPy checks that Dopri5 meets its tolerance (error ≤ 10·tol) with at most
// 1.2× the evaluations SciPy 1.10.1's solve_ivp(method="RK45", rtol=tol, atol=tol) needed
// on the same problems. The SciPy counts were measured once with Debian's python3-scipy
// (script in the comment below) and are recorded here, so the test needs no Python.
//
//	f = {expsin: y' = y cos t, y(0) = 1 on [0, 10] (and back from y(10)); oscillator:
//	     y1' = y2, y2' = −y1 from (1, 0) on [0, 10]; logistic: y' = −2ty² from 1 on [0, 5];
//	     gaussian: the Trig GaussianField, m = (1, −2), σ = (0.5, 2), from (0.3, −0.7) on [0, 1]}
//	solve_ivp(f, (t0, t1), y0, method="RK45", rtol=tol, atol=tol).nfev
func TestDopri5VsSciPy(t *testing.T) {
	g, err := interp.NewGaussianField(interp.Trig{}, []float64{1, -2}, []float64{0.5, 2})
	if err != nil {
		t.Fatal(err)
	}
	gw := make([]float32, 2)
	g.Flow(0, 1, []float32{0.3, -0.7}, gw)
	type problem struct {
		f      Field
		x0     []float32
		t0, t1 float64
		want   []float64
		scipy  [3]int // nfev at tol 1e-3, 1e-5, 1e-6
	}
	probs := map[string]problem{
		"expsin":      {expSin(), []float32{1}, 0, 10, []float64{math.Exp(math.Sin(10))}, [3]int{74, 170, 248}},
		"expsin-back": {expSin(), []float32{float32(math.Exp(math.Sin(10)))}, 10, 0, []float64{1}, [3]int{80, 170, 254}},
		"oscillator":  {oscillator(), []float32{1, 0}, 0, 10, []float64{math.Cos(10), -math.Sin(10)}, [3]int{62, 146, 230}},
		"logistic":    {logistic(), []float32{1}, 0, 5, []float64{1.0 / 26}, [3]int{74, 110, 152}},
		"gaussian":    {g, []float32{0.3, -0.7}, 0, 1, []float64{float64(gw[0]), float64(gw[1])}, [3]int{20, 38, 56}},
	}
	for name, p := range probs {
		for k, tol := range []float64{1e-3, 1e-5, 1e-6} {
			x := append([]float32(nil), p.x0...)
			st, err := Solve(context.Background(), p.f, x, p.t0, p.t1, &Options{Method: Dopri5, RTol: tol, ATol: tol})
			if err != nil {
				t.Fatalf("%s tol %g: %v", name, tol, err)
			}
			e := 0.0
			for i := range x {
				e = max(e, math.Abs(float64(x[i])-p.want[i]))
			}
			t.Logf("%s tol %g: error %.3g (%.2f·tol), NFE %d (SciPy %d), %d accepted, %d rejected", name, tol, e, e/tol, st.NFE, p.scipy[k], st.Accepted, st.Rejected)
			if e > 10*tol {
				t.Errorf("%s tol %g: error %.3g > 10·tol", name, tol, e)
			}
			if float64(st.NFE) > 1.2*float64(p.scipy[k]) {
				t.Errorf("%s tol %g: %d evaluations, SciPy needed %d", name, tol, st.NFE, p.scipy[k])
			}
			if st.NFE != 2+6*(st.Accepted+st.Rejected) {
				t.Errorf("%s: NFE %d ≠ 2 + 6·(%d+%d)", name, st.NFE, st.Accepted, st.Rejected)
			}
		}
	}
}

// recField records the times at which it is evaluated.
type recField struct {
	Field
	ts []float64
}

func (r *recField) Velocity(t float64, x, out []float32) {
	r.ts = append(r.ts, t)
	r.Field.Velocity(t, x, out)
}

// TestExactLanding checks that no evaluation falls outside [t0, t1] and that the last step
// ends exactly on t1, forward and backward, for every method and awkward spans.
func TestExactLanding(t *testing.T) {
	for m := Method(0); m < numMethods; m++ {
		for _, span := range [][2]float64{{0, 0.7}, {0.7, 0}, {0.1, 1}, {1, 1e-3}, {-0.3, 2.9}} {
			f := &recField{Field: expSin()}
			x := []float32{1, 2, 3}
			opt := &Options{Method: m, Steps: 7, RTol: 1e-4, ATol: 1e-4}
			st, err := Solve(context.Background(), f, x, span[0], span[1], opt)
			if err != nil {
				t.Fatal(err)
			}
			lo, hi := min(span[0], span[1]), max(span[0], span[1])
			for _, tt := range f.ts {
				if tt < lo || tt > hi {
					t.Fatalf("%v %v: evaluated at t = %v outside the span", m, span, tt)
				}
			}
			last := f.ts[len(f.ts)-1]
			if m != Midpoint && m != Euler && last != span[1] { // these have no stage at the step's end
				t.Errorf("%v %v: last evaluation at %v, want exactly %v", m, span, last, span[1])
			}
			if math.Signbit(st.LastStep) != (span[1] < span[0]) {
				t.Errorf("%v %v: last step %v has the wrong sign", m, span, st.LastStep)
			}
			want := math.Exp(math.Sin(span[1]) - math.Sin(span[0]))
			if e := math.Abs(float64(x[0]) - want); e > 0.05*want && m != Euler {
				t.Errorf("%v %v: x = %v, want %v", m, span, x[0], want)
			}
		}
	}
}

// TestNormRow: one hard row among easy ones. Per-row control makes that row meet the
// tolerance on its own; batch-RMS control averages it with the easy rows.
func TestNormRow(t *testing.T) {
	const rows = 64
	f := &multiExp{}
	for i := 0; i < rows; i++ {
		f.om = append(f.om, 0.5)
	}
	f.om[17] = 8
	run := func(norm Norm) (Stats, float64) {
		x := make([]float32, rows)
		for i := range x {
			x[i] = 1
		}
		st, err := Solve(context.Background(), f, x, 0, 3, &Options{Method: Dopri5, RTol: 1e-5, ATol: 1e-5, Norm: norm})
		if err != nil {
			t.Fatal(err)
		}
		return st, math.Abs(float64(x[17]) - math.Exp(math.Sin(8*3)))
	}
	sb, eb := run(NormBatch)
	sr, er := run(NormRow)
	t.Logf("batch: %+v err %.3g; row: %+v err %.3g", sb, eb, sr, er)
	if sr.NFE <= sb.NFE {
		t.Errorf("per-row control took %d evaluations, batch %d: want more", sr.NFE, sb.NFE)
	}
	if er > 10*1e-5*3 {
		t.Errorf("per-row control: hard row error %.3g", er)
	}
	if er >= eb {
		t.Errorf("per-row error %.3g not below batch error %.3g", er, eb)
	}
}

type nanField struct{ after float64 }

func (n nanField) Dim() int { return 1 }
func (n nanField) Velocity(t float64, x, out []float32) {
	for i := range out {
		out[i] = 1
		if t > n.after && i == 2 {
			out[i] = float32(math.NaN())
		}
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	var se *StepError
	// blow-up y' = y² from y(0) = 1 has a pole at t = 1.
	blow := &rowField{d: 1, f: func(t float64, y, dy []float64) { dy[0] = y[0] * y[0] }}
	_, err := Solve(ctx, blow, []float32{1}, 0, 2, &Options{Method: Dopri5, RTol: 1e-6, ATol: 1e-6})
	if !errors.As(err, &se) || !(errors.Is(err, ErrStepUnderflow) || errors.Is(err, ErrNonFinite)) {
		t.Fatalf("pole: got %v", err)
	}
	if se.T < 0.99 || se.T > 1.01 || se.Stats.NFE == 0 || !strings.Contains(err.Error(), "t = ") {
		t.Errorf("pole: error %v: want t just below 1 and the counts", err)
	}
	_, err = Solve(ctx, expSin(), []float32{1}, 0, 100, &Options{Method: Dopri5, MaxSteps: 5})
	if !errors.As(err, &se) || !errors.Is(err, ErrMaxSteps) || se.Stats.Accepted+se.Stats.Rejected != 5 || se.H == 0 {
		t.Fatalf("max steps: got %v", err)
	}
	_, err = Solve(ctx, nanField{0.5}, []float32{0, 0, 0, 0}, 0, 1, &Options{Method: RK4, Steps: 10})
	if !errors.As(err, &se) || !errors.Is(err, ErrNonFinite) || se.Row != 2 || se.T < 0.5 || se.T > 0.7 {
		t.Fatalf("NaN field: got %v", err)
	}
	_, err = Solve(ctx, nanField{0.5}, []float32{0, 0, 0, 0}, 0, 1, &Options{Method: Dopri5})
	if !errors.As(err, &se) || !errors.Is(err, ErrNonFinite) || se.T > 0.5 {
		t.Fatalf("NaN field, adaptive: got %v", err)
	}
	_, err = Solve(ctx, expSin(), []float32{1, float32(math.Inf(1))}, 0, 1, &Options{Method: RK4, Steps: 10})
	if !errors.As(err, &se) || !errors.Is(err, ErrNonFinite) || se.Row != 1 {
		t.Fatalf("Inf input: got %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Solve(cctx, expSin(), []float32{1}, 0, 1, &Options{Method: RK4, Steps: 10})
	if !errors.Is(err, context.Canceled) || !errors.As(err, &se) {
		t.Fatalf("cancelled: got %v", err)
	}
	for _, c := range []struct {
		o     Options
		field string
	}{
		{Options{Method: RK4}, "Steps"},
		{Options{Method: 17}, "Method"},
		{Options{Method: Dopri5, RTol: -1}, "RTol"},
		{Options{Method: Dopri5, ATol: math.NaN()}, "ATol"},
		{Options{Method: Dopri5, MaxStep: 0.1, MinStep: 1}, "MinStep"},
		{Options{Method: Dopri5, Safety: 2}, "Safety"},
		{Options{Method: Dopri5, MaxFactor: 0.5}, "MaxFactor"},
		{Options{Method: Dopri5, MaxSteps: -1}, "MaxSteps"},
	} {
		_, err := Solve(ctx, expSin(), []float32{1}, 0, 1, &c.o)
		if err == nil || !strings.Contains(err.Error(), "Options."+c.field) {
			t.Errorf("%+v: got %v, want an error naming %s", c.o, err, c.field)
		}
	}
	if _, err := Solve(ctx, oscillator(), []float32{1, 2, 3}, 0, 1, &Options{Method: RK4, Steps: 1}); err == nil {
		t.Error("3 values for a 2-D field: no error")
	}
	if _, err := ParseMethod("rk5"); err == nil {
		t.Error("ParseMethod(rk5): no error")
	}
	for m := Method(0); m < numMethods; m++ {
		if p, err := ParseMethod(strings.ToUpper(m.String())); err != nil || p != m {
			t.Errorf("ParseMethod(%v) = %v, %v", m, p, err)
		}
	}
	for m := DivExact; m <= DivGaussian; m++ {
		if p, err := ParseDivMode(strings.ToUpper(m.String())); err != nil || p != m {
			t.Errorf("ParseDivMode(%v) = %v, %v", m, p, err)
		}
	}
	for m := EulerMaruyama; m <= StochasticHeun; m++ {
		if p, err := ParseSDEMethod(strings.ToUpper(m.String())); err != nil || p != m {
			t.Errorf("ParseSDEMethod(%v) = %v, %v", m, p, err)
		}
	}
	for _, c := range [][2]string{{numMethods.String(), "Method(6)"}, {DivMode(3).String(), "DivMode(3)"}, {SDEMethod(200).String(), "SDEMethod(200)"}} {
		if c[0] != c[1] {
			t.Errorf("String of an unnamed value: %q, want %q", c[0], c[1])
		}
	}
}

// TestAllocs: after one warm-up solve, a solve through a reused workspace allocates nothing.
func TestAllocs(t *testing.T) {
	g, _ := interp.NewGaussianField(interp.Trig{}, []float64{1, -2}, []float64{0.5, 2})
	x0 := normals(1, 2*256)
	x := make([]float32, len(x0))
	ell := make([]float64, 256)
	ctx := context.Background()
	var w Workspace
	noAllocs := func(name string, solve func() (Stats, error)) {
		run := func() {
			copy(x, x0)
			if _, err := solve(); err != nil {
				t.Fatal(err)
			}
		}
		run()
		if a := testing.AllocsPerRun(5, run); a != 0 {
			t.Errorf("%s: %v allocations per solve", name, a)
		}
	}
	for m := Method(0); m < numMethods; m++ {
		opt := &Options{Method: m, Steps: 10, RTol: 1e-5, ATol: 1e-5}
		noAllocs(m.String(), func() (Stats, error) { return w.Solve(ctx, g, x, 0, 1, opt) })
		for _, dm := range []DivMode{DivExact, DivRademacher, DivGaussian} {
			o := *opt
			o.Div = dm
			noAllocs(m.String()+" "+dm.String()+" augmented", func() (Stats, error) { return w.SolveDiv(ctx, g, x, ell, 1, 0, &o) })
		}
	}
	so := &SDEOptions{Method: StochasticHeun, Steps: 10, Eps: CosEps(1), Seed: 3}
	noAllocs("SDE", func() (Stats, error) { return w.SolveSDE(ctx, g, x, 0, 1, so) })
	dopt := &Options{Method: Dopri5} // the log-density default tolerances
	noAllocs("LogDensity", func() (Stats, error) { return w.LogDensity(ctx, g, 1, x, ell, nil, dopt) })
	noAllocs("SampleLogDensity", func() (Stats, error) { return w.SampleLogDensity(ctx, g, x, ell, nil, dopt) })
}

// TestTinySpan: a span shorter than the minimum step is one step, not an underflow.
func TestTinySpan(t *testing.T) {
	for _, m := range []Method{Dopri5, Bosh3} {
		x := []float32{1}
		st, err := Solve(context.Background(), expSin(), x, 0.5, 0.5+1e-15, &Options{Method: m})
		if err != nil || st.Accepted != 1 || x[0] != 1 {
			t.Errorf("%v: %+v, %v, x = %v", m, st, err, x)
		}
	}
}
