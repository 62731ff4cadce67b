package solver

import (
	"context"
	"math"
	"testing"

	"github.com/interflow/flowbench/interp"
)

func gaussInterps(t *testing.T) []interp.Interpolant {
	fo := interp.NewFourier(2)
	fo.Alpha[0], fo.Alpha[1], fo.Beta[0], fo.Beta[1] = 0.2, -0.1, 0.15, 0.05
	return []interp.Interpolant{interp.Trig{}, interp.Linear{}, fo,
		interp.Noisy{Base: interp.Linear{}, Noise: interp.SinNoise{Scale: 0.5}}}
}

func gaussField(t *testing.T, ip interp.Interpolant) *interp.GaussianField {
	g, err := interp.NewGaussianField(ip, []float64{1, -2, 0.5}, []float64{0.5, 2, 1.3})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestGaussianSampling: N(0, I) pushed through the exact field lands on N(m, diag σ²):
// every sample matches the closed-form flow map, and the sample moments match.
func TestGaussianSampling(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 2000
	}
	for _, ip := range gaussInterps(t) {
		g := gaussField(t, ip)
		x0 := normals(7, 3*n)
		want := make([]float32, len(x0))
		g.Flow(0, 1, x0, want)
		for _, o := range []*Options{{Method: RK4, Steps: 100}, {Method: Dopri5, RTol: 1e-6, ATol: 1e-6}} {
			x := append([]float32(nil), x0...)
			st, err := Solve(context.Background(), g, x, 0, 1, o)
			if err != nil {
				t.Fatal(err)
			}
			if e := maxAbsDiff(x, want); e > 5e-5 {
				t.Errorf("%s %v: max deviation from the exact flow %.3g", ip.Name(), o.Method, e)
			}
			for j := 0; j < 3; j++ {
				m, v := moments(x, 3, j)
				sd := g.Std[j]
				if math.Abs(m-g.Mean[j]) > 4*sd/math.Sqrt(float64(n)) || math.Abs(v-sd*sd) > 4*sd*sd*math.Sqrt(2/float64(n)) {
					t.Errorf("%s %v dim %d: mean %.4f var %.4f, want %.4f %.4f", ip.Name(), o.Method, j, m, v, g.Mean[j], sd*sd)
				}
			}
			t.Logf("%s %v: %+v", ip.Name(), o.Method, st)
		}
	}
}

func moments(x []float32, d, j int) (mean, variance float64) {
	n := 0
	for i := j; i < len(x); i += d {
		mean += float64(x[i])
		n++
	}
	mean /= float64(n)
	for i := j; i < len(x); i += d {
		r := float64(x[i]) - mean
		variance += r * r
	}
	return mean, variance / float64(n-1)
}

// TestGaussianLogDensity: the likelihood pipeline returns the exact log-density of the
// marginal at t = 1 and at an intermediate t, and sampling with log-densities agrees, to
// within 1e-4 nats.
func TestGaussianLogDensity(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 300
	}
	ctx := context.Background()
	var w Workspace
	for _, ip := range gaussInterps(t) {
		g := gaussField(t, ip)
		for _, o := range []*Options{{Method: RK4, Steps: 100}, {Method: Dopri5, RTol: 1e-7, ATol: 1e-7}} {
			for _, tt := range []float64{1, 0.5} {
				// data from the marginal at tt: push base samples with the exact flow
				x := normals(11, 3*n)
				g.Flow(0, tt, x, x)
				data := append([]float32(nil), x...)
				lp := make([]float64, n)
				st, err := w.LogDensity(ctx, g, tt, x, lp, nil, o)
				if err != nil {
					t.Fatal(err)
				}
				worst := 0.0
				for i := range lp {
					worst = max(worst, math.Abs(lp[i]-g.LogDensity(tt, data[3*i:3*i+3])))
				}
				t.Logf("%s %v t=%v: max |log p − exact| = %.2g nats (%+v)", ip.Name(), o.Method, tt, worst, st)
				if worst > 1e-4 {
					t.Errorf("%s %v t=%v: log-density off by %.3g nats", ip.Name(), o.Method, tt, worst)
				}
				// x now holds the encoding x(0): compare with the exact inverse flow
				enc := make([]float32, len(data))
				g.Flow(tt, 0, data, enc)
				if e := maxAbsDiff(x, enc); e > 1e-4 {
					t.Errorf("%s %v t=%v: encoding off by %.3g", ip.Name(), o.Method, tt, e)
				}
			}
			x := normals(13, 3*n)
			lp := make([]float64, n)
			if _, err := w.SampleLogDensity(ctx, g, x, lp, nil, o); err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for i := range lp {
				worst = max(worst, math.Abs(lp[i]-g.LogDensity(1, x[3*i:3*i+3])))
			}
			if worst > 1e-4 {
				t.Errorf("%s %v: sample log-density off by %.3g nats", ip.Name(), o.Method, worst)
			}
		}
	}
}

// TestBaseDensity: a user base log-density enters as log ρ0(x(0)).
func TestBaseDensity(t *testing.T) {
	lf := &linField{d: 2, a: []float64{-0.3, 0.8, -0.5, 0.1}}
	x := []float32{0.3, -0.2, 1, 2}
	lp := make([]float64, 2)
	base := func(x0 []float32) float64 { return 10 * float64(x0[0]) }
	var w Workspace
	if _, err := w.LogDensity(context.Background(), lf, 1, x, lp, base, &Options{Method: RK4, Steps: 50}); err != nil {
		t.Fatal(err)
	}
	for i := range lp {
		want := 10*float64(x[2*i]) - lf.trace()
		if math.Abs(lp[i]-want) > 1e-9 {
			t.Errorf("row %d: log p = %v, want %v", i, lp[i], want)
		}
	}
}

// TestHutchinson: with a Rademacher probe and a diagonal Jacobian the estimate is exact; with
// a non-diagonal Jacobian (and with Gaussian probes) it agrees with the exact divergence in
// expectation over rows; the same seed gives the same bits, another seed other values.
func TestHutchinson(t *testing.T) {
	ctx := context.Background()
	const n = 4000
	var w Workspace
	run := func(f DivField, d int, mode DivMode, seed uint64) []float64 {
		x := normals(5, d*n)
		lp := make([]float64, n)
		if _, err := w.LogDensity(ctx, f, 1, x, lp, nil, &Options{Method: RK4, Steps: 20, Div: mode, ProbeSeed: seed}); err != nil {
			t.Fatal(err)
		}
		return lp
	}
	g := gaussField(t, interp.Trig{})
	exact := run(g, 3, DivExact, 0)
	rad := run(g, 3, DivRademacher, 1)
	for i := range exact {
		if math.Abs(exact[i]-rad[i]) > 1e-9 {
			t.Fatalf("diagonal Jacobian, Rademacher row %d: %v vs exact %v", i, rad[i], exact[i])
		}
	}
	lf := &linField{d: 3, a: []float64{-0.3, 0.8, 0.2, -0.5, 0.1, 0.4, 0.3, -0.6, 0.2}}
	for _, c := range []struct {
		f    DivField
		d    int
		mode DivMode
	}{{lf, 3, DivRademacher}, {lf, 3, DivGaussian}, {g, 3, DivGaussian}} {
		ex := run(c.f, c.d, DivExact, 0)
		h1 := run(c.f, c.d, c.mode, 42)
		h2 := run(c.f, c.d, c.mode, 42)
		h3 := run(c.f, c.d, c.mode, 43)
		var mean, sq float64
		same, differ := true, false
		for i := range ex {
			dv := h1[i] - ex[i]
			mean += dv
			sq += dv * dv
			same = same && math.Float64bits(h1[i]) == math.Float64bits(h2[i])
			differ = differ || h1[i] != h3[i]
		}
		mean /= n
		se := math.Sqrt((sq/n - mean*mean) / n)
		t.Logf("%v: mean difference %.4f ± %.4f", c.mode, mean, se)
		if se == 0 || math.Abs(mean) > 4*se {
			t.Errorf("%v: Hutchinson − exact = %.4f ± %.4f", c.mode, mean, se)
		}
		if !same || !differ {
			t.Errorf("%v: same seed same bits %v, other seed differs %v", c.mode, same, differ)
		}
	}
}

// TestLikelihoodErrors: bad lengths are errors, non-finite base densities are reported.
func TestLikelihoodErrors(t *testing.T) {
	g := gaussField(t, interp.Trig{})
	var w Workspace
	ctx := context.Background()
	o := &Options{Method: RK4, Steps: 4}
	if _, err := w.LogDensity(ctx, g, 1, make([]float32, 6), make([]float64, 3), nil, o); err == nil {
		t.Error("logp of the wrong length: no error")
	}
	if _, err := w.LogDensity(ctx, g, 1, make([]float32, 7), make([]float64, 2), nil, o); err == nil {
		t.Error("x not a multiple of d: no error")
	}
	inf := func([]float32) float64 { return math.Inf(-1) }
	if _, err := w.LogDensity(ctx, g, 1, make([]float32, 6), make([]float64, 2), inf, o); err == nil {
		t.Error("−Inf base density: no error")
	}
}
