package gen

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/interflow/flowbench/metrics"
	"github.com/interflow/flowbench/solver"
)

const log2Pi = 1.8378770664093453 // log(2π)

// ExactDivMaxDim is the largest dimension for which the likelihood uses the exact
// divergence by default; above it a Hutchinson estimate is used.
const ExactDivMaxDim = 64

// LikelihoodOptions configure Model.LogProb and Model.Encode.
type LikelihoodOptions struct {
	// ODE is the solver of the augmented system (its Div and ProbeSeed are set from
	// Hutchinson and Seed).
	ODE solver.Options
	// Hutchinson K ≥ 1 averages K Hutchinson (Rademacher) estimates of the log-density, each
	// a full solve with its own probe; 0 uses the exact divergence when d ≤ ExactDivMaxDim
	// and one Hutchinson probe above.
	Hutchinson int
	// Batch is the number of rows solved together (0: all).
	Batch int
	// Seed seeds the Hutchinson probes.
	Seed uint64
	// Progress, when set, is called with the rows done as the work advances: during the
	// solve of a chunk (its rows counted in proportion to the time integrated so far) and
	// after it, so that the first seconds of a large chunk show progress too.
	Progress func(done, total int)
	// Cond is the context of a conditional model (required for one, an error for an
	// unconditional model): one shared by every row, or one per row; LogProb then returns
	// log p(x | c).
	Cond *Condition
	// Shard, when set, solves only the rows the shard owns of x (Shard.Rows with Batch): the
	// result holds those rows, the bits an unsharded call gives them (the Hutchinson probes
	// of a chunk follow its index in the whole).
	Shard Shard
	// Time is the time t ∈ (0, 1] of the density LogProb returns, log ρ_t(x): the density
	// of the flow's state at t, by the change of variables from t back to 0 (0 means 1,
	// the model's density). Encode ignores it.
	Time float64
}

// probes returns the number of Hutchinson solves (0: exact).
func (o *LikelihoodOptions) probes(d int) int {
	if o.Hutchinson > 0 {
		return o.Hutchinson
	}
	if d > ExactDivMaxDim {
		return 1
	}
	return 0
}

// rows validates the options and the n×d points x of a LogProb or Encode call (what names
// it in errors) and returns n, the rows solved together and the rows [lo, hi) of the shard.
func (o *LikelihoodOptions) rows(what string, x []float32, d int) (n, batch, lo, hi int, err error) {
	if len(x) == 0 || len(x)%d != 0 {
		return 0, 0, 0, 0, fmt.Errorf("%s: %d values is not a whole number of rows of dimension %d", what, len(x), d)
	}
	if o.Hutchinson < 0 {
		return 0, 0, 0, 0, fmt.Errorf("%s: Hutchinson = %d: want ≥ 0", what, o.Hutchinson)
	}
	if !(o.Time >= 0 && o.Time <= 1) {
		return 0, 0, 0, 0, fmt.Errorf("%s: Time = %g: want a value in (0, 1] (0: 1)", what, o.Time)
	}
	if err := o.ODE.Validate(); err != nil {
		return 0, 0, 0, 0, fmt.Errorf("%s: %w", what, err)
	}
	if err := o.Shard.Validate(); err != nil {
		return 0, 0, 0, 0, fmt.Errorf("%s: %w", what, err)
	}
	n = len(x) / d
	batch = o.Batch
	if batch <= 0 || batch > n {
		batch = n
	}
	lo, hi = o.Shard.Rows(n, batch)
	return n, batch, lo, hi, nil
}

// LogProb returns log ρ1(x) in nats for every row of x (n×d, in data units; x is not
// modified): the augmented ODE is integrated from t = 1 back to 0 and the base
// log-density added; when the model was trained on standardized data the result is in
// data units (−Σ_j log σ_j). With opt.Time = t < 1 it returns log ρ_t(x), the density of
// the flow's state at time t, integrating from t back to 0. It also returns the number of
// field evaluations. With opt.Shard it returns the log-densities of the shard's rows only.
func (m *Model) LogProb(ctx context.Context, x []float32, opt LikelihoodOptions) ([]float64, int, error) {
	d := m.Dim()
	n, batch, lo, hi, err := opt.rows("likelihood", x, d)
	if err != nil {
		return nil, 0, err
	}
	cond, err := m.encodeCondition("likelihood", opt.Cond, n)
	if err != nil {
		return nil, 0, err
	}
	k := opt.probes(d)
	logp := make([]float64, hi-lo)
	tmp := make([]float64, batch)
	buf := make([]float32, batch*d)
	ws := solver.NewWorkspace()
	net := m.Net
	f, g := m.forks(net, cond)
	defer m.putForks(net, f, g)
	var baseLog solver.LogDensityFunc
	if m.Base != nil {
		baseLog = m.Base.logDensityFunc()
	}
	nfe := 0
	for s, chunk := lo, lo/batch; s < hi; s, chunk = s+batch, chunk+1 {
		e := min(hi, s+batch)
		xb := buf[:(e-s)*d]
		out := logp[s-lo : e-lo]
		fld := cond.field(f, g, s, e)
		solves := max(k, 1)
		tEnd := opt.Time
		if tEnd == 0 {
			tEnd = 1
		}
		for p := range solves {
			pf := newProgress(fld, opt.Progress, tEnd, 0, s-lo+(e-s)*p/solves, s-lo+(e-s)*(p+1)/solves, hi-lo)
			o := opt.ODE
			o.Div = solver.DivExact
			if k > 0 {
				o.Div = solver.DivRademacher
				o.ProbeSeed = opt.Seed ^ (uint64(chunk)<<20 + uint64(p) + 1)
			}
			copy(xb, x[s*d:e*d])
			if st := m.Data.Stats; st != nil {
				st.Standardize(xb)
			}
			lp := tmp[:e-s]
			stt, err := ws.LogDensity(ctx, pf, tEnd, xb, lp, baseLog, &o)
			nfe += stt.NFE
			if err != nil {
				return nil, nfe, fmt.Errorf("likelihood: rows %d–%d: %w", s, e-1, err)
			}
			for i, v := range lp {
				out[i] += v / float64(solves)
			}
		}
		if opt.Progress != nil {
			opt.Progress(e-lo, hi-lo)
		}
	}
	if st := m.Data.Stats; st != nil {
		ls := st.LogScale()
		for i := range logp {
			logp[i] -= ls
		}
	}
	return logp, nfe, nil
}

// Encode maps data points (n×d, data units) to the base: it integrates the flow from t = 1
// back to 0 and returns x(0) (for a learned base, the base point μ + L·z, not z); with
// opt.Shard, those of the shard's rows only.
func (m *Model) Encode(ctx context.Context, x []float32, opt LikelihoodOptions) ([]float32, int, error) {
	d := m.Dim()
	n, batch, lo, hi, err := opt.rows("encode", x, d)
	if err != nil {
		return nil, 0, err
	}
	cond, err := m.encodeCondition("encode", opt.Cond, n)
	if err != nil {
		return nil, 0, err
	}
	out := slices.Clone(x[lo*d : hi*d])
	if st := m.Data.Stats; st != nil {
		st.Standardize(out)
	}
	ws := solver.NewWorkspace()
	net := m.Net
	f, g := m.forks(net, cond)
	defer m.putForks(net, f, g)
	nfe := 0
	for s := lo; s < hi; s += batch {
		e := min(hi, s+batch)
		st, err := ws.Solve(ctx, newProgress(cond.field(f, g, s, e), opt.Progress, 1, 0, s-lo, e-lo, hi-lo), out[(s-lo)*d:(e-lo)*d], 1, 0, &opt.ODE)
		nfe += st.NFE
		if err != nil {
			return nil, nfe, fmt.Errorf("encode: rows %d–%d: %w", s, e-1, err)
		}
		if opt.Progress != nil {
			opt.Progress(e-lo, hi-lo)
		}
	}
	return out, nfe, nil
}

// NLLSummary is the negative log-likelihood of a data set under a model.
type NLLSummary struct {
	N      int     `json:"n"`          // rows scored
	NLL    float64 `json:"nll"`        // mean NLL in nats (data units)
	StdErr float64 `json:"nll_stderr"` // standard error of the mean (NaN for one row)
	BPD    float64 `json:"bpd"`        // NLL / (d·ln 2)
}

// SummarizeNLL returns the mean NLL, its standard error and bits per dimension of a set of
// log-densities of d-dimensional points.
func SummarizeNLL(logp []float64, d int) NLLSummary {
	var m metrics.Moments
	for _, v := range logp {
		m.Add(v)
	}
	return SummarizeLogP(&m, d)
}

// SummarizeLogP is SummarizeNLL of the log-densities accumulated in m. Its sums are exact,
// so the Moments of the parts of a job (shards) merged give the summary of the whole, bit
// for bit.
func SummarizeLogP(m *metrics.Moments, d int) NLLSummary {
	mean, se := -m.Mean(), m.StdErr()
	if m.N() < 2 {
		se = math.NaN()
	}
	return NLLSummary{N: int(m.N()), NLL: mean, StdErr: se, BPD: metrics.BitsPerDim(mean, d)}
}
