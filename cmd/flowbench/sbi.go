package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/internal/atomicfile"
	"github.com/interflow/flowbench/sbi"
	"github.com/interflow/flowbench/sbi/diag"
	"github.com/interflow/flowbench/sbi/posterior"
)

// The sbi subcommand: simulation-based inference on the built-in benchmark tasks (package
// sbi) and on a user's own simulations (sbi calibrate), through package sbi/posterior.

func init() {
	register(&command{name: "sbi", summary: "simulation-based inference: simulate, train, check, calibrate posteriors", run: runSBI})
}

var sbiSubs = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) error{
	"simulate":    sbiSimulate,
	"observation": sbiObservation,
	"reference":   sbiReference,
	"train":       sbiTrain,
	"check":       sbiCheck,
	"calibrate":   sbiCalibrate,
	"importance":  sbiImportance,
}

func runSBI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var names []string
	for n := range sbiSubs {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(stdout, "usage: flowbench sbi <%s> [flags]\ntasks: %s\nTrain on your own simulations with `flowbench train --data theta.csv --cond x.csv`, draw posteriors with `flowbench sample --given x_o`, score with `flowbench nll --given x_o`, and check calibration with `flowbench sbi calibrate`.\n", strings.Join(names, "|"), strings.Join(sbi.Names(), ", "))
		if len(args) == 0 {
			return usagef("sbi: a subcommand is required (%s)", strings.Join(names, ", "))
		}
		return nil
	}
	f, ok := sbiSubs[args[0]]
	if !ok {
		return usagef("sbi: unknown subcommand %q (want %s)", args[0], strings.Join(names, ", "))
	}
	return f(ctx, args[1:], stdout, stderr)
}

// lookupTask returns the task of --task.
func lookupTask(cmd, name string) (sbi.Task, error) {
	if name == "" {
		return nil, usagef("%s: --task is required (%s)", cmd, strings.Join(sbi.Names(), ", "))
	}
	t, err := sbi.Lookup(name)
	if err != nil {
		return nil, usagef("%s: --task: %v", cmd, err)
	}
	return t, nil
}

// taskAnd returns the task of --task after checking that the count flag name is positive.
func taskAnd(cmd, task, name string, v int) (sbi.Task, error) {
	t, err := lookupTask(cmd, task)
	if err != nil {
		return nil, err
	}
	return t, mustPositive(cmd, name, v)
}

// f32 converts float64 values for the point writers.
func f32(v []float64) []float32 {
	o := make([]float32, len(v))
	for i, x := range v {
		o[i] = float32(x)
	}
	return o
}

func joinFloats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strings.Join(s, ",")
}

func sbiSimulate(ctx context.Context, args []string, stdout, _ io.Writer) error {
	const cmd = "sbi simulate"
	fs := newFlags(cmd, "--task NAME --n N --theta FILE --x FILE [--seed S]", stdout)
	task := fs.String("task", "", "benchmark task: "+strings.Join(sbi.Names(), ", "))
	n := fs.Int("n", 10000, "simulations")
	thOut := fs.String("theta", "", "output file of the parameters θ (.csv, .tsv, .npy)")
	xOut := fs.String("x", "", "output file of the simulated data x, row i simulated from row i of θ")
	c := addCommon(fs)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	t, err := taskAnd(cmd, *task, "n", *n)
	if err != nil {
		return err
	}
	pt, err := pointOutput(cmd, *thOut)
	if err != nil {
		return err
	}
	px, err := pointOutput(cmd, *xOut)
	if err != nil {
		return err
	}
	if err := checkNotInput(cmd, *xOut, "--theta", *thOut); err != nil {
		return err
	}
	th, x := sbi.Simulations(t, *n, *c.seed)
	if err := px.save(ctx, f32(x), *n, t.DataDim(), func() error { return nil }); err != nil {
		return err
	}
	return pt.save(ctx, f32(th), *n, t.ParamDim(), func() error {
		return c.emitter(stdout).Summary(cmd, "task", t.Name(), "n", *n, "theta", *thOut, "x", *xOut, "theta_dim", t.ParamDim(), "x_dim", t.DataDim(), "seed", *c.seed)
	})
}

func sbiObservation(ctx context.Context, args []string, stdout, _ io.Writer) error {
	const cmd = "sbi observation"
	fs := newFlags(cmd, "--task NAME --obs J", stdout)
	task := fs.String("task", "", "benchmark task")
	obs := fs.Int("obs", 1, "observation number, 1..10")
	c := addCommon(fs)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	t, err := lookupTask(cmd, *task)
	if err != nil {
		return err
	}
	th, x, err := t.Observation(*obs)
	if err != nil {
		return usagef("%s: --obs: %v", cmd, err)
	}
	return c.emitter(stdout).Summary(cmd, "task", t.Name(), "obs", *obs, "given", joinFloats(x), "theta_true", joinFloats(th))
}

func sbiReference(ctx context.Context, args []string, stdout, _ io.Writer) error {
	const cmd = "sbi reference"
	fs := newFlags(cmd, "--task NAME --obs J --n N --out FILE", stdout)
	task := fs.String("task", "", "benchmark task")
	obs := fs.Int("obs", 1, "observation number, 1..10")
	n := fs.Int("n", 10000, "reference posterior draws")
	out := fs.String("out", "", "output file (.csv, .tsv, .npy)")
	c := addCommon(fs)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	t, err := taskAnd(cmd, *task, "n", *n)
	if err != nil {
		return err
	}
	pf, err := pointOutput(cmd, *out)
	if err != nil {
		return err
	}
	_, x, err := t.Observation(*obs)
	if err != nil {
		return usagef("%s: --obs: %v", cmd, err)
	}
	ref, err := t.ReferencePosterior(rand.New(rand.NewPCG(*c.seed, 0x726566)), x, *n)
	if err != nil {
		return err
	}
	return pf.save(ctx, f32(ref), *n, t.ParamDim(), func() error {
		return c.emitter(stdout).Summary(cmd, "task", t.Name(), "obs", *obs, "n", *n, "out", *out)
	})
}

func sbiTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const cmd = "sbi train"
	fs := newFlags(cmd, "--task NAME --sims N --out MODEL [--steps S]", stdout)
	task := fs.String("task", "", "benchmark task")
	sims := fs.Int("sims", 10000, "simulations (10% held out for validation)")
	out := fs.String("out", "", "model checkpoint to write (safetensors)")
	steps := fs.Int("steps", 0, "optimizer steps (0: the table rule that flowbench train --help states)")
	simSeed := fs.Uint64("sim-seed", 0, "seed of the simulations")
	c := addCommon(fs)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	t, err := taskAnd(cmd, *task, "sims", *sims)
	if err != nil {
		return err
	}
	if *steps < 0 {
		return usagef("%s: --steps must be ≥ 0, got %d", cmd, *steps)
	}
	if err := checkOut(cmd, "out", *out); err != nil {
		return err
	}
	if err := c.apply(cmd); err != nil {
		return err
	}
	data, err := posterior.Data(t, *sims, *simSeed)
	if err != nil {
		return usagef("%s: --sims: %v", cmd, err)
	}
	cfg := posterior.Config(data)
	cfg.Seed = *c.seed
	if *steps > 0 {
		cfg.Steps = *steps
	}
	pb := newBar(stderr, *c.quiet, cfg.Steps, "train")
	m, err := posterior.Train(ctx, data, &cfg, gen.TrainOptions{CkptPath: *out, Command: commandLine, Progress: func(p gen.Progress) { pb.set(p.Step) }})
	pb.done()
	if err != nil {
		return err
	}
	kv := []any{"task", t.Name(), "sims", *sims, "out", *out, "steps", m.State.Step, "elapsed_s", m.State.Elapsed}
	if m.State.BestStep > 0 {
		kv = append(kv, "best_val_nll", m.State.BestVal, "best_step", m.State.BestStep)
	}
	return c.emitter(stdout).Summary(cmd, kv...)
}

// parseObs parses --obs: "all", a list "1,3,5" or a range "1-10".
func parseObs(cmd, s string) ([]int, error) {
	if s == "all" {
		return nil, nil
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(lo)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || a < 1 || b > sbi.NumObservations || a > b {
			return nil, usagef("%s: --obs: %q is not an observation number or range in 1..%d", cmd, part, sbi.NumObservations)
		}
		for j := a; j <= b; j++ {
			out = append(out, j)
		}
	}
	return out, nil
}

func sbiCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const cmd = "sbi check"
	fs := newFlags(cmd, "--model MODEL --task NAME [--obs 1-10] [--n N] [--calib PAIRS] [--figures DIR]", stdout)
	model := fs.String("model", "", "posterior model (trained with sbi train, or train --data θ --cond x on the task's simulations)")
	task := fs.String("task", "", "benchmark task")
	obsS := fs.String("obs", "all", "observations: all, a list 1,3,5 or a range 1-10")
	n := fs.Int("n", 10000, "model and reference draws per observation for C2ST")
	nNLL := fs.Int("n-nll", 2000, "reference draws scored by the model's log-density (0: none)")
	calib := fs.Int("calib", 0, "also run simulation-based calibration and expected coverage on this many fresh prior pairs (0: none)")
	draws := fs.Int("draws", 100, "posterior draws per calibration pair")
	figs := fs.String("figures", "", "directory for figures: a corner plot per observation beside the reference, SBC rank histograms, coverage curve (PNG)")
	c := addCommon(fs)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	t, err := lookupTask(cmd, *task)
	if err != nil {
		return err
	}
	obs, err := parseObs(cmd, *obsS)
	if err != nil {
		return err
	}
	if err := mustPositive(cmd, "n", *n, "draws", *draws); err != nil {
		return err
	}
	if *calib < 0 || *nNLL < 0 {
		return usagef("%s: --calib and --n-nll must be ≥ 0", cmd)
	}
	if *figs != "" {
		if st, err := os.Stat(*figs); err != nil || !st.IsDir() {
			return usagef("%s: --figures: %s is not a directory", cmd, *figs)
		}
	}
	m, err := c.loadModel(cmd, *model)
	if err != nil {
		return err
	}
	em := c.emitter(stdout)
	nn := *nNLL
	if nn == 0 {
		nn = -1
	}
	var emitErr error
	var figErr error
	reps, err := posterior.CheckTask(ctx, m, t, posterior.CheckOptions{Obs: obs, NPost: *n, NRef: *n, NNLL: nn, Seed: *c.seed, Progress: func(r posterior.ObsReport) {
		kv := []any{"task", r.Task, "obs", r.Obs, "c2st", r.C2ST, "n", r.NPost}
		if !math.IsNaN(r.NLLModel) {
			kv = append(kv, "nll_model", r.NLLModel)
		}
		if !math.IsNaN(r.KL) {
			kv = append(kv, "nll_true", r.NLLTrue, "kl", r.KL)
		}
		if err := em.Emit(kv...); err != nil && emitErr == nil {
			emitErr = err
		}
		if *figs != "" && figErr == nil {
			f, err := diag.Corner(r.Model, r.Reference, t.ParamDim(), diag.CornerOptions{})
			if err == nil {
				err = writeFigure(filepath.Join(*figs, fmt.Sprintf("%s_obs%d_corner.png", t.Name(), r.Obs)), f)
			}
			figErr = err
		}
	}})
	if err != nil {
		return err
	}
	if emitErr != nil {
		return emitErr
	}
	if figErr != nil {
		return figErr
	}
	sum := 0.0
	for _, r := range reps {
		sum += r.C2ST
	}
	kv := []any{"task", t.Name(), "model", *model, "observations", len(reps), "mean_c2st", sum / float64(len(reps))}
	if *calib > 0 {
		start := time.Now()
		cal, err := posterior.CalibrateTask(ctx, m, t, *calib, posterior.CalibrationOptions{L: *draws, Seed: *c.seed})
		if err != nil {
			return err
		}
		kv = append(kv, calibrationFields(cal)...)
		kv = append(kv, "calib_s", time.Since(start).Seconds())
		if *figs != "" {
			if err := calibrationFigures(*figs, t.Name(), cal); err != nil {
				return err
			}
		}
	}
	return em.Summary(cmd, kv...)
}

// calibrationFields are the summary fields of a calibration: SBC's smallest per-dimension
// p-values and the expected coverage at 50/80/95%.
func calibrationFields(cal *posterior.Calibration) []any {
	minChi, minKS := 1.0, 1.0
	for _, d := range cal.SBC.Dims {
		minChi, minKS = min(minChi, d.ChiSquareP), min(minKS, d.KSP)
	}
	kv := []any{"pairs", cal.SBC.N, "draws", cal.SBC.L, "sbc_min_p_chi2", minChi, "sbc_min_p_ks", minKS}
	cover := func(name string, r *diag.CoverageResult) {
		if r == nil {
			return
		}
		for i, lv := range r.Levels {
			kv = append(kv, fmt.Sprintf("%s_%d", name, int(math.Round(100*lv))), r.Coverage[i])
		}
	}
	cover("hpd", cal.HPD)
	cover("tarp", cal.TARP)
	return kv
}

func calibrationFigures(dir, name string, cal *posterior.Calibration) error {
	f, err := diag.RankHistograms(cal.SBC, diag.FigureOptions{})
	if err != nil {
		return err
	}
	if err := writeFigure(filepath.Join(dir, name+"_sbc.png"), f); err != nil {
		return err
	}
	res, labels := []*diag.CoverageResult{cal.TARP}, []string{"TARP"}
	if cal.HPD != nil {
		res, labels = append(res, cal.HPD), append(labels, "HPD")
	}
	if f, err = diag.CoverageCurve(res, labels, diag.FigureOptions{}); err != nil {
		return err
	}
	return writeFigure(filepath.Join(dir, name+"_coverage.png"), f)
}

func writeFigure(path string, f *diag.Figure) error {
	return atomicfile.Write(path, func(w io.Writer) error { return f.WritePNG(w) })
}

func sbiCalibrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const cmd = "sbi calibrate"
	fs := newFlags(cmd, "--model MODEL --theta FILE --x FILE [--draws L] [--figures DIR]", stdout)
	model := fs.String("model", "", "posterior model (conditional: θ as data, x as context)")
	thIn := fs.String("theta", "", "held-out parameters θ_i drawn from the prior (not used in training)")
	xIn := fs.String("x", "", "their simulations x_i, row i from row i of --theta")
	draws := fs.Int("draws", 100, "posterior draws per pair")
	noHPD := fs.Bool("no-hpd", false, "skip the highest-density coverage (L+1 log-densities per pair)")
	figs := fs.String("figures", "", "directory for the SBC rank histograms and the coverage curve (PNG)")
	c := addCommon(fs)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if err := mustPositive(cmd, "draws", *draws); err != nil {
		return err
	}
	if *thIn == "" || *xIn == "" {
		return usagef("%s: --theta and --x are required", cmd)
	}
	m, err := c.loadModel(cmd, *model)
	if err != nil {
		return err
	}
	th, err := readFloat64s(*thIn, m.Dim())
	if err != nil {
		return err
	}
	x, err := readFloat64s(*xIn, m.Net.Config().Context)
	if err != nil {
		return err
	}
	if len(th)/m.Dim() != len(x)/max(1, m.Net.Config().Context) {
		return fmt.Errorf("%s has %d rows but %s has %d: row i of --x is simulated from row i of --theta", *thIn, len(th)/m.Dim(), *xIn, len(x)/max(1, m.Net.Config().Context))
	}
	cal, err := posterior.Calibrate(ctx, m, th, x, posterior.CalibrationOptions{L: *draws, Seed: *c.seed, NoHPD: *noHPD})
	if err != nil {
		return err
	}
	if *figs != "" {
		if err := calibrationFigures(*figs, "calibration", cal); err != nil {
			return err
		}
	}
	return c.emitter(stdout).Summary(cmd, append([]any{"model", *model, "theta", *thIn, "x", *xIn}, calibrationFields(cal)...)...)
}

// readFloat64s reads a data file of d columns as float64 values.
func readFloat64s(path string, d int) ([]float64, error) {
	if d < 1 {
		return nil, fmt.Errorf("%s: the model takes no context", path)
	}
	tab, err := dataset.ReadTable(path)
	if err != nil {
		return nil, err
	}
	if tab.D != d {
		return nil, fmt.Errorf("%s: %d columns, want %d", path, tab.D, d)
	}
	out := make([]float64, len(tab.Data))
	for i, v := range tab.Data {
		out[i] = float64(v)
	}
	return out, nil
}

func sbiImportance(ctx context.Context, args []string, stdout, _ io.Writer) error {
	const cmd = "sbi importance"
	fs := newFlags(cmd, "--model MODEL --task NAME --obs J [--n N] [--out FILE]", stdout)
	model := fs.String("model", "", "posterior model")
	task := fs.String("task", "", "benchmark task (its likelihood and prior give the weights)")
	obs := fs.Int("obs", 1, "observation number, 1..10")
	n := fs.Int("n", 10000, "proposal draws")
	out := fs.String("out", "", "also write importance-resampled draws (SIR, .csv, .tsv, .npy)")
	c := addCommon(fs)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	t, err := taskAnd(cmd, *task, "n", *n)
	if err != nil {
		return err
	}
	var pf *pointFile
	if *out != "" {
		if pf, err = pointOutput(cmd, *out); err != nil {
			return err
		}
	}
	_, xo, err := t.Observation(*obs)
	if err != nil {
		return usagef("%s: --obs: %v", cmd, err)
	}
	m, err := c.loadModel(cmd, *model)
	if err != nil {
		return err
	}
	r, err := posterior.Importance(ctx, m, t, xo, *n, *c.seed, posterior.Options{})
	if err != nil {
		return err
	}
	report := func() error {
		return c.emitter(stdout).Summary(cmd, "task", t.Name(), "obs", *obs, "n", *n, "ess", r.ESS, "ess_frac", r.ESS/float64(*n), "log_evidence", r.LogEvidence, "log_evidence_se", r.LogEvidenceSE)
	}
	if pf == nil {
		return report()
	}
	sir, err := r.Resample(*n, *c.seed)
	if err != nil {
		return err
	}
	return pf.save(ctx, f32(sir), *n, t.ParamDim(), report)
}
