package compare

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
)

// TestCompareObjectives runs both objectives for a short budget and checks the points:
// both objectives, increasing steps and times within the budget, NFE per step 1 for the
// interpolant and more for MLE, finite NLLs, and the same starting NLL (same
// initialization).
func TestCompareObjectives(t *testing.T) {
	cc := Defaults(2)
	cc.Train.Net.Hidden = []int{16, 16}
	cc.Train.Batch = 64
	cc.MLE.Steps = 4
	cc.Budget, cc.EvalEvery = 400*time.Millisecond, 100*time.Millisecond
	cc.Test = dataset.SampleN(dataset.EightGaussians{}, 200, 5)
	var pts []Point
	err := Objectives(context.Background(), cc, &gen.TrainData{Name: "8gaussians", Toy: dataset.EightGaussians{}}, func(p Point) { pts = append(pts, p) })
	if err != nil {
		t.Fatal(err)
	}
	by := map[string][]Point{}
	for _, p := range pts {
		by[p.Objective] = append(by[p.Objective], p)
	}
	for _, name := range []string{"interpolant", "mle"} {
		ps := by[name]
		if len(ps) < 2 {
			t.Fatalf("%s: %d points", name, len(ps))
		}
		for i, p := range ps {
			if math.IsNaN(p.NLL) || p.Elapsed > cc.Budget.Seconds()+1 {
				t.Errorf("%s: bad point %+v", name, p)
			}
			if i > 0 && (p.Step < ps[i-1].Step || p.Elapsed < ps[i-1].Elapsed) {
				t.Errorf("%s: point %d goes back: %+v after %+v", name, i, p, ps[i-1])
			}
			if i > 0 && p.Step > ps[i-1].Step {
				if name == "interpolant" && p.NFEPerStep != 1 || name == "mle" && !(p.NFEPerStep >= 6) {
					t.Errorf("%s: nfe_per_step = %g", name, p.NFEPerStep)
				}
			}
		}
		if last := ps[len(ps)-1]; last.Elapsed < cc.Budget.Seconds() {
			t.Errorf("%s: stopped at %.3f s, before the budget", name, last.Elapsed)
		}
	}
	if by["interpolant"][0].NLL != by["mle"][0].NLL {
		t.Errorf("initial NLLs differ: %g and %g (same initialization expected)", by["interpolant"][0].NLL, by["mle"][0].NLL)
	}
}

func TestTimeToWithin(t *testing.T) {
	ps := []Point{{Elapsed: 0, NLL: 5}, {Elapsed: 1, NLL: 3.04}, {Elapsed: 2, NLL: 3.2}, {Elapsed: 3, NLL: 3.04}, {Elapsed: 4, NLL: 3}}
	if got := TimeToWithin(ps, 0.05); got != 3 {
		t.Errorf("TimeToWithin = %g, want 3", got)
	}
	if !math.IsNaN(TimeToWithin(nil, 0.05)) {
		t.Error("no points: want NaN")
	}
}
