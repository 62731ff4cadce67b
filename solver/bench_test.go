package solver_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/nn"
	"github.com/interflow/flowbench/solver"
)

// zeroField is the cheapest possible field (v = 0, div = 0): a solve with it costs only the
// solver's own work.
type zeroField struct{}

func (zeroField) Dim() int                             { return 2 }
func (zeroField) Velocity(t float64, x, out []float32) { clear(out) }
func (zeroField) VelocityDiv(t float64, x, out []float32, div []float64) {
	clear(out)
	clear(div)
}
func (zeroField) VelocityDivHutchinson(t float64, x, out []float32, div []float64, probe []float32) {
	clear(out)
	clear(div)
}

// timed wraps a field and accumulates the time spent inside it.
type timed struct {
	solver.DivField
	in time.Duration
}

func (w *timed) Velocity(t float64, x, out []float32) {
	t0 := time.Now()
	w.DivField.Velocity(t, x, out)
	w.in += time.Since(t0)
}

func (w *timed) VelocityDiv(t float64, x, out []float32, div []float64) {
	t0 := time.Now()
	w.DivField.VelocityDiv(t, x, out, div)
	w.in += time.Since(t0)
}

func benchOpts() map[string]*solver.Options {
	return map[string]*solver.Options{
		"rk4":    {Method: solver.RK4, Steps: 10},
		"dopri5": {Method: solver.Dopri5, FirstStep: 0.1, MaxStep: 0.1, RTol: 1e6, ATol: 1e6}, // 10 steps
	}
}

// benchSolves runs body as a sub-benchmark for every method of benchOpts, plain and
// augmented, with n rows of 2 values; solve is that sub-benchmark's solve of x: Solve from
// 0 to 1, or SolveDiv from 1 to 0 (ℓ of n rows).
func benchSolves(b *testing.B, n int, body func(b *testing.B, solve func(f solver.DivField, x []float32) (solver.Stats, error))) {
	ell := make([]float64, n)
	for name, o := range benchOpts() {
		for _, aug := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/aug=%v/n=%d", name, aug, n), func(b *testing.B) {
				var ws solver.Workspace
				body(b, func(f solver.DivField, x []float32) (solver.Stats, error) {
					if aug {
						return ws.SolveDiv(context.Background(), f, x, ell, 1, 0, o)
					}
					return ws.Solve(context.Background(), f, x, 0, 1, o)
				})
			})
		}
	}
}

// BenchmarkSolverCost: the solver's own cost per state element and field evaluation, with a
// field that costs nothing (stage combinations, error norms, finiteness checks).
func BenchmarkSolverCost(b *testing.B) {
	const n = 100_000
	x := make([]float32, 2*n)
	benchSolves(b, n, func(b *testing.B, solve func(solver.DivField, []float32) (solver.Stats, error)) {
		var nfe int
		b.ReportAllocs()
		for range b.N {
			st, err := solve(zeroField{}, x)
			if err != nil {
				b.Fatal(err)
			}
			nfe = st.NFE
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(nfe)/float64(2*n), "ns/elem/nfe")
	})
}

// BenchmarkOverheadFraction solves with the 2-D benchmark MLP (2+1 → 256×3 → 2, SiLU) and
// reports the share of the solve spent outside field evaluations (target < 5%).
func BenchmarkOverheadFraction(b *testing.B) {
	const n = 10_000
	m, err := nn.New(nn.Config{Dim: 2, Hidden: []int{256, 256, 256}, Act: kernels.SiLU}, 0)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 0))
	x0 := make([]float32, 2*n)
	for i := range x0 {
		x0[i] = float32(rng.NormFloat64())
	}
	x := make([]float32, 2*n)
	benchSolves(b, n, func(b *testing.B, solve func(solver.DivField, []float32) (solver.Stats, error)) {
		f := &timed{DivField: m}
		b.ReportAllocs()
		for range b.N {
			copy(x, x0)
			if _, err := solve(f, x); err != nil {
				b.Fatal(err)
			}
		}
		total := b.Elapsed()
		b.ReportMetric(100*(1-float64(f.in)/float64(total)), "overhead_%")
	})
}
