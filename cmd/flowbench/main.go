// Command flowbench trains, samples and evaluates normalizing flows built from stochastic
// interpolants (Albergo & Vanden-Eijnden, ICLR 2023), and benchmarks the engine.
//
// Usage: flowbench <subcommand> [flags]; flowbench <subcommand> --help for each.
// Conventions: --json prints one JSON object per line, the last one the summary; errors go
// to stderr as one line naming the input at fault; exit 0 on success, 1 on failure, 2 on a
// usage error, 130 after SIGINT, 143 after SIGTERM, 129 after SIGHUP and 141 when stdout
// was closed (SIGPIPE).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/interflow/flowbench/internal/quote"
	"github.com/interflow/flowbench/kernels"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	// signalOK: SIGINT or SIGTERM is the command's normal end (serve drains and returns
	// nil), so it exits 0 rather than 128+signal.
	signalOK bool
}

// commands are the subcommands by name, each registered by the init of its file.
var commands = map[string]*command{}

// register adds a subcommand.
func register(c *command) { commands[c.name] = c }

// usageError marks an error in the command line (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// signalError reports that a signal ended the work (exit 128+signal).
type signalError struct{ sig syscall.Signal }

func (e *signalError) Error() string { return fmt.Sprintf("interrupted by %v", e.sig) }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func topUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: flowbench <subcommand> [flags]")
	fmt.Fprintln(w, "subcommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "run 'flowbench <subcommand> --help' for its flags")
}

// commandLine is the command line being run, recorded in checkpoints' provenance.
var commandLine []string

// run executes one command line and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		topUsage(stderr)
		return 2
	}
	if args[0] == "help" && len(args) > 1 {
		args = []string{args[1], "--help"} // flowbench help CMD = flowbench CMD --help
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		topUsage(stdout)
		return 0
	}
	if args[0] == "--version" || args[0] == "-version" {
		args[0] = "version"
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "flowbench: unknown subcommand %q\n", args[0])
		topUsage(stderr)
		return 2
	}
	if err := kernels.EnvError(); err != nil {
		fmt.Fprintf(stderr, "flowbench: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	// SIGHUP (a closed terminal) ends the work like SIGTERM, and so does SIGPIPE (a closed
	// stdout, as in `train --json | head -1`): training saves its checkpoint first.
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			cancel(&signalError{s.(syscall.Signal)})
		}
	}()
	commandLine = append([]string{"flowbench"}, args...)
	err := c.run(ctx, args[1:], stdout, stderr)
	if err == nil && c.signalOK {
		return 0
	}
	return exitCode(ctx, err, stderr)
}

// exitCode returns the exit code of a subcommand's outcome and prints its error, if any:
// 0 for success or --help, 2 for a usage error, 128+signal after a signal, 1 otherwise.
func exitCode(ctx context.Context, err error, stderr io.Writer) int {
	se, signaled := context.Cause(ctx).(*signalError)
	if err == nil {
		if signaled {
			return 128 + int(se.sig)
		}
		return 0
	}
	if errors.Is(err, errHelp) {
		return 0
	}
	code := 1
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		code = 2
	case signaled:
		code = 128 + int(se.sig)
	case errors.Is(err, syscall.EPIPE): // stdout closed; SIGPIPE may not have arrived yet
		code = 128 + int(syscall.SIGPIPE)
	}
	// One line, whatever the names in it hold (quote.Line).
	fmt.Fprintf(stderr, "flowbench: %s\n", quote.Line(err.Error()))
	return code
}
