package gen

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/solver"
)

// tableData writes n rows of a correlated d-dimensional Gaussian to a CSV file and loads it
// with a validation part.
func tableData(t *testing.T, n, d int, seed uint64) *TrainData {
	t.Helper()
	rng := dataset.ToyRNG(seed, 3)
	x := make([]float32, n*d)
	for i := range n {
		a := rng.NormFloat64()
		for j := range d {
			x[i*d+j] = float32(a*float64(j+1)/float64(d) + 0.5*rng.NormFloat64() + float64(j))
		}
	}
	path := filepath.Join(t.TempDir(), "g.npy")
	if err := writeNPYFile(path, x, n, d); err != nil {
		t.Fatal(err)
	}
	td, err := LoadTrainData(path, dataset.Split{Seed: 1, Train: 0.7, Val: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	return td
}

// TestValidationSolverBias measures the validation solve against the adaptive solve at the
// default tolerance: with the exact divergence (d ≤ ValExactMaxDim) the mean NLL of the
// validation rows agrees to 0.01 nats; with Hutchinson probes (d above it) the estimate is
// unbiased, so its mean over probe seeds agrees to a few standard errors.
func TestValidationSolverBias(t *testing.T) {
	for _, d := range []int{2, 24} {
		td := tableData(t, 600, d, uint64(d))
		cfg := TableConfig(DefaultTrainConfig(d), d, td.Train.N, td.Val.N)
		cfg.Net.Hidden = []int{64, 64}
		cfg.Steps, cfg.Schedule, cfg.Patience = 300, LRConstant, 0
		m, err := Train(context.Background(), cfg, td, TrainOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tr := &trainer{cfg: cfg, data: td, d: d}
		x := slices.Clone(td.Val.Data)
		v := tr.newEvalSet(x)
		xv := slices.Clone(td.Val.Data)
		td.Stats.Unstandardize(xv)
		lp, _, err := m.LogProb(context.Background(), xv, LikelihoodOptions{ODE: solver.Options{Method: solver.Dopri5, RTol: 1e-5, ATol: 1e-5}, Hutchinson: 0})
		if err != nil {
			t.Fatal(err)
		}
		exact := 0.0
		for _, l := range lp {
			exact -= l / float64(len(lp))
		}
		if d <= ValExactMaxDim {
			got := v.nll(m.Net, m.Base)
			t.Logf("d=%d: validation NLL %.5f, adaptive exact %.5f, bias %.2e", d, got, exact, got-exact)
			if math.Abs(got-exact) > 0.01 {
				t.Errorf("d=%d: validation NLL %.5f, adaptive %.5f", d, got, exact)
			}
			continue
		}
		var est []float64
		for s := range uint64(12) {
			v.opt.ProbeSeed = s + 1
			est = append(est, v.nll(m.Net, m.Base))
		}
		mean, se := 0.0, 0.0
		for _, e := range est {
			mean += e / float64(len(est))
		}
		for _, e := range est {
			se += (e - mean) * (e - mean)
		}
		se = math.Sqrt(se/float64(len(est)-1)) / math.Sqrt(float64(len(est)))
		t.Logf("d=%d: Hutchinson validation NLL %.4f ± %.4f over probe seeds, adaptive exact %.4f", d, mean, se, exact)
		if math.Abs(mean-exact) > 4*se+0.02 {
			t.Errorf("d=%d: Hutchinson mean %.4f ± %.4f, exact %.4f", d, mean, se, exact)
		}
	}
}

// TestBestOfRunRestore trains with validation, a learned base and a learnable interpolant,
// and checks that the model returned samples with every part as it was at the best
// validation: recomputing the validation NLL of the model gives the recorded best NLL bit for
// bit (the final base or coefficients would not), and a checkpoint round trip keeps it.
func TestBestOfRunRestore(t *testing.T) {
	td := tableData(t, 400, 3, 7)
	cfg := TableConfig(DefaultTrainConfig(3), 3, td.Train.N, td.Val.N)
	cfg.Net.Hidden = []int{32, 32}
	cfg.Interp, cfg.Base, cfg.MaxMin = interp.NewFourier(2), BaseLearned, 1
	cfg.Steps, cfg.ValEvery, cfg.Schedule, cfg.Patience = 400, 25, LRConstant, 0
	cfg.LR = 1e-2 // noisy enough that the best validation is not the last
	path := filepath.Join(t.TempDir(), "m.safetensors")
	m, err := Train(context.Background(), cfg, td, TrainOptions{CkptPath: path})
	if err != nil {
		t.Fatal(err)
	}
	st := m.State
	if st.BestStep == 0 || st.BestStep == st.Step {
		t.Skipf("best validation at step %d of %d: nothing to restore", st.BestStep, st.Step)
	}
	if slices.Equal(m.Base.L, m.train.base.L) || slices.Equal(m.Interp.(*interp.Fourier).Alpha, m.train.ip.(*interp.Fourier).Alpha) {
		t.Fatal("the model's base or interpolant is the final one, not the best")
	}
	tr := &trainer{cfg: cfg, data: td, d: 3}
	v := tr.newValSet()
	if got := v.nll(m.Net, m.Base); got != st.BestVal {
		t.Fatalf("validation NLL of the returned model %v, recorded best %v", got, st.BestVal)
	}
	back, err := LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.nll(back.Net, back.Base); got != st.BestVal {
		t.Fatalf("after a checkpoint round trip: validation NLL %v, recorded best %v", got, st.BestVal)
	}
	if !slices.Equal(back.Interp.(*interp.Fourier).Alpha, m.Interp.(*interp.Fourier).Alpha) || !slices.Equal(back.train.base.L, m.train.base.L) {
		t.Fatal("checkpoint lost the best interpolant or the trained base")
	}
	for j := range 3 {
		if l := math.Abs(m.train.base.L[j*3+j]); l < BaseMinScale || l > BaseMaxScale {
			t.Fatalf("base scale L[%d,%d] = %g outside [%g, %g]", j, j, l, BaseMinScale, BaseMaxScale)
		}
	}
}

// TestPlateauSchedule checks the plateau rule: Patience validations without improvement
// divide the learning rate by PlateauFactor, at most PlateauDrops times, and the next
// plateau stops the run.
func TestPlateauSchedule(t *testing.T) {
	td := tableData(t, 120, 2, 9)
	cfg := TableConfig(DefaultTrainConfig(2), 2, td.Train.N, td.Val.N)
	cfg.Net.Hidden = []int{64, 64}
	cfg.Steps, cfg.ValEvery, cfg.Patience, cfg.LR, cfg.Warmup, cfg.LogEvery = 20000, 10, 2, 3e-3, 0, 10
	m, err := Train(context.Background(), cfg, td, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := m.State
	if !st.Stopped || st.LRDrops != PlateauDrops || st.Step >= cfg.Steps {
		t.Fatalf("stopped %v after %d steps with %d drops; want an early stop after %d drops", st.Stopped, st.Step, st.LRDrops, PlateauDrops)
	}
	seen := map[float64]bool{}
	for _, e := range m.History {
		seen[e.LR] = true
	}
	for k := range PlateauDrops + 1 {
		lr := cfg.LR / math.Pow(PlateauFactor, float64(k))
		if !seen[lr] {
			t.Errorf("no step at learning rate %g (seen %v)", lr, seen)
		}
	}
}

func writeNPYFile(path string, x []float32, n, d int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := dataset.WriteNPY(f, x, n, d); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// TestLearnedBaseBounded trains a learned base on a small table (where an unbounded base
// collapsed onto a point: NLLs of 10⁶ and more), and checks that its volume stays 1 and its
// scales within the bounds, and that its held-out NLL is finite and within 2 nats of the
// normal base's (the path-length ascent does not aim at likelihood, so it is not expected
// to beat it; measured here about 1.3 nats worse).
func TestLearnedBaseBounded(t *testing.T) {
	td := tableData(t, 300, 6, 11)
	var nll [2]float64
	for i, b := range []BaseKind{BaseNormal, BaseLearned} {
		cfg := TableConfig(DefaultTrainConfig(6), 6, td.Train.N, td.Val.N)
		cfg.Net.Hidden = []int{64, 64}
		cfg.Base, cfg.Steps = b, 1500
		m, err := Train(context.Background(), cfg, td, TrainOptions{})
		if err != nil {
			t.Fatal(err)
		}
		nll[i] = m.State.BestVal
		if m.Base != nil {
			if ld := m.Base.LogDet(); math.Abs(ld) > 1e-9 && !clamped(m.Base) {
				t.Fatalf("learned base log-volume %g, want 0", ld)
			}
			for j := range 6 {
				if l := math.Abs(m.Base.L[j*6+j]); l < BaseMinScale || l > BaseMaxScale {
					t.Fatalf("learned base L[%d,%d] = %g", j, j, l)
				}
			}
		}
	}
	t.Logf("validation NLL: normal base %.3f, learned base %.3f", nll[0], nll[1])
	if math.IsInf(nll[1], 0) || nll[1] > nll[0]+2 {
		t.Fatalf("learned base NLL %.3f against the normal base's %.3f", nll[1], nll[0])
	}
}

// clamped reports whether a diagonal entry of the base sits at a scale bound.
func clamped(g *GaussianBase) bool {
	d := g.Dim()
	for j := range d {
		if l := math.Abs(g.L[j*d+j]); l == BaseMinScale || l == BaseMaxScale {
			return true
		}
	}
	return false
}

// TestHostileStatisticsRefused saves a model whose stored standardization would map finite
// data to ±Inf (std 1e300) and checks that loading it is refused, naming the field.
func TestHostileStatisticsRefused(t *testing.T) {
	m, err := Train(context.Background(), smallConfig(3), toyData(t, "moons"), TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []dataset.Stats{{N: 1, Mean: []float64{0, 0}, Std: []float64{1e300, 1}}, {N: 1, Mean: []float64{1e30, 0}, Std: []float64{1, 1}}} {
		m.Data.Stats = &st
		path := filepath.Join(t.TempDir(), "h.safetensors")
		if err := m.Save(path); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadModel(path); err == nil || !strings.Contains(err.Error(), "column 1") {
			t.Fatalf("hostile statistics %+v: LoadModel err = %v", st, err)
		}
	}
}
