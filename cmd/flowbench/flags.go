package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
)

// errHelp is returned after --help printed the usage (exit 0).
var errHelp = errors.New("help requested")

// helpers prints each flag set's --help text.
var helpers = map[*flag.FlagSet]func(){}

// newFlags returns a flag set for a subcommand whose errors become usage errors.
func newFlags(name, synopsis string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // printed by parseFlags for --help only
	helpers[fs] = func() {
		fmt.Fprintf(stdout, "usage: flowbench %s %s\n", name, synopsis)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

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

// emitter prints results: JSON lines with --json, else aligned human text.
type emitter struct {
	w    io.Writer
	json bool
}

// emit prints one record. Fields keep the order given (pairs of key, value).
func (e *emitter) emit(kv ...any) error {
	if e.json {
		buf := []byte{'{'}
		for i := 0; i+1 < len(kv); i += 2 {
			if i > 0 {
				buf = append(buf, ',')
			}
			k, _ := json.Marshal(kv[i])
			v, err := json.Marshal(kv[i+1])
			if err != nil {
				return err
			}
			buf = append(buf, k...)
			buf = append(buf, ':')
			buf = append(buf, v...)
		}
		buf = append(buf, '}', '\n')
		_, err := e.w.Write(buf)
		return err
	}
	for i := 0; i+1 < len(kv); i += 2 {
		sep := " "
		if i == 0 {
			sep = ""
		}
		switch v := kv[i+1].(type) {
		case float64:
			fmt.Fprintf(e.w, "%s%s=%.6g", sep, kv[i], v)
		default:
			fmt.Fprintf(e.w, "%s%s=%v", sep, kv[i], v)
		}
	}
	_, err := fmt.Fprintln(e.w)
	return err
}
