package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// recordedTrain returns the "train" configuration a checkpoint records (info --json).
func recordedTrain(t *testing.T, model string) map[string]any {
	t.Helper()
	var info struct {
		Train map[string]any `json:"train"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "info", "--model", model, "--json").stdout), &info); err != nil {
		t.Fatal(err)
	}
	if info.Train == nil {
		t.Fatalf("%s records no training configuration", model)
	}
	return info.Train
}

// toYAML writes a configuration map as YAML by hand (one key a line, net nested, lists in
// flow style), so that the YAML path is tested against a file the YAML library did not
// write.
func toYAML(m map[string]any) string {
	var b strings.Builder
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch v := m[k].(type) {
		case map[string]any:
			fmt.Fprintf(&b, "%s:\n", k)
			for _, line := range strings.Split(strings.TrimSpace(toYAML(v)), "\n") {
				fmt.Fprintf(&b, "  %s\n", line)
			}
		case []any:
			s := make([]string, len(v))
			for i, x := range v {
				s[i] = fmt.Sprint(x)
			}
			fmt.Fprintf(&b, "%s: [%s]\n", k, strings.Join(s, ", "))
		case float64:
			fmt.Fprintf(&b, "%s: %s\n", k, strings.TrimSuffix(fmt.Sprintf("%.17g", v), ".0"))
		default:
			fmt.Fprintf(&b, "%s: %v\n", k, v)
		}
	}
	return b.String()
}

// train --config with a checkpoint's own recorded configuration (JSON or YAML) reproduces
// the run bit for bit: on a generated data set and on a data file whose table rule chose
// the settings.
func TestTrainConfigReproduces(t *testing.T) {
	dir := t.TempDir()
	table := gaussTable(t, dir, "g.csv", 300, 7)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"toy", []string{"--data", "moons", "--steps", "12", "--lr", "0.003", "--seed", "4", "--interp", "linear", "--time-dist", "beta:2,1"}},
		{"table", []string{"--data", table, "--steps", "12", "--val-every", "4"}},
		{"uneven hidden", []string{"--data", "moons", "--steps", "6"}}, // hidden [16 8] set below
	} {
		t.Run(c.name, func(t *testing.T) {
			orig := filepath.Join(dir, c.name+".safetensors")
			var rec map[string]any
			if c.name == "uneven hidden" {
				// Layers of different widths have no flags: only a config file sets them.
				cf := writeFile(t, dir, "uneven.json", []byte(`{"net": {"hidden": [16, 8]}, "batch": 32}`))
				mustRun(t, append([]string{"train", "--config", cf, "--out", orig}, c.args...)...)
				rec = recordedTrain(t, orig)
				if h := fmt.Sprint(rec["net"].(map[string]any)["hidden"]); h != "[16 8]" {
					t.Fatalf("hidden %s, want [16 8]", h)
				}
			} else {
				mustRun(t, append(append([]string{"train", "--out", orig}, c.args...), tiny...)...)
				rec = recordedTrain(t, orig)
			}
			rec["data"] = c.args[1]
			b, _ := json.Marshal(rec)
			js := writeFile(t, dir, c.name+".json", b)
			ym := writeFile(t, dir, c.name+".yaml", []byte(toYAML(rec)))
			for _, cf := range []string{js, ym} {
				again := filepath.Join(dir, c.name+"-again"+filepath.Ext(cf)+".safetensors")
				mustRun(t, "train", "--config", cf, "--out", again, "--quiet")
				if d := sameTensors(relTensors(t, orig), relTensors(t, again)); d != "" {
					t.Errorf("%s: tensor %s differs from the original run", filepath.Base(cf), d)
				}
				if got, want := fmt.Sprint(recordedTrain(t, again)), fmt.Sprint(recordedTrain(t, orig)); got != want {
					t.Errorf("%s: recorded configuration\n%s\nwant\n%s", filepath.Base(cf), got, want)
				}
			}
		})
	}
}

// Flags given on the command line override the file; the file overrides the defaults and
// the table rule.
func TestTrainConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	table := gaussTable(t, dir, "g.csv", 300, 8)
	cf := writeFile(t, dir, "run.yaml", []byte(fmt.Sprintf("# a run\ndata: %s\nsteps: 9\nlr: 0.002\nbatch: 32\nnet:\n  width: 12\n  depth: 2\n  act: tanh\nmin-lr: 3e-4\nval_every: 0\nquiet: true\n", table)))
	m := filepath.Join(dir, "m.safetensors")
	r := mustRun(t, "train", "--config", cf, "--out", m, "--steps", "5", "--width", "10", "--json")
	if s := summaryOf(t, r.stdout); string(s["steps"]) != "5" {
		t.Errorf("summary steps %s, want the command line's 5", s["steps"])
	}
	rec := recordedTrain(t, m)
	net := rec["net"].(map[string]any)
	for k, want := range map[string]any{"steps": 5.0, "lr": 0.002, "batch": 32.0, "min_lr": 3e-4, "val_every": 0.0} {
		if rec[k] != want {
			t.Errorf("%s = %v, want %v", k, rec[k], want)
		}
	}
	if fmt.Sprint(net["hidden"]) != "[10 10]" || net["act"] != "tanh" {
		t.Errorf("net %v, want hidden [10 10] (--width over the file's 12, the file's depth 2) and act tanh", net)
	}
	// The file's lr and batch are kept although the table rule would set its own (1e-3 and
	// a batch of 64 for 240 training rows).
	if rec["schedule"] == "plateau" {
		t.Errorf("schedule %v: without validation there is no plateau", rec["schedule"])
	}
}

// Unknown keys, malformed files and bad values are refused, naming the file, the line and
// the key; nothing is written.
func TestTrainConfigErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.safetensors")
	cases := []struct {
		name, file, body string
		code             int
		frags            []string
	}{
		{"unknown key json", "a.json", "{\n  \"steps\": 3,\n  \"stepz\": 4\n}", 1, []string{"a.json:3: stepz: unknown key"}},
		{"unknown key yaml", "a.yaml", "steps: 3\n\nlearning_rate: 0.1\n", 1, []string{"a.yaml:3: learning_rate: unknown key"}},
		{"unknown net key", "a.yml", "net:\n  widht: 3\n", 1, []string{"a.yml:2: net.widht: unknown key"}},
		{"malformed json", "b.json", "{\n\"steps\": 3,,\n}", 1, []string{"b.json:2: malformed JSON"}},
		{"yaml syntax in json", "c.json", "steps: 3\n", 1, []string{"c.json:1: malformed JSON"}},
		{"malformed yaml", "d.yaml", "steps: [1, 2\n", 1, []string{"d.yaml", "malformed YAML"}},
		{"not a mapping", "e.yaml", "- steps\n", 1, []string{"e.yaml:1: want a mapping"}},
		{"bad value", "f.yaml", "data: moons\nsteps: ten\n", 1, []string{"f.yaml:2: steps: invalid value \"ten\""}},
		{"bad name value", "g.json", "{\"data\": \"moons\",\n\"act\": \"swish\"}", 2, []string{"--act", "swish", "(set by ", "g.json:2: act)"}},
		{"bad net value", "g2.yaml", "data: moons\nnet:\n  act: swish\n", 2, []string{"--act", "(set by ", "g2.yaml:3: net.act)"}},
		{"bad range", "g3.yaml", "data: moons\nlr: -1\n", 2, []string{"--lr", "g3.yaml:2: lr)"}},
		{"list for a value", "h.yaml", "steps: [1, 2]\n", 1, []string{"h.yaml:1: steps: want a single value"}},
		{"mapping for a value", "i.yaml", "lr:\n  peak: 1\n", 1, []string{"i.yaml:1: lr: want a value, not a mapping"}},
		{"no value", "j.yaml", "steps:\n", 1, []string{"j.yaml:1: steps: no value"}},
		{"twice", "k.yaml", "steps: 1\nsteps: 2\n", 1, []string{"k.yaml", "steps"}},
		{"resume key", "l.json", `{"resume": true}`, 1, []string{"l.json:1: resume: not allowed"}},
		{"bad width", "m.yaml", "net:\n  hidden: [8, x]\n", 1, []string{"m.yaml:2: net.hidden: item 2"}},
		{"wrong dim", "n.json", `{"data": "moons", "net": {"dim": 3}}`, 1, []string{"n.json:1: net.dim is 3 but the data have 2 columns"}},
		{"empty", "o.yaml", "", 1, []string{"o.yaml: empty config file"}},
		{"extension", "p.toml", "steps = 3\n", 2, []string{"unknown format \".toml\""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, dir, c.file, []byte(c.body))
			args := []string{"train", "--config", p, "--out", out, "--quiet"}
			if !strings.Contains(c.body, "data") {
				args = append(args, "--data", "moons")
			}
			wantRejected(t, cli(t, args...), c.code, c.frags...)
			if _, err := os.Stat(out); err == nil {
				t.Fatal("a refused run wrote its checkpoint")
			}
		})
	}
	cf := writeFile(t, dir, "ok.json", []byte(`{"data": "moons", "steps": 2}`))
	wantRejected(t, cli(t, "train", "--config", cf, "--out", out, "--resume"), 2, "--config and --resume")
	wantRejected(t, cli(t, "train", "--config", filepath.Join(dir, "missing.json"), "--out", out), 1, "missing.json")
	wantRejected(t, cli(t, "train", "--config", cf, "--out", cf), 2, "same file as --config")
}
