package solver

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/interflow/flowbench/interp"
)

func TestSmokeGaussian(t *testing.T) {
	g, err := interp.NewGaussianField(interp.Trig{}, []float64{1, -2}, []float64{0.5, 2})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 2*1000)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	want := make([]float32, len(x))
	g.Flow(0, 1, x, want)
	for _, m := range []Method{Euler, Midpoint, Heun, RK4, Dopri5, Bosh3} {
		y := append([]float32(nil), x...)
		st, err := Solve(context.Background(), g, y, 0, 1, &Options{Method: m, Steps: 20, RTol: 1e-6, ATol: 1e-6})
		if err != nil {
			t.Fatal(err)
		}
		e := 0.0
		for i := range y {
			e = max(e, math.Abs(float64(y[i]-want[i])))
		}
		t.Logf("%v: err %.3g stats %+v", m, e, st)
	}
	var w Workspace
	y := append([]float32(nil), want...)
	lp := make([]float64, 1000)
	st, err := w.LogDensity(context.Background(), g, 1, y, lp, nil, &Options{Method: Dopri5, RTol: 1e-7, ATol: 1e-7})
	if err != nil {
		t.Fatal(err)
	}
	e := 0.0
	for i := range lp {
		e = max(e, math.Abs(lp[i]-g.LogDensity(1, want[2*i:2*i+2])))
	}
	t.Logf("logdensity err %.3g %+v", e, st)
}
