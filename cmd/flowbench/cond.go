package main

import (
	"flag"
	"math"
	"strings"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
)

// The context flags of conditional models: --cond and --cond-labels, --guidance-drop for
// train; --cond, --given and --guidance for sample, nll and encode.

// condTrainFlags are train's context flags.
type condTrainFlags struct {
	cond   *string
	labels *bool
	drop   *float64
}

func addCondTrainFlags(fs *flag.FlagSet) *condTrainFlags {
	return &condTrainFlags{
		cond:   fs.String("cond", "", "context file of a conditional model: row i is the context of row i of --data (same formats), split with it"),
		labels: fs.Bool("cond-labels", false, "--cond holds one integer class label (0, 1, …) per row"),
		drop:   fs.Float64("guidance-drop", 0, "with --cond-labels: train with the label dropped (null label) with this probability, for classifier-free guidance"),
	}
}

// apply checks the flags and sets the data options and configuration they select.
func (f *condTrainFlags) apply(cmd string, dopt *gen.DataOptions, cfg *gen.TrainConfig) error {
	if *f.cond == "" {
		if *f.labels || *f.drop != 0 {
			return usagef("%s: --cond-labels and --guidance-drop need --cond FILE", cmd)
		}
		return nil
	}
	if err := checkDataArg(cmd, *f.cond); err != nil {
		return err
	}
	if !(*f.drop >= 0 && *f.drop < 1) {
		return usagef("%s: --guidance-drop must be in [0, 1), got %v", cmd, *f.drop)
	}
	if *f.drop > 0 && !*f.labels {
		return usagef("%s: --guidance-drop needs --cond-labels (guidance drops class labels)", cmd)
	}
	dopt.CondPath, dopt.CondLabels = *f.cond, *f.labels
	cfg.GuidanceDrop = *f.drop
	return nil
}

// condFlags are the context flags of sample, nll and encode.
type condFlags struct {
	cond, given *string
	guidance    *float64
}

func addCondFlags(fs *flag.FlagSet, what string) *condFlags {
	return &condFlags{
		cond:     fs.String("cond", "", "context file of a conditional model: one context per "+strings.TrimSpace(what+" row")+" (for a label model, one integer label per row)"),
		given:    fs.String("given", "", "one context shared by every row: comma-separated values in data units (a label model: the label, -1 for the null label)"),
		guidance: fs.Float64("guidance", 0, "classifier-free guidance weight w of a label model: (1+w)·v(label) − w·v(null)"),
	}
}

// check validates the flags against the model m.
func (f *condFlags) check(cmd string, m *gen.Model) error {
	nc := m.Net.Config()
	switch {
	case *f.cond != "" && *f.given != "":
		return usagef("%s: --cond and --given exclude each other", cmd)
	case !(*f.guidance >= 0) || math.IsInf(*f.guidance, 0):
		return usagef("%s: --guidance must be a finite value ≥ 0, got %v", cmd, *f.guidance)
	case !nc.Conditional() && (*f.cond != "" || *f.given != "" || *f.guidance != 0):
		return usagef("%s: the model is unconditional: --cond, --given and --guidance apply to conditional models", cmd)
	case *f.guidance != 0 && nc.Classes == 0:
		return usagef("%s: --guidance needs a model trained with class labels (--cond-labels)", cmd)
	}
	if *f.cond != "" {
		return checkDataArg(cmd, *f.cond)
	}
	return nil
}

// shared returns the --given context (nil when not given), with the guidance weight.
func (f *condFlags) shared(cmd string, m *gen.Model) (*gen.Condition, error) {
	if *f.given == "" {
		return nil, nil
	}
	c, err := m.ParseGiven(*f.given)
	if err != nil {
		return nil, usagef("%s: --given: %v", cmd, err)
	}
	c.Guidance = *f.guidance
	return c, nil
}

// fromFile returns the contexts of the --cond file (nil when not given) and their number.
func (f *condFlags) fromFile(m *gen.Model) (*gen.Condition, int, error) {
	if *f.cond == "" {
		return nil, 0, nil
	}
	t, err := dataset.ReadTable(*f.cond)
	if err != nil {
		return nil, 0, err
	}
	c, err := m.ConditionOf(t)
	if err != nil {
		return nil, 0, err
	}
	c.Guidance = *f.guidance
	return c, t.N, nil
}

// need reports the one-line error for a conditional model left without a context.
func need(cmd string, m *gen.Model, c *gen.Condition) error {
	if m.Net.Config().Conditional() && c == nil {
		return usagef("%s: the model is conditional: give its context with --cond FILE (one per row) or --given VALUES (shared)", cmd)
	}
	return nil
}

// evalData loads the rows to score or encode with their contexts: those of --cond (split
// like the data), the shared --given context, or the model's own context file when the
// data is its training file.
func (f *condFlags) evalData(cmd string, m *gen.Model, data string, opt gen.EvalOptions) (*gen.EvalData, *gen.Condition, error) {
	if err := f.check(cmd, m); err != nil {
		return nil, nil, err
	}
	given, err := f.shared(cmd, m)
	if err != nil {
		return nil, nil, err
	}
	if given == nil {
		opt.CondPath = *f.cond
	}
	ed, err := gen.LoadEvalDataWith(m, data, opt)
	if err != nil {
		return nil, nil, err
	}
	cond := given
	if cond == nil && ed.Cond != nil {
		cond = ed.Cond
		cond.Guidance = *f.guidance
	}
	if err := need(cmd, m, cond); err != nil {
		return nil, nil, err
	}
	return ed, cond, nil
}
