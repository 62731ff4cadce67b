package gen

import (
	"context"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/solver"
)

// TestModelConcurrentBits samples, scores and encodes from several goroutines at once on
// one Model (run under -race in CI) and checks that every result has the bits of the same
// call made alone, for both bases and for the ODE, ODE-with-log-density, SDE, exact and
// Hutchinson paths.
func TestModelConcurrentBits(t *testing.T) {
	for _, base := range []BaseKind{BaseNormal, BaseLearned} {
		t.Run(base.String(), func(t *testing.T) {
			cfg := smallConfig(20)
			cfg.Base = base
			m, err := Train(context.Background(), cfg, toyData(t, "moons"), TrainOptions{})
			if err != nil {
				t.Fatal(err)
			}
			x := dataset.SampleN(dataset.Moons{}, 300, 9)
			ode := solver.Options{Method: solver.Dopri5, RTol: 1e-5, ATol: 1e-5}
			calls := []func(seed uint64) ([]float64, error){
				func(seed uint64) ([]float64, error) { // ODE samples with log-densities
					r, err := m.Sample(context.Background(), 200, SampleOptions{ODE: ode, WithLogP: true, Seed: seed, Batch: 64})
					if err != nil {
						return nil, err
					}
					return append(f64(r.X), r.LogP...), nil
				},
				func(seed uint64) ([]float64, error) { // exact log-densities
					lp, _, err := m.LogProb(context.Background(), x, LikelihoodOptions{ODE: ode, Batch: 100, Seed: seed})
					return lp, err
				},
				func(seed uint64) ([]float64, error) { // Hutchinson log-densities
					lp, _, err := m.LogProb(context.Background(), x, LikelihoodOptions{ODE: ode, Hutchinson: 2, Seed: seed})
					return lp, err
				},
				func(seed uint64) ([]float64, error) { // encode
					z, _, err := m.Encode(context.Background(), x, LikelihoodOptions{ODE: ode, Seed: seed})
					return f64(z), err
				},
			}
			if base == BaseNormal {
				calls = append(calls, func(seed uint64) ([]float64, error) { // SDE samples
					r, err := m.Sample(context.Background(), 100, SampleOptions{SDE: &solver.SDEOptions{Method: solver.StochasticHeun, Steps: 40, Eps: solver.LinearEps(1)}, Seed: seed})
					if err != nil {
						return nil, err
					}
					return f64(r.X), nil
				})
			}
			const seeds = 3
			want := make([][]float64, len(calls)*seeds)
			for i := range want {
				var err error
				if want[i], err = calls[i%len(calls)](uint64(i / len(calls))); err != nil {
					t.Fatal(err)
				}
			}
			got := make([][]float64, len(want))
			errs := make([]error, len(want))
			var wg sync.WaitGroup
			for i := range want {
				wg.Go(func() { got[i], errs[i] = calls[i%len(calls)](uint64(i / len(calls))) })
			}
			wg.Wait()
			for i := range want {
				if errs[i] != nil {
					t.Fatalf("call %d: %v", i, errs[i])
				}
				if !sameBits(got[i], want[i]) {
					t.Errorf("call %d (kind %d, seed %d): concurrent result differs from the serial one", i, i%len(calls), i/len(calls))
				}
			}
		})
	}
}

// TestModelViewsFollowNet checks that replacing Model.Net is seen by the next call (the
// pool of forks must not hand out views of the old network).
func TestModelViewsFollowNet(t *testing.T) {
	m, err := Train(context.Background(), smallConfig(10), toyData(t, "moons"), TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	x := dataset.SampleN(dataset.Moons{}, 50, 3)
	ode := solver.Options{Method: solver.RK4, Steps: 8}
	a, _, err := m.LogProb(context.Background(), x, LikelihoodOptions{ODE: ode})
	if err != nil {
		t.Fatal(err)
	}
	other := m.Net.Clone()
	for i, p := range other.Params() {
		other.Params()[i] = p * 0.5
	}
	m.Net = other
	b, _, err := m.LogProb(context.Background(), x, LikelihoodOptions{ODE: ode})
	if err != nil {
		t.Fatal(err)
	}
	if sameBits(a, b) {
		t.Fatal("LogProb after replacing Net gave the old network's values")
	}
}

func f64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func sameBits(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}
