package posterior

import (
	"context"
	"fmt"
	"math"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/sbi"
	"github.com/interflow/flowbench/sbi/diag"
)

// ObsReport scores a posterior at one observation of a benchmark task.
type ObsReport struct {
	Task string `json:"task"`
	Obs  int    `json:"obs"`
	// C2ST is the classifier two-sample test accuracy of NPost model draws against NRef
	// reference draws (sbibm's settings; 0.5 is a perfect posterior).
	C2ST  float64 `json:"c2st"`
	NPost int     `json:"n_post"`
	NRef  int     `json:"n_ref"`
	// NLLModel and NLLTrue are the mean negative log-densities of NNLL reference draws under
	// the model and under the exact posterior (NaN where the task has no exact density, as
	// slcp); KL = NLLModel − NLLTrue estimates KL(p ‖ q).
	NLLModel float64 `json:"nll_model"`
	NLLTrue  float64 `json:"nll_true"`
	KL       float64 `json:"kl"`
	NNLL     int     `json:"n_nll"`
	// Model and Reference hold the draws compared (row-major, ParamDim columns), for
	// figures.
	Model     []float64 `json:"-"`
	Reference []float64 `json:"-"`
}

// CheckOptions configure CheckTask.
type CheckOptions struct {
	Obs   []int  // observations (nil: 1..sbi.NumObservations)
	NPost int    // model draws per observation (0: 10 000)
	NRef  int    // reference draws (0: 10 000)
	NNLL  int    // reference draws scored by log-density (0: 2 000; < 0: none)
	Seed  uint64 // seeds the draws and the classifier
	// C2ST are the classifier's settings (zero: sbibm's).
	C2ST diag.C2STOptions
	// Sampling is the solver of the draws and log-densities.
	Sampling Options
	// Progress, when set, is called with each observation's report as it is done.
	Progress func(ObsReport)
}

// CheckTask scores the posterior m of task at its reference observations: C2ST against the
// reference posterior and, where the task has an exact posterior density, the NLL of
// reference draws under the model and the truth.
func CheckTask(ctx context.Context, m *gen.Model, task sbi.Task, opt CheckOptions) ([]ObsReport, error) {
	if err := fits(m, task); err != nil {
		return nil, err
	}
	obs := opt.Obs
	if obs == nil {
		for j := 1; j <= sbi.NumObservations; j++ {
			obs = append(obs, j)
		}
	}
	npost, nref, nnll := or(opt.NPost, 10_000), or(opt.NRef, 10_000), or(opt.NNLL, 2_000)
	p := task.ParamDim()
	var out []ObsReport
	for _, j := range obs {
		_, xo, err := task.Observation(j)
		if err != nil {
			return nil, err
		}
		ref, err := task.ReferencePosterior(rng(opt.Seed, uint64(1000+j)), xo, nref)
		if err != nil {
			return nil, fmt.Errorf("posterior: %s observation %d: reference: %w", task.Name(), j, err)
		}
		post, err := Sample(ctx, m, xo, npost, opt.Seed^uint64(j)<<32, opt.Sampling)
		if err != nil {
			return nil, err
		}
		r := ObsReport{Task: task.Name(), Obs: j, NPost: npost, NRef: nref, NLLModel: math.NaN(), NLLTrue: math.NaN(), KL: math.NaN(), Model: post, Reference: ref}
		c := opt.C2ST
		c.Seed ^= opt.Seed + uint64(j)
		if r.C2ST, err = diag.C2ST(ctx, ref, post, p, c); err != nil {
			return nil, fmt.Errorf("posterior: %s observation %d: %w", task.Name(), j, err)
		}
		if nnll > 0 {
			k := min(nnll, nref)
			th := ref[:k*p]
			lq, err := LogProb(ctx, m, th, xo, opt.Sampling)
			if err != nil {
				return nil, err
			}
			r.NNLL = k
			r.NLLModel = -mean(lq)
			if ex, ok := task.(sbi.ExactPosterior); ok {
				lp, err := ex.PosteriorLogProb(th, xo)
				if err != nil {
					return nil, err
				}
				r.NLLTrue = -mean(lp)
				r.KL = r.NLLModel - r.NLLTrue
			}
		}
		if opt.Progress != nil {
			opt.Progress(r)
		}
		out = append(out, r)
	}
	return out, nil
}

// Calibration is the calibration of a posterior over pairs (θ_i, x_i) from the joint
// p(θ)p(x | θ): simulation-based calibration ranks and expected coverage, both by the
// highest-posterior-density regions of the model's own log-density and by TARP.
type Calibration struct {
	SBC  *diag.SBCResult
	HPD  *diag.CoverageResult
	TARP *diag.CoverageResult
}

// CalibrationOptions configure Calibrate.
type CalibrationOptions struct {
	L    int    // posterior draws per pair (0: 100)
	Seed uint64 // seeds the draws and the tests' tie-breaking
	// NoHPD skips the highest-density coverage (which needs L+1 log-densities per pair).
	NoHPD bool
	// Sampling is the solver of the draws (and, for HPD, of the log-densities).
	Sampling Options
}

// Calibrate checks the calibration of the posterior m on held-out pairs theta (n×p) and x
// (n×q) drawn from the joint (a task's prior and simulator, or a user's own simulations
// not used in training): for every pair, L draws from q(θ | x_i) in one amortized solve
// (a context per row), their SBC ranks and the TARP coverage, and (unless NoHPD) the
// rank of log q(θ_i | x_i) among the draws' log-densities (HPD coverage).
func Calibrate(ctx context.Context, m *gen.Model, theta, x []float64, opt CalibrationOptions) (*Calibration, error) {
	nc := m.Net.Config()
	p, q := nc.Dim, nc.Context
	if q == 0 || len(theta)%p != 0 || len(x)%q != 0 || len(theta)/p != len(x)/q {
		return nil, fmt.Errorf("posterior: calibrate: %d θ values and %d x values are not pairs of dimensions %d and %d", len(theta), len(x), p, q)
	}
	n, L := len(theta)/p, or(opt.L, 100)
	rep := make([]float64, n*L*q)
	for i := range n {
		for k := range L {
			copy(rep[(i*L+k)*q:], x[i*q:(i+1)*q])
		}
	}
	draws, err := SampleEach(ctx, m, rep, opt.Seed, opt.Sampling)
	if err != nil {
		return nil, err
	}
	sbc, err := diag.SBC(ctx, n, p, L, func(i int, th, dr []float64) error {
		copy(th, theta[i*p:(i+1)*p])
		copy(dr, draws[i*L*p:(i+1)*L*p])
		return nil
	}, diag.SBCOptions{Seed: opt.Seed})
	if err != nil {
		return nil, err
	}
	c := &Calibration{SBC: sbc}
	if c.TARP, err = diag.TARP(theta, draws, L, p, diag.TARPOptions{CoverageOptions: diag.CoverageOptions{Seed: opt.Seed}}); err != nil {
		return nil, err
	}
	if opt.NoHPD {
		return c, nil
	}
	// log q of each pair's θ_i and of its L draws, every row with its own context.
	pts := make([]float64, n*(L+1)*p)
	ctxs := make([]float64, n*(L+1)*q)
	for i := range n {
		r := i * (L + 1)
		copy(pts[r*p:], theta[i*p:(i+1)*p])
		copy(pts[(r+1)*p:], draws[i*L*p:(i+1)*L*p])
		for k := range L + 1 {
			copy(ctxs[(r+k)*q:], x[i*q:(i+1)*q])
		}
	}
	lp, _, err := m.LogProb(ctx, given(pts), gen.LikelihoodOptions{ODE: opt.Sampling.densityODE(), Batch: opt.Sampling.Batch, Cond: &gen.Condition{Values: given(ctxs)}})
	if err != nil {
		return nil, err
	}
	lt, ld := make([]float64, n), make([]float64, n*L)
	for i := range n {
		lt[i] = lp[i*(L+1)]
		copy(ld[i*L:], lp[i*(L+1)+1:(i+1)*(L+1)])
	}
	if c.HPD, err = diag.HPDCoverage(lt, ld, L, diag.CoverageOptions{Seed: opt.Seed}); err != nil {
		return nil, err
	}
	return c, nil
}

// CalibrateTask is Calibrate on n fresh pairs of task (prior draws and their simulations,
// from seed, independent of the training simulations' stream).
func CalibrateTask(ctx context.Context, m *gen.Model, task sbi.Task, n int, opt CalibrationOptions) (*Calibration, error) {
	if err := fits(m, task); err != nil {
		return nil, err
	}
	r := rng(opt.Seed, 0x63616c6962) // "calib"
	th := task.SamplePrior(r, n)
	x := task.Simulate(r, th)
	return Calibrate(ctx, m, th, x, opt)
}

// Importance corrects n posterior draws for x_o by importance sampling against the task's
// likelihood and prior: the weights p(x_o | θ)p(θ)/q(θ | x_o), their effective sample size
// and the evidence estimate log p(x_o).
func Importance(ctx context.Context, m *gen.Model, task sbi.Task, xo []float64, n int, seed uint64, opt Options) (*diag.ImportanceResult, error) {
	if err := fits(m, task); err != nil {
		return nil, err
	}
	return ImportanceWith(ctx, m, xo, n, seed, opt, func(th []float64) (float64, error) {
		lp := task.PriorLogProb(th)
		if math.IsInf(lp, -1) {
			return lp, nil
		}
		return task.LogLikelihood(th, xo) + lp, nil
	})
}

// ImportanceWith is Importance with the user's own unnormalized log-posterior logTarget
// (log p(x_o | θ) + log p(θ)), a callback from the library.
func ImportanceWith(ctx context.Context, m *gen.Model, xo []float64, n int, seed uint64, opt Options, logTarget func(theta []float64) (float64, error)) (*diag.ImportanceResult, error) {
	res, err := m.Sample(ctx, n, gen.SampleOptions{ODE: opt.densityODE(), Batch: opt.Batch, Seed: seed, WithLogP: true, Cond: gen.Shared(given(xo))})
	if err != nil {
		return nil, err
	}
	draws := make([]float64, len(res.X))
	for i, v := range res.X {
		draws[i] = float64(v)
	}
	return diag.ImportanceSample(ctx, draws, res.LogP, m.Dim(), logTarget)
}

// fits checks that m is a posterior for task's dimensions.
func fits(m *gen.Model, task sbi.Task) error {
	nc := m.Net.Config()
	if nc.Dim != task.ParamDim() || nc.Context != task.DataDim() || nc.Classes != 0 {
		return fmt.Errorf("posterior: the model (θ dimension %d, context %d) is not a posterior for %s (θ %d, x %d)", nc.Dim, nc.Context, task.Name(), task.ParamDim(), task.DataDim())
	}
	return nil
}

func or(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
