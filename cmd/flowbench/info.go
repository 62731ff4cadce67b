package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/internal/quote"
	"github.com/interflow/flowbench/nn"
)

func init() {
	register(&command{name: "info", summary: "configuration, training state and tensors of a model checkpoint", run: runInfo})
}

func runInfo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const cmd = "info"
	fs := newFlags(cmd, "--model MODEL [--json]  (or: info MODEL [--json])", stdout)
	model := fs.String("model", "", "model checkpoint (like every other command's --model; a single positional MODEL, before or after the flags, is the same)")
	js := fs.Bool("json", false, "print JSON: one object with the configuration, data, training state, provenance, the whole training history and the tensors")
	// The positional form (info MODEL) is kept as an alias of --model, before or after the flags.
	var path string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		path, args = args[0], args[1:]
	}
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if path == "" && len(rest) > 0 {
		path, rest = rest[0], rest[1:]
	}
	switch {
	case *model != "" && path != "":
		return usagef("%s: the model is given twice (--model %q and %q): give it once", cmd, *model, path)
	case *model != "":
		path = *model
	case path == "":
		return usagef("%s: --model is required", cmd)
	}
	if err := noArgs(cmd, rest); err != nil {
		return err
	}
	ck, err := nn.LoadCheckpoint(path)
	if err != nil {
		return err
	}
	m, err := gen.ModelFromCheckpoint(ck)
	if err != nil {
		return fmt.Errorf("%s: %w", quote.Name(path), err)
	}
	cfg := ck.Net.Config()
	var tensors []string
	for i := range cfg.NumLayers() {
		in, out := cfg.LayerShape(i)
		tensors = append(tensors, fmt.Sprintf("net.%d.weight [%d %d]", 2*i, out, in), fmt.Sprintf("net.%d.bias [%d]", 2*i, out))
	}
	if ck.EMA != nil {
		tensors = append(tensors, "ema.net.* (EMA weights)")
	}
	if ck.Optim != nil {
		tensors = append(tensors, "optim.m.net.*, optim.v.net.* (Adam moments)")
	}
	var extra []string
	for name, t := range ck.Tensors {
		extra = append(extra, fmt.Sprintf("%s %v", name, t.Shape))
	}
	sort.Strings(extra)
	tensors = append(tensors, extra...)
	kv := []any{"model", path, "net", cfg, "params", cfg.NumParams(), "interp", m.Interp.Name()}
	if m.Base != nil {
		kv = append(kv, "base", "learned")
	} else {
		kv = append(kv, "base", "normal")
	}
	if m.Config.Steps > 0 {
		kv = append(kv, "train", m.Config)
	}
	kv = append(kv, "data", m.Data, "state", m.State, "resumable", m.Resumable(), "history_len", len(m.History))
	if n := len(m.History); n > 0 {
		kv = append(kv, "last_log", m.History[n-1])
	}
	if m.Provenance != nil {
		kv = append(kv, "provenance", m.Provenance)
	}
	kv = append(kv, "tensors", tensors)
	if *js {
		// The whole stored history (every logged step), which the text form summarizes by
		// history_len and last_log.
		kv = append(kv, "history", m.History)
		e := &emitter{W: stdout, JSON: true}
		return e.Emit(kv...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		switch v.(type) {
		case string:
			if quote.Line(v.(string)) != v {
				v = quote.Name(v.(string))
			}
		case int, bool:
		default:
			if b, err := json.Marshal(v); err == nil {
				v = string(b)
			}
		}
		if _, err := fmt.Fprintf(stdout, "%-12s %v\n", kv[i], v); err != nil {
			return err
		}
	}
	return nil
}
