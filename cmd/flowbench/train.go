package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/kernels"
)

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

// mustPositive reports a usage error unless every named integer flag is ≥ 1.
func mustPositive(cmd string, kv ...any) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if v := kv[i+1].(int); v < 1 {
			return usagef("%s: --%s must be a positive integer, got %d", cmd, kv[i], v)
		}
	}
	return nil
}

// mustPositiveFloat reports a usage error unless every named float flag is finite and > 0.
func mustPositiveFloat(cmd string, kv ...any) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if v := kv[i+1].(float64); !(v > 0) || math.IsInf(v, 0) {
			return usagef("%s: --%s must be a positive number, got %v", cmd, kv[i], v)
		}
	}
	return nil
}

// checkOut validates an --out path before any work is done.
func checkOut(cmd, flagName, path string) error {
	if path == "" {
		return usagef("%s: --%s is required", cmd, flagName)
	}
	if err := gen.CheckOutputPath(path); err != nil {
		return usagef("%s: --%s: %v", cmd, flagName, err)
	}
	return nil
}

// noArgs rejects positional arguments.
func noArgs(cmd string, rest []string) error {
	if len(rest) > 0 {
		return usagef("%s: unexpected argument %q", cmd, rest[0])
	}
	return nil
}

// bar is a progress bar drawn only when stderr is a terminal; a nil *bar is valid and does
// nothing.
type bar struct{ pb *progressbar.ProgressBar }

// newBar returns a progress bar of max units on stderr when stderr is a terminal and quiet
// is false; otherwise nil.
func newBar(stderr io.Writer, quiet bool, max int, desc string) *bar {
	f, ok := stderr.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &bar{progressbar.NewOptions(max,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30),
	)}
}

func (b *bar) set(n int) {
	if b != nil {
		b.pb.Set(n)
	}
}

func (b *bar) describe(s string) {
	if b != nil {
		b.pb.Describe(s)
	}
}

func (b *bar) done() {
	if b != nil {
		b.pb.Finish()
		b.pb.Clear()
	}
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

var _ = fmt.Sprintf
