package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The conventions every subcommand follows (issue 17): --model for the model, the summary
// line through emit, seed 1 by default, help texts that describe the command's own flags.
func TestCLIConventions(t *testing.T) {
	dir := t.TempDir()
	// data: the summary key and the default seed, in both forms.
	p := filepath.Join(dir, "m.csv")
	rec := map[string]any{}
	if err := json.Unmarshal([]byte(lastLine(mustRun(t, "data", "--name", "moons", "--n", "5", "--out", p, "--json").stdout)), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["summary"] != "data" || rec["name"] != "moons" || rec["seed"] != 1.0 || rec["n"] != 5.0 {
		t.Errorf("data --json summary %v", rec)
	}
	if s := mustRun(t, "data", "--name", "moons", "--n", "5", "--out", p).stdout; !strings.HasPrefix(s, "summary=data name=moons n=5 dim=2 seed=1 ") {
		t.Errorf("data summary %q", s)
	}

	// info: --model, the positional alias before and after the flags, and the errors.
	m := trainTiny(t, dir, "t.safetensors", 4)
	want := mustRun(t, "info", "--model", m).stdout
	for _, args := range [][]string{{"info", m}, {"info", "--json", m}, {"info", m, "--json"}, {"info", "--model", m, "--json"}} {
		r := mustRun(t, args...)
		if !strings.Contains(strings.Join(args, " "), "--json") && r.stdout != want {
			t.Errorf("%v printed %q, --model printed %q", args, r.stdout, want)
		}
	}
	wantRejected(t, cli(t, "info"), 2, "--model is required")
	wantRejected(t, cli(t, "info", "--model", m, m), 2, "given twice")

	// bench --help lists the names --only accepts in each group (the names the README and
	// the benchmark tests use).
	h := mustRun(t, "bench", "--help").stdout
	for _, name := range []string{"W-train-2d", "W-train-table-64d", "W-forward", "W-div", "W-sample-rk4", "W-sample-dopri5", "W-nll", "W-cond-train", "W-amortized", "sgemm_nn_1024_65_512", "rk_combine"} {
		if !strings.Contains(h, name) {
			t.Errorf("bench --help does not list %s", name)
		}
	}

	// No help text speaks of the SDE unless the command has --sde; nll's --steps is the
	// fixed-step solver's.
	for _, c := range []string{"nll", "encode", "eval", "sample", "train", "plot", "demo"} {
		h := mustRun(t, c, "--help").stdout
		if strings.Contains(h, "SDE") != strings.Contains(h, "\n  --sde\n") {
			t.Errorf("%s --help: SDE text without an --sde flag, or the reverse:\n%s", c, h)
		}
	}
	if h := mustRun(t, "nll", "--help").stdout; !strings.Contains(h, "steps of a fixed-step solver (euler, midpoint, heun, rk4") {
		t.Errorf("nll --help does not describe --steps: %s", h)
	}
	// No usage text lost a word to flag's back-quote convention ("--steps flowbench …").
	for name := range commands {
		h, _, _ := strings.Cut(runInProcess(name, "--help").stdout, "\n\n") // the flags, not the notes after them
		for _, line := range strings.Split(h, "\n") {
			if regexp.MustCompile(`^  --[a-z0-9-]+ [^ ]+ `).MatchString(line) {
				t.Errorf("%s --help: flag line %q has a type of several words", name, line)
			}
		}
	}
}

// Every key of the training log is explained in train --help and in the README.
func TestTrainLogKeysExplained(t *testing.T) {
	dir := t.TempDir()
	data := gaussTable(t, dir, "g.csv", 200, 3)
	r := mustRun(t, append([]string{"train", "--data", data, "--out", filepath.Join(dir, "m.safetensors"), "--steps", "6", "--log-every", "2", "--val-every", "2", "--json"}, tiny...)...)
	keys := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if _, ok := rec["summary"]; ok {
			continue
		}
		for k := range rec {
			keys[k] = true
		}
	}
	for _, k := range []string{"step", "loss", "g_tilde", "kinetic", "lr", "elapsed_s", "val_nll"} {
		if !keys[k] {
			t.Errorf("the log has no %s: %v", k, keys)
		}
	}
	help := mustRun(t, "train", "--help").stdout
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(readme), "## The training log")
	if i < 0 {
		t.Fatal("README has no section \"The training log\"")
	}
	sec := string(readme)[i:]
	sec = sec[:strings.Index(sec[3:], "\n## ")+3]
	for k := range keys {
		if !regexp.MustCompile(`\n  ` + k + ` `).MatchString(help) {
			t.Errorf("train --help does not explain the log key %s", k)
		}
		if !strings.Contains(sec, "`"+k+"`") {
			t.Errorf("README's training log section does not explain %s", k)
		}
	}
}

// info --json holds the whole stored history (the lines train printed), the provenance and
// the training file's SHA-256.
func TestInfoJSONHistory(t *testing.T) {
	dir := t.TempDir()
	data := gaussTable(t, dir, "g.csv", 200, 5)
	m := filepath.Join(dir, "m.safetensors")
	r := mustRun(t, append([]string{"train", "--data", data, "--out", m, "--steps", "10", "--log-every", "2", "--val-every", "0", "--json"}, tiny...)...)
	var logged []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if _, ok := rec["summary"]; !ok {
			logged = append(logged, rec)
		}
	}
	var info struct {
		History    []map[string]any `json:"history"`
		HistoryLen int              `json:"history_len"`
		Data       struct {
			SHA256 string `json:"sha256"`
		} `json:"data"`
		Provenance struct {
			Command []string `json:"command"`
		} `json:"provenance"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "info", "--model", m, "--json").stdout), &info); err != nil {
		t.Fatal(err)
	}
	if len(info.History) != 5 || info.HistoryLen != 5 || len(logged) != 5 {
		t.Fatalf("history %d entries (history_len %d), %d logged, want 5", len(info.History), info.HistoryLen, len(logged))
	}
	for i, h := range info.History {
		for _, k := range []string{"step", "loss", "g_tilde", "kinetic", "lr"} {
			if h[k] != logged[i][k] {
				t.Errorf("history[%d].%s = %v, train printed %v", i, k, h[k], logged[i][k])
			}
		}
	}
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if info.Data.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("data.sha256 %q, the file's is %x", info.Data.SHA256, sum)
	}
	if len(info.Provenance.Command) < 2 || info.Provenance.Command[1] != "train" {
		t.Errorf("provenance command %v", info.Provenance.Command)
	}
}

// demo names its files after the data set: the checkerboard demo leaves the 8gaussians
// demo's files as they were.
func TestDemoFilesNamedAfterData(t *testing.T) {
	dir := t.TempDir()
	small := []string{"--dir", dir, "--steps", "3", "--batch", "64", "--n", "200", "--threads", "1", "--quiet", "--json"}
	r := mustRun(t, append([]string{"demo"}, small...)...)
	if s := summaryOf(t, r.stdout); string(s["model"]) != fmt.Sprintf("%q", filepath.Join(dir, "demo-8gaussians.safetensors")) {
		t.Errorf("summary model %s", s["model"])
	}
	first := map[string]fileState{}
	for _, f := range []string{"demo-8gaussians.safetensors", "demo-8gaussians.png"} {
		first[f] = snapshot(t, filepath.Join(dir, f))
	}
	mustRun(t, append([]string{"demo", "--data", "checkerboard"}, small...)...)
	for _, f := range []string{"demo-checkerboard.safetensors", "demo-checkerboard.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("no %s: %v", f, err)
		}
	}
	for _, s := range first {
		s.untouched(t)
	}
}
