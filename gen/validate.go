package gen

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/nn"
	"github.com/interflow/flowbench/solver"
)

// Validation watches the quantity users care about: the negative log-likelihood of held-out
// rows (nats per row, data units, as `flowbench nll` reports it), computed every ValEvery
// steps for the inference weights (the EMA when enabled) on a fixed set of at most ValN
// rows. The solve is cheap enough to run often: ValSolverSteps fixed RK4 steps from t = 1
// back to 0, with the exact divergence up to ValExactMaxDim dimensions and a Hutchinson
// estimate with probes fixed for the whole run above (so that successive validations differ
// only by the weights). Its bias against the adaptive solve at the default tolerance is
// measured by TestValidationSolverBias.
const (
	// ValSolverSteps is the number of RK4 steps of the validation solve.
	ValSolverSteps = 8
	// ValExactMaxDim is the largest dimension validated with the exact divergence.
	ValExactMaxDim = 16
)

// valSet is the fixed validation set of a run and the buffers of its solve.
type valSet struct {
	n, d int
	x    []float32 // n×d rows in model units (8-bit data dequantized once, fixed)
	ctx  []float32 // their encoded contexts (conditional models), or nil
	buf  []float32 // the solve's state
	lp   []float64 // log-densities (model units)
	ws   *solver.Workspace
	net  *nn.MLP // a fork of the validated network
	src  *nn.MLP // the network net is a fork of
	opt  solver.Options
	ls   float64 // log-scale of the standardization: data-unit NLL = model-unit NLL + ls
}

// newValSet returns the validation set of the run: the first ValN validation rows of a
// file, or ValN fresh draws of a generated data set from the validation stream; nil when
// there is nothing to validate on.
func (tr *trainer) newValSet() *valSet {
	d := tr.d
	rng := rand.New(rand.NewPCG(tr.cfg.Seed, streamVal))
	var x []float32
	switch {
	case tr.data.Val != nil && tr.data.Val.N > 0:
		n := min(tr.cfg.ValN, tr.data.Val.N)
		x = slices.Clone(tr.data.Val.Data[:n*d])
		tr.dequantize(rng, x)
		return tr.newEvalSet(x, tr.contextRows(tr.data.ValCond, tr.data.ValLabels, n))
	case tr.data.Toy != nil:
		x = make([]float32, tr.cfg.ValN*d)
		tr.data.Toy.Sample(rng, x)
	default:
		return nil
	}
	return tr.newEvalSet(x, nil)
}

// newEvalSet returns the solve set-up of validation for the rows x (model units) with
// their encoded contexts ctx (nil for an unconditional model).
func (tr *trainer) newEvalSet(x, ctx []float32) *valSet {
	d := tr.d
	n := len(x) / d
	v := &valSet{n: n, d: d, x: x, ctx: ctx, buf: make([]float32, n*d), lp: make([]float64, n), ws: solver.NewWorkspace(),
		opt: solver.Options{Method: solver.RK4, Steps: ValSolverSteps, Div: solver.DivExact}}
	if d > ValExactMaxDim {
		v.opt.Div, v.opt.ProbeSeed = solver.DivRademacher, tr.cfg.Seed^streamVal
	}
	if st := tr.data.Stats; st != nil {
		v.ls = st.LogScale()
	}
	return v
}

// nll returns the set's mean negative log-likelihood (data units) under net and the base
// (nil: N(0, I)); a solve that fails or is not finite scores +Inf.
func (v *valSet) nll(net *nn.MLP, base *GaussianBase) float64 {
	if v.src != net {
		v.net, v.src = net.Fork(), net
	}
	if v.ctx != nil {
		v.net.SetContext(v.ctx)
	}
	copy(v.buf, v.x)
	var baseLog solver.LogDensityFunc
	if base != nil {
		baseLog = base.logDensityFunc()
	}
	if _, err := v.ws.LogDensity(context.Background(), v.net, 1, v.buf, v.lp, baseLog, &v.opt); err != nil {
		return math.Inf(1)
	}
	s := 0.0
	for _, l := range v.lp {
		s += l
	}
	r := -s/float64(v.n) + v.ls
	if math.IsNaN(r) {
		return math.Inf(1)
	}
	return r
}

// inferenceNet is the network validated and, without validation, sampled: the EMA when
// enabled, else the trained weights.
func (tr *trainer) inferenceNet() *nn.MLP {
	if tr.ema != nil {
		return tr.ema.Net
	}
	return tr.net
}

// validate computes the validation NLL of the inference weights, keeps the best weights,
// and applies the patience rule: with the plateau schedule, Patience validations without
// improvement divide the learning rate by PlateauFactor (at most PlateauDrops times) and
// the run stops at the next plateau after the last drop; with the other schedules the run
// stops at the first plateau.
func (tr *trainer) validate(v *valSet) {
	if v == nil {
		return
	}
	st := &tr.model.State
	net := tr.inferenceNet()
	start := time.Now()
	nll := v.nll(net, tr.base)
	st.ValSeconds += time.Since(start).Seconds()
	st.LastVal, st.LastValStep = nll, st.Step
	if nll < st.BestVal {
		st.BestVal, st.BestStep, st.SinceBest = nll, st.Step, 0
		tr.keepBest(net)
		return
	}
	st.SinceBest++
	if tr.cfg.Patience == 0 || st.SinceBest < tr.cfg.Patience {
		return
	}
	if tr.cfg.Schedule == LRPlateau && st.LRDrops < PlateauDrops {
		st.LRDrops++
		st.SinceBest = 0
		return
	}
	st.Stopped = true
}

// keepBest records every learned part at the best validation: the network, and copies of
// the learnable interpolant's coefficients and the learned base (which go on training).
func (tr *trainer) keepBest(net *nn.MLP) {
	m := tr.model
	if m.best == nil {
		m.best = net.Clone()
	} else {
		m.best.CopyFrom(net)
	}
	if f := tr.fourier(); f != nil {
		b, _ := m.bestIP.(*interp.Fourier)
		if b == nil || b == f {
			b = &interp.Fourier{Alpha: make([]float64, len(f.Alpha)), Beta: make([]float64, len(f.Beta))}
		}
		copy(b.Alpha, f.Alpha)
		copy(b.Beta, f.Beta)
		m.bestIP = b
	} else {
		m.bestIP = tr.ip
	}
	if tr.base == nil {
		m.bestBase = nil
		return
	}
	b := m.bestBase
	if b == nil || b == tr.base {
		b = &GaussianBase{Mu: make([]float64, len(tr.base.Mu)), L: make([]float64, len(tr.base.L))}
	}
	copy(b.Mu, tr.base.Mu)
	copy(b.L, tr.base.L)
	m.bestBase = b
}

// lrAt returns the learning rate of step: the schedule's, divided by PlateauFactor for each
// plateau drop so far.
func (tr *trainer) lrAt(step int) float64 {
	lr := tr.sched.At(step)
	if k := tr.model.State.LRDrops; k > 0 {
		lr /= math.Pow(PlateauFactor, float64(k))
	}
	return lr
}

// fitReport scores the final inference weights on at most ValN training rows with the
// validation solve, beside the best validation NLL, so that a model that memorized its
// training rows is reported (TrainState.TrainNLL, Model.Memorized).
func (tr *trainer) fitReport(v *valSet) {
	if v == nil || tr.data.Train == nil {
		return
	}
	d := tr.d
	n := min(v.n, tr.data.Train.N)
	x := slices.Clone(tr.data.Train.Data[:n*d])
	tr.dequantize(rand.New(rand.NewPCG(tr.cfg.Seed, streamVal+1)), x)
	tr.model.State.TrainNLL = tr.newEvalSet(x, tr.contextRows(tr.data.Cond, tr.data.Labels, n)).nll(tr.model.Net, tr.model.Base)
}

// MemorizationMargin returns the gap between validation and training NLL (nats per row)
// beyond which a model of dimension d is reported as having memorized its training rows:
// 1 + d/3 nats. A flow of some 10⁵ parameters fitted to a few hundred rows keeps a gap of a
// fraction of a nat per column even when it generalizes (0.1–0.27·d on the benchmark tables
// with the table defaults, whose held-out NLLs beat a full-covariance Gaussian's: digits
// 0.27·d), while the memorizing runs this warns about had gaps of 10² to 10⁸ nats.
func MemorizationMargin(d int) float64 { return 1 + float64(d)/3 }

// Memorized reports whether the run's best validation NLL is worse than its training NLL by
// more than MemorizationMargin, and the gap; false when either was not measured.
func (m *Model) Memorized() (bool, float64) {
	st := m.State
	if st.TrainNLL == 0 || math.IsInf(st.BestVal, 0) || math.IsNaN(st.BestVal) {
		return false, 0
	}
	gap := st.BestVal - st.TrainNLL
	return gap > MemorizationMargin(m.Dim()), gap
}
