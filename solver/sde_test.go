package solver

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/interflow/flowbench/interp"
)

// TestSDEMarginals: forward from N(0, I) and in reverse from the target, the SDE keeps the
// marginals of the Gaussian-to-Gaussian transport for several ε schedules and both methods.
func TestSDEMarginals(t *testing.T) {
	n, steps := 8000, 100
	if testing.Short() {
		n, steps = 4000, 50
	}
	ctx := context.Background()
	var w Workspace
	for _, ip := range []interp.Interpolant{interp.Trig{}, interp.Linear{}} {
		g, err := interp.NewGaussianField(ip, []float64{1, -2}, []float64{0.5, 2})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name   string
			eps    Schedule
			t0, t1 float64
		}{
			{"const-early-stop", ConstEps(0.5), 0, 0.95},
			{"linear", LinearEps(1), 0, 1},
			{"cos", CosEps(2), 0, 1},
			{"func", EpsFunc(func(t float64) float64 { return t * (1 - t) }), 0, 1},
			{"reverse-cos", CosEps(1), 1, 0},
			{"reverse-const-from-0.95", ConstEps(0.5), 0.95, 0.05},
		}
		for _, c := range cases {
			for _, m := range []SDEMethod{EulerMaruyama, StochasticHeun} {
				x := normals(21, 2*n)
				g.Flow(0, c.t0, x, x) // exact samples of the marginal at t0
				st, err := w.SolveSDE(ctx, g, x, c.t0, c.t1, &SDEOptions{Method: m, Steps: steps, Eps: c.eps, Interp: ip, Seed: 9})
				if err != nil {
					t.Fatalf("%s %s %v: %v", ip.Name(), c.name, m, err)
				}
				for j := 0; j < 2; j++ {
					mu, v := g.Moments(c.t1, j)
					gm, gv := moments(x, 2, j)
					// sampling error (4 standard errors) plus the O(h) bias of the schemes
					tm := 4*math.Sqrt(v/float64(n)) + 0.02*math.Sqrt(v)
					tv := 4*v*math.Sqrt(2/float64(n)) + 0.03*v
					if math.Abs(gm-mu) > tm || math.Abs(gv-v) > tv {
						t.Errorf("%s %s %v dim %d at t=%v: mean %.4f var %.4f, want %.4f %.4f (NFE %d)", ip.Name(), c.name, m, j, c.t1, gm, gv, mu, v, st.NFE)
					}
				}
			}
		}
	}
}

// TestSDENoiseMatters: with ε > 0 the paths differ from the ODE's, the same seed repeats the
// same bits, and ε = 0 reproduces the Euler/Heun ODE solutions.
func TestSDENoiseMatters(t *testing.T) {
	g, _ := interp.NewGaussianField(interp.Trig{}, []float64{1, -2}, []float64{0.5, 2})
	ctx := context.Background()
	x0 := normals(3, 2*500)
	run := func(o *SDEOptions) []float32 {
		x := append([]float32(nil), x0...)
		if _, err := new(Workspace).SolveSDE(ctx, g, x, 0, 1, o); err != nil {
			t.Fatal(err)
		}
		return x
	}
	a := run(&SDEOptions{Method: StochasticHeun, Steps: 50, Eps: LinearEps(1), Seed: 1})
	b := run(&SDEOptions{Method: StochasticHeun, Steps: 50, Eps: LinearEps(1), Seed: 1})
	c := run(&SDEOptions{Method: StochasticHeun, Steps: 50, Eps: LinearEps(1), Seed: 2})
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatal("same seed, different bits")
		}
	}
	if maxAbsDiff(a, c) < 1e-3 {
		t.Error("different seeds, same paths")
	}
	for _, p := range []struct {
		sm SDEMethod
		m  Method
	}{{EulerMaruyama, Euler}, {StochasticHeun, Heun}} {
		s := run(&SDEOptions{Method: p.sm, Steps: 50})
		o := append([]float32(nil), x0...)
		if _, err := Solve(ctx, g, o, 0, 1, &Options{Method: p.m, Steps: 50}); err != nil {
			t.Fatal(err)
		}
		if e := maxAbsDiff(s, o); e > 1e-5 {
			t.Errorf("%v with ε = 0 differs from %v by %.3g", p.sm, p.m, e)
		}
	}
}

func TestSDEErrors(t *testing.T) {
	g, _ := interp.NewGaussianField(interp.Trig{}, []float64{1, -2}, []float64{0.5, 2})
	ctx := context.Background()
	var w Workspace
	var se *StepError
	// Heun evaluates at t = 1, where the score is singular and ConstEps does not vanish.
	_, err := w.SolveSDE(ctx, g, normals(1, 20), 0, 1, &SDEOptions{Method: StochasticHeun, Steps: 10, Eps: ConstEps(1)})
	if !errors.Is(err, ErrScore) || !errors.Is(err, interp.ErrScoreSingular) || !errors.As(err, &se) || se.T != 1 {
		t.Errorf("const ε to t = 1 with Heun: got %v", err)
	}
	_, err = w.SolveSDE(ctx, g, normals(1, 20), 0, 1, &SDEOptions{Steps: 10, Eps: EpsFunc(func(float64) float64 { return -1 })})
	if !errors.Is(err, ErrSchedule) {
		t.Errorf("negative ε: got %v", err)
	}
	if _, err := w.SolveSDE(ctx, g, normals(1, 20), 0, 1, &SDEOptions{Steps: 0}); err == nil {
		t.Error("Steps = 0: no error")
	}
	for _, s := range []string{"const", "const:-1", "lin:1", "cos:x"} {
		if _, err := ParseSchedule(s); err == nil {
			t.Errorf("ParseSchedule(%q): no error", s)
		}
	}
	for s, want := range map[string]float64{"const:0.5": 0.5, "linear:2": 1, "cos:1": math.Cos(math.Pi / 4)} {
		sc, err := ParseSchedule(s)
		if err != nil || math.Abs(sc.Eps(0.5)-want) > 1e-15 {
			t.Errorf("ParseSchedule(%q).Eps(0.5) = %v, %v; want %v", s, sc.Eps(0.5), err, want)
		}
	}
}
