package compare

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/kernels"
)

// TestCouplingsRows runs every kind of method for a short budget on 8gaussians and checks
// each row's figures are present and consistent: finite NLLs and distances, the floor the
// same for every row, the coupling's share of a step in (0, 1] for the couplings and 0 for the rest, a reflow's training time
// including its source's, and the reflowed paths straighter than the independent ones.
func TestCouplingsRows(t *testing.T) {
	if testing.Short() && kernels.Impl() == kernels.TierGo {
		t.Skip("trains five models: too slow on the purego tier with -short")
	}
	toy, err := dataset.NewToy("8gaussians")
	if err != nil {
		t.Fatal(err)
	}
	test, ref := ToyTest(toy, 300, 1)
	cfg := gen.DefaultTrainConfig(2)
	cfg.Net.Hidden = []int{32, 32}
	cfg.Batch, cfg.Seed = 128, 2
	var methods []PathMethod
	for _, s := range []string{"independent", "ot", "sinkhorn:0.5", "maxmin", "reflow:2"} {
		m, err := ParsePathMethod(s)
		if err != nil {
			t.Fatal(err)
		}
		methods = append(methods, m)
	}
	cc := PathsConfig{Train: cfg, Budget: 1500 * time.Millisecond, Methods: methods, Test: test, Ref: ref,
		Tol: 1e-4, EulerSteps: []int{1, 2}, Pairs: 2000, Seed: 3}
	var rows []PathRow
	if err := Couplings(context.Background(), cc, &gen.TrainData{Name: "8gaussians", Toy: toy}, func(r PathRow) { rows = append(rows, r) }); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(methods) {
		t.Fatalf("%d rows for %d methods", len(rows), len(methods))
	}
	for i, r := range rows {
		t.Logf("%+v", r)
		ok := r.Method == methods[i].Name && r.Steps >= probeSteps && r.StepMS > 0 && r.NFELogp > 0 && r.NFESample > 0 &&
			len(r.EulerEnergy) == 2 && r.Floor == rows[0].Floor && r.StepShare >= 0 && r.StepShare <= 1 && (r.StepShare > 0) == (i == 1 || i == 2) && r.Kinetic > 0 && r.Straightness >= 0
		for _, v := range append([]float64{r.TestNLL, r.Energy}, r.EulerEnergy...) {
			ok = ok && !math.IsNaN(v) && !math.IsInf(v, 0)
		}
		if !ok {
			t.Errorf("row %d: %+v", i, r)
		}
	}
	if re := rows[4]; re.TrainS <= rows[0].TrainS || re.Straightness >= rows[0].Straightness {
		t.Errorf("reflow row %+v: want more training time than its source (%.3g s) and straighter paths (%.3g)", re, rows[0].TrainS, rows[0].Straightness)
	}
	for _, bad := range []string{"reflow:0", "reflow:x", "maxmin:2", "nosuch"} {
		if _, err := ParsePathMethod(bad); err == nil {
			t.Errorf("ParsePathMethod(%q) accepted", bad)
		}
	}
}
