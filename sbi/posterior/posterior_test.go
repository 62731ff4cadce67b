package posterior

import (
	"context"
	"math"
	"testing"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/nn"
	"github.com/interflow/flowbench/sbi"
	"github.com/interflow/flowbench/solver"
)

// exactGaussianLinear returns a conditional model whose flow is gaussian_linear's exact
// posterior scaled in spread by s (s = 1: exact): an affine field with no hidden layer,
// dθ/dt = β·θ + γ·x, whose flow from N(0, I) ends at θ(1) = e^β·θ0 + ((e^β − 1)/β)·γ·x.
// With e^β = s·√0.05 and ((e^β − 1)/β)·γ = 1/2 it draws from N(x/2, s²·0.05·I).
func exactGaussianLinear(t *testing.T, s float64) *gen.Model {
	t.Helper()
	const p = 10
	net, err := nn.New(nn.Config{Dim: p, Act: kernels.SiLU, Context: p}, 1)
	if err != nil {
		t.Fatal(err)
	}
	l := net.Layers()[0]
	clear(l.W)
	clear(l.B)
	beta := math.Log(s * math.Sqrt(0.05))
	gamma := 0.5 * beta / math.Expm1(beta)
	for j := range p {
		l.W[j*p+j] = float32(beta)
		l.W[(p+j)*p+j] = float32(gamma)
	}
	return &gen.Model{Net: net, Interp: interp.Linear{}, Data: gen.DataInfo{Cond: &gen.CondInfo{}}}
}

var accurate = Options{ODE: solver.Options{Method: solver.Dopri5, RTol: 1e-7, ATol: 1e-7}}

// The exact posterior passes every check: C2ST ≈ 0.5 against the reference, KL ≈ 0, SBC
// ranks uniform, coverage at its nominal levels; a posterior 30% too narrow fails them.
func TestChecksOnExactPosterior(t *testing.T) {
	ctx := context.Background()
	task, _ := sbi.Lookup("gaussian_linear")
	exact := exactGaussianLinear(t, 1)
	rep, err := CheckTask(ctx, exact, task, CheckOptions{Obs: []int{1}, NPost: 1000, NRef: 1000, NNLL: 500, Seed: 1, Sampling: accurate})
	if err != nil {
		t.Fatal(err)
	}
	r := rep[0]
	t.Logf("exact: C2ST %.3f, NLL model %.5f true %.5f, KL %.2g", r.C2ST, r.NLLModel, r.NLLTrue, r.KL)
	if r.C2ST > 0.56 || math.Abs(r.KL) > 1e-3 {
		t.Fatalf("exact posterior: C2ST %.3f, KL %.3g", r.C2ST, r.KL)
	}
	cal, err := CalibrateTask(ctx, exact, task, 300, CalibrationOptions{L: 50, Seed: 2, Sampling: accurate})
	if err != nil {
		t.Fatal(err)
	}
	for j, d := range cal.SBC.Dims {
		if d.ChiSquareP < 0.001 {
			t.Fatalf("exact posterior: SBC dimension %d p = %.3g", j, d.ChiSquareP)
		}
	}
	for i, lv := range cal.HPD.Levels {
		if math.Abs(cal.HPD.Coverage[i]-lv) > 4*cal.HPD.StdErr[i]+0.01 {
			t.Fatalf("exact posterior: HPD coverage %.3f at %.2f", cal.HPD.Coverage[i], lv)
		}
	}
	// Importance sampling from the exact posterior: every weight equal, ESS = n, and the
	// evidence p(x_o) = N(x_o; 0, 0.2·I).
	_, xo, _ := task.Observation(1)
	is, err := Importance(ctx, exact, task, xo, 500, 3, accurate)
	if err != nil {
		t.Fatal(err)
	}
	want := 0.0
	for _, v := range xo {
		want += -0.5*v*v/0.2 - 0.5*math.Log(2*math.Pi*0.2)
	}
	if is.ESS < 499 || math.Abs(is.LogEvidence-want) > 1e-3 {
		t.Fatalf("importance: ESS %.1f of 500, log evidence %.5f, closed form %.5f", is.ESS, is.LogEvidence, want)
	}
	if testing.Short() {
		return
	}
	narrow := exactGaussianLinear(t, 0.7)
	rep, err = CheckTask(ctx, narrow, task, CheckOptions{Obs: []int{1}, NPost: 1000, NRef: 1000, NNLL: 500, Seed: 1, Sampling: accurate})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("narrow: C2ST %.3f, KL %.3f", rep[0].C2ST, rep[0].KL)
	// KL of N(0, 0.49σ²) from N(0, σ²) in 10-D: 5·(1/0.49 − 1 + log 0.49) = 1.64 nats,
	// estimated from 500 draws with a standard error of 0.10.
	if math.Abs(rep[0].KL-1.64) > 0.32 || rep[0].C2ST < 0.6 {
		t.Fatalf("narrow posterior: C2ST %.3f, KL %.3f (closed form 1.64)", rep[0].C2ST, rep[0].KL)
	}
	cal, err = CalibrateTask(ctx, narrow, task, 300, CalibrationOptions{L: 50, Seed: 2, Sampling: accurate})
	if err != nil {
		t.Fatal(err)
	}
	rejected := 0
	for _, d := range cal.SBC.Dims {
		if d.ChiSquareP < 0.01 {
			rejected++
		}
	}
	if rejected < 8 || cal.HPD.Coverage[len(cal.HPD.Levels)-1] > 0.9 {
		t.Fatalf("narrow posterior: SBC rejected in %d of 10 dimensions, HPD coverage %v", rejected, cal.HPD.Coverage)
	}
}

// A posterior trained on simulations of two_moons (small budget) is far better than the
// prior and calibrated in the coarse sense a short run allows.
func TestTrainTwoMoons(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a posterior")
	}
	ctx := context.Background()
	task, _ := sbi.Lookup("two_moons")
	data, err := Data(task, 3000, 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config(data)
	cfg.Steps = 1500
	m, err := Train(ctx, data, &cfg, gen.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := CheckTask(ctx, m, task, CheckOptions{Obs: []int{1}, NPost: 1000, NRef: 1000, NNLL: 500, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	// The prior U[−1, 1]² scores the reference draws log 4 nats each: its KL from the
	// posterior is log 4 − NLLTrue. A trained posterior must close most of that gap.
	klPrior := math.Log(4) - rep[0].NLLTrue
	t.Logf("two_moons, 3000 simulations, 1500 steps: C2ST %.3f, KL %.3f (the prior's %.3f)", rep[0].C2ST, rep[0].KL, klPrior)
	if rep[0].C2ST > 0.8 || rep[0].KL > 0.4*klPrior {
		t.Fatalf("two_moons posterior: C2ST %.3f, KL %.3f", rep[0].C2ST, rep[0].KL)
	}
}
