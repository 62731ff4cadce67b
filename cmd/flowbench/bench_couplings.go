package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/interflow/flowbench/compare"
	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/kernels"
)

// The couplings group (issue 16): independent pairs, minibatch OT, Sinkhorn, the max–min
// over a learnable interpolant and reflow (distilled or not), each trained for one
// wall-clock budget on each generated data set, with what the straighter paths buy: Dopri5
// NFE, few-step Euler samples beside the data floor, kinetic energy and straightness.

// couplingsFlags are the flags of the couplings group.
type couplingsFlags struct {
	data, methods, euler string
	budget, tol          float64
	testN, batch, width  int
	depth, pairs         int
	seed                 uint64
}

// coupFlags holds the couplings group's flags, set by parsing when the group is named
// before them.
var coupFlags couplingsFlags

// add adds the group's flags to fs.
func (c *couplingsFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&c.data, "data", "8gaussians,checkerboard,moons,gmm64", "generated data sets, comma-separated")
	fs.StringVar(&c.methods, "methods", "independent,linear,ot,maxmin,reflow,reflow:2,reflow:1", "methods in order: couplings (ot, sinkhorn:EPS; Sinkhorn at small ε costs seconds per batch) train with the linear interpolant, whose independent baseline is linear; reflow rows reflow the independent model")
	fs.Float64Var(&c.budget, "budget", 60, "training wall time of each method, seconds (a reflow's retraining gets it again)")
	fs.Float64Var(&c.tol, "tol", 1e-5, "rtol = atol of the Dopri5 NFE, NLL and energy figures")
	fs.StringVar(&c.euler, "euler", "1,2,4,8,16", "Euler step counts of the few-step energy distances")
	fs.IntVar(&c.testN, "test-n", 2000, "test points (and points sampled)")
	fs.IntVar(&c.batch, "batch", 512, "training batch")
	fs.IntVar(&c.width, "width", 256, "hidden width")
	fs.IntVar(&c.depth, "depth", 3, "hidden layers")
	fs.IntVar(&c.pairs, "pairs", 20000, "reflow pairs")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the initialization, batches, test draws and samples")
}

func benchCouplings(ctx context.Context, o *benchOpts) error {
	f := coupFlags
	const g = "bench couplings"
	switch {
	case len(o.only) > 0:
		return usagef("%s: --only: the group has no workloads to select (choose with --methods and --data)", g)
	case !(f.budget > 0) || math.IsInf(f.budget, 0):
		return usagef("%s: --budget %g: want a positive number of seconds", g, f.budget)
	case !(f.tol > 0) || math.IsInf(f.tol, 0):
		return usagef("%s: --tol %g: want a positive number", g, f.tol)
	case f.testN < 2 || f.batch < 2 || f.width < 1 || f.depth < 1 || f.pairs < 1:
		return usagef("%s: --test-n and --batch must be ≥ 2, --width, --depth and --pairs ≥ 1", g)
	}
	var methods []compare.PathMethod
	for _, s := range strings.Split(f.methods, ",") {
		m, err := compare.ParsePathMethod(s)
		if err != nil {
			return usagef("%s: --methods: %v", g, err)
		}
		methods = append(methods, m)
	}
	var euler []int
	for _, s := range strings.Split(f.euler, ",") {
		var k int
		if _, err := fmt.Sscan(s, &k); err != nil || k < 1 {
			return usagef("%s: --euler: %q is not a positive step count", g, s)
		}
		euler = append(euler, k)
	}
	var toys []dataset.Sampler
	for _, name := range strings.Split(f.data, ",") {
		s, err := dataset.NewToy(name)
		if err != nil {
			return usagef("%s: --data: %v", g, err)
		}
		toys = append(toys, s)
	}
	threads := o.threads[0]
	kernels.SetThreads(threads)
	for _, toy := range toys {
		d := toy.Dim()
		cfg := gen.DefaultTrainConfig(d)
		cfg.Seed, cfg.Batch = f.seed, f.batch
		cfg.Net.Hidden = make([]int, f.depth)
		for i := range cfg.Net.Hidden {
			cfg.Net.Hidden[i] = f.width
		}
		test, ref := compare.ToyTest(toy, f.testN, f.seed)
		cc := compare.PathsConfig{Train: cfg, Budget: time.Duration(f.budget * float64(time.Second)), Methods: methods,
			Test: test, Ref: ref, Tol: f.tol, EulerSteps: euler, Pairs: f.pairs, Seed: f.seed}
		var emitErr error
		err := compare.Couplings(ctx, cc, &gen.TrainData{Name: toy.Name(), Toy: toy}, func(r compare.PathRow) {
			kv := []any{"group", "couplings", "data", toy.Name(), "method", r.Method, "threads", threads, "cpu", cpuName(),
				"steps", r.Steps, "step_ms", round3(r.StepMS), "coupling_share", round3(r.StepShare), "train_s", round3(r.TrainS),
				"nll", r.TestNLL, "nll_stderr", r.TestNLLStderr, "nfe_logp", r.NFELogp, "nfe_sample", r.NFESample,
				"energy", r.Energy, "floor_energy", r.Floor}
			for i, k := range euler {
				kv = append(kv, fmt.Sprintf("energy_euler%d", k), r.EulerEnergy[i])
			}
			kv = append(kv, "flow_kinetic", r.Kinetic, "straightness", r.Straightness)
			if e := o.out.Emit(kv...); e != nil && emitErr == nil {
				emitErr = e
			}
		})
		if err != nil {
			return err
		}
		if emitErr != nil {
			return emitErr
		}
	}
	return nil
}
