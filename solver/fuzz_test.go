package solver

import (
	"context"
	"errors"
	"math"
	"testing"
)

// FuzzSolve: any options, span and state either solve to a finite state or fail with a
// validation error or a *StepError; nothing panics or returns a non-finite state silently.
func FuzzSolve(f *testing.F) {
	f.Add(uint8(Dopri5), 10, 1e-5, 1e-5, 0.0, 1.0, float32(1), float32(0), uint8(0))
	f.Add(uint8(RK4), 3, 0.0, 0.0, 1.0, 0.0, float32(2), float32(-1), uint8(1))
	f.Add(uint8(Bosh3), 0, 1e-9, 1e-12, -5.0, 5.0, float32(1e30), float32(3), uint8(0))
	f.Fuzz(func(t *testing.T, m uint8, steps int, rtol, atol, t0, t1 float64, a, b float32, norm uint8) {
		if steps > 1000 || math.Abs(t1-t0) > 1e3 {
			return
		}
		o := &Options{Method: Method(m % 8), Steps: steps, RTol: rtol, ATol: atol, Norm: Norm(norm % 3), MaxSteps: 2000}
		x := []float32{a, b, b, a}
		_, err := Solve(context.Background(), oscillator(), x, t0, t1, o)
		if err != nil {
			var se *StepError
			if errors.As(err, &se) && se.Err == nil {
				t.Fatalf("StepError without a cause: %v", err)
			}
			return
		}
		for _, v := range x {
			if v-v != 0 {
				t.Fatalf("solve succeeded with a non-finite state %v (options %+v, span %v→%v)", x, o, t0, t1)
			}
		}
	})
}
