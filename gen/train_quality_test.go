package gen

import (
	"context"
	"math"
	"testing"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/metrics"
	"github.com/interflow/flowbench/solver"
)

// TestQuality8Gaussians is a loose, fast version of the quality targets: a smaller network
// trained briefly on 8gaussians must come within 0.3 nats of the true NLL, and SDE samples
// must be about as close to the data as ODE samples (energy distance).
func TestQuality8Gaussians(t *testing.T) {
	if testing.Short() || kernels.Impl() == kernels.TierGo {
		t.Skip("trains a model: needs -short off and a vectorized kernel tier (not purego)")
	}
	cfg := DefaultTrainConfig(2)
	cfg.Net.Hidden = []int{128, 128, 128}
	cfg.Steps, cfg.Batch, cfg.Warmup, cfg.Seed = 1500, 512, 50, 3
	data := toyData(t, "8gaussians")
	m, err := Train(context.Background(), cfg, data, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000
	x := dataset.SampleN(dataset.EightGaussians{}, n, 11)
	lp, _, err := m.LogProb(context.Background(), x, LikelihoodOptions{ODE: solver.Options{Method: solver.Dopri5, RTol: 1e-5, ATol: 1e-5}})
	if err != nil {
		t.Fatal(err)
	}
	s := SummarizeNLL(lp, 2)
	truth := 0.0
	for i := range n {
		truth -= dataset.EightGaussians{}.LogProb(x[2*i : 2*i+2])
	}
	truth /= n
	gap := s.NLL - truth
	t.Logf("NLL %.4f ± %.4f, true %.4f, gap %.4f", s.NLL, s.StdErr, truth, gap)
	if math.Abs(gap) > 0.3+3*s.StdErr {
		t.Errorf("NLL gap %.4f exceeds 0.3 + 3·stderr", gap)
	}
	ode, err := m.Sample(context.Background(), n, SampleOptions{ODE: solver.Options{Method: solver.RK4, Steps: 50}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	sde, err := m.Sample(context.Background(), n, SampleOptions{SDE: &solver.SDEOptions{Method: solver.StochasticHeun, Steps: 200, Eps: solver.LinearEps(1)}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ref := dataset.SampleN(dataset.EightGaussians{}, n, 12)
	floor := metrics.EnergyDistance(dataset.SampleN(dataset.EightGaussians{}, n, 13), ref, 2, 0)
	eODE := metrics.EnergyDistance(ode.X, ref, 2, 0)
	eSDE := metrics.EnergyDistance(sde.X, ref, 2, 0)
	t.Logf("energy distance: ODE %.5f, SDE %.5f, data floor %.5f", eODE, eSDE, floor)
	if eODE > 4*floor+0.01 {
		t.Errorf("ODE energy distance %.5f > 4×floor + 0.01", eODE)
	}
	if eSDE > 1.5*eODE+2*floor {
		t.Errorf("SDE energy distance %.5f > 1.5×ODE + 2×floor", eSDE)
	}
}
