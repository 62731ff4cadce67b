package gen

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/interflow/flowbench/coupling"
	"github.com/interflow/flowbench/internal/enum"
	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/mle"
	"github.com/interflow/flowbench/nn"
)

// BaseKind selects the base density ρ0 of a run.
type BaseKind uint8

const (
	// BaseNormal is ρ0 = N(0, I).
	BaseNormal BaseKind = iota
	// BaseLearned is the Gaussian μ + L·z, z ~ N(0, I), whose μ and L move by the max–min
	// ascent (GaussianBase).
	BaseLearned
)

var baseNames = enum.Names{Type: "BaseKind", Names: []string{BaseNormal: "normal", BaseLearned: "learned"}}

// String returns "normal" or "learned".
func (b BaseKind) String() string { return enum.String(&baseNames, b) }

// ParseBase returns the base named "normal" or "learned".
func ParseBase(s string) (BaseKind, error) { return parseEnum[BaseKind]("base", &baseNames, s) }

// MarshalText implements encoding.TextMarshaler (the configuration string).
func (b BaseKind) MarshalText() ([]byte, error) { return marshalEnum(&baseNames, b) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *BaseKind) UnmarshalText(t []byte) error { return unmarshalEnum("base", &baseNames, b, t) }

// LRSchedule selects the learning-rate schedule of a run.
type LRSchedule uint8

const (
	// LRCosine decays from LR to MinLR over the run by a half cosine.
	LRCosine LRSchedule = iota
	// LRConstant keeps LR.
	LRConstant
	// LRStep halves the rate every quarter of the run.
	LRStep
	// LRPlateau keeps LR (after the warm-up) until validation stops improving: Patience
	// validations without a better NLL divide it by PlateauFactor, at most PlateauDrops
	// times, and the next plateau ends the run, so the schedule ends when training does.
	LRPlateau
)

// PlateauFactor and PlateauDrops define LRPlateau.
const (
	PlateauFactor = 4
	PlateauDrops  = 2
)

var scheduleNames = enum.Names{Type: "LRSchedule", Names: []string{LRCosine: "cosine", LRConstant: "constant", LRStep: "step", LRPlateau: "plateau"}}

// String returns "cosine", "constant", "step" or "plateau".
func (s LRSchedule) String() string { return enum.String(&scheduleNames, s) }

// ParseLRSchedule returns the schedule named "constant", "step", "cosine" or "plateau".
func ParseLRSchedule(s string) (LRSchedule, error) {
	return parseEnum[LRSchedule]("schedule", &scheduleNames, s)
}

// MarshalText implements encoding.TextMarshaler (the configuration string).
func (s LRSchedule) MarshalText() ([]byte, error) { return marshalEnum(&scheduleNames, s) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *LRSchedule) UnmarshalText(t []byte) error {
	return unmarshalEnum("schedule", &scheduleNames, s, t)
}

// parseEnum, marshalEnum and unmarshalEnum give the configuration's enumerations their
// parse errors and text forms.
func parseEnum[E ~uint8](what string, names *enum.Names, s string) (E, error) {
	if v, ok := enum.Parse[E](names, s); ok {
		return v, nil
	}
	return 0, fmt.Errorf("unknown %s %q (want %s)", what, s, names.List(", "))
}

func marshalEnum[E ~uint8](names *enum.Names, e E) ([]byte, error) {
	if int(e) >= len(names.Names) {
		return nil, fmt.Errorf("invalid value %d (want one of %s)", e, names.List(", "))
	}
	return []byte(names.Names[e]), nil
}

func unmarshalEnum[E ~uint8](what string, names *enum.Names, e *E, t []byte) error {
	v, err := parseEnum[E](what, names, string(t))
	if err == nil {
		*e = v
	}
	return err
}

// TrainConfig is the configuration of a training run. DefaultTrainConfig gives the
// quality configuration; the zero value is not valid.
//
// The interpolant, time distribution, base and schedule are values: a Go program may pass
// interp.NewAffine(...) or its own interp.TimeDist. The configuration's JSON form (recorded
// in checkpoints, compared on resume) writes them as the strings interp.Parse,
// interp.ParseTimeDist, ParseBase and ParseLRSchedule read, so a checkpoint round-trips its
// configuration; an interpolant or time distribution those parsers do not know is
// recorded by name, and a checkpoint holding one cannot be loaded (Train refuses to write
// one).
type TrainConfig struct {
	Net      nn.Config          `json:"net"`  // velocity network (Dim is set from the data)
	Interp   interp.Interpolant `json:"-"`    // interpolant (JSON "interp": interp.Spec)
	TimeDist interp.TimeDist    `json:"-"`    // training times (JSON "time_dist": Name)
	Base     BaseKind           `json:"base"` // normal (N(0, I)) or learned (μ + L·z)
	// Coupling pairs each step's base points x0 with its data points x1 before the
	// interpolant joins them: independent (the zero value: pairs as drawn), ot (the exact
	// minibatch optimal-transport assignment for the squared distance) or sinkhorn with ε
	// (a pairing drawn from the entropic plan); see package coupling. A coupling only
	// reorders x0 within the batch, so the marginal path still joins ρ0 and ρ1: the model
	// learns a velocity whose flow carries ρ0 to ρ1 and its likelihood stays exact, with
	// straighter paths (lower kinetic energy, fewer solver steps) under ot and sinkhorn.
	// Distances are in model units (standardized data), and so is ε. Conditional models
	// accept only the independent coupling, and so does the MLE objective (its loss has no
	// pairs). JSON: "coupling", the string coupling.Parse reads, omitted when independent.
	Coupling coupling.Spec `json:"coupling,omitzero"`

	Steps int     `json:"steps"` // optimizer steps
	Batch int     `json:"batch"` // rows per step
	LR    float64 `json:"lr"`    // peak learning rate
	// Schedule is constant, step or cosine (decaying to MinLR over Steps); Warmup steps of
	// linear warm-up come first.
	Schedule LRSchedule `json:"schedule"`
	Warmup   int        `json:"warmup"`
	MinLR    float64    `json:"min_lr"`
	Clip     float64    `json:"clip"` // gradient-norm clip (0: none)
	WD       float64    `json:"wd"`   // decoupled weight decay
	EMA      float64    `json:"ema"`  // EMA decay of the weights used for sampling (0: none)
	Seed     uint64     `json:"seed"`

	// MaxMin K > 0 turns on the path-length max–min: every K network steps, one ascent step
	// (Adam, learning rate MaxMinLR) on the Fourier interpolant's coefficients and/or the
	// learned base's parameters. A learned base always moves by this ascent (every step
	// when MaxMin is 0).
	MaxMin   int     `json:"maxmin"`
	MaxMinLR float64 `json:"maxmin_lr"`

	ValEvery int `json:"val_every"` // validation every N steps (0: none)
	ValN     int `json:"val_n"`     // validation rows (at most the validation set)
	Patience int `json:"patience"`  // stop after this many validations without improvement (0: never)
	LogEvery int `json:"log_every"` // history/log interval in steps
	// CkptEvery saves a checkpoint every N steps (0: only the first, time-triggered one,
	// and the final one); FirstCkpt is the training time after which the first checkpoint is
	// written (default 1 s).
	CkptEvery int           `json:"ckpt_every"`
	FirstCkpt time.Duration `json:"-"`
	// ScheduleSteps, when set, is the horizon of the cosine and step schedules instead of
	// Steps: a finished run extended by a resume with more steps keeps its schedule, so the
	// extra steps continue at the rate it ended with (MinLR for cosine).
	ScheduleSteps int `json:"schedule_steps,omitempty"`
	// GuidanceDrop is the probability that a training row of a label model is shown with
	// the null label ∅ (classifier-free guidance; 0: never).
	GuidanceDrop float64 `json:"guidance_drop,omitempty"`
}

// horizon returns the number of steps the schedule spans.
func (c *TrainConfig) horizon() int {
	if c.ScheduleSteps > 0 {
		return c.ScheduleSteps
	}
	return c.Steps
}

// trainConfigJSON is TrainConfig's JSON form: the interpolant and the time distribution as
// their configuration strings.
type trainConfigJSON struct {
	Net      nn.Config `json:"net"`
	Interp   string    `json:"interp"`
	TimeDist string    `json:"time_dist"`
	plainTrainConfig
}

// plainTrainConfig is TrainConfig without its methods (so that the JSON encoder does not
// recurse into MarshalJSON).
type plainTrainConfig TrainConfig

// MarshalJSON writes the configuration with the interpolant as interp.Spec and the time
// distribution as its Name.
func (c TrainConfig) MarshalJSON() ([]byte, error) {
	j := trainConfigJSON{Net: c.Net, plainTrainConfig: plainTrainConfig(c)}
	if c.Interp != nil {
		j.Interp = interp.Spec(c.Interp)
	}
	if c.TimeDist != nil {
		j.TimeDist = c.TimeDist.Name()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the form MarshalJSON writes, parsing the interpolant and the time
// distribution (an empty string leaves the field nil).
func (c *TrainConfig) UnmarshalJSON(b []byte) error {
	var j trainConfigJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = TrainConfig(j.plainTrainConfig)
	c.Net = j.Net
	if j.Interp != "" {
		ip, err := interp.Parse(j.Interp)
		if err != nil {
			return fmt.Errorf("interp: %w", err)
		}
		c.Interp = ip
	}
	if j.TimeDist != "" {
		td, err := interp.ParseTimeDist(j.TimeDist)
		if err != nil {
			return fmt.Errorf("time_dist: %w", err)
		}
		c.TimeDist = td
	}
	return nil
}

// DefaultTrainConfig returns the quality configuration for data of dimension dim: an MLP of 3
// hidden layers of 256 SiLU units with t concatenated, the trigonometric interpolant, Adam
// at 1e-2 with a cosine decay, EMA 0.999 and batches of 4096.
func DefaultTrainConfig(dim int) TrainConfig {
	return TrainConfig{
		Net:       nn.Config{Dim: dim, Hidden: []int{256, 256, 256}, Act: kernels.SiLU, Time: nn.TimeConcat},
		Interp:    interp.Trig{},
		TimeDist:  interp.UniformTimes{},
		Base:      BaseNormal,
		Steps:     3000,
		Batch:     4096,
		LR:        1e-2,
		Schedule:  LRCosine,
		Warmup:    100,
		MinLR:     1e-5,
		Clip:      0,
		EMA:       0.999,
		Seed:      1,
		MaxMinLR:  1e-2,
		ValEvery:  0,
		ValN:      4096,
		LogEvery:  100,
		CkptEvery: 500,
	}
}

// ConfigError is the error of TrainConfig.Validate for a field out of range: a CLI maps
// Field (snake_case, as in a checkpoint's config) to its own flag.
type ConfigError struct {
	Field string // the field, e.g. "min_lr"
	Value any    // its value
	Want  string // what it must be
}

// Error formats the error as "train config: FIELD = VALUE: WANT".
func (e *ConfigError) Error() string {
	return fmt.Sprintf("train config: %s = %v: %s", e.Field, e.Value, e.Want)
}

// Validate reports whether the configuration is usable, naming the bad field (a
// *ConfigError for a field out of range).
func (c *TrainConfig) Validate() error {
	bad := func(field string, v any, want string) error {
		return &ConfigError{Field: field, Value: v, Want: want}
	}
	switch {
	case c.Steps < 1:
		return bad("steps", c.Steps, "want ≥ 1")
	case c.Batch < 1:
		return bad("batch", c.Batch, "want ≥ 1")
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return bad("lr", c.LR, "want a finite value > 0")
	case c.Warmup < 0:
		return bad("warmup", c.Warmup, "want ≥ 0")
	case !(c.MinLR >= 0) || c.MinLR > c.LR:
		return bad("min_lr", c.MinLR, "want a value in [0, lr]")
	case !(c.Clip >= 0) || math.IsInf(c.Clip, 0):
		return bad("clip", c.Clip, "want a finite value ≥ 0")
	case !(c.WD >= 0) || math.IsInf(c.WD, 0):
		return bad("wd", c.WD, "want a finite value ≥ 0")
	case !(c.EMA >= 0 && c.EMA < 1):
		return bad("ema", c.EMA, "want a value in [0, 1)")
	case c.MaxMin < 0:
		return bad("maxmin", c.MaxMin, "want ≥ 0")
	case !(c.MaxMinLR >= 0) || math.IsInf(c.MaxMinLR, 0):
		return bad("maxmin_lr", c.MaxMinLR, "want a finite value ≥ 0")
	case c.ValEvery < 0:
		return bad("val_every", c.ValEvery, "want ≥ 0")
	case c.ValEvery > 0 && c.ValN < 1:
		return bad("val_n", c.ValN, "want ≥ 1")
	case c.Patience < 0:
		return bad("patience", c.Patience, "want ≥ 0")
	case c.LogEvery < 0:
		return bad("log_every", c.LogEvery, "want ≥ 0")
	case c.CkptEvery < 0:
		return bad("ckpt_every", c.CkptEvery, "want ≥ 0")
	case !(c.GuidanceDrop >= 0 && c.GuidanceDrop < 1):
		return bad("guidance_drop", c.GuidanceDrop, "want a value in [0, 1)")
	case c.GuidanceDrop > 0 && c.Net.Classes == 0:
		return bad("guidance_drop", c.GuidanceDrop, "guidance dropout needs class labels")
	case c.Base > BaseLearned:
		return bad("base", c.Base, "want normal or learned")
	case c.Coupling.Validate() != nil:
		return bad("coupling", c.Coupling, c.Coupling.Validate().Error())
	case c.Coupling.Method != coupling.Independent && c.Net.Conditional():
		return bad("coupling", c.Coupling, "a conditional model needs the independent coupling (pairing across contexts would make x0 depend on the context)")
	case c.Interp == nil:
		return bad("interp", "nil", "want an interpolant")
	case c.TimeDist == nil:
		return bad("time_dist", "nil", "want a time distribution")
	}
	if _, err := c.schedule(); err != nil {
		return err
	}
	if err := interp.Check(c.Interp); err != nil {
		return fmt.Errorf("train config: interp: %w", err)
	}
	if _, err := c.TimeDist.NewSampler(0); err != nil {
		return fmt.Errorf("train config: time_dist: %w", err)
	}
	if err := c.Net.Validate(); err != nil {
		return fmt.Errorf("train config: net: %w", err)
	}
	return nil
}

// recordable reports whether a checkpoint can record the configuration: its interpolant and
// time distribution must be ones the parsers read back.
func (c *TrainConfig) recordable() error {
	if _, err := interp.Parse(interp.Spec(c.Interp)); err != nil {
		return fmt.Errorf("train config: interp %q cannot be recorded in a checkpoint (not a configuration string interp.Parse reads); train without a checkpoint path", c.Interp.Name())
	}
	if _, err := interp.ParseTimeDist(c.TimeDist.Name()); err != nil {
		return fmt.Errorf("train config: time_dist %q cannot be recorded in a checkpoint (not a configuration string interp.ParseTimeDist reads); train without a checkpoint path", c.TimeDist.Name())
	}
	return nil
}

func (c *TrainConfig) schedule() (nn.Schedule, error) {
	// A warm-up longer than half the run is shortened to half of it.
	h := c.horizon()
	s := nn.Schedule{Kind: "constant", LR: c.LR, Warmup: min(c.Warmup, h/2)}
	switch c.Schedule {
	case LRConstant, LRPlateau:
	case LRCosine:
		s.Kind, s.Total, s.MinLR = "cosine", h, c.MinLR
	case LRStep:
		// Halve the rate every quarter of the run.
		s.Kind, s.Every, s.Gamma = "step", max(1, h/4), 0.5
	default:
		return s, fmt.Errorf("train config: schedule = %v: want constant, step or cosine", c.Schedule)
	}
	if c.Schedule == LRPlateau && (c.ValEvery == 0 || c.Patience == 0) {
		return s, fmt.Errorf("train config: schedule = plateau: needs validation (val_every > 0) and patience > 0")
	}
	if err := s.Validate(); err != nil {
		return s, fmt.Errorf("train config: schedule: %w", err)
	}
	return s, nil
}

// sameRun reports a difference between two configurations that a resumed run cannot
// accept (everything but Steps and the checkpoint/log cadence).
func sameRun(a, b *TrainConfig) error {
	x, y := *a, *b
	x.Steps, y.Steps = 0, 0
	x.CkptEvery, y.CkptEvery = 0, 0
	x.LogEvery, y.LogEvery = 0, 0
	x.FirstCkpt, y.FirstCkpt = 0, 0
	x.ScheduleSteps, y.ScheduleSteps = 0, 0
	if a.Schedule == LRCosine || a.Schedule == LRStep {
		if a.horizon() != b.horizon() {
			return fmt.Errorf("the %s schedule depends on the number of steps: the checkpoint's run has %d, not %d (a finished run can be extended: its extra steps continue at its final rate)", a.Schedule, a.horizon(), b.horizon())
		}
	}
	if a.Net.Dim != b.Net.Dim {
		return fmt.Errorf("the data have dimension %d, the checkpoint's model %d", b.Net.Dim, a.Net.Dim)
	}
	ja, _ := jsonString(x)
	jb, _ := jsonString(y)
	if ja != jb {
		// One line naming the fields that differ.
		var ma, mb map[string]json.RawMessage
		json.Unmarshal([]byte(ja), &ma)
		json.Unmarshal([]byte(jb), &mb)
		var diff []string
		for _, k := range slices.Sorted(maps.Keys(ma)) {
			if string(ma[k]) != string(mb[k]) {
				diff = append(diff, fmt.Sprintf("%s %s (now %s)", k, ma[k], mb[k]))
			}
		}
		return fmt.Errorf("the configuration differs from the checkpoint's: %s", strings.Join(diff, "; "))
	}
	return nil
}

// TableConfig returns the configuration for a table (a data file or rows in memory) of
// nTrain training rows, nVal validation rows and d columns: base's fields, with the ones
// that must follow the size of the data set from it. The rule (also in `flowbench train
// --help` and the README; chosen by held-out NLL on rows split off the training parts of the
// benchmark tables, never on their test parts):
//
//   - tables of at least LargeTable training rows keep base's optimizer, batch, width and
//     schedule (they already do well) and add validation for a best-of-run restore without
//     early stopping;
//   - smaller tables train with Adam at 1e-3 and weight decay 1e-4, hidden layers of 256
//     units, batches of clamp(nTrain/4 rounded down to a power of two, 64, 512), base's EMA,
//     and the plateau schedule with a patience of 5 validations, for at most
//     min(max(TableEpochs passes over the rows, 3,000), 20,000) steps; validation every
//     TableValEvery steps, so that it costs about ValShare of training;
//   - ValN is every validation row up to 1,024.
func TableConfig(base TrainConfig, d, nTrain, nVal int) TrainConfig {
	c := base
	c.Net.Dim = d
	c.ValN = min(max(nVal, 1), 1024)
	c.ValEvery, c.Patience = 0, 0
	if nTrain >= LargeTable {
		if nVal > 0 {
			c.ValEvery = TableValEvery(c, d, c.ValN)
		}
		return c
	}
	c.Net.Hidden = make([]int, len(base.Net.Hidden))
	for i := range c.Net.Hidden {
		c.Net.Hidden[i] = 256
	}
	b := 64
	for b < 512 && 2*b <= nTrain/4 {
		b *= 2
	}
	c.Batch = b
	c.LR, c.WD, c.MinLR = 1e-3, 1e-4, 0
	c.Steps = min(max(TableEpochs*nTrain/b, 3000), 20000)
	if nVal > 0 {
		c.Schedule, c.Patience = LRPlateau, 5
		c.ValEvery = TableValEvery(c, d, c.ValN)
	} else {
		c.Schedule = LRCosine
	}
	return c
}

// LargeTable is the number of training rows from which TableConfig keeps the base
// configuration's optimizer and network.
const LargeTable = 20000

// TableEpochs bounds a small table's run in passes over its training rows.
const TableEpochs = 1500

// TableValEvery returns the validation interval (steps) at which validating nVal rows costs
// about ValShare of training under cfg, by a cost model fitted to measurements (Intel Xeon,
// one thread, a shared 2-core machine, `train --val-every 100` on tables of 4 to 64 columns at batches 64 and 256,
// val_share read from the summary): a validation solve is 4·ValSolverSteps field
// evaluations of nVal rows, each costing one forward pass plus 0.75·d passes for the exact
// divergence (d ≤ ValExactMaxDim) or one for a Hutchinson probe; a training step costs
// 3·batch + 100 row passes (the fixed overhead of a small batch). At least 25 steps.
func TableValEvery(cfg TrainConfig, d, nVal int) int {
	div := 1.0
	if d <= ValExactMaxDim {
		div = 0.75 * float64(d)
	}
	val := float64(nVal) * 4 * ValSolverSteps * (1 + div)
	step := 3*float64(cfg.Batch) + 100
	return max(25, int(math.Ceil(val/(ValShare*step))))
}

// TableValEveryMLE is TableValEvery for a run of the maximum-likelihood objective mc
// (TrainMLE), whose step costs some hundred times an interpolant step: about
// 3·batch·(40 + 16·Steps) row passes (a forward solve of some 20 field evaluations with
// their divergence, 4·Steps backward evaluations of the adjoint or of the discrete solve's
// gradient, each about two passes, times 3 for the overhead measured on iris, wine and
// breast cancer at batch 64, AMD EPYC, one thread: validation every step then cost 5, 22 and
// 15% of training). At least 1 step.
func TableValEveryMLE(cfg TrainConfig, mc mle.Config, d, nVal int) int {
	div := 1.0
	if d <= ValExactMaxDim {
		div = 0.75 * float64(d)
	}
	val := float64(nVal) * 4 * ValSolverSteps * (1 + div)
	step := 3 * float64(cfg.Batch) * (40 + 16*float64(mc.Steps))
	return max(1, int(math.Ceil(val/(ValShare*step))))
}

// ValShare is the share of training time TableValEvery aims validation at (the measured
// share is reported as val_share in the training summary; the promise is at most 20%).
const ValShare = 0.15
