package gen

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/nn"
	"github.com/interflow/flowbench/solver"
)

// TestFixedStepRowsIndependent checks the property that lets package serve coalesce
// requests: with a fixed-step solver and the exact divergence, the log-density and the
// encoding of a row have the same bits whatever other rows share its call (1 to 1,100 rows,
// at any offset, across the kernels' row-chunk size) and whatever the thread count, for
// every kernel tier (each against itself; -short: the dispatched one), in 2 and 64 dimensions, with and without a per-row context.
func TestFixedStepRowsIndependent(t *testing.T) {
	defer kernels.SetImpl(kernels.Impl())
	defer kernels.SetThreads(kernels.Threads())
	ctx := context.Background()
	for _, tc := range []struct{ d, cw int }{{2, 0}, {64, 0}, {3, 2}} {
		net, err := nn.New(nn.Config{Dim: tc.d, Hidden: []int{32, 32}, Act: kernels.SiLU, Context: tc.cw}, 5)
		if err != nil {
			t.Fatal(err)
		}
		m := &Model{Net: net, Interp: interp.Trig{}}
		const n = 1100
		rng := rand.New(rand.NewPCG(3, 4))
		x := make([]float32, n*tc.d)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		c := make([]float32, n*tc.cw)
		for i := range c {
			c[i] = float32(rng.NormFloat64())
		}
		cond := func(s, e int) *Condition {
			if tc.cw == 0 {
				return nil
			}
			return &Condition{Values: c[s*tc.cw : e*tc.cw]}
		}
		tiers := kernels.Tiers()
		if testing.Short() { // -short (and -race in CI): the dispatched tier only
			tiers = []string{kernels.Impl()}
		}
		for _, meth := range []solver.Method{solver.Euler, solver.RK4} {
			o := solver.Options{Method: meth, Steps: 3}
			for _, tier := range tiers {
				kernels.SetImpl(tier)
				kernels.SetThreads(1)
				all, _, err := m.LogProb(ctx, x, LikelihoodOptions{ODE: o, Cond: cond(0, n)})
				if err != nil {
					t.Fatal(err)
				}
				zall, _, err := m.Encode(ctx, x, LikelihoodOptions{ODE: o, Cond: cond(0, n)})
				if err != nil {
					t.Fatal(err)
				}
				for _, th := range []int{1, 2} {
					kernels.SetThreads(th)
					for _, sz := range []int{2, 7, 100, 1030} {
						if tc.d == 64 && sz > 100 {
							continue // the same chunk boundaries are crossed at d = 2 and 3
						}
						for _, off := range []int{0, 61} {
							xs := x[off*tc.d : (off+sz)*tc.d]
							lp, _, err := m.LogProb(ctx, xs, LikelihoodOptions{ODE: o, Cond: cond(off, off+sz)})
							if err != nil {
								t.Fatal(err)
							}
							z, _, err := m.Encode(ctx, xs, LikelihoodOptions{ODE: o, Cond: cond(off, off+sz)})
							if err != nil {
								t.Fatal(err)
							}
							for i := range lp {
								if lp[i] != all[off+i] {
									t.Fatalf("d=%d %v %s %d threads: row %d of a call of %d rows at %d: log p %v, alone in the full call %v", tc.d, meth, tier, th, i, sz, off, lp[i], all[off+i])
								}
							}
							for i := range z {
								if z[i] != zall[off*tc.d+i] {
									t.Fatalf("d=%d %v %s %d threads: value %d of a call of %d rows at %d: z differs", tc.d, meth, tier, th, i, sz, off)
								}
							}
						}
					}
				}
			}
		}
	}
}
