package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/klauspost/cpuid/v2"

	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/nn"
)

func init() {
	register(&command{name: "bench", summary: "run benchmark groups", run: runBench})
}

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
	run func(ctx context.Context, o *benchOpts) error
	// flags, when set, adds the group's own flags (accepted when the group is named before
	// the flags).
	flags func(fs *flag.FlagSet)
	// names are the workload names --only accepts (nil: the group has none to select);
	// runBench checks --only against them and --help lists them.
	names func() []string
}

// benchGroups are the groups by name, each implemented in a bench_*.go file.
var benchGroups = map[string]*benchGroup{
	// SGEMM and elementwise kernels (GFLOP/s, fraction of FMA peak).
	"kernels": {run: benchKernels, names: kernelNames},
	// One training step: W-train-2d, W-train-64d, W-train-table-13d, W-train-table-64d.
	"train": {run: benchTrain, names: func() []string {
		var n []string
		for _, w := range trainWorkloads() {
			n = append(n, w.name)
		}
		return n
	}},
	// Inference of 100 000 points: W-forward.
	"forward": {run: benchForward, names: func() []string { return []string{"W-forward"} }},
	// Velocity + exact divergence: W-div.
	"divergence": {run: benchDivergence, names: func() []string { return []string{"W-div"} }},
	// ODE sampling of 100 000 points: W-sample-rk4, W-sample-dopri5.
	"sample": {run: benchSample, names: func() []string {
		var n []string
		for _, w := range sampleWorkloads {
			n = append(n, w.name)
		}
		return n
	}},
	// Exact log-likelihood of 10 000 points: W-nll.
	"nll": {run: benchNLL, names: func() []string { return []string{"W-nll"} }},
	// Conditional workloads (cond_ref.py bench), each against the unconditional network.
	"cond": {run: benchCond, names: func() []string { return condWorkloads }},
	// Interpolant vs maximum-likelihood training for one wall-clock budget: test NLL
	// against time.
	"objectives": {run: benchObjectives, flags: objFlags.add},
	// Path methods (couplings, max–min, reflow, distillation) for one wall-clock budget:
	// test NLL, Dopri5 NFE, few-step Euler samples, kinetic energy, straightness.
	"couplings": {run: benchCouplings, flags: coupFlags.add},
	// flowbench serve on loopback under 1, 8 and 64 clients and overload, beside the
	// library's batched throughput.
	"serve": {run: benchServe, flags: addServeBenchFlags},
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
	only := fs.String("only", "", "comma-separated workload names to run (each group's names are listed below)")
	js := fs.Bool("json", false, "print JSON lines")
	addHelpNotes(fs, onlyHelp(names))
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
	if err := noArgs("bench", rest); err != nil {
		return err
	}
	g, ok := benchGroups[group]
	if !ok {
		return usagef("bench: unknown group %q (want one of %s)", group, strings.Join(names, ", "))
	}
	pb := newBar(stderr, false, 0, "bench "+group)
	defer pb.done()
	o := &benchOpts{out: &emitter{W: &barWriter{w: stdout, b: pb}, JSON: *js}}
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
			if !slices.Contains(kernels.Tiers(), s) {
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
	if g.names != nil {
		if err := checkOnly(o, group, g.names()...); err != nil {
			return err
		}
	}
	prev := kernels.Impl()
	defer kernels.SetImpl(prev)
	return g.run(ctx, o)
}

// onlyHelp is the part of `bench --help` that lists, group by group, the names --only
// accepts.
func onlyHelp(groups []string) string {
	var b strings.Builder
	b.WriteString("Names --only accepts, by group:\n")
	for _, name := range groups {
		if g := benchGroups[name]; g.names != nil {
			fmt.Fprintf(&b, "  %s: %s\n", name, strings.Join(g.names(), ", "))
		} else {
			fmt.Fprintf(&b, "  %s: none (its own flags select what runs)\n", name)
		}
	}
	return b.String()
}

// benchNet returns the benchmark network d+1 → width×3 → d with SiLU, seed 0.
func benchNet(d, width int) *nn.MLP {
	m, err := nn.New(nn.Config{Dim: d, Hidden: []int{width, width, width}, Act: kernels.SiLU}, 0)
	if err != nil {
		panic(err) // a fixed, valid configuration
	}
	return m
}

// checkOnly returns a usage error naming any --only entry that is not one of the group's
// workloads.
func checkOnly(o *benchOpts, group string, names ...string) error {
	for n := range o.only {
		if !slices.Contains(names, n) {
			return usagef("bench %s: --only: unknown workload %q (want %s)", group, n, strings.Join(names, ", "))
		}
	}
	return nil
}

// forEachSetting runs fn at every selected tier and thread count.
func forEachSetting(o *benchOpts, fn func(impl string, threads int) error) error {
	defer kernels.SetThreads(kernels.Threads())
	for _, impl := range o.impls {
		if err := kernels.SetImpl(impl); err != nil {
			return err
		}
		for _, th := range o.threads {
			kernels.SetThreads(th)
			if err := fn(impl, th); err != nil {
				return err
			}
		}
	}
	return nil
}

// emitRun prints one benchmark line with the common fields; timeKey is "ms" or
// "ms_per_step". limit_ms is the FLOP limit gflop ÷ peak and x_limit the ratio to it.
func emitRun(o *benchOpts, workload, impl string, threads int, timeKey string, ms, gflop float64, extra ...any) error {
	kv := []any{"workload", workload, "threads", threads, "impl", impl, timeKey, ms, "gflop", gflop, "gflops", gflop / ms * 1e3}
	if peak := peakGFLOPS(threads); peak > 0 {
		limit := gflop / peak * 1e3
		kv = append(kv, "peak_gflops", peak, "limit_ms", limit, "x_limit", ms/limit)
	} else {
		kv = append(kv, "peak_gflops", 0.0)
	}
	return o.out.Emit(append(kv, extra...)...)
}

// cpuName is the processor's brand string (cpuid), named beside benchmark figures.
func cpuName() string {
	if s := strings.TrimSpace(cpuid.CPU.BrandName); s != "" {
		return s
	}
	return "unknown CPU"
}
