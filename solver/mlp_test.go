package solver_test

import (
	"context"
	"math"
	"testing"

	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/nn"
	"github.com/interflow/flowbench/solver"
)

// TestMLPThreadsAndAllocs: with the MLP as the field, every solve gives the same bits at one
// and two kernel threads, and allocates nothing after warm-up.
func TestMLPThreadsAndAllocs(t *testing.T) {
	m, err := nn.New(nn.Config{Dim: 2, Hidden: []int{32, 32}, Act: kernels.SiLU}, 5)
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	x0 := make([]float32, 2*n)
	for i := range x0 {
		x0[i] = float32(math.Sin(float64(i)*0.37)) * 2
	}
	ctx := context.Background()
	var ws solver.Workspace
	x := make([]float32, 2*n)
	lp := make([]float64, n)
	runs := map[string]func() error{
		"rk4": func() error {
			_, err := ws.Solve(ctx, m, x, 0, 1, &solver.Options{Method: solver.RK4, Steps: 8})
			return err
		},
		"dopri5": func() error {
			_, err := ws.Solve(ctx, m, x, 0, 1, &solver.Options{Method: solver.Dopri5, RTol: 1e-4, ATol: 1e-4})
			return err
		},
		"nll-exact": func() error {
			_, err := ws.LogDensity(ctx, m, 1, x, lp, nil, &solver.Options{Method: solver.Bosh3, RTol: 1e-4, ATol: 1e-4})
			return err
		},
		"nll-hutchinson": func() error {
			_, err := ws.LogDensity(ctx, m, 1, x, lp, nil, &solver.Options{Method: solver.RK4, Steps: 8, Div: solver.DivRademacher, ProbeSeed: 4})
			return err
		},
		"sde": func() error {
			_, err := ws.SolveSDE(ctx, m, x, 0, 1, &solver.SDEOptions{Method: solver.StochasticHeun, Steps: 8, Eps: solver.LinearEps(1), Seed: 2})
			return err
		},
	}
	defer kernels.SetThreads(kernels.Threads())
	for name, run := range runs {
		var ref []float32
		var refLP []float64
		for _, th := range []int{1, 2} {
			kernels.SetThreads(th)
			copy(x, x0)
			if err := run(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if ref == nil {
				ref, refLP = append([]float32(nil), x...), append([]float64(nil), lp...)
				continue
			}
			for i := range x {
				if math.Float32bits(x[i]) != math.Float32bits(ref[i]) {
					t.Fatalf("%s: row %d differs between 1 and %d threads", name, i/2, th)
				}
			}
			for i := range lp {
				if math.Float64bits(lp[i]) != math.Float64bits(refLP[i]) {
					t.Fatalf("%s: log-density %d differs between 1 and %d threads", name, i, th)
				}
			}
		}
		allocs := testing.AllocsPerRun(3, func() {
			copy(x, x0)
			if err := run(); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per solve with the MLP", name, allocs)
		}
	}
}
