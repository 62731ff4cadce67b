package solver_test

import (
	"context"
	"fmt"
	"math"

	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/solver"
)

// Sampling and likelihood with the exact field of the trigonometric interpolant between
// N(0, 1) and N(3, 0.5²).
func Example() {
	field, err := interp.NewGaussianField(interp.Trig{}, []float64{3}, []float64{0.5})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	var ws solver.Workspace

	// Push two base points to t = 1 with adaptive Dormand–Prince.
	x := []float32{0, 1}
	if _, err := ws.Solve(ctx, field, x, 0, 1, &solver.Options{Method: solver.Dopri5, RTol: 1e-6, ATol: 1e-6}); err != nil {
		panic(err)
	}
	fmt.Printf("samples %.4f %.4f\n", x[0], x[1]) // 3 + 0.5·z

	// Log-density of a data point: integrate back to t = 0 with the exact divergence.
	data := []float32{3.5}
	logp := make([]float64, 1)
	if _, err := ws.LogDensity(ctx, field, 1, data, logp, nil, &solver.Options{Method: solver.RK4, Steps: 50}); err != nil {
		panic(err)
	}
	exact := -0.5*math.Log(2*math.Pi*0.25) - 0.5
	fmt.Printf("log p %.5f (exact %.5f)\n", logp[0], exact)
	// Output:
	// samples 3.0000 3.5000
	// log p -0.72579 (exact -0.72579)
}
