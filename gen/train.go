package gen

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/interflow/flowbench/coupling"
	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/internal/quote"
	"github.com/interflow/flowbench/internal/version"
	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/nn"
)

// TrainData is what a run trains on. Exactly one of Toy and Train is set.
type TrainData struct {
	// Name is the data set's name or file path, recorded in the checkpoint.
	Name string
	// Toy draws fresh training points every step (generated data sets).
	Toy dataset.Sampler
	// Train holds the training rows, already standardized when Stats is set; batches are
	// drawn uniformly with replacement.
	Train *dataset.Table
	// Val holds validation rows in the model's units (optional; for a Toy, ValN fresh
	// points are drawn from a separate stream when Val is nil).
	Val *dataset.Table
	// Stats, when set, are the standardization statistics: the model works in standardized
	// units and the likelihood is reported in data units.
	Stats *dataset.Stats
	// Split is the train/validation/test split of a file, recorded in the checkpoint.
	Split *dataset.Split
	// Dequantize adds U[0, 1) noise (in data units) to every value of every drawn row
	// (8-bit data, or a table whose columns are all integer-valued).
	Dequantize bool
	// DequantizeCols adds U[0, 1) noise to these columns of every drawn row (the integer
	// columns of a table with others; unused when Dequantize is set).
	DequantizeCols []int
	// ConstantCols are columns whose training rows all hold one value c (a file's, found by
	// dataset.File.TrainStatsConstant): each is modelled as an exact, independent N(c, σ²)
	// component, σ its Stats.Std. Training keeps the network's weights that read these
	// inputs or write these outputs at zero (maskConstant), so the flow is the identity
	// along them and ignores them: each is its base coordinate N(0, 1), standardized.
	// It needs the normal base (a learned base would move and couple them).
	ConstantCols []int
	// NoDequantize and ValPath record the options the data were loaded with, for resuming.
	NoDequantize bool
	ValPath      string
	// Raw says that Train (and Val) are already in the model's units: without it, Train
	// standardizes rows given without Stats by their own statistics (see standardized).
	Raw bool

	// Cond, for a conditional model, holds the continuous context of every training row
	// (row i is the context of row i of Train), in data units; ValCond that of the
	// validation rows. They are standardized by Cond's own statistics unless CondInfo.Stats
	// is set.
	Cond, ValCond *dataset.Table
	// Labels and ValLabels are the class labels (in [0, Classes)) of the training and
	// validation rows of a label model (Classes > 0).
	Labels, ValLabels []int
	Classes           int
	// CondInfo names the context's file (recorded in the checkpoint); may be nil.
	CondInfo *CondInfo

	// Pairs, when set, holds the base point x0 of every training row (row i goes with row
	// i of Train), in the model's units: each step draws rows (x0, x1) together instead of
	// x0 from the base independently of x1 (reflow: ReflowData). It needs the normal base,
	// the independent coupling, an unconditional model and the interpolant objective.
	Pairs *dataset.Table
	// Reflow records where Pairs came from (ReflowData); may be nil.
	Reflow *ReflowInfo
}

// standardized returns the data the run trains on: d itself when it is a generated data
// set, carries Stats, or is Raw; otherwise a copy whose rows (training and validation) are
// standardized by the training rows' mean and standard deviation, with the statistics
// recorded (so the model samples and scores in data units). d is not modified.
func (d *TrainData) standardized() (*TrainData, error) {
	d, err := d.condStandardized()
	if err != nil {
		return nil, err
	}
	if d.Train == nil || d.Stats != nil || d.Raw {
		return d, nil
	}
	st, err := dataset.ComputeStats(d.Train, nil)
	if err != nil {
		return nil, fmt.Errorf("train data: %w (set TrainData.Raw to train on the rows as they are)", err) // err names the rows' source
	}
	c := *d
	c.Stats = &st
	c.Train = st.Standardized(d.Train)
	if d.Val != nil {
		c.Val = st.Standardized(d.Val)
	}
	return &c, nil
}

func (d *TrainData) dim() int {
	if d.Toy != nil {
		return d.Toy.Dim()
	}
	if d.Train != nil {
		return d.Train.D
	}
	return 0
}

func (d *TrainData) validate() error {
	switch {
	case (d.Toy == nil) == (d.Train == nil):
		return errors.New("train data: set exactly one of Toy and Train")
	case d.Train != nil && d.Train.N < 1:
		return fmt.Errorf("train data %s: no training rows", quote.Name(d.Name))
	case d.Val != nil && d.Val.D != d.dim():
		return fmt.Errorf("train data %s: validation rows have %d columns, training %d", quote.Name(d.Name), d.Val.D, d.dim())
	case d.Stats != nil && len(d.Stats.Mean) != d.dim():
		return fmt.Errorf("train data %s: statistics for %d columns, data has %d", quote.Name(d.Name), len(d.Stats.Mean), d.dim())
	}
	for _, j := range d.ConstantCols {
		if j < 0 || j >= d.dim() {
			return fmt.Errorf("train data %s: constant column %d outside its %d columns", quote.Name(d.Name), j, d.dim())
		}
	}
	if err := d.validatePairs(); err != nil {
		return err
	}
	return d.validateCond()
}

// LogEntry is one line of the training history: averages over the interval ending at
// Step.
type LogEntry struct {
	Step     int     `json:"step"`
	Loss     float64 `json:"loss"`
	GTilde   float64 `json:"g_tilde"`
	Kinetic  float64 `json:"kinetic"`
	LR       float64 `json:"lr"`
	Elapsed  float64 `json:"elapsed_s"`
	ValNLL   float64 `json:"val_nll,omitempty"`      // validation NLL (nats per row, data units)
	PathKE   float64 `json:"path_kinetic,omitempty"` // E|dI/dt|² of the interpolant (max–min)
	BestStep int     `json:"best_step,omitempty"`
}

// Progress is reported to TrainOptions.Progress after every step.
type Progress struct {
	Step, Steps int
	Loss        float64 // this step's loss
	// Net is the network being trained, after this step's update: valid during the call
	// only, and not to be modified.
	Net *nn.MLP
}

// TrainOptions are the run-time settings of Train that are not part of the model's
// configuration.
type TrainOptions struct {
	// CkptPath is the checkpoint written during training (each write replaces the file
	// atomically); "" writes none.
	CkptPath string
	// Resume continues the run stored in this checkpoint (nil: start afresh).
	Resume *Model
	// Progress is called after every step (may be nil).
	Progress func(Progress)
	// Log is called with every history entry as it is made (may be nil).
	Log func(LogEntry)
	// Command is the command line that started the run, recorded in the checkpoint's
	// provenance (nil: none).
	Command []string
	// Init, when set, starts a fresh run from this model's inference weights (Model.Net)
	// instead of a random initialization (the EMA starts there too); its network must have
	// the run's architecture and the N(0, I) base. Reflow starts from the model it reflows.
	Init *Model
	// TimeLimit, when positive, ends the run once its training time (TrainState.Elapsed:
	// validation included, a resumed run's earlier time too) reaches it: the step under way
	// is finished, the weights it reached are validated when validation runs (so the best of
	// the run includes them), and the run ends as if its steps were done (final checkpoint,
	// no error) with TrainState.TimeLimited set. A run so ended can be resumed.
	TimeLimit time.Duration
}

// ErrNonFiniteLoss is wrapped by Train's error when the loss becomes NaN or infinite.
var ErrNonFiniteLoss = errors.New("non-finite loss")

// trainer holds the state of a run.
type trainer struct {
	cfg   TrainConfig
	data  *TrainData
	opt   TrainOptions
	d, B  int
	model *Model
	sched nn.Schedule

	net   *nn.MLP
	ip    interp.Interpolant // the interpolant trained with (its coefficients move by max–min)
	base  *GaussianBase      // the learned base being trained, or nil
	batch stepBatch          // this step's batch, as the max–min ascent reads it
	adam  *nn.Adam
	ema   *nn.EMA
	pcg   *rand.PCG
	rng   *rand.Rand
	times interp.TimeSampler
	pair  *coupling.Coupler // the coupling of x0 to x1, or nil (independent)
	src   []int             // the x0 row paired with each x1 row (coupled runs)

	t             []float64
	x0, x1, z     []float32
	xt, dxt, grad []float32
	zn            []float32 // the latent noise of a noisy interpolant, or nil
	dx            []float32
	c             []float32 // the batch's encoded context rows (conditional models), or nil

	// interval accumulators
	acc     LogEntry
	accN    int
	start   time.Time
	elapsed float64 // seconds of training before this process (resume)
	saved   bool    // a checkpoint was due once (the first comes after firstCkpt)
	onDisk  bool    // a checkpoint of this run is at CkptPath: written, or resumed from
}

// Train runs (or, with opt.Resume, continues) a training run and returns the model.
// Cancelling ctx stops the run after the current step: the checkpoint is written with the
// state reached and the returned error wraps the context's cause; the returned model is
// usable. A non-finite loss stops the run without saving the failed state: the error
// (wrapping ErrNonFiniteLoss) names the step and the last checkpoint on disk is kept.
func Train(ctx context.Context, cfg TrainConfig, data *TrainData, opt TrainOptions) (*Model, error) {
	cfg, data, err := prepare(cfg, data)
	if err != nil {
		return nil, err
	}
	tr, err := newTrainer(cfg, data, opt)
	if err != nil {
		return nil, err
	}
	return tr.run(ctx)
}

// prepare validates a run's data and configuration and returns them as both objectives use
// them: Net.Dim from the data, and rows standardized unless they come with Stats or Raw.
func prepare(cfg TrainConfig, data *TrainData) (TrainConfig, *TrainData, error) {
	if err := data.validate(); err != nil {
		return cfg, nil, err
	}
	data, err := data.standardized()
	if err != nil {
		return cfg, nil, err
	}
	cfg.Net.Dim = data.dim()
	cfg.Net.Context, cfg.Net.Classes = 0, data.Classes
	if data.Cond != nil {
		cfg.Net.Context = data.Cond.D
	}
	if err := cfg.Validate(); err != nil {
		return cfg, nil, err
	}
	return cfg, data, nil
}

func newTrainer(cfg TrainConfig, data *TrainData, opt TrainOptions) (*trainer, error) {
	tr := &trainer{cfg: cfg, data: data, opt: opt, d: cfg.Net.Dim, B: cfg.Batch}
	if opt.CkptPath != "" {
		if err := cfg.recordable(); err != nil {
			return nil, err
		}
	}
	if cfg.Base == BaseLearned && cfg.Batch < 2 {
		return nil, errors.New("train: a learned base needs batches of at least 2 rows")
	}
	if data.Pairs != nil && (cfg.Base == BaseLearned || cfg.Coupling.Method != coupling.Independent) {
		return nil, errors.New("train: paired rows (reflow) fix x0 for each x1: they need the normal base and the independent coupling")
	}
	if opt.Init != nil && opt.Resume != nil {
		return nil, errors.New("train: an initialization model is for a fresh run, not a resumed one")
	}
	if data.Pairs != nil && opt.Resume != nil {
		return nil, errors.New("resume: a run on reflow pairs cannot be resumed (the pairs are not stored in the checkpoint); start it again")
	}
	if cfg.Base == BaseLearned && len(data.ConstantCols) > 0 {
		return nil, fmt.Errorf("train: a learned base would move and couple the columns constant on the training rows (%v), which are modelled by the normal base; use --base normal", oneBased(data.ConstantCols))
	}
	var err error
	if tr.sched, err = cfg.schedule(); err != nil {
		return nil, err
	}
	if opt.Resume != nil {
		if err := tr.restore(opt.Resume); err != nil {
			return nil, err
		}
	} else {
		if err := tr.fresh(); err != nil {
			return nil, err
		}
	}
	d, B := tr.d, tr.B
	tr.t = make([]float64, B)
	tr.x0 = make([]float32, B*d)
	tr.x1 = make([]float32, B*d)
	tr.z = make([]float32, B*d)
	tr.xt = make([]float32, B*d)
	tr.dxt = make([]float32, B*d)
	tr.grad = make([]float32, tr.net.NumParams())
	if cw := cfg.Net.ContextWidth(); cw > 0 {
		tr.c = make([]float32, B*cw)
	}
	maskConstant(tr.net, data.ConstantCols)
	if tr.ema != nil {
		maskConstant(tr.ema.Net, data.ConstantCols)
	}
	if _, noisy := tr.ip.(interp.Noisy); noisy {
		tr.zn = make([]float32, B*d)
	}
	if tr.base != nil || (cfg.MaxMin > 0 && tr.fourier() != nil) {
		tr.dx = make([]float32, B*d)
	}
	if cfg.Coupling.Method != coupling.Independent {
		if tr.pair, err = coupling.NewCoupler(cfg.Coupling); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		tr.src = make([]int, B)
	}
	tr.batch = stepBatch{ip: tr.ip, d: d, t: tr.t, z: tr.z, x0: tr.x0, x1: tr.x1, dxt: tr.dxt, gradX: tr.dx}
	return tr, nil
}

// Seed streams of a run (PCG's second word), fixed so a run is reproducible.
const (
	streamTrain = 0x747261696e // data, base and time draws of training
	streamVal   = 0x76616c     // validation set and its fixed (t, x0)
)

func (tr *trainer) fresh() error {
	cfg := &tr.cfg
	net, err := nn.New(cfg.Net, cfg.Seed)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if init := tr.opt.Init; init != nil {
		if err := checkInit(*cfg, init); err != nil {
			return err
		}
		copy(net.Params(), init.Net.Params())
	}
	ip := cfg.Interp
	if f, ok := ip.(*interp.Fourier); ok {
		// The run's coefficients move; the configuration's value stays as given.
		ip = &interp.Fourier{Alpha: slices.Clone(f.Alpha), Beta: slices.Clone(f.Beta)}
	}
	m := &Model{
		Net:    net,
		Interp: ip,
		Config: *cfg,
		Data:   tr.dataInfo(),
	}
	if cfg.Base == BaseLearned {
		m.Base = NewGaussianBase(tr.d)
	}
	m.Provenance = &Provenance{Build: version.Get(), Command: tr.opt.Command, Started: time.Now().UTC().Format(time.RFC3339)}
	tr.model = m
	tr.ip, tr.base = m.Interp, m.Base
	tr.net = net
	tr.adam = nn.NewAdam(net.NumParams())
	tr.adam.WeightDecay = cfg.WD
	if cfg.EMA > 0 {
		tr.ema = nn.NewEMA(net, cfg.EMA)
	}
	tr.pcg = rand.NewPCG(cfg.Seed, streamTrain)
	tr.rng = rand.New(tr.pcg)
	tr.times, err = cfg.TimeDist.NewSampler(cfg.Seed)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	m.State = TrainState{BestVal: math.Inf(1)}
	return nil
}

func (tr *trainer) dataInfo() DataInfo {
	di := DataInfo{Name: tr.data.Name, Split: tr.data.Split, Dequantize: tr.data.Dequantize, DequantizeCols: tr.data.DequantizeCols, ConstantCols: tr.data.ConstantCols,
		NoDequantize: tr.data.NoDequantize, ValPath: tr.data.ValPath, Reflow: tr.data.Reflow}
	if tr.data.Train != nil {
		di.SHA256 = tr.data.Train.SHA256
		di.Columns = tr.data.Train.Columns
	}
	if tr.data.Stats != nil {
		s := *tr.data.Stats
		di.Stats = &s
	}
	if tr.cfg.Net.Conditional() {
		ci := CondInfo{Classes: tr.data.Classes}
		if tr.data.CondInfo != nil {
			ci = *tr.data.CondInfo
			ci.Classes = tr.data.Classes
		}
		if tr.data.Cond != nil && ci.Columns == nil {
			ci.Columns = tr.data.Cond.Columns
		}
		di.Cond = &ci
	}
	return di
}

// restore continues from a checkpointed run: the configuration must match.
func (tr *trainer) restore(m *Model) error {
	if m.train == nil {
		return errors.New("resume: the checkpoint holds no optimizer state (not written by a training run)")
	}
	old := m.Config
	cur := tr.cfg
	if (old.Schedule == LRCosine || old.Schedule == LRStep) && cur.Steps > old.Steps && m.State.Step >= old.Steps && cur.ScheduleSteps == 0 {
		// Extending a finished run: its schedule keeps its horizon.
		cur.ScheduleSteps = old.horizon()
		tr.cfg.ScheduleSteps = cur.ScheduleSteps
		m.Config.ScheduleSteps = cur.ScheduleSteps
		s, err := tr.cfg.schedule()
		if err != nil {
			return fmt.Errorf("resume: %w", err)
		}
		tr.sched = s
	}
	if err := sameRun(&old, &cur); err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	m.Config.Steps = cur.Steps // the checkpoint records the run's target
	if m.State.Step > cur.Steps {
		return fmt.Errorf("resume: the checkpoint is at step %d, beyond --steps %d", m.State.Step, cur.Steps)
	}
	// A file is the same data when its content is (by SHA-256, whatever its name or path);
	// a generated data set when its name is.
	switch {
	case m.Data.SHA256 != "" && tr.data.Train != nil:
		if m.Data.SHA256 != tr.data.Train.SHA256 {
			return fmt.Errorf("resume: the checkpoint was trained on %q (sha256 %s), not on this data (sha256 %s)", m.Data.Name, m.Data.SHA256, tr.data.Train.SHA256)
		}
	case m.Data.Name != tr.data.Name || (m.Data.SHA256 == "") != (tr.data.Train == nil):
		return fmt.Errorf("resume: the checkpoint was trained on %q, not on %q", m.Data.Name, tr.data.Name)
	}
	if m.Provenance == nil {
		m.Provenance = &Provenance{Build: version.Get()}
	}
	if tr.opt.Command != nil {
		m.Provenance.Resumed = append(m.Provenance.Resumed, tr.opt.Command)
	}
	tr.model = m
	tr.onDisk = true // the checkpoint resumed from (the CLI's --out) stays until replaced
	tr.ip, tr.base = m.train.ip, m.train.base
	tr.net = m.train.net
	tr.adam = m.train.adam
	tr.ema = m.train.ema
	tr.pcg = rand.NewPCG(0, 0)
	if err := tr.pcg.UnmarshalBinary(m.State.RNG); err != nil {
		return fmt.Errorf("resume: random state: %w", err)
	}
	tr.rng = rand.New(tr.pcg)
	var err error
	tr.times, err = tr.cfg.TimeDist.NewSampler(tr.cfg.Seed)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	// The time sampler owns its stream: replay it to the step reached.
	t := make([]float64, tr.B)
	for range m.State.Step {
		tr.times.Fill(t)
	}
	tr.elapsed = m.State.Elapsed
	tr.acc, tr.accN = m.State.Pending, m.State.PendingN
	if a := m.ascent; a != nil {
		if np := tr.ascentParams().count(); len(a.G) != np {
			return fmt.Errorf("resume: max–min state has %d values, want %d", len(a.G), np)
		}
	}
	return nil
}

// fourier returns the run's learnable interpolant, or nil.
func (tr *trainer) fourier() *interp.Fourier {
	f, _ := tr.ip.(*interp.Fourier)
	if f != nil && len(f.Alpha) == 0 {
		return nil
	}
	return f
}

// ascentParams returns what the max–min ascent moves: the Fourier coefficients (with
// MaxMin > 0) and the learned base.
func (tr *trainer) ascentParams() pathParams {
	p := pathParams{base: tr.base}
	if tr.cfg.MaxMin > 0 {
		p.fourier = tr.fourier()
	}
	return p
}

// drawX1 fills tr.x1 with a batch of training points in the model's units.
func (tr *trainer) drawX1() {
	d := tr.d
	if tr.data.Toy != nil {
		tr.data.Toy.Sample(tr.rng, tr.x1)
		return
	}
	tab, pairs := tr.data.Train, tr.data.Pairs
	cw := tr.cfg.Net.ContextWidth()
	for i := range tr.B {
		r := tr.rng.IntN(tab.N)
		copy(tr.x1[i*d:i*d+d], tab.Data[r*d:r*d+d])
		if pairs != nil {
			copy(tr.z[i*d:i*d+d], pairs.Data[r*d:r*d+d])
		}
		if cw > 0 {
			tr.drawContext(tr.rng, tr.c[i*cw:(i+1)*cw], r, tr.cfg.GuidanceDrop)
		}
	}
	if cw > 0 {
		tr.net.SetContext(tr.c)
	}
	tr.dequantize(tr.rng, tr.x1)
}

// maskConstant zeroes the weights of net through which it could read or move the columns
// cols: the first layer's rows of those inputs, the last layer's columns and biases of those
// outputs. Along them the field is then zero, and elsewhere it does not depend on them, so
// the flow's density is exactly the base's along them, independent of the rest (with the
// divergence, exact or Hutchinson, accounting for nothing there). It allocates nothing.
func maskConstant(net *nn.MLP, cols []int) {
	if len(cols) == 0 {
		return
	}
	ls := net.Layers()
	first, last := ls[0], ls[len(ls)-1]
	for _, j := range cols {
		clear(first.W[j*first.Out : (j+1)*first.Out])
		for i := range last.In {
			last.W[i*last.Out+j] = 0
		}
		last.B[j] = 0
	}
}

// dequantize adds U[0, 1) noise in data units (u/σ_j in model units) to the dequantized
// columns of rows x (every column with TrainData.Dequantize).
func (tr *trainer) dequantize(rng *rand.Rand, x []float32) {
	d, st := tr.d, tr.data.Stats
	if !tr.data.Dequantize && len(tr.data.DequantizeCols) == 0 {
		return
	}
	if tr.data.Dequantize {
		for i := range x {
			u := rng.Float64()
			if st != nil {
				u /= st.Std[i%d]
			}
			x[i] += float32(u)
		}
		return
	}
	for r := 0; r+d <= len(x); r += d {
		for _, j := range tr.data.DequantizeCols {
			u := rng.Float64()
			if st != nil {
				u /= st.Std[j]
			}
			x[r+j] += float32(u)
		}
	}
}

func (tr *trainer) run(ctx context.Context) (*Model, error) {
	cfg := &tr.cfg
	var val *valSet
	if cfg.ValEvery > 0 {
		val = tr.newValSet()
	}
	// The learned base and the Fourier coefficients move only by the max–min ascent; a
	// learned base without --maxmin ascends every step.
	var ascent *ascentState
	k := max(cfg.MaxMin, 1)
	if p := tr.ascentParams(); p.count() > 0 {
		if tr.model.ascent == nil {
			tr.model.ascent = newAscentState(p, tr.d)
		}
		ascent = tr.model.ascent
		ascent.views(p, tr.d)
	}
	return tr.drive(ctx, val, func(lr float64) (LogEntry, error) {
		ls, err := tr.step(lr, ascent, k)
		if err != nil {
			return LogEntry{}, fmt.Errorf("%w%s", err, tr.keptNote())
		}
		e := LogEntry{Loss: ls.Loss, GTilde: ls.GTilde, Kinetic: ls.Kinetic}
		if ascent != nil {
			e.PathKE = ascent.lastPathKE
		}
		return e, nil
	})
}

// oneBased returns the column indices cols counted from 1, as messages name columns.
func oneBased(cols []int) []int {
	out := make([]int, len(cols))
	for i, j := range cols {
		out[i] = j + 1
	}
	return out
}

// errStepInterrupted is returned by a step of drive that stopped because the context was
// done.
var errStepInterrupted = errors.New("step interrupted")

// drive is the training loop of both objectives. step takes one optimizer step at learning
// rate lr and returns its values for the log (or errStepInterrupted); drive counts the steps,
// averages the log over each interval, validates on val (nil: no validation) with the
// plateau and early-stopping rules, writes the periodic checkpoints, stops on cancellation
// with a checkpoint, and saves the final state.
func (tr *trainer) drive(ctx context.Context, val *valSet, step func(lr float64) (LogEntry, error)) (*Model, error) {
	cfg := &tr.cfg
	st := &tr.model.State
	tr.start = time.Now()
	st.TimeLimited = false
	firstCkpt := cfg.FirstCkpt
	if firstCkpt <= 0 {
		firstCkpt = time.Second
	}
	for st.Step < cfg.Steps && !st.Stopped {
		if err := ctx.Err(); err != nil {
			return tr.model, tr.interrupted(ctx)
		}
		lr := tr.lrAt(st.Step)
		e, err := step(lr)
		if errors.Is(err, errStepInterrupted) {
			return tr.model, tr.interrupted(ctx)
		}
		if err != nil {
			return tr.model, err
		}
		st.Step++
		tr.acc.Loss += e.Loss
		tr.acc.GTilde += e.GTilde
		tr.acc.Kinetic += e.Kinetic
		tr.acc.PathKE += e.PathKE
		tr.accN++
		if tr.opt.Progress != nil {
			tr.opt.Progress(Progress{Step: st.Step, Steps: cfg.Steps, Loss: e.Loss, Net: tr.net})
		}
		timeUp := tr.opt.TimeLimit > 0 && st.Step < cfg.Steps && tr.elapsedNow() >= tr.opt.TimeLimit.Seconds()
		if val != nil && (st.Step%cfg.ValEvery == 0 || timeUp) {
			tr.validate(val)
		}
		if cfg.LogEvery > 0 && st.Step%cfg.LogEvery == 0 || st.Step == cfg.Steps || st.Stopped || timeUp {
			tr.flushLog(lr)
		}
		if timeUp {
			st.TimeLimited = true
			break
		}
		due := cfg.CkptEvery > 0 && st.Step%cfg.CkptEvery == 0
		if !tr.saved && time.Since(tr.start) >= firstCkpt {
			due = true
		}
		if due && st.Step < cfg.Steps && !st.Stopped {
			if err := tr.save(); err != nil {
				return tr.model, err
			}
		}
	}
	tr.finish()
	tr.fitReport(val)
	if err := tr.save(); err != nil {
		return tr.model, err
	}
	return tr.model, nil
}

// step takes one optimizer step (step number tr.model.State.Step, learning rate lr); it
// allocates nothing.
func (tr *trainer) step(lr float64, ascent *ascentState, k int) (nn.LossStats, error) {
	cfg := &tr.cfg
	step := tr.model.State.Step
	tr.drawX1() // with paired rows, z too
	if tr.data.Pairs == nil {
		for i := range tr.z {
			tr.z[i] = float32(tr.rng.NormFloat64())
		}
	}
	if tr.base != nil {
		tr.base.Transform(tr.z, tr.x0)
	} else {
		copy(tr.x0, tr.z)
	}
	if tr.pair != nil {
		if err := tr.couple(); err != nil {
			return nn.LossStats{}, fmt.Errorf("train: step %d: %w", step+1, err)
		}
	}
	tr.times.Fill(tr.t)
	if tr.zn != nil {
		// A noisy interpolant x_t = a·x0 + b·x1 + γ(t)·z: the loss's target is then
		// dx_t/dt = ȧ·x0 + ḃ·x1 + γ̇·z, whose conditional mean is the probability-flow drift.
		for i := range tr.zn {
			tr.zn[i] = float32(tr.rng.NormFloat64())
		}
		interp.BatchNoise(tr.ip, tr.d, tr.t, tr.x0, tr.x1, tr.zn, tr.xt, tr.dxt)
	} else {
		interp.Batch(tr.ip, tr.d, tr.t, tr.x0, tr.x1, tr.xt, tr.dxt)
	}
	ls := tr.net.LossGrad(tr.t, tr.xt, tr.dxt, tr.grad, tr.dx, nil)
	if math.IsNaN(ls.Loss) || math.IsInf(ls.Loss, 0) {
		return ls, fmt.Errorf("train: step %d: %w (%g)", step+1, ErrNonFiniteLoss, ls.Loss)
	}
	if cfg.Clip > 0 {
		nn.ClipGradNorm(tr.grad, cfg.Clip)
	}
	if ascent != nil {
		// The interpolant/base gradients use this step's v, before the network moves.
		tr.batch.gradV = tr.net.LossGradOutput() // ∂L/∂v = 2(v − İ)/B
		ascent.accumulate(&tr.batch)
	}
	tr.adam.Update(tr.net.Params(), tr.grad, lr)
	maskConstant(tr.net, tr.data.ConstantCols)
	tr.updateEMA(step)
	if ascent != nil && (step+1)%k == 0 {
		ascent.apply(cfg.MaxMinLR)
	}
	return ls, nil
}

// couple re-pairs the batch's base points to its data points by the run's coupling: x0
// (and z, the latent of a learned base's x0 = μ + L·z, by the same permutation) takes row
// src[i] at row i. xt serves as scratch; it is written afterwards by the interpolant.
func (tr *trainer) couple() error {
	if err := tr.pair.Pair(tr.x0, tr.x1, tr.B, tr.d, tr.rng, tr.src); err != nil {
		return err
	}
	copy(tr.xt, tr.x0)
	coupling.Permute(tr.x0, tr.xt, tr.src, tr.d)
	copy(tr.xt, tr.z)
	coupling.Permute(tr.z, tr.xt, tr.src, tr.d)
	return nil
}

// updateEMA moves the EMA (if any) toward the weights after step (0-based).
func (tr *trainer) updateEMA(step int) {
	if tr.ema != nil {
		// EMA warm-up: the average forgets the initial weights early in the run.
		tr.ema.Decay = min(tr.cfg.EMA, float64(1+step)/float64(10+step))
		tr.ema.Update(tr.net)
	}
}

func (tr *trainer) interrupted(ctx context.Context) error {
	tr.finish()
	cause := context.Cause(ctx)
	if err := tr.save(); err != nil {
		return errors.Join(fmt.Errorf("train: stopped at step %d: %w", tr.model.State.Step, cause), err)
	}
	if tr.opt.CkptPath != "" {
		return fmt.Errorf("train: stopped at step %d (checkpoint %s saved): %w", tr.model.State.Step, quote.Name(tr.opt.CkptPath), cause)
	}
	return fmt.Errorf("train: stopped at step %d: %w", tr.model.State.Step, cause)
}

func (tr *trainer) elapsedNow() float64 { return tr.elapsed + time.Since(tr.start).Seconds() }

func (tr *trainer) flushLog(lr float64) {
	if tr.accN == 0 {
		return
	}
	n := float64(tr.accN)
	e := LogEntry{
		Step:    tr.model.State.Step,
		Loss:    tr.acc.Loss / n,
		GTilde:  tr.acc.GTilde / n,
		Kinetic: tr.acc.Kinetic / n,
		LR:      lr,
		Elapsed: math.Round(tr.elapsedNow()*1000) / 1000,
		PathKE:  tr.acc.PathKE / n,
	}
	if st := &tr.model.State; st.LastVal != 0 && st.LastValStep == st.Step {
		e.ValNLL = st.LastVal
		e.BestStep = st.BestStep
	}
	tr.model.History = append(tr.model.History, e)
	tr.acc, tr.accN = LogEntry{}, 0
	if tr.opt.Log != nil {
		tr.opt.Log(e)
	}
}

// finish sets the inference network: the best-validation weights when validation ran,
// else the EMA (or the raw weights without EMA).
func (tr *trainer) finish() {
	m := tr.model
	m.State.Elapsed = tr.elapsedNow()
	m.train = &trainRun{net: tr.net, adam: tr.adam, ema: tr.ema, ip: tr.ip, base: tr.base}
	m.Interp, m.Base = tr.ip, tr.base
	switch {
	case m.best != nil:
		m.Net, m.Interp, m.Base = m.best, m.bestIP, m.bestBase
	case tr.ema != nil:
		m.Net = tr.ema.Net
	default:
		m.Net = tr.net
	}
	b, _ := tr.pcg.MarshalBinary()
	m.State.RNG = b
	m.State.Pending, m.State.PendingN = tr.acc, tr.accN
	if a := m.ascent; a != nil {
		m.State.AscentT, m.State.AscentN = a.T, a.N
	}
}

func (tr *trainer) save() error {
	tr.saved = true
	if tr.opt.CkptPath == "" {
		return nil
	}
	if st := &tr.model.State; st.Step < tr.cfg.Steps && !st.Stopped && !st.TimeLimited {
		tr.finish() // a periodic checkpoint (the end of a run was finished by drive)
	}
	// A finite loss can still be followed by an update that overflows the weights or
	// Adam's moments; such a state would replace the last good checkpoint with one that
	// cannot be loaded.
	vs := [][]float32{tr.net.Params(), tr.adam.M, tr.adam.V, tr.model.Net.Params()}
	if tr.ema != nil {
		vs = append(vs, tr.ema.Net.Params())
	}
	for _, v := range vs {
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("train: step %d: %w: the weights or optimizer moments became %v%s", tr.model.State.Step, ErrNonFiniteLoss, x, tr.keptNote())
			}
		}
	}
	if err := tr.model.Save(tr.opt.CkptPath); err != nil {
		return fmt.Errorf("train: saving checkpoint: %w", err)
	}
	tr.onDisk = true
	return nil
}

// keptNote is what the error of a failed step says of the checkpoint at CkptPath: that the
// last one (written by this run, or resumed from) was kept, or that none had been written
// yet; nothing for a run without a checkpoint path.
func (tr *trainer) keptNote() string {
	switch {
	case tr.opt.CkptPath == "":
		return ""
	case tr.onDisk:
		return fmt.Sprintf("; the last checkpoint (%s) was kept", quote.Name(tr.opt.CkptPath))
	}
	return "; no checkpoint had been written yet"
}
