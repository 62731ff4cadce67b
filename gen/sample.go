package gen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/interflow/flowbench/metrics"
	"github.com/interflow/flowbench/solver"
)

// SampleOptions configure Model.Sample.
type SampleOptions struct {
	// ODE is the solver of the probability-flow ODE (also of the log-density when WithLogP;
	// its Div selects exact or Hutchinson divergence).
	ODE solver.Options
	// SDE, when non-nil, samples with the score-based SDE instead (N(0, I) base only); its
	// Interp is set from the model and its Seed is derived from Seed per chunk.
	SDE *solver.SDEOptions
	// TEnd is the time integrated to (0 means 1).
	TEnd float64
	// Batch is the number of rows solved together (0: all); memory is bounded by it.
	Batch int
	// WithLogP also returns each sample's log-density (ODE only).
	WithLogP bool
	// Seed seeds the base draws (and SDE noise): the same seed gives the same samples.
	Seed uint64
	// Progress, when set, is called with the rows done as the work advances: during the
	// solve of a chunk (its rows counted in proportion to the time integrated so far) and
	// after it, so that the first seconds of a large chunk show progress too.
	Progress func(done, total int)
	// Cond is the context of a conditional model (required for one, an error for an
	// unconditional model): one shared by every sample, or one per sample (n rows).
	Cond *Condition
	// Shard, when set, computes only the rows the shard owns of the n (Shard.Rows with
	// Batch): the result holds those rows, the bits an unsharded call gives them.
	Shard Shard

	keepBase   bool // also return the base points (SampleResult.X0)
	modelUnits bool // leave X in the model's units (no unstandardization)
	// Record lists increasing times in [0, TEnd] at which every sample's state is kept
	// (SampleResult.Path; at 0 the base draw): the trajectories are integrated once from 0
	// to TEnd, stopping at each time. Plain ODE sampling only (no SDE, no WithLogP).
	Record []float64
}

// SampleResult holds samples in data units, optionally their log-densities (nats, data
// units), and the solver work.
type SampleResult struct {
	X    []float32 // n×d, row-major
	LogP []float64 // n values when WithLogP, else nil
	NFE  int       // field evaluations summed over chunks
	X0   []float32 // the base points (model units), for ReflowData only
	// Path holds the states at the times of SampleOptions.Record, one n×d slice (data
	// units) per time; nil without Record.
	Path [][]float32
}

// streamSample is the PCG stream of the base draws of sampling.
const streamSample = 0x73616d706c65

// fillNoise fills z with the standard normal draws of the base: the next len(z) of rng.
func fillNoise(rng *rand.Rand, z []float32) {
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
}

// BaseNoise returns the n·d standard normal draws z (row-major, n rows of d) that Sample
// with this seed starts from, whatever its batch: the ODE pushes z itself from t = 0 (a
// learned base first maps it to μ + L·z). Another implementation of the flow given these
// points can be compared with Sample's output row by row (scripts/flowbench_torch.py is
// tested so).
func BaseNoise(seed uint64, n, d int) []float32 {
	z := make([]float32, n*d)
	fillNoise(rand.New(rand.NewPCG(seed, streamSample)), z)
	return z
}

// Sample draws n points from the model: x0 from the base, pushed through the flow from
// t = 0 to TEnd, mapped back to data units.
func (m *Model) Sample(ctx context.Context, n int, opt SampleOptions) (*SampleResult, error) {
	if n < 1 {
		return nil, fmt.Errorf("sample: n = %d: want ≥ 1", n)
	}
	if opt.SDE != nil && m.Base != nil {
		return nil, errors.New("sample: the SDE sampler is defined for the N(0, I) base only; this model has a learned base (use the ODE)")
	}
	if opt.SDE != nil && opt.WithLogP {
		return nil, errors.New("sample: log-densities need the ODE sampler (not --sde)")
	}
	tEnd := opt.TEnd
	if tEnd == 0 {
		tEnd = 1
	}
	if !(tEnd > 0 && tEnd <= 1) {
		return nil, fmt.Errorf("sample: end time %g: want a value in (0, 1]", tEnd)
	}
	if opt.WithLogP && tEnd != 1 {
		return nil, errors.New("sample: log-densities are of the model at t = 1 (drop the end time)")
	}
	if err := checkRecord(opt.Record, tEnd, opt.SDE != nil, opt.WithLogP); err != nil {
		return nil, err
	}
	if opt.SDE == nil {
		if err := opt.ODE.Validate(); err != nil {
			return nil, fmt.Errorf("sample: %w", err)
		}
	} else if err := opt.SDE.Validate(); err != nil {
		return nil, fmt.Errorf("sample: %w", err)
	}
	d := m.Dim()
	batch := opt.Batch
	if batch <= 0 || batch > n {
		batch = n
	}
	cond, err := m.encodeCondition("sample", opt.Cond, n)
	if err != nil {
		return nil, err
	}
	if err := opt.Shard.Validate(); err != nil {
		return nil, fmt.Errorf("sample: %w", err)
	}
	lo, hi := opt.Shard.Rows(n, batch)
	res := &SampleResult{X: make([]float32, (hi-lo)*d)}
	if opt.WithLogP {
		res.LogP = make([]float64, hi-lo)
	}
	for range opt.Record {
		res.Path = append(res.Path, make([]float32, (hi-lo)*d))
	}
	rng := rand.New(rand.NewPCG(opt.Seed, streamSample))
	for range lo * d { // the base draws of the rows before the shard's (NormFloat64 takes a varying number of words)
		rng.NormFloat64()
	}
	ws := solver.NewWorkspace()
	net := m.Net
	f, g := m.forks(net, cond)
	defer m.putForks(net, f, g)
	z := make([]float32, batch*d)
	var baseLog solver.LogDensityFunc
	if m.Base != nil {
		baseLog = m.Base.logDensityFunc()
	}
	for s, chunk := lo, lo/batch; s < hi; s, chunk = s+batch, chunk+1 {
		e := min(hi, s+batch)
		x := res.X[(s-lo)*d : (e-lo)*d]
		zc := z[:len(x)]
		fillNoise(rng, zc)
		if m.Base != nil {
			m.Base.Transform(zc, x)
		} else {
			copy(x, zc)
		}
		if opt.keepBase {
			res.X0 = append(res.X0, x...)
		}
		var st solver.Stats
		fld := newProgress(cond.field(f, g, s, e), opt.Progress, 0, tEnd, s-lo, e-lo, hi-lo)
		switch {
		case opt.SDE != nil:
			so := *opt.SDE
			so.Interp = m.Interp
			so.Seed = opt.Seed ^ (uint64(chunk)+1)*0x9e3779b97f4a7c15
			st, err = ws.SolveSDE(ctx, fld, x, 0, tEnd, &so)
		case opt.WithLogP:
			st, err = ws.SampleLogDensity(ctx, fld, x, res.LogP[s-lo:e-lo], baseLog, &opt.ODE)
		case len(opt.Record) > 0:
			st, err = solveRecorded(ctx, ws, fld, x, tEnd, opt.Record, res.Path, s-lo, d, opt.ODE)
		default:
			st, err = ws.Solve(ctx, fld, x, 0, tEnd, &opt.ODE)
		}
		res.NFE += st.NFE
		if err != nil {
			return nil, fmt.Errorf("sample: rows %d–%d: %w", s, e-1, err)
		}
		if opt.Progress != nil {
			opt.Progress(e-lo, hi-lo)
		}
	}
	if st := m.Data.Stats; st != nil && !opt.modelUnits {
		st.Unstandardize(res.X)
		for _, p := range res.Path {
			st.Unstandardize(p)
		}
	}
	if err := metrics.CheckSamples(res.X, d, "sample: the model's samples"); err != nil {
		return nil, err
	}
	if st := m.Data.Stats; st != nil {
		ls := st.LogScale()
		for i := range res.LogP {
			res.LogP[i] -= ls
		}
	}
	return res, nil
}
