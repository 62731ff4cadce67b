package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/interflow/flowbench/kernels"
)

// benchOpts are the flags shared by every benchmark group.
type benchOpts struct {
	threads []int    // thread counts to run at
	impls   []string // kernel tiers to run with
	only    map[string]bool
	out     *emitter
}

// want reports whether a benchmark of that name was selected by --only.
func (o *benchOpts) want(name string) bool { return len(o.only) == 0 || o.only[name] }

// benchGroup is one group of `flowbench bench`.
type benchGroup struct {
	summary string
	run     func(ctx context.Context, o *benchOpts) error
	// flags, when set, adds the group's own flags (accepted when the group is named before
	// the flags).
	flags func(fs *flag.FlagSet)
}

var benchGroups = map[string]*benchGroup{}

func init() {
	register(&command{name: "bench", summary: "run benchmark groups", run: runBench})
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	names := make([]string, 0, len(benchGroups))
	for n := range benchGroups {
		names = append(names, n)
	}
	sort.Strings(names)
	fs := newFlags("bench", "<group> [--threads N[,N]] [--impl TIER|all] [--only NAME,...] [--json]\ngroups: "+strings.Join(names, ", "), stdout)
	thr := fs.String("threads", "1", "comma-separated thread counts")
	impl := fs.String("impl", "", "kernel tier (go, avx2, avx512, neon) or all; default the dispatched tier")
	only := fs.String("only", "", "comma-separated benchmark names to run")
	js := fs.Bool("json", false, "print JSON lines")
	// Accept the group before or after the flags.
	var group string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		group, args = args[0], args[1:]
		if g, ok := benchGroups[group]; ok && g.flags != nil {
			g.flags(fs)
		}
	}
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if group == "" && len(rest) > 0 {
		group, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		return usagef("bench: unexpected argument %q", rest[0])
	}
	g, ok := benchGroups[group]
	if !ok {
		return usagef("bench: unknown group %q (want one of %s)", group, strings.Join(names, ", "))
	}
	o := &benchOpts{out: &emitter{w: stdout, json: *js}}
	for _, s := range strings.Split(*thr, ",") {
		var n int
		if _, err := fmt.Sscan(s, &n); err != nil || n < 1 {
			return usagef("bench: --threads: %q is not a positive integer", s)
		}
		o.threads = append(o.threads, n)
	}
	switch *impl {
	case "":
		o.impls = []string{kernels.Impl()}
	case "all":
		o.impls = kernels.Tiers()
	default:
		for _, s := range strings.Split(*impl, ",") {
			found := false
			for _, t := range kernels.Tiers() {
				found = found || t == s
			}
			if !found {
				return usagef("bench: --impl: tier %q not available here (have %s)", s, strings.Join(kernels.Tiers(), ", "))
			}
			o.impls = append(o.impls, s)
		}
	}
	if *only != "" {
		o.only = map[string]bool{}
		for _, s := range strings.Split(*only, ",") {
			o.only[s] = true
		}
	}
	prev := kernels.Impl()
	defer kernels.SetImpl(prev)
	return g.run(ctx, o)
}
