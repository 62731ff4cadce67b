package gen

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/solver"
)

// The constant field v = c moves every point by c·t: x_t = x0 + c·t in standardized units,
// so ρ_t = N(c·t, I) there, and the velocity in data units is σ ⊙ c.
func TestVelocityRecordTimeClosedForm(t *testing.T) {
	ctx := context.Background()
	c := []float32{0.7, -1.3}
	m := constModel(t, c)
	m.Data.Stats = &dataset.Stats{N: 10, Mean: []float64{1, -2}, Std: []float64{2, 0.5}}
	x := []float32{0, 0, 1, 2, -3, 0.5}
	v, err := m.Velocity(ctx, 0.3, x, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, got := range v {
		if want := float64(c[i%2]) * m.Data.Stats.Std[i%2]; math.Abs(float64(got)-want) > 1e-6 {
			t.Errorf("velocity[%d] = %v, want %v", i, got, want)
		}
	}

	// Recorded states: x(r) = x(1) − σ ⊙ c·(1 − r), for fixed and adaptive methods (at 0
	// the base draw).
	rec := []float64{0, 0.25, 0.5, 1}
	for _, ode := range []solver.Options{{Method: solver.RK4, Steps: 8}, {Method: solver.Dopri5, RTol: 1e-6, ATol: 1e-6}} {
		res, err := m.Sample(ctx, 5, SampleOptions{ODE: ode, Seed: 3, Record: rec, Batch: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Path) != len(rec) {
			t.Fatalf("%v: %d recorded states, want %d", ode.Method, len(res.Path), len(rec))
		}
		for k, r := range rec {
			for i, got := range res.Path[k] {
				j := i % 2
				want := float64(res.X[i]) - float64(c[j])*m.Data.Stats.Std[j]*(1-r)
				if math.Abs(float64(got)-want) > 1e-5 {
					t.Fatalf("%v: state at t = %g [%d] = %v, want %v", ode.Method, r, i, got, want)
				}
			}
		}
		plain, err := m.Sample(ctx, 5, SampleOptions{ODE: ode, Seed: 3, Batch: 2})
		if err != nil {
			t.Fatal(err)
		}
		for i := range plain.X {
			if math.Abs(float64(plain.X[i]-res.X[i])) > 1e-5 {
				t.Fatalf("%v: recorded run ends at %v, plain run at %v", ode.Method, res.X[i], plain.X[i])
			}
		}
	}

	// log ρ_t(x) = log N((x − μ)/σ − c·t; 0, I) − Σ log σ.
	for _, tt := range []float64{0.2, 0.6, 1} {
		lp, _, err := m.LogProb(ctx, x, LikelihoodOptions{ODE: solver.Options{Method: solver.RK4, Steps: 5}, Time: tt})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			u := make([]float64, 2)
			ldj := 0.0
			for j := range 2 {
				s := m.Data.Stats
				u[j] = (float64(x[2*i+j])-s.Mean[j])/s.Std[j] - float64(c[j])*tt
				ldj -= math.Log(s.Std[j])
			}
			if want := stdNormalLog(u) + ldj; math.Abs(lp[i]-want) > 1e-5 {
				t.Errorf("t = %g row %d: log ρ_t = %.7f, want %.7f", tt, i, lp[i], want)
			}
		}
	}
}

func TestVelocityRecordTimeErrors(t *testing.T) {
	ctx := context.Background()
	m := constModel(t, []float32{1, 1})
	rk4 := solver.Options{Method: solver.RK4, Steps: 4}
	for _, tc := range []struct {
		name, want string
		err        func() error
	}{
		{"velocity time", "time 1.5", func() error { _, err := m.Velocity(ctx, 1.5, []float32{0, 0}, nil); return err }},
		{"velocity rows", "whole number", func() error { _, err := m.Velocity(ctx, 0.5, []float32{0, 0, 1}, nil); return err }},
		{"record order", "record time 1 = 0.2", func() error {
			_, err := m.Sample(ctx, 2, SampleOptions{ODE: rk4, Record: []float64{0.5, 0.2}})
			return err
		}},
		{"record past end", "record time 0 = 0.9", func() error {
			_, err := m.Sample(ctx, 2, SampleOptions{ODE: rk4, TEnd: 0.5, Record: []float64{0.9}})
			return err
		}},
		{"record with logp", "plain ODE", func() error {
			_, err := m.Sample(ctx, 2, SampleOptions{ODE: rk4, WithLogP: true, Record: []float64{0.5}})
			return err
		}},
		{"density time", "Time = 2", func() error {
			_, _, err := m.LogProb(ctx, []float32{0, 0}, LikelihoodOptions{ODE: rk4, Time: 2})
			return err
		}},
	} {
		if err := tc.err(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// Progress is reported during a chunk's solve, not only at its end: with one chunk, some
// calls come before the last, the counts never decrease, and the last is all rows.
func TestProgressWithinChunk(t *testing.T) {
	ctx := context.Background()
	m := constModel(t, []float32{1, -1})
	x := make([]float32, 2*100)
	for name, run := range map[string]func(func(int, int)) error{
		"sample": func(p func(int, int)) error {
			_, err := m.Sample(ctx, 100, SampleOptions{ODE: solver.Options{Method: solver.RK4, Steps: 10}, Progress: p})
			return err
		},
		"logprob": func(p func(int, int)) error {
			_, _, err := m.LogProb(ctx, x, LikelihoodOptions{ODE: solver.Options{Method: solver.RK4, Steps: 10}, Progress: p})
			return err
		},
		"logprob hutchinson": func(p func(int, int)) error {
			_, _, err := m.LogProb(ctx, x, LikelihoodOptions{ODE: solver.Options{Method: solver.RK4, Steps: 10}, Hutchinson: 2, Progress: p})
			return err
		},
		"encode": func(p func(int, int)) error {
			_, _, err := m.Encode(ctx, x, LikelihoodOptions{ODE: solver.Options{Method: solver.RK4, Steps: 10}, Progress: p})
			return err
		},
	} {
		var seen []int
		if err := run(func(done, total int) {
			if total != 100 {
				t.Errorf("%s: total %d, want 100", name, total)
			}
			seen = append(seen, done)
		}); err != nil {
			t.Fatal(err)
		}
		if len(seen) < 5 || seen[len(seen)-1] != 100 {
			t.Fatalf("%s: progress %v: want several calls ending at 100", name, seen)
		}
		for i := 1; i < len(seen); i++ {
			if seen[i] < seen[i-1] {
				t.Fatalf("%s: progress went back: %v", name, seen)
			}
		}
	}
}
