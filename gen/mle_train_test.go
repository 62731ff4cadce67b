package gen

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/mle"
	"github.com/interflow/flowbench/nn"
	"github.com/interflow/flowbench/solver"
)

func mleTrainConfig(steps int) TrainConfig {
	cfg := DefaultTrainConfig(2)
	cfg.Net.Hidden = []int{32, 32}
	cfg.Net.Act = kernels.SiLU
	cfg.Steps, cfg.Batch, cfg.LR = steps, 128, 5e-3
	cfg.Warmup, cfg.EMA, cfg.LogEvery = 0, 0, 10
	return cfg
}

// testNLL is the NLL of fresh 8gaussians points under m, by the likelihood path of
// `flowbench nll` (Dopri5).
func testNLL(t *testing.T, m *Model) float64 {
	x := dataset.SampleN(dataset.EightGaussians{}, 500, 77)
	lp, _, err := m.LogProb(context.Background(), x, LikelihoodOptions{ODE: solver.Options{Method: solver.Dopri5, RTol: 1e-5, ATol: 1e-5}})
	if err != nil {
		t.Fatal(err)
	}
	return SummarizeNLL(lp, 2).NLL
}

// TestTrainMLE: both gradient methods lower the test NLL of 8gaussians well below the
// initial network's, log NFE every step, and write a checkpoint that loads.
func TestTrainMLE(t *testing.T) {
	steps := 60
	if testing.Short() {
		steps = 30
	}
	for _, g := range []mle.Gradient{mle.GradDiscrete, mle.GradAdjoint} {
		t.Run(g.String(), func(t *testing.T) {
			cfg := mleTrainConfig(steps)
			init, _ := nn.New(cfg.Net, cfg.Seed)
			nll0 := testNLL(t, &Model{Net: init})
			mc := mle.DefaultConfig()
			mc.Gradient, mc.Steps = g, 8
			path := filepath.Join(t.TempDir(), "m.safetensors")
			var logs []MLELogEntry
			m, err := TrainMLE(context.Background(), cfg, mc, &TrainData{Name: "8gaussians", Toy: dataset.EightGaussians{}},
				TrainOptions{CkptPath: path}, func(e MLELogEntry) { logs = append(logs, e) })
			if err != nil {
				t.Fatal(err)
			}
			if len(logs) != steps || len(m.History) != steps/10 {
				t.Fatalf("%d log entries, %d history entries", len(logs), len(m.History))
			}
			for _, e := range logs {
				if e.NFE < 1 || e.NFEBackward < 1 || math.IsNaN(e.NLL) {
					t.Fatalf("bad log entry %+v", e)
				}
			}
			nll := testNLL(t, m)
			t.Logf("test NLL %.6f → %.6f (true %.3f); batch NLL %.6f → %.6f", nll0, nll, eightGaussiansNLL(), logs[0].NLL, logs[len(logs)-1].NLL)
			if !(nll < nll0-1) {
				t.Errorf("test NLL %.3f after training, %.3f before: want a drop of at least 1 nat", nll, nll0)
			}
			lm, err := LoadModel(path)
			if err != nil {
				t.Fatal(err)
			}
			if lm.State.Step != steps {
				t.Errorf("checkpoint at step %d, want %d", lm.State.Step, steps)
			}
		})
	}
}

func eightGaussiansNLL() float64 {
	x := dataset.SampleN(dataset.EightGaussians{}, 500, 77)
	s := 0.0
	for i := 0; i < len(x); i += 2 {
		s -= dataset.EightGaussians{}.LogProb(x[i : i+2])
	}
	return s / 500
}

// TestTrainMLECancel: a cancelled run stops with the context's error and a usable model;
// interpolant-only options are rejected.
func TestTrainMLECancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := TrainMLE(ctx, mleTrainConfig(50), mle.Config{Steps: 4}, &TrainData{Name: "8gaussians", Toy: dataset.EightGaussians{}},
		TrainOptions{}, func(MLELogEntry) {
			if n++; n == 3 {
				cancel()
			}
		})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	cfg := mleTrainConfig(5)
	cfg.Base = BaseLearned
	if _, err := TrainMLE(context.Background(), cfg, mle.Config{Steps: 4}, &TrainData{Name: "8gaussians", Toy: dataset.EightGaussians{}}, TrainOptions{}, nil); err == nil {
		t.Error("learned base: no error")
	}
}

// TestTrainMLEValidation: the MLE objective validates by held-out NLL like Train: the model
// returned has the best validation's weights (recomputing its validation NLL gives the
// recorded best bit for bit), and the training NLL is reported.
func TestTrainMLEValidation(t *testing.T) {
	td := tableData(t, 200, 3, 5)
	cfg := mleTrainConfig(12)
	cfg.Net.Dim = 3
	cfg.Batch, cfg.ValEvery, cfg.ValN, cfg.LR = 32, 3, 40, 1e-2
	mc := mle.DefaultConfig()
	mc.Gradient, mc.Steps = mle.GradDiscrete, 4
	m, err := TrainMLE(context.Background(), cfg, mc, td, TrainOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := m.State
	if st.BestStep == 0 || st.BestStep%3 != 0 || math.IsInf(st.BestVal, 0) || st.TrainNLL == 0 || st.ValSeconds <= 0 {
		t.Fatalf("no validation recorded: %+v", st)
	}
	tr := &trainer{cfg: m.Config, data: td, d: 3}
	if got := tr.newValSet().nll(m.Net, nil); got != st.BestVal {
		t.Fatalf("validation NLL of the returned model %v, recorded best %v", got, st.BestVal)
	}
}

// TestTimeLimit: a run given a time limit far below what its steps need ends without error
// once the limit is reached, marked TimeLimited, with the weights it reached validated; its
// checkpoint loads and resumes; a run within its limit is not marked.
func TestTimeLimit(t *testing.T) {
	td := tableData(t, 200, 2, 3)
	cfg := smallConfig(1 << 20)
	cfg.ValEvery, cfg.ValN, cfg.CkptEvery, cfg.Schedule = 1<<19, 50, 0, LRConstant // constant: the resumed run may end sooner
	path := filepath.Join(t.TempDir(), "m.safetensors")
	lim := 300 * time.Millisecond
	m, err := Train(context.Background(), cfg, td, TrainOptions{CkptPath: path, TimeLimit: lim})
	if err != nil {
		t.Fatal(err)
	}
	st := m.State
	if !st.TimeLimited || st.Step >= cfg.Steps || st.Step < 1 || st.Elapsed < lim.Seconds() {
		t.Fatalf("time limit %v: step %d of %d, elapsed %.3f s, time_limited %v", lim, st.Step, cfg.Steps, st.Elapsed, st.TimeLimited)
	}
	if st.LastValStep != st.Step || st.BestStep != st.Step {
		t.Fatalf("the final weights (step %d) were not validated: last validation at %d, best %d", st.Step, st.LastValStep, st.BestStep)
	}
	back, err := LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.State.Step != st.Step || !back.State.TimeLimited {
		t.Fatalf("checkpoint at step %d (time_limited %v), want %d", back.State.Step, back.State.TimeLimited, st.Step)
	}
	more := back.Config
	more.Steps = st.Step + 3
	r, err := Train(context.Background(), more, td, TrainOptions{Resume: back, TimeLimit: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if r.State.Step != st.Step+3 || r.State.TimeLimited {
		t.Fatalf("resumed run: step %d (want %d), time_limited %v", r.State.Step, st.Step+3, r.State.TimeLimited)
	}
}
