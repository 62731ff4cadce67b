package main

// The flag sets of the subcommands, the flags several subcommands share, and their
// validation. The bounds of the size flags are in limits.go.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/internal/atomicfile"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/solver"
)

// errHelp is returned after --help printed the usage (exit 0).
var errHelp = errors.New("help requested")

// helpers are the --help printers of the flag sets made by newFlags.
var helpers = map[*flag.FlagSet]func(){}

// newFlags returns the flag set of a subcommand. It prints nothing itself: parseFlags turns
// its errors into usage errors and prints, for --help, "usage: flowbench NAME SYNOPSIS"
// and the flags on stdout.
func newFlags(name, synopsis string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // printed by parseFlags for --help only
	if newFlagsHook != nil {
		newFlagsHook(fs)
	}
	helpers[fs] = func() {
		fmt.Fprintf(stdout, "usage: flowbench %s %s\n", name, synopsis)
		printFlags(stdout, fs)
		if n := helpNotes[fs]; n != "" {
			fmt.Fprintf(stdout, "\n%s", n)
		}
	}
	return fs
}

// helpNotes are paragraphs printed after a flag set's flags by --help (addHelpNotes).
var helpNotes = map[*flag.FlagSet]string{}

// addHelpNotes adds text after the flags in fs's --help.
func addHelpNotes(fs *flag.FlagSet, text string) { helpNotes[fs] = text }

// parseFlags parses args, mapping --help to errHelp (after printing usage) and other
// problems to usage errors. Positional arguments are returned.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			if h := helpers[fs]; h != nil {
				h()
			}
			return nil, errHelp
		}
		return nil, usagef("%s: %v", fs.Name(), err)
	}
	return fs.Args(), nil
}

// parseArgs is parseFlags for a subcommand that takes no positional arguments.
func parseArgs(fs *flag.FlagSet, args []string) error {
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	return noArgs(fs.Name(), rest)
}

// noArgs rejects positional arguments.
func noArgs(cmd string, rest []string) error {
	if len(rest) > 0 {
		return usagef("%s: unexpected argument %q", cmd, rest[0])
	}
	return nil
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	return set
}

// genCommon are the flags every model subcommand takes.
type genCommon struct {
	threads *int
	seed    *uint64
	json    *bool
	quiet   *bool
}

func addCommon(fs *flag.FlagSet) *genCommon {
	return &genCommon{
		threads: fs.Int("threads", 0, "worker threads (0 = all cores); results do not depend on it"),
		seed:    fs.Uint64("seed", 1, "random seed"),
		json:    fs.Bool("json", false, "print JSON lines"),
		quiet:   fs.Bool("quiet", false, "no progress bar"),
	}
}

// apply checks the common flags and sets the thread count.
func (c *genCommon) apply(cmd string) error {
	if *c.threads < 0 {
		return usagef("%s: --threads must be ≥ 0, got %d", cmd, *c.threads)
	}
	kernels.SetThreads(*c.threads)
	return nil
}

// loadModel applies the common flags, then loads the model checkpoint at path (the --model
// flag), reporting a missing flag as a usage error.
func (c *genCommon) loadModel(cmd, path string) (*gen.Model, error) {
	if err := c.apply(cmd); err != nil {
		return nil, err
	}
	if path == "" {
		return nil, usagef("%s: --model is required", cmd)
	}
	return gen.LoadModel(path)
}

// outAndModel checks the point file --out, then loads --model (loadModel): the last checks
// of sample and encode before their work.
func (c *genCommon) outAndModel(cmd, out, model string, inputs ...string) (*pointFile, *gen.Model, error) {
	pf, err := pointOutput(cmd, out)
	if err != nil {
		return nil, nil, err
	}
	if err := checkOut(cmd, "out", out); err != nil {
		return nil, nil, err
	}
	if err := checkNotInput(cmd, out, append([]string{"--model", model}, inputs...)...); err != nil {
		return nil, nil, err
	}
	m, err := c.loadModel(cmd, model)
	if err != nil {
		return nil, nil, err
	}
	return pf, m, nil
}

// emitter returns the printer of results on stdout that --json selects.
func (c *genCommon) emitter(stdout io.Writer) *emitter {
	return &emitter{W: stdout, JSON: *c.json}
}

// solverFlags are the ODE flags of sample, encode, nll and eval.
type solverFlags struct {
	method     *string
	steps      *int
	rtol, atol *float64
}

// addSolverFlags adds the ODE solver flags with the default method and tolerance: 1e-5 for
// samples and encodings, solver.DensityRTol (1e-7) where log-densities are the result, so
// that they are within 1e-4 nats at the defaults (measured in solver's TestLogDensityAccuracy).
// sde says that the command also has --sde, whose scheme --steps sets too (sample only).
func addSolverFlags(fs *flag.FlagSet, defMethod string, defTol float64, sde bool) *solverFlags {
	steps := "steps of a fixed-step solver (euler, midpoint, heun, rk4; dopri5 and bosh3 choose their own)"
	if sde {
		steps += "; with --sde, steps of the SDE scheme (500 when not given)"
	}
	return &solverFlags{
		method: fs.String("solver", defMethod, "ODE solver: euler, midpoint, heun, rk4 (fixed steps), dopri5, bosh3 (adaptive)"),
		steps:  fs.Int("steps", 100, steps),
		rtol:   fs.Float64("rtol", defTol, "relative tolerance of an adaptive solver (dopri5, bosh3)"),
		atol:   fs.Float64("atol", defTol, "absolute tolerance of an adaptive solver (dopri5, bosh3)"),
	}
}

// densityTol applies the log-density tolerance (solver.DensityRTol) to o when the user gave
// no --rtol/--atol (set holds the flags given): for sample and encode --with-logp.
func densityTol(o *solver.Options, set map[string]bool) {
	if !set["rtol"] {
		o.RTol = solver.DensityRTol
	}
	if !set["atol"] {
		o.ATol = solver.DensityATol
	}
}

// options checks the solver flags and returns the solver options they select.
func (f *solverFlags) options(cmd string) (solver.Options, error) {
	m, err := solver.ParseMethod(*f.method)
	if err != nil {
		return solver.Options{}, usagef("%s: --solver: %v", cmd, err)
	}
	if err := mustPositive(cmd, "steps", *f.steps); err != nil {
		return solver.Options{}, err
	}
	if err := mustPositiveFloat(cmd, "rtol", *f.rtol, "atol", *f.atol); err != nil {
		return solver.Options{}, err
	}
	o := solver.Options{Method: m, Steps: *f.steps, RTol: *f.rtol, ATol: *f.atol}
	if err := o.Validate(); err != nil {
		return o, usagef("%s: %v", cmd, err)
	}
	return o, nil
}

// checkOut validates an output path (flag --flagName) before any work is done.
func checkOut(cmd, flagName, path string) error {
	if path == "" {
		return usagef("%s: --%s is required", cmd, flagName)
	}
	if err := atomicfile.CheckPath(path); err != nil {
		return usagef("%s: --%s: %v", cmd, flagName, err)
	}
	return nil
}

// checkNotInput refuses an output path (flag --out) that is the same file as one of the
// command's inputs; checkOutNotInput with the flag out.
func checkNotInput(cmd, out string, inputs ...string) error {
	return checkOutNotInput(cmd, "out", out, inputs...)
}

// checkOutNotInput refuses the output path of flag --flagName that is the same file as one
// of the command's inputs, given as label, path pairs (a label is a flag, "--data", or a
// phrase such as "the model's training file"); identity is the file's (links and other
// spellings of a path included), not its name.
func checkOutNotInput(cmd, flagName, out string, inputs ...string) error {
	for i := 0; i+1 < len(inputs); i += 2 {
		if in := inputs[i+1]; in != "" && atomicfile.SameFile(out, in) {
			return usagef("%s: --%s %q is the same file as %s %q: refusing to replace an input", cmd, flagName, out, inputs[i], in)
		}
	}
	return nil
}

// checkDataArg reports a --data that is neither a generated data set nor an existing file
// as a usage error.
func checkDataArg(cmd, data string) error {
	if _, err := dataset.NewToy(data); err == nil || data == dataset.Stdin {
		return nil
	}
	if _, err := os.Stat(data); err != nil {
		return usagef("%s: --data %q: not a generated data set (%s) nor an existing file", cmd, data, joinNames(dataset.ToyNames()))
	}
	return nil
}

// joinNames lists names for an error message.
func joinNames(names []string) string { return strings.Join(names, ", ") }

// parseChoice checks that v is one of the allowed names.
func parseChoice(cmd, flagName, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return usagef("%s: --%s: unknown value %q (want one of %s)", cmd, flagName, v, joinNames(allowed))
}

// printFlags prints fs's flags as the README and the errors name them, "--name type", with
// the usage and the default on the next line (flag.PrintDefaults' layout with two dashes).
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		typ, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if typ != "" {
			line += " " + typ
		}
		line += "\n    \t" + strings.ReplaceAll(usage, "\n", "\n    \t")
		if d := f.DefValue; d != "" && d != "0" && d != "false" {
			if typ == "string" {
				d = strconv.Quote(d)
			}
			line += " (default " + d + ")"
		}
		fmt.Fprintln(w, line)
	})
}
