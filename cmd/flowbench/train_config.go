package main

// train --config FILE: a run's settings from a JSON or YAML file, under the keys of
// gen.TrainConfig's JSON form (what a checkpoint records, `info --json`'s "train") and the
// names of train's other flags. Flags given on the command line override the file.

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/internal/quote"
	"go.yaml.in/yaml/v3"
)

// maxConfigFile bounds the size of a --config file (it is read whole).
const maxConfigFile = 1 << 20

// configEntry is one setting of a --config file: its key (nested keys of "net" as
// "net.KEY"), the line it is on and its value as written (a list for net.hidden).
type configEntry struct {
	key    string
	line   int
	value  string
	values []string // a sequence's items (net.hidden)
	seq    bool
}

// runConfig is what a --config file holds beyond the flags it sets: a network whose hidden
// layers differ in width (no pair of --width, --depth says it), the schedule's horizon
// (no flag) and the data dimension the file records (checked against the data).
type runConfig struct {
	path          string
	hidden        []int // nil: the flags' --width and --depth
	scheduleSteps int
	dim           int // 0: not recorded
	dimLine       int
	// set are the flags the file set, each with its key's line, so that a later error about
	// one of them can say where its value came from (locate).
	set map[string]configEntry
}

// configKeyFlag maps a TrainConfig JSON key whose flag has another name to that flag. The
// other keys are flag names with '_' for '-' (min_lr is --min-lr).
var configKeyFlag = map[string]string{
	"net.act":     "act",
	"net.time":    "time",
	"net.fourier": "time-freqs",
	"net.width":   "width",
	"net.depth":   "depth",
}

// derivedNetKeys are keys of a recorded network configuration set from the data, not by the
// user: accepted so that a checkpoint's configuration can be given back (net.dim is checked
// against the data; the context widths come from --cond).
var derivedNetKeys = map[string]bool{"net.dim": true, "net.context": true, "net.xdim": true, "net.classes": true}

// refusedConfigKeys are flags a --config file cannot set.
var refusedConfigKeys = map[string]string{
	"config": "a config file cannot name another",
	"resume": "--resume takes the configuration from the checkpoint",
	"help":   "not a setting",
}

// readRunConfig reads the --config file at path and sets, on fs, every flag it names that
// the command line did not (cmdline holds those given there). Errors name the file, the
// line and the key.
func readRunConfig(cmd string, fs *flag.FlagSet, path string, cmdline map[string]bool) (*runConfig, error) {
	entries, err := parseConfigFile(path)
	if err != nil {
		return nil, err
	}
	rc := &runConfig{path: path, set: map[string]configEntry{}}
	at := func(e configEntry) string { return fmt.Sprintf("%s:%d: %s", quote.Name(path), e.line, e.key) }
	var hidden *configEntry
	for i := range entries {
		e := entries[i]
		switch {
		case e.key == "net.hidden":
			hidden = &entries[i]
			continue
		case e.key == "net.dim":
			d, err := strconv.Atoi(e.value)
			if err != nil || d < 0 {
				return nil, fmt.Errorf("%s: want a dimension, got %q", at(e), e.value)
			}
			rc.dim, rc.dimLine = d, e.line
			continue
		case derivedNetKeys[e.key]:
			continue
		case e.key == "schedule_steps":
			n, err := strconv.Atoi(e.value)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%s: want a number of steps ≥ 0, got %q", at(e), e.value)
			}
			rc.scheduleSteps = n
			continue
		}
		name, ok := configKeyFlag[e.key]
		if !ok {
			name = strings.ReplaceAll(e.key, "_", "-")
		}
		if why, bad := refusedConfigKeys[name]; bad {
			return nil, fmt.Errorf("%s: not allowed in a config file (%s)", at(e), why)
		}
		if (strings.HasPrefix(e.key, "net.") && !ok) || fs.Lookup(name) == nil {
			return nil, fmt.Errorf("%s: unknown key (want a key of the checkpoint's \"train\" configuration or a train flag's name)", at(e))
		}
		if e.seq {
			return nil, fmt.Errorf("%s: want a single value, not a list", at(e))
		}
		if cmdline[name] {
			continue // the command line overrides the file
		}
		if err := fs.Set(name, e.value); err != nil {
			return nil, fmt.Errorf("%s: invalid value %q: %v", at(e), e.value, unwrapNum(err))
		}
		rc.set[name] = e
	}
	if hidden != nil {
		if !hidden.seq {
			return nil, fmt.Errorf("%s: want a list of widths", at(*hidden))
		}
		ws := make([]int, len(hidden.values))
		for i, v := range hidden.values {
			w, err := strconv.Atoi(v)
			if err != nil || w < 1 {
				return nil, fmt.Errorf("%s: item %d: want a positive width, got %q", at(*hidden), i+1, v)
			}
			ws[i] = w
		}
		if err := rc.setHidden(fs, ws, cmdline, at(*hidden)); err != nil {
			return nil, err
		}
	}
	return rc, nil
}

// setHidden applies the file's hidden widths: as --width and --depth when they are all one
// width (the command line's --width or --depth still override their part), else kept in
// rc.hidden (then --width or --depth on the command line replace the whole list).
func (rc *runConfig) setHidden(fs *flag.FlagSet, ws []int, cmdline map[string]bool, at string) error {
	same := len(ws) > 0
	for _, w := range ws {
		same = same && w == ws[0]
	}
	if !same {
		if !cmdline["width"] && !cmdline["depth"] {
			rc.hidden = ws
		}
		return nil
	}
	for name, v := range map[string]int{"width": ws[0], "depth": len(ws)} {
		if e, ok := rc.set[name]; ok && e.value != strconv.Itoa(v) {
			return fmt.Errorf("%s: %v disagrees with net.%s %s in the same file", at, ws, name, e.value)
		}
		if !cmdline[name] {
			if err := fs.Set(name, strconv.Itoa(v)); err != nil {
				return err
			}
		}
	}
	return nil
}

// locate adds to a usage error about a flag the file set where in the file its value is:
// "train: --act: unknown activation "swish" … (run.yaml:4: net.act)".
func (rc *runConfig) locate(err error) error {
	var ue *usageError
	if rc == nil || !errors.As(err, &ue) {
		return err
	}
	for name, e := range rc.set {
		if strings.Contains(ue.msg, "--"+name+" ") || strings.Contains(ue.msg, "--"+name+":") {
			return usagef("%s (set by %s:%d: %s)", ue.msg, quote.Name(rc.path), e.line, e.key)
		}
	}
	return err
}

// unwrapNum returns the reason of a flag value's parse error without strconv's repetition
// of the input ("parse error" instead of `strconv.ParseInt: parsing "x": invalid syntax`).
func unwrapNum(err error) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return ne.Err
	}
	return err
}

// apply sets what the file holds beyond flags on the configuration made from them.
func (rc *runConfig) apply(cfg *gen.TrainConfig) {
	if rc == nil {
		return
	}
	if rc.hidden != nil {
		cfg.Net.Hidden = append([]int(nil), rc.hidden...)
	}
	if rc.scheduleSteps > 0 {
		cfg.ScheduleSteps = rc.scheduleSteps
	}
}

// checkDim refuses data whose dimension is not the one the file records.
func (rc *runConfig) checkDim(cmd string, data *gen.TrainData) error {
	if rc == nil || rc.dim == 0 {
		return nil
	}
	d := 0
	switch {
	case data.Toy != nil:
		d = data.Toy.Dim()
	case data.Train != nil:
		d = data.Train.D
	}
	if rc.dim == d {
		return nil
	}
	return fmt.Errorf("%s: %s:%d: net.dim is %d but the data have %d columns", cmd, quote.Name(rc.path), rc.dimLine, rc.dim, d)
}

// parseConfigFile reads a JSON (.json) or YAML (.yaml, .yml) file of settings: a mapping
// whose values are scalars, but for "net", a mapping of scalars and of the list "hidden".
func parseConfigFile(path string) ([]configEntry, error) {
	name := quote.Name(path)
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".json" && ext != ".yaml" && ext != ".yml" {
		return nil, usagef("train: --config %s: unknown format %q (want .json, .yaml or .yml)", name, ext)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("--config %s: not a regular file", name)
	}
	if st.Size() > maxConfigFile {
		return nil, fmt.Errorf("--config %s: %d bytes, more than a config file's %d", name, st.Size(), maxConfigFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	if ext == ".json" {
		// JSON's own syntax first, so that YAML's extensions (comments, bare words) are
		// not accepted in a .json file.
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return nil, fmt.Errorf("%s:%d: malformed JSON: %v", name, 1+bytes.Count(b[:se.Offset], []byte("\n")), err)
			}
			return nil, fmt.Errorf("%s: malformed JSON: %v", name, err)
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: malformed %s: %v", name, strings.ToUpper(ext[1:]), err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty config file", name)
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: want a mapping of keys to values", name, top.Line)
	}
	var out []configEntry
	seen := map[string]int{}
	var walk func(m *yaml.Node, prefix string) error
	walk = func(m *yaml.Node, prefix string) error {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			key := prefix + k.Value
			if l, dup := seen[key]; dup {
				return fmt.Errorf("%s:%d: %s: given twice (first on line %d)", name, k.Line, key, l)
			}
			seen[key] = k.Line
			e := configEntry{key: key, line: k.Line}
			switch v.Kind {
			case yaml.ScalarNode:
				if v.Tag == "!!null" {
					return fmt.Errorf("%s:%d: %s: no value", name, k.Line, key)
				}
				e.value = v.Value
			case yaml.SequenceNode:
				e.seq = true
				for _, it := range v.Content {
					if it.Kind != yaml.ScalarNode {
						return fmt.Errorf("%s:%d: %s: want a list of values", name, it.Line, key)
					}
					e.values = append(e.values, it.Value)
				}
			case yaml.MappingNode:
				if key != "net" {
					return fmt.Errorf("%s:%d: %s: want a value, not a mapping (only net holds one)", name, k.Line, key)
				}
				if err := walk(v, "net."); err != nil {
					return err
				}
				continue
			default:
				return fmt.Errorf("%s:%d: %s: unsupported value", name, k.Line, key)
			}
			if key == "net" {
				return fmt.Errorf("%s:%d: net: want a mapping (hidden, act, time, fourier)", name, k.Line)
			}
			out = append(out, e)
		}
		return nil
	}
	if err := walk(top, ""); err != nil {
		return nil, err
	}
	return out, nil
}
