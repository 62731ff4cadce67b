package gen

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/interflow/flowbench/coupling"
	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/metrics"
	"github.com/interflow/flowbench/solver"
)

// affinePairs returns n base points x0 ~ N(0, I₂) paired with x1 = A·x0 + b, A = diag(2,
// 0.5), b = (1, −1): a deterministic coupling whose straight-line field is known.
func affinePairs(n int, seed uint64) *TrainData {
	rng := rand.New(rand.NewPCG(seed, 1))
	x0 := make([]float32, 2*n)
	x1 := make([]float32, 2*n)
	for i := range n {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		x0[2*i], x0[2*i+1] = float32(a), float32(b)
		x1[2*i], x1[2*i+1] = float32(2*a+1), float32(0.5*b-1)
	}
	return &TrainData{Name: "affine pairs", Raw: true,
		Train: &dataset.Table{Source: "x1", N: n, D: 2, Data: x1},
		Pairs: &dataset.Table{Source: "x0", N: n, D: 2, Data: x0}}
}

// TestPairsDistilOneStep: trained on the pairs (x0, A·x0 + b) with the linear interpolant
// at the one time of a 1-step grid, the field at t = 0 is v(0, x0) = x1 − x0, so a single
// Euler step maps each base point to its pair's end: the sample is A·x0 + b, which the
// independent coupling (x1 drawn apart from x0) cannot give.
func TestPairsDistilOneStep(t *testing.T) {
	if kernels.Impl() == kernels.TierGo && testing.Short() {
		t.Skip("trains a model: too slow on the purego tier with -short")
	}
	cfg := DefaultTrainConfig(2)
	cfg.Net.Hidden = []int{64, 64}
	cfg.Steps, cfg.Batch, cfg.Warmup, cfg.Seed, cfg.LR = 1500, 256, 50, 5, 3e-3
	cfg.Interp, cfg.TimeDist = interp.Linear{}, interp.GridTimes{K: 1}
	m, err := Train(context.Background(), cfg, affinePairs(4096, 2), TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Data.Reflow != nil {
		t.Errorf("pairs given directly recorded a reflow source %+v", m.Data.Reflow)
	}
	res, err := m.Sample(context.Background(), 2000, SampleOptions{ODE: solver.Options{Method: solver.Euler, Steps: 1}, Seed: 7, keepBase: true})
	if err != nil {
		t.Fatal(err)
	}
	var e2 float64
	for i := range 2000 {
		a, b := float64(res.X0[2*i]), float64(res.X0[2*i+1])
		dx, dy := float64(res.X[2*i])-(2*a+1), float64(res.X[2*i+1])-(0.5*b-1)
		e2 += dx*dx + dy*dy
	}
	rmse := math.Sqrt(e2 / 2000)
	t.Logf("1 Euler step after distillation: RMS distance to A·x0 + b %.4f", rmse)
	if rmse > 0.05 {
		t.Errorf("1 Euler step: RMS distance %.4f from the pairs' map A·x0 + b, want ≤ 0.05", rmse)
	}
}

// TestReflowData: the pairs are the model's own samples (bits of Sample with the same
// seed, in model units) and their base draws, which the model's encoder maps the samples
// back to; the source is recorded, and a reflow of a reflow counts its round.
func TestReflowData(t *testing.T) {
	m := trainSmall(t)
	ode := solver.Options{Method: solver.RK4, Steps: 16}
	td, err := ReflowData(context.Background(), m, "m.safetensors", ReflowOptions{N: 300, Seed: 4, ODE: ode, Batch: 128})
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.Sample(context.Background(), 300, SampleOptions{ODE: ode, Batch: 128, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	x1 := slices.Clone(td.Train.Data)
	if st := td.Stats; st != nil {
		st.Unstandardize(x1)
	}
	if !slices.Equal(x1, s.X) {
		t.Fatal("reflow rows differ from Sample's draws of the same seed")
	}
	z, _, err := m.Encode(context.Background(), s.X, LikelihoodOptions{ODE: solver.Options{Method: solver.RK4, Steps: 16}})
	if err != nil {
		t.Fatal(err)
	}
	var worst float64
	for i, v := range z {
		worst = max(worst, math.Abs(float64(v-td.Pairs.Data[i])))
	}
	if worst > 2e-2 {
		t.Errorf("encoding the reflow rows recovers their base points to %.3g, want ≤ 2e-2", worst)
	}
	if r := td.Reflow; r == nil || r.Source != "m.safetensors" || r.Pairs != 300 || r.Seed != 4 || r.Round != 1 || r.Solver != "rk4 steps=16" {
		t.Errorf("reflow info %+v", td.Reflow)
	}
	m.Data.Reflow = &ReflowInfo{Round: 1}
	td2, err := ReflowData(context.Background(), m, "r1", ReflowOptions{N: 2, ODE: ode})
	if err != nil {
		t.Fatal(err)
	}
	if td2.Reflow.Round != 2 {
		t.Errorf("reflow of a round-1 model: round %d, want 2", td2.Reflow.Round)
	}
	if _, err := ReflowData(context.Background(), m, "x", ReflowOptions{N: 0}); err == nil {
		t.Error("0 pairs accepted")
	}
}

// TestPairsRefused: pairs that do not fit their rows, or a run that cannot use them.
func TestPairsRefused(t *testing.T) {
	cfg := DefaultTrainConfig(2)
	cfg.Steps, cfg.Batch = 2, 8
	bad := affinePairs(10, 1)
	bad.Pairs.N, bad.Pairs.Data = 9, bad.Pairs.Data[:18]
	if _, err := Train(context.Background(), cfg, bad, TrainOptions{}); err == nil || !strings.Contains(err.Error(), "paired") {
		t.Errorf("9 base points for 10 rows: %v", err)
	}
	learned := cfg
	learned.Base = BaseLearned
	if _, err := Train(context.Background(), learned, affinePairs(10, 1), TrainOptions{}); err == nil || !strings.Contains(err.Error(), "normal base") {
		t.Errorf("pairs with a learned base: %v", err)
	}
	ot := cfg
	ot.Coupling, _ = coupling.Parse("ot")
	if _, err := Train(context.Background(), ot, affinePairs(10, 1), TrainOptions{}); err == nil || !strings.Contains(err.Error(), "coupling") {
		t.Errorf("pairs with the OT coupling: %v", err)
	}
	init := trainSmall(t)
	wide := cfg
	wide.Net.Hidden = []int{8}
	if _, err := Train(context.Background(), wide, affinePairs(10, 1), TrainOptions{Init: init}); err == nil || !strings.Contains(err.Error(), "initialization") {
		t.Errorf("initialization model of another architecture: %v", err)
	}
}

// TestInitStartsFromModel: a fresh run with Init starts from the given weights: one step
// at a vanishing learning rate leaves the network at them.
func TestInitStartsFromModel(t *testing.T) {
	init := trainSmall(t)
	cfg := init.Config
	cfg.Steps, cfg.LR, cfg.MinLR, cfg.Warmup = 1, 1e-30, 0, 0
	cfg.EMA = 0
	m, err := Train(context.Background(), cfg, toyData(t, "8gaussians"), TrainOptions{Init: init})
	if err != nil {
		t.Fatal(err)
	}
	var worst float64
	for i, p := range m.Net.Params() {
		worst = max(worst, math.Abs(float64(p-init.Net.Params()[i])))
	}
	if worst > 1e-6 {
		t.Errorf("one step at lr 1e-30 from Init moved a weight by %.3g", worst)
	}
}

// TestReflowStraightens: on 8gaussians, a reflow of a trained model distilled to 2 Euler
// steps samples closer to the data with 2 Euler steps than the model it came from (a
// property of the method: reflow straightens paths, distillation fits the grid). The
// energy distances are printed beside the data floor (two independent data samples).
func TestReflowStraightens(t *testing.T) {
	if testing.Short() || kernels.Impl() == kernels.TierGo {
		t.Skip("trains two models: needs -short off and a vectorized kernel tier (not purego)")
	}
	ctx := context.Background()
	cfg := DefaultTrainConfig(2)
	cfg.Net.Hidden = []int{128, 128, 128}
	cfg.Steps, cfg.Batch, cfg.Warmup, cfg.Seed = 2000, 256, 50, 3
	base, err := Train(ctx, cfg, toyData(t, "8gaussians"), TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	td, err := ReflowData(ctx, base, "base", ReflowOptions{N: 20000, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	rcfg, err := ReflowConfig(base, 2000, 2)
	if err != nil {
		t.Fatal(err)
	}
	re, err := Train(ctx, rcfg, td, TrainOptions{Init: base})
	if err != nil {
		t.Fatal(err)
	}
	if re.Data.Reflow == nil || re.Data.Reflow.Round != 1 {
		t.Fatalf("reflowed model records %+v", re.Data.Reflow)
	}
	toy, err := dataset.NewToy("8gaussians")
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	ref, ref2 := dataset.SampleN(toy, n, 99), dataset.SampleN(toy, n, 98)
	floor := metrics.EnergyDistance(ref, ref2, 2, 0)
	ed := func(m *Model, steps int) float64 {
		res, err := m.Sample(ctx, n, SampleOptions{ODE: solver.Options{Method: solver.Euler, Steps: steps}, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		return metrics.EnergyDistance(res.X, ref, 2, 0)
	}
	b2, r2, r1 := ed(base, 2), ed(re, 2), ed(re, 1)
	t.Logf("energy distance to 8gaussians (floor %.5f): source model 2 Euler steps %.5f; reflowed+distilled 2 steps %.5f, 1 step %.5f", floor, b2, r2, r1)
	if !(r2 < b2) {
		t.Errorf("2 Euler steps: reflowed model %.5f not closer to the data than its source %.5f", r2, b2)
	}
}

// trainSmall trains smallConfig's network on 8gaussians for 200 steps.
func trainSmall(t *testing.T) *Model {
	t.Helper()
	m, err := Train(context.Background(), smallConfig(200), toyData(t, "8gaussians"), TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
