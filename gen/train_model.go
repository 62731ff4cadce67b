package gen

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/internal/quote"
	"github.com/interflow/flowbench/internal/version"
	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/nn"
)

// Model is a trained flow: the velocity network used for sampling and likelihood, the
// interpolant it was trained with, the base distribution, the data's standardization and
// the record of its training. Models are written and read as nn checkpoints (safetensors).
//
// Concurrency: Sample, LogProb, Encode, Save and the read-only accessors may be called from
// several goroutines at once. Each call of the first three takes a view of Net with its
// own workspace from a small pool (nn.MLP.Fork: the parameters are shared, not copied), so
// concurrent calls never share buffers and each returns the same bits as the same call
// made alone. Changing the model's fields, or training with it (TrainOptions.Resume), while
// such calls run is not safe.
type Model struct {
	// Net is the velocity field used for inference: the best-validation weights when
	// validation ran, else the EMA weights, else the trained weights.
	Net *nn.MLP
	// Interp is the interpolant of training (the score of the SDE sampler needs it).
	Interp interp.Interpolant
	// Base is the learned Gaussian base, or nil for N(0, I).
	Base *GaussianBase
	// Config is the training configuration (zero for a network saved without one).
	Config TrainConfig
	// Data describes the training data: name, file hash, split and standardization.
	Data DataInfo
	// State is where training stands.
	State TrainState
	// History is the training log, one entry per interval.
	History []LogEntry
	// Provenance records the build and command line that trained the model (nil for a
	// network saved without it).
	Provenance *Provenance

	best *nn.MLP // best-validation weights
	// bestIP and bestBase are the interpolant and base at the best validation (set with best)
	bestIP   interp.Interpolant
	bestBase *GaussianBase
	train    *trainRun    // optimizer state, for resuming
	ascent   *ascentState // max–min state, for resuming
	views    netViews     // workspaces of concurrent inference calls
}

// netViews is a free list of forks of one network, so that concurrent inference calls
// each have their own workspace and a steady stream of calls allocates none.
type netViews struct {
	mu   sync.Mutex
	src  *nn.MLP
	free []*nn.MLP
}

// maxIdleViews bounds the forks kept for reuse (each holds its workspace's buffers).
const maxIdleViews = 8

// get returns a fork of net not used by any other call.
func (v *netViews) get(net *nn.MLP) *nn.MLP {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.src != net {
		// Model.Net was replaced: forks of the old network must not be handed out.
		v.src, v.free = net, nil
	}
	if k := len(v.free); k > 0 {
		f := v.free[k-1]
		v.free = v.free[:k-1]
		return f
	}
	return net.Fork()
}

// put returns a fork of net taken by get.
func (v *netViews) put(net, f *nn.MLP) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.src == net && len(v.free) < maxIdleViews {
		v.free = append(v.free, f)
	}
}

// trainRun is the state a resumed run needs beyond the inference weights: the trained
// network, its optimizer and EMA, and the interpolant and base being trained (the model's
// Interp and Base are the best-validation ones when validation ran).
type trainRun struct {
	net  *nn.MLP
	adam *nn.Adam
	ema  *nn.EMA
	ip   interp.Interpolant
	base *GaussianBase
}

// DataInfo describes a model's training data.
type DataInfo struct {
	Name       string         `json:"name"`
	SHA256     string         `json:"sha256,omitempty"`
	Columns    []string       `json:"columns,omitempty"`
	Split      *dataset.Split `json:"split,omitempty"`
	Stats      *dataset.Stats `json:"stats,omitempty"`
	Dequantize bool           `json:"dequantize,omitempty"` // every column dequantized
	// DequantizeCols are the dequantized columns when not every one is.
	DequantizeCols []int `json:"dequantize_cols,omitempty"`
	// ConstantCols are the columns constant on the training rows, modelled as independent
	// N(mean, std²) components of Stats (TrainData.ConstantCols).
	ConstantCols []int `json:"constant_cols,omitempty"`
	// NoDequantize records that integer columns were kept as they are (DataOptions).
	NoDequantize bool `json:"no_dequantize,omitempty"`
	// ValPath is the file of validation rows, when one was given (DataOptions.ValPath).
	ValPath string `json:"val_path,omitempty"`
	// Cond describes a conditional model's context (nil: unconditional).
	Cond *CondInfo `json:"cond,omitempty"`
	// Reflow says where the training pairs of a reflowed model came from (nil: trained on
	// independent or coupled draws).
	Reflow *ReflowInfo `json:"reflow,omitempty"`
}

// TrainState is the progress of a training run, saved in its checkpoints.
type TrainState struct {
	Step        int     `json:"step"`                // optimizer steps done
	RNG         []byte  `json:"rng,omitempty"`       // the training stream's PCG state
	BestVal     float64 `json:"-"`                   // best validation NLL (+Inf: none yet)
	BestStep    int     `json:"best_step,omitempty"` // step of the best validation loss
	SinceBest   int     `json:"since_best,omitempty"`
	LastVal     float64 `json:"last_val,omitempty"`
	LastValStep int     `json:"last_val_step,omitempty"`
	Stopped     bool    `json:"stopped_early,omitempty"` // early stopping ended the run
	LRDrops     int     `json:"lr_drops,omitempty"`      // plateau drops of the learning rate so far
	TrainNLL    float64 `json:"train_nll,omitempty"`     // final NLL of ≤ ValN training rows (validation solve)
	AscentT     int     `json:"ascent_steps,omitempty"`  // max–min ascent steps taken
	AscentN     int     `json:"ascent_pending,omitempty"`
	// Pending is the part of the current log interval already done (sums over its steps),
	// so that a resumed run logs the same history.
	Pending  LogEntry `json:"pending"`
	PendingN int      `json:"pending_n,omitempty"`
	Elapsed  float64  `json:"elapsed_s"` // training time in seconds
	// ValSeconds is the part of Elapsed spent validating.
	ValSeconds float64 `json:"val_s,omitempty"`
	// TimeLimited says that TrainOptions.TimeLimit ended the run (in the process that ran
	// last) before its steps were done.
	TimeLimited bool `json:"time_limited,omitempty"`
}

type plainState TrainState

// MarshalJSON encodes the state (BestVal only when finite).
func (s TrainState) MarshalJSON() ([]byte, error) {
	j := struct {
		plainState
		BestVal *float64 `json:"best_val,omitempty"`
	}{plainState: plainState(s)}
	if !math.IsInf(s.BestVal, 0) && !math.IsNaN(s.BestVal) {
		v := s.BestVal
		j.BestVal = &v
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes the state written by MarshalJSON.
func (s *TrainState) UnmarshalJSON(b []byte) error {
	var j struct {
		plainState
		BestVal *float64 `json:"best_val"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = TrainState(j.plainState)
	s.BestVal = math.Inf(1)
	if j.BestVal != nil {
		s.BestVal = *j.BestVal
	}
	return nil
}

// Dim returns the dimension of a data point.
func (m *Model) Dim() int { return m.Net.Dim() }

// Resumable reports whether the model carries the optimizer state needed to continue
// training.
func (m *Model) Resumable() bool { return m.train != nil }

// maxStat bounds a stored mean or standard deviation: √MaxFloat32, the largest data value.
var maxStat = math.Sqrt(math.MaxFloat32)

// Checkpoint keys of a model beyond the network's own.
const (
	metaTrainState = "train_state"
	metaHistory    = "history"
	metaData       = "data"
	metaProvenance = "provenance"
	cfgTrain       = "train"
	cfgInterp      = "interp"
	cfgBase        = "base"
	tensorBest     = "best.params"
	tensorBestMu   = "best.base.mu"
	tensorBestL    = "best.base.L"
	tensorBestA    = "best.interp.alpha"
	tensorBestB    = "best.interp.beta"
	tensorBaseMu   = "base.mu"
	tensorBaseL    = "base.L"
	tensorAlpha    = "interp.alpha"
	tensorBeta     = "interp.beta"
	tensorAscentG  = "maxmin.grad"
	tensorAscentM  = "maxmin.adam_m"
	tensorAscentV  = "maxmin.adam_v"
)

func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// Checkpoint returns the model as an nn checkpoint.
func (m *Model) Checkpoint() (*nn.Checkpoint, error) {
	ck := &nn.Checkpoint{
		Net:         m.Net,
		ConfigExtra: map[string]json.RawMessage{},
		Tensors:     map[string]nn.Tensor{},
		Meta:        map[string]string{},
	}
	if r := m.train; r != nil {
		ck.Net, ck.EMA, ck.Optim = r.net, r.ema, r.adam
		if a := m.ascent; a != nil && len(a.G) > 0 {
			n := []int{len(a.G)}
			ck.Tensors[tensorAscentG] = nn.Tensor{Shape: n, F64: a.G}
			ck.Tensors[tensorAscentM] = nn.Tensor{Shape: n, F64: a.M}
			ck.Tensors[tensorAscentV] = nn.Tensor{Shape: n, F64: a.V}
		}
		if m.best != nil {
			ck.Tensors[tensorBest] = nn.Tensor{Shape: []int{m.best.NumParams()}, F32: m.best.Params()}
		}
	}
	// interp.* and base.* hold what training continues from; best.* the best-validation
	// values the model samples with, when they differ.
	ip, base := m.Interp, m.Base
	if r := m.train; r != nil && r.ip != nil {
		ip, base = r.ip, r.base
	}
	ipSpec := "trig"
	if ip != nil {
		ipSpec = interp.Spec(ip)
	}
	if f, ok := ip.(*interp.Fourier); ok && len(f.Alpha) > 0 {
		ck.Tensors[tensorAlpha] = nn.Tensor{Shape: []int{len(f.Alpha)}, F64: f.Alpha}
		ck.Tensors[tensorBeta] = nn.Tensor{Shape: []int{len(f.Beta)}, F64: f.Beta}
		if bf, ok := m.Interp.(*interp.Fourier); ok && bf != f {
			ck.Tensors[tensorBestA] = nn.Tensor{Shape: []int{len(bf.Alpha)}, F64: bf.Alpha}
			ck.Tensors[tensorBestB] = nn.Tensor{Shape: []int{len(bf.Beta)}, F64: bf.Beta}
		}
	}
	put := func(key string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encoding %s: %w", key, err)
		}
		ck.ConfigExtra[key] = b
		return nil
	}
	if err := put(cfgInterp, ipSpec); err != nil {
		return nil, err
	}
	baseName := "normal"
	if base != nil {
		baseName = "learned"
		d := base.Dim()
		ck.Tensors[tensorBaseMu] = nn.Tensor{Shape: []int{d}, F64: base.Mu}
		ck.Tensors[tensorBaseL] = nn.Tensor{Shape: []int{d, d}, F64: base.L}
		if m.Base != nil && m.Base != base {
			ck.Tensors[tensorBestMu] = nn.Tensor{Shape: []int{d}, F64: m.Base.Mu}
			ck.Tensors[tensorBestL] = nn.Tensor{Shape: []int{d, d}, F64: m.Base.L}
		}
	}
	if err := put(cfgBase, baseName); err != nil {
		return nil, err
	}
	if m.Config.Steps > 0 {
		if err := put(cfgTrain, m.Config); err != nil {
			return nil, err
		}
	}
	meta := map[string]any{metaTrainState: m.State, metaHistory: m.History, metaData: m.Data}
	if m.Provenance != nil {
		meta[metaProvenance] = m.Provenance
		ck.Meta[nn.MetaCreatedBy] = m.Provenance.Build.String()
	}
	for k, v := range meta {
		s, err := jsonString(v)
		if err != nil {
			return nil, fmt.Errorf("encoding %s: %w", k, err)
		}
		ck.Meta[k] = s
	}
	return ck, nil
}

// Save writes the model atomically to path (a safetensors checkpoint).
func (m *Model) Save(path string) error {
	ck, err := m.Checkpoint()
	if err != nil {
		return fmt.Errorf("%s: %w", quote.Name(path), err)
	}
	return ck.Save(path)
}

// LoadModel reads a model checkpoint. Errors name the file and what is wrong.
func LoadModel(path string) (*Model, error) {
	ck, err := nn.LoadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	m, err := ModelFromCheckpoint(ck)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", quote.Name(path), err)
	}
	return m, nil
}

// ModelFromCheckpoint builds a model from a decoded checkpoint, validating the parts the
// nn package does not know.
func ModelFromCheckpoint(ck *nn.Checkpoint) (*Model, error) {
	m := &Model{Net: ck.Net, Interp: interp.Trig{}, State: TrainState{BestVal: math.Inf(1)}}
	d := ck.Net.Dim()
	for name := range ck.Tensors {
		switch name {
		case tensorBest, tensorBaseMu, tensorBaseL, tensorAlpha, tensorBeta, tensorAscentG, tensorAscentM, tensorAscentV,
			tensorBestMu, tensorBestL, tensorBestA, tensorBestB:
		default:
			return nil, fmt.Errorf("unknown tensor %q", name)
		}
	}
	getStr := func(key string) (string, error) {
		raw, ok := ck.ConfigExtra[key]
		if !ok {
			return "", nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("config.%s: %w", key, err)
		}
		return s, nil
	}
	ipSpec, err := getStr(cfgInterp)
	if err != nil {
		return nil, err
	}
	if ipSpec != "" {
		ip, err := interp.Parse(ipSpec)
		if err != nil {
			return nil, fmt.Errorf("config.interp: %w", err)
		}
		if f, ok := ip.(*interp.Fourier); ok && len(f.Alpha) > 0 {
			a, err := tensorF64(ck, tensorAlpha, len(f.Alpha))
			if err != nil {
				return nil, err
			}
			b, err := tensorF64(ck, tensorBeta, len(f.Beta))
			if err != nil {
				return nil, err
			}
			f.Alpha, f.Beta = a, b
		}
		if err := interp.Check(ip); err != nil {
			return nil, fmt.Errorf("config.interp: %w", err)
		}
		m.Interp = ip
	}
	base, err := getStr(cfgBase)
	if err != nil {
		return nil, err
	}
	switch base {
	case "", "normal":
	case "learned":
		mu, err := tensorF64(ck, tensorBaseMu, d)
		if err != nil {
			return nil, err
		}
		l, err := tensorF64(ck, tensorBaseL, d*d)
		if err != nil {
			return nil, err
		}
		m.Base = &GaussianBase{Mu: mu, L: l}
		if err := m.Base.Validate(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("config.base = %q: want normal or learned", base)
	}
	if raw, ok := ck.ConfigExtra[cfgTrain]; ok {
		if err := json.Unmarshal(raw, &m.Config); err != nil {
			return nil, fmt.Errorf("config.train: %w", err)
		}
		m.Config.Net = ck.Net.Config()
	}
	if s, ok := ck.Meta[metaTrainState]; ok {
		if err := json.Unmarshal([]byte(s), &m.State); err != nil {
			return nil, fmt.Errorf("metadata %s: %w", metaTrainState, err)
		}
		if m.State.Step < 0 {
			return nil, fmt.Errorf("metadata %s: step %d is negative", metaTrainState, m.State.Step)
		}
	}
	if s, ok := ck.Meta[metaHistory]; ok {
		if err := json.Unmarshal([]byte(s), &m.History); err != nil {
			return nil, fmt.Errorf("metadata %s: %w", metaHistory, err)
		}
	}
	if s, ok := ck.Meta[metaProvenance]; ok {
		m.Provenance = &Provenance{}
		if err := json.Unmarshal([]byte(s), m.Provenance); err != nil {
			return nil, fmt.Errorf("metadata %s: %w", metaProvenance, err)
		}
	}
	if s, ok := ck.Meta[metaData]; ok {
		if err := json.Unmarshal([]byte(s), &m.Data); err != nil {
			return nil, fmt.Errorf("metadata %s: %w", metaData, err)
		}
		if st := m.Data.Stats; st != nil {
			if len(st.Mean) != d || len(st.Std) != d {
				return nil, fmt.Errorf("metadata %s: statistics for %d/%d columns, the model has dimension %d", metaData, len(st.Mean), len(st.Std), d)
			}
			for j, s := range st.Std {
				// Data values are float32 of magnitude at most √MaxFloat32 (the readers' limit):
				// statistics beyond that range would map finite inputs to ±Inf.
				if !(s >= 1e-30 && s <= maxStat) || !(math.Abs(st.Mean[j]) <= maxStat) {
					return nil, fmt.Errorf("metadata %s: column %d has mean %g and std %g (want |mean| ≤ %.3g and std in [1e-30, %.3g])", metaData, j+1, st.Mean[j], s, maxStat, maxStat)
				}
			}
		}
		if err := m.Data.Cond.check(ck.Net.Config()); err != nil {
			return nil, fmt.Errorf("metadata %s: %w", metaData, err)
		}
		for _, j := range m.Data.DequantizeCols {
			if j < 0 || j >= d {
				return nil, fmt.Errorf("metadata %s: dequantized column %d outside the model's %d columns", metaData, j, d)
			}
		}
		for _, j := range m.Data.ConstantCols {
			if j < 0 || j >= d {
				return nil, fmt.Errorf("metadata %s: constant column %d outside the model's %d columns", metaData, j, d)
			}
		}
	}
	if best, ok := ck.Tensors[tensorBest]; ok {
		if best.F32 == nil || len(best.Shape) != 1 || len(best.F32) != ck.Net.NumParams() {
			return nil, fmt.Errorf("tensor %s must be F32 [%d] (the network's parameters), got shape %v", tensorBest, ck.Net.NumParams(), best.Shape)
		}
		for i, x := range best.F32 {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, fmt.Errorf("tensor %s element %d is %v", tensorBest, i, x)
			}
		}
		m.best = ck.Net.Clone()
		copy(m.best.Params(), best.F32)
	}
	// The interpolant and base read so far are what training continues from; the
	// best-validation ones, when stored, are the model's.
	liveIP, liveBase := m.Interp, m.Base
	if f, ok := liveIP.(*interp.Fourier); ok && len(f.Alpha) > 0 {
		if _, ok := ck.Tensors[tensorBestA]; ok {
			a, err := tensorF64(ck, tensorBestA, len(f.Alpha))
			if err != nil {
				return nil, err
			}
			b, err := tensorF64(ck, tensorBestB, len(f.Beta))
			if err != nil {
				return nil, err
			}
			m.Interp = &interp.Fourier{Alpha: a, Beta: b}
			if err := interp.Check(m.Interp); err != nil {
				return nil, fmt.Errorf("%s: %w", tensorBestA, err)
			}
		}
	}
	if liveBase != nil {
		if _, ok := ck.Tensors[tensorBestMu]; ok {
			mu, err := tensorF64(ck, tensorBestMu, d)
			if err != nil {
				return nil, err
			}
			l, err := tensorF64(ck, tensorBestL, d*d)
			if err != nil {
				return nil, err
			}
			m.Base = &GaussianBase{Mu: mu, L: l}
			if err := m.Base.Validate(); err != nil {
				return nil, fmt.Errorf("%s: %w", tensorBestL, err)
			}
		}
	}
	if m.best != nil {
		m.bestIP, m.bestBase = m.Interp, m.Base
	}
	if ck.Optim != nil && len(m.State.RNG) > 0 {
		m.train = &trainRun{net: ck.Net, adam: ck.Optim, ema: ck.EMA, ip: liveIP, base: liveBase}
		if t, ok := ck.Tensors[tensorAscentG]; ok {
			n := len(t.F64)
			g, err := tensorF64(ck, tensorAscentG, n)
			if err != nil {
				return nil, err
			}
			mm, err := tensorF64(ck, tensorAscentM, n)
			if err != nil {
				return nil, err
			}
			vv, err := tensorF64(ck, tensorAscentV, n)
			if err != nil {
				return nil, err
			}
			m.ascent = &ascentState{G: g, M: mm, V: vv, T: m.State.AscentT, N: m.State.AscentN}
		}
	}
	switch {
	case m.best != nil:
		m.Net = m.best
	case ck.EMA != nil:
		m.Net = ck.EMA.Net
	}
	return m, nil
}

func tensorF64(ck *nn.Checkpoint, name string, n int) ([]float64, error) {
	t, ok := ck.Tensors[name]
	if !ok {
		return nil, fmt.Errorf("tensor %s is missing", name)
	}
	var v []float64
	switch {
	case t.F64 != nil:
		v = t.F64
	case t.F32 != nil:
		v = make([]float64, len(t.F32))
		for i, x := range t.F32 {
			v[i] = float64(x)
		}
	default:
		return nil, fmt.Errorf("tensor %s: want float64 or float32 values", name)
	}
	if len(v) != n {
		return nil, fmt.Errorf("tensor %s has %d values, want %d", name, len(v), n)
	}
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("tensor %s: value %d is %g", name, i, x)
		}
	}
	return v, nil
}

// Describe returns a human-readable summary of the model: configuration, training state
// and tensors.
func (m *Model) Describe() string {
	var b strings.Builder
	cfg := m.Net.Config()
	fmt.Fprintf(&b, "network: dim %d, hidden %v, act %v, time %v, %d parameters\n", cfg.Dim, cfg.Hidden, cfg.Act, cfg.Time, cfg.NumParams())
	fmt.Fprintf(&b, "interpolant: %s\n", m.Interp.Name())
	if m.Base != nil {
		fmt.Fprintf(&b, "base: learned Gaussian μ + L·z\n")
	} else {
		fmt.Fprintf(&b, "base: N(0, I)\n")
	}
	return b.String()
}

// Provenance is where a model came from: the build that trained it (version, VCS revision,
// Go release), the command line of the first run and of the last resume, and when.
type Provenance struct {
	Build   version.Info `json:"build"`
	Command []string     `json:"command,omitempty"`
	Started string       `json:"started,omitempty"` // RFC 3339, UTC, when the run began
	// Resumed are the command lines of later runs that continued this one, in order.
	Resumed [][]string `json:"resumed,omitempty"`
}
