package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/interflow/flowbench/coupling"
	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/internal/quote"
	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/nn"
)

func init() {
	register(&command{name: "train", summary: "train a flow on a generated data set or a data file", run: runTrain})
}

// trainFlags are the flags of `flowbench train`.
type trainFlags struct {
	data, out                      *string
	steps, batch, width, depth     *int
	act, timeF, interpS, timeDist  *string
	base, schedule, couplingS      *string
	maxmin, warmup, fourier        *int
	lr, clip, wd, ema, minLR, mmLR *float64
	valEvery, ckptEvery, logEvery  *int
	patience, valN                 *int
	resume                         *bool
	configFile                     *string // --config FILE (train_config.go)
	splitSeed                      *uint64
	valFrac, valFile, dequantize   *string
	testFrac, timeLimit            *float64
	common                         *genCommon
	mle                            *mleFlags       // --objective and the MLE settings (train_mle.go)
	cond                           *condTrainFlags // context of a conditional model (cond.go)
}

func addTrainFlags(fs *flag.FlagSet) *trainFlags {
	def := gen.DefaultTrainConfig(2)
	return &trainFlags{
		data:       fs.String("data", "", "generated data set ("+joinNames(dataset.ToyNames())+") or data file (.csv, .tsv, .npy, IDX)"),
		out:        fs.String("out", "", "model checkpoint to write (safetensors)"),
		steps:      fs.Int("steps", def.Steps, "optimizer steps"),
		batch:      fs.Int("batch", def.Batch, "rows per step"),
		width:      fs.Int("width", def.Net.Hidden[0], "hidden units per layer"),
		depth:      fs.Int("depth", len(def.Net.Hidden), "hidden layers"),
		act:        fs.String("act", def.Net.Act.String(), "activation: relu, silu, tanh, softplus, gelu, elu"),
		timeF:      fs.String("time", "concat", "time input: concat or fourier"),
		fourier:    fs.Int("time-freqs", 8, "Fourier frequencies of t for --time fourier"),
		interpS:    fs.String("interp", interp.Spec(def.Interp), "interpolant: trig, linear, fourier or fourier:M (learnable, M coefficients)"),
		timeDist:   fs.String("time-dist", def.TimeDist.Name(), "training times: uniform, beta:A,B, stratified, antithetic"),
		base:       fs.String("base", def.Base.String(), "base density: normal or learned"),
		couplingS:  fs.String("coupling", def.Coupling.String(), "pairing of base and data points per batch: independent, ot (exact minibatch optimal transport) or sinkhorn:EPS (entropic, ε in standardized units); ot and sinkhorn use --interp linear unless --interp is given"),
		maxmin:     fs.Int("maxmin", def.MaxMin, "path-length max–min: K network steps per ascent step (0: off)"),
		mmLR:       fs.Float64("maxmin-lr", def.MaxMinLR, "learning rate of the max–min ascent"),
		lr:         fs.Float64("lr", def.LR, "peak learning rate"),
		minLR:      fs.Float64("min-lr", def.MinLR, "final learning rate of the cosine schedule"),
		schedule:   fs.String("schedule", def.Schedule.String(), "learning-rate schedule: constant, step, cosine or plateau (divide by 4 at a validation plateau, twice, then stop)"),
		warmup:     fs.Int("warmup", def.Warmup, "steps of linear learning-rate warm-up"),
		clip:       fs.Float64("clip", def.Clip, "gradient-norm clip (0: none)"),
		wd:         fs.Float64("wd", def.WD, "decoupled weight decay"),
		ema:        fs.Float64("ema", def.EMA, "EMA decay of the sampling weights (0: none)"),
		valEvery:   fs.Int("val-every", def.ValEvery, "validate every N steps, keeping the best weights (0: off)"),
		valN:       fs.Int("val-n", def.ValN, "validation rows"),
		patience:   fs.Int("patience", 0, "stop after N validations without improvement (0: never)"),
		ckptEvery:  fs.Int("ckpt-every", def.CkptEvery, "checkpoint every N steps (the first is written after about a second)"),
		logEvery:   fs.Int("log-every", def.LogEvery, "log interval in steps"),
		resume:     fs.Bool("resume", false, "continue the run saved in --out"),
		configFile: fs.String("config", "", "read the run's settings from this JSON or YAML file: the keys of a checkpoint's \"train\" configuration (info --json) and the names of these flags (min_lr or min-lr); flags given here override it"),
		splitSeed:  fs.Uint64("split-seed", 0, "seed of the train/validation/test split of a data file"),
		valFrac:    fs.String("val-frac", "auto", "fraction of a data file's rows held out for validation (auto: 0.2 below 2,500 rows, 0.1 above; 0: none)"),
		testFrac:   fs.Float64("test-frac", 0, "fraction of a data file's rows held out as a test part, used by nothing in training (nll/eval --split test)"),
		valFile:    fs.String("val", "", "file of validation rows instead of a validation fraction"),
		dequantize: fs.String("dequantize", "auto", "integer-valued columns: auto (dequantize with U[0,1) noise) or none"),
		timeLimit:  fs.Float64("time-limit", 0, "end the run when its training time reaches this many seconds, validating the weights reached (0: none; the run can be resumed)"),
		common:     addCommon(fs),
		mle:        addMLEFlags(fs),
		cond:       addCondTrainFlags(fs),
	}
}

// config validates the flags and returns the training configuration (Net.Dim unset).
func (f *trainFlags) config(cmd string) (gen.TrainConfig, error) {
	cfg := gen.DefaultTrainConfig(0)
	if err := mustPositive(cmd, "steps", *f.steps, "batch", *f.batch, "width", *f.width, "depth", *f.depth); err != nil {
		return cfg, err
	}
	for _, c := range []struct {
		name string
		v    int
	}{{"maxmin", *f.maxmin}, {"warmup", *f.warmup}, {"val-every", *f.valEvery}, {"ckpt-every", *f.ckptEvery}, {"log-every", *f.logEvery}, {"patience", *f.patience}} {
		if c.v < 0 {
			return cfg, usagef("%s: --%s must be ≥ 0, got %d", cmd, c.name, c.v)
		}
	}
	if err := mustPositiveFloat(cmd, "lr", *f.lr); err != nil {
		return cfg, err
	}
	if tl := *f.timeLimit; !(tl >= 0 && tl <= maxTimeLimit) {
		return cfg, usagef("%s: --time-limit must be between 0 and %g seconds, got %v", cmd, float64(maxTimeLimit), tl)
	}
	act, err := kernels.ParseAct(*f.act)
	if err != nil || act == kernels.Identity {
		return cfg, usagef("%s: --act: unknown activation %q (want relu, silu, tanh, softplus, gelu or elu)", cmd, *f.act)
	}
	tf, err := nn.ParseTimeFeatures(*f.timeF)
	if err != nil {
		return cfg, usagef("%s: --time: %v", cmd, err)
	}
	spec := *f.interpS
	if spec == "fourier" {
		spec = "fourier:4"
	}
	ip, err := interp.Parse(spec)
	if err != nil {
		return cfg, usagef("%s: --interp: %v", cmd, err)
	}
	td, err := interp.ParseTimeDist(*f.timeDist)
	if err != nil {
		return cfg, usagef("%s: --time-dist: %v", cmd, err)
	}
	cp, err := coupling.Parse(*f.couplingS)
	if err != nil {
		return cfg, usagef("%s: --coupling: %v", cmd, err)
	}

	if err := parseChoice(cmd, "base", *f.base, "normal", "learned"); err != nil {
		return cfg, err
	}
	if err := parseChoice(cmd, "schedule", *f.schedule, "constant", "step", "cosine", "plateau"); err != nil {
		return cfg, err
	}
	base, _ := gen.ParseBase(*f.base)
	sched, _ := gen.ParseLRSchedule(*f.schedule)
	hidden := make([]int, *f.depth)
	for i := range hidden {
		hidden[i] = *f.width
	}
	cfg.Net = nn.Config{Hidden: hidden, Act: act, Time: tf}
	if tf == nn.TimeFourier {
		if *f.fourier < 1 {
			return cfg, usagef("%s: --time-freqs must be ≥ 1 with --time fourier, got %d", cmd, *f.fourier)
		}
		cfg.Net.Fourier = *f.fourier
	}
	cfg.Interp, cfg.TimeDist, cfg.Base, cfg.Coupling = ip, td, base, cp
	cfg.Steps, cfg.Batch, cfg.LR, cfg.MinLR = *f.steps, *f.batch, *f.lr, *f.minLR
	cfg.Schedule, cfg.Warmup, cfg.Clip, cfg.WD, cfg.EMA = sched, *f.warmup, *f.clip, *f.wd, *f.ema
	cfg.MaxMin, cfg.MaxMinLR = *f.maxmin, *f.mmLR
	cfg.ValEvery, cfg.ValN, cfg.Patience = *f.valEvery, *f.valN, *f.patience
	cfg.CkptEvery, cfg.LogEvery = *f.ckptEvery, *f.logEvery
	cfg.Seed = *f.common.seed
	probe := cfg
	probe.Net.Dim = 1
	if err := probe.Validate(); err != nil {
		var ce *gen.ConfigError
		if errors.As(err, &ce) { // name the flag, not the field: min_lr is --min-lr
			return cfg, usagef("%s: --%s %v: %s", cmd, strings.ReplaceAll(ce.Field, "_", "-"), ce.Value, ce.Want)
		}
		return cfg, usagef("%s: %v", cmd, err)
	}
	return cfg, nil
}

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	const cmd = "train"
	fs := newFlags(cmd, "--data NAME|PATH --out MODEL [flags]  (or: --config run.json|run.yaml [flags])", stdout)
	f := addTrainFlags(fs)
	addHelpNotes(fs, tableRule+"\n"+logKeys)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	var rc *runConfig
	if *f.configFile != "" {
		if *f.resume {
			return usagef("%s: --config and --resume exclude each other (a resumed run keeps its checkpoint's configuration)", cmd)
		}
		if rc, err = readRunConfig(cmd, fs, *f.configFile, setFlags(fs)); err != nil {
			return err
		}
		defer func() { err = rc.locate(err) }() // a bad value from the file: say where it is
	}
	if *f.data == "" {
		return usagef("%s: --data is required (a generated data set: %s; or a data file)", cmd, joinNames(dataset.ToyNames()))
	}
	if err := checkOut(cmd, "out", *f.out); err != nil {
		return err
	}
	if err := checkNotInput(cmd, *f.out, "--data", *f.data, "--val", *f.valFile, "--cond", *f.cond.cond, "--config", *f.configFile); err != nil {
		return err
	}
	if err := f.common.apply(cmd); err != nil {
		return err
	}
	cfg, err := f.config(cmd)
	if err != nil {
		return err
	}
	rc.apply(&cfg)
	if cfg.Coupling.Method != coupling.Independent && !setFlags(fs)["interp"] {
		// OT-CFM's path: between matched pairs the trigonometric path bows outward and
		// costs more kinetic energy than the independent pairs' flow (README, couplings).
		cfg.Interp = interp.Linear{}
	}
	var resume *gen.Model
	if *f.resume {
		if resume, cfg, err = f.resumed(cmd, cfg, setFlags(fs)); err != nil {
			return err
		}
	}
	if err := checkDataArg(cmd, *f.data); err != nil {
		return err
	}
	set := setFlags(fs)
	dopt, err := f.dataOptions(cmd, set)
	if err != nil {
		return err
	}
	if resume != nil {
		if sp := resume.Data.Split; sp != nil {
			dopt.Split, dopt.AutoVal = *sp, false
		}
		dopt.ValPath, dopt.NoDequantize = resume.Data.ValPath, resume.Data.NoDequantize
		if ci := resume.Data.Cond; ci != nil && ci.Name != "" && *f.cond.cond == "" {
			*f.cond.cond, *f.cond.labels, *f.cond.drop = ci.Name, ci.Classes > 0, resume.Config.GuidanceDrop
		}
	}
	if err := f.cond.apply(cmd, &dopt, &cfg); err != nil {
		return err
	}
	data, err := gen.LoadTrainDataWith(*f.data, dopt)
	if err != nil {
		return err
	}
	if err := rc.checkDim(cmd, data); err != nil {
		return err
	}
	if data.Toy == nil && resume == nil {
		cfg = tableDefaults(cfg, data, set, f.mle.tableValEvery)
	}
	if cfg.ValEvery > 0 && data.Toy == nil && data.Val == nil {
		return fmt.Errorf("%s: --val-every: %s has no validation rows", cmd, quote.Name(*f.data))
	}
	opt := gen.TrainOptions{
		Command:   commandLine,
		CkptPath:  *f.out,
		Resume:    resume,
		TimeLimit: time.Duration(*f.timeLimit * float64(time.Second)),
	}
	return trainAndReport(ctx, cmd, f.common, cfg, opt, stdout, stderr, func(ctx context.Context, opt gen.TrainOptions, em *emitter, pb *bar, logFailed func(error)) (*gen.Model, error) {
		return f.mle.train(ctx, cfg, data, opt, em, pb, logFailed)
	})
}

// trainAndReport runs train (a training run with opt, whose progress bar, interval log
// and log-failure stop it sets) and prints the run's log lines and summary as train does;
// extra key/value pairs follow the summary's first fields.
func trainAndReport(ctx context.Context, cmd string, c *genCommon, cfg gen.TrainConfig, opt gen.TrainOptions, stdout, stderr io.Writer,
	train func(ctx context.Context, opt gen.TrainOptions, em *emitter, pb *bar, logFailed func(error)) (*gen.Model, error), extra ...any) error {
	em := c.emitter(stdout)
	pb := newBar(stderr, *c.quiet, cfg.Steps, "train")
	// A log line that cannot be written (stdout full or closed) stops the run as a signal
	// would: the trainer saves its checkpoint and the error names stdout.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	logFailed := func(err error) { stop(fmt.Errorf("writing the log to stdout: %w", err)) }
	opt.Progress = func(p gen.Progress) { pb.set(p.Step) }
	opt.Log = func(e gen.LogEntry) {
		kv := logFields(e)
		if e.ValNLL != 0 {
			kv = append(kv, "val_nll", e.ValNLL)
		}
		if e.PathKE != 0 {
			kv = append(kv, "path_kinetic", e.PathKE)
		}
		pb.clear()
		if err := em.Emit(kv...); err != nil {
			logFailed(err)
		}
	}
	m, err := train(ctx, opt, em, pb, logFailed)
	pb.done()
	if err != nil {
		if errors.Is(err, gen.ErrNonFiniteLoss) {
			return fmt.Errorf("%w (try a lower --lr or --clip)", err)
		}
		return err
	}
	kv := append([]any{"out", opt.CkptPath, "steps", m.State.Step, "elapsed_s", m.State.Elapsed}, extra...)
	if n := len(m.History); n > 0 {
		kv = append(kv, "loss", m.History[n-1].Loss)
	}
	if m.State.BestStep > 0 {
		kv = append(kv, "best_val_nll", m.State.BestVal, "best_step", m.State.BestStep)
	}
	if m.State.TrainNLL != 0 {
		kv = append(kv, "train_nll", m.State.TrainNLL)
	}
	if m.State.ValSeconds > 0 && m.State.Elapsed > 0 {
		kv = append(kv, "val_share", math.Round(1000*m.State.ValSeconds/m.State.Elapsed)/1000)
	}
	if bad, gap := m.Memorized(); bad {
		kv = append(kv, "memorized", true)
		fmt.Fprintf(stderr, "flowbench: warning: the validation NLL (%.4g) is worse than the training NLL (%.4g) by %.3g nats per row, more than %.3g: the model memorized its training rows (try fewer --steps, a smaller --width, or more data)\n",
			m.State.BestVal, m.State.TrainNLL, gap, gen.MemorizationMargin(m.Dim()))
	}
	if m.State.Stopped {
		kv = append(kv, "stopped_early", true)
	}
	if m.State.TimeLimited {
		kv = append(kv, "time_limited", true)
	}
	return em.Summary(cmd, kv...)
}

// dataOptions returns the split and data options of the flags (set holds those given).
func (f *trainFlags) dataOptions(cmd string, set map[string]bool) (gen.DataOptions, error) {
	o := gen.DataOptions{ValPath: *f.valFile}
	if err := parseChoice(cmd, "dequantize", *f.dequantize, "auto", "none"); err != nil {
		return o, err
	}
	o.NoDequantize = *f.dequantize == "none"
	test := *f.testFrac
	if !(test >= 0 && test < 1) {
		return o, usagef("%s: --test-frac must be in [0, 1), got %v", cmd, test)
	}
	val := 0.0
	switch {
	case *f.valFile != "":
		if set["val-frac"] {
			return o, usagef("%s: --val and --val-frac exclude each other", cmd)
		}
		if err := checkDataArg(cmd, *f.valFile); err != nil {
			return o, err
		}
	case *f.valFrac == "auto":
		o.AutoVal = true
	default:
		v, err := strconv.ParseFloat(*f.valFrac, 64)
		if err != nil || !(v >= 0 && v < 1) || v+test >= 1 {
			return o, usagef("%s: --val-frac must be auto or a fraction in [0, 1) leaving training rows beside --test-frac %v, got %q", cmd, test, *f.valFrac)
		}
		val = v
	}
	sp, err := dataset.NewSplit(*f.splitSeed, 1-val-test, val, test)
	if err != nil {
		return o, usagef("%s: %v", cmd, err)
	}
	o.Split = sp
	return o, nil
}

// maxTimeLimit bounds --time-limit, in seconds: a year, well inside time.Duration's range.
const maxTimeLimit = 365 * 24 * 3600

// tableDefaults returns cfg with the flags a user did not set (set) taken from
// gen.TableConfig for the data file's size: the defaults that adapt to a table. valEvery
// gives the validation interval for the objective trained (nil: gen.TableValEvery).
func tableDefaults(cfg gen.TrainConfig, data *gen.TrainData, set map[string]bool, valEvery func(cfg gen.TrainConfig, d, nVal int) int) gen.TrainConfig {
	if valEvery == nil {
		valEvery = gen.TableValEvery
	}
	nVal := 0
	if data.Val != nil {
		nVal = data.Val.N
	}
	auto := gen.TableConfig(cfg, data.Train.D, data.Train.N, nVal)
	take := func(flag string, apply func()) {
		if !set[flag] {
			apply()
		}
	}
	take("steps", func() { cfg.Steps = auto.Steps })
	take("batch", func() { cfg.Batch = auto.Batch })
	take("width", func() { cfg.Net.Hidden = auto.Net.Hidden })
	take("lr", func() { cfg.LR = auto.LR })
	take("min-lr", func() { cfg.MinLR = auto.MinLR })
	take("wd", func() { cfg.WD = auto.WD })
	take("schedule", func() { cfg.Schedule = auto.Schedule })
	take("patience", func() { cfg.Patience = auto.Patience })
	take("val-n", func() { cfg.ValN = auto.ValN })
	take("val-every", func() {
		cfg.ValEvery = 0
		if auto.ValEvery > 0 {
			cfg.ValEvery = valEvery(cfg, data.Train.D, cfg.ValN)
		}
	})
	if cfg.Schedule == gen.LRPlateau && (cfg.ValEvery == 0 || cfg.Patience == 0) {
		cfg.Schedule = gen.LRCosine // no validation (--val-frac 0): nothing to find a plateau by
	}
	return cfg
}

// tableRule is the part of `train --help` that states tableDefaults' rule.
const tableRule = `Defaults for a data file (a generated data set keeps the defaults above):
  --val-frac auto holds out 20% of a file below 2,500 rows and 10% above for validation,
  which runs every --val-every steps on at most --val-n rows and measures the held-out NLL
  (fixed RK4, 8 steps; exact divergence up to 16 columns, fixed Hutchinson probes above);
  the weights, EMA, learned base and interpolant of the best validation are kept.
  Tables of 20,000 training rows or more keep the optimizer, batch, width and schedule above.
  Smaller tables use --lr 1e-3 --wd 1e-4 --width 256, a batch of
  clamp(rows/4 rounded to a power of two, 64, 512), --schedule plateau --patience 5 and
  --steps min(max(1500 epochs, 3000), 20000); --val-every is chosen so that validation
  costs about 15% of training (the summary's val_share is the measured share; with
  --objective mle, whose steps cost some hundred times more, every few steps). Any flag
  given explicitly overrides its rule.
  Integer-valued columns are dequantized (uniform noise; --dequantize none to keep them):
  the NLL is then that of the dequantized density. A column whose training rows all hold
  one (non-integer) value c is modelled as an exact, independent N(c, s²) component (the
  network neither reads nor moves it), s its spread over the training and validation rows,
  or 1/sqrt(2π) (0 nats at c) when those are all c.
`

// logKeys is the part of `train --help` that explains the training log's keys (the README's
// "The training log" says the same at more length).
const logKeys = `The training log (one line every --log-every steps, means over the interval; model units,
i.e. standardized data, for a data file):
  step       optimizer steps done
  loss       E|v(t,x_t) − İ|², İ = dI/dt = a'(t)·x0 + b'(t)·x1, the quantity minimized. It does
             not go to 0: its floor is E|İ − E[İ|x_t]|², the spread of the targets at a point.
  g_tilde    2·E[v·(v − İ)] = G(v) + kinetic, with G(v) = E|v|² − 2·E[İ·v] the paper's
             objective (loss − E|İ|²). At the exact field v* = E[İ|x_t] it is 0 in
             expectation; near it, v = v* + δ gives 2E|δ|² + 2E[v*·δ], so it can end
             slightly NEGATIVE (a field a little shorter than v*, as a network that has not
             reached the full magnitude gives): that is expected, not a bug. Its size, not
             its sign, says how far v is from v*.
  kinetic    E|v(t,x_t)|², the kinetic energy of the learned flow at the training times;
             lower means straighter paths and fewer solver steps (--coupling ot lowers it).
  lr         the learning rate of the step
  elapsed_s  training seconds so far (validation included)
  val_nll    held-out NLL of the inference weights, nats per row in data units (on the
             lines of the steps where validation ran)
  path_kinetic  E|İ|² of the learnable interpolant/base (--maxmin, --base learned)
With --objective mle the lines carry step, loss (NLL plus regularizers), nll (batch NLL),
kinetic (∫|v|²dt per trajectory), jacobian (∫‖∂v/∂x‖²_F dt), nfe and nfe_backward (field
evaluations of the forward and backward solves), lr and elapsed_s.
`

// resumed loads the run saved in --out for --resume and returns it with the configuration
// to continue under: the checkpoint's, but for the flags in set that may change (cfg holds
// their values).
func (f *trainFlags) resumed(cmd string, cfg gen.TrainConfig, set map[string]bool) (*gen.Model, gen.TrainConfig, error) {
	resume, err := gen.LoadModel(*f.out)
	if err != nil {
		return nil, cfg, fmt.Errorf("--resume: %w", err)
	}
	if !resume.Resumable() {
		return nil, cfg, fmt.Errorf("--resume: %s holds no training state", quote.Name(*f.out))
	}
	if resume.Data.Reflow != nil {
		return nil, cfg, fmt.Errorf("--resume: %s is a reflow run, which cannot be resumed (its pairs are not stored): run flowbench reflow again", quote.Name(*f.out))
	}
	// The run's configuration comes from the checkpoint; only these may change.
	may := map[string]bool{"steps": true, "out": true, "data": true, "threads": true, "json": true, "quiet": true, "ckpt-every": true, "log-every": true, "resume": true, "time-limit": true}
	for name := range set {
		if !may[name] {
			return nil, cfg, usagef("%s: --%s cannot be changed when resuming (the checkpoint's configuration is used)", cmd, name)
		}
	}
	old := resume.Config
	if set["steps"] {
		old.Steps = cfg.Steps
	}
	if set["ckpt-every"] {
		old.CkptEvery = cfg.CkptEvery
	}
	if set["log-every"] {
		old.LogEvery = cfg.LogEvery
	}
	if resume.State.Step >= old.Steps || resume.State.Stopped {
		return nil, cfg, fmt.Errorf("--resume: %s is already at step %d of %d (pass a larger --steps to continue)", quote.Name(*f.out), resume.State.Step, old.Steps)
	}
	return resume, old, nil
}

// logFields are the fields of a training log line that train and demo both print.
func logFields(e gen.LogEntry) []any {
	return []any{"step", e.Step, "loss", e.Loss, "g_tilde", e.GTilde, "kinetic", e.Kinetic, "lr", e.LR, "elapsed_s", e.Elapsed}
}
