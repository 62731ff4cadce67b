package main

import (
	"encoding/json"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// version, help CMD, flags printed as --name, and the provenance a checkpoint records: the
// build, the command line of the run and of each resume.
func TestVersionHelpProvenance(t *testing.T) {
	r := mustRun(t, "version")
	if !strings.HasPrefix(r.stdout, "flowbench ") || !strings.Contains(r.stdout, runtime.Version()) {
		t.Fatalf("version: %q", r.stdout)
	}
	if r2 := mustRun(t, "--version"); r2.stdout != r.stdout {
		t.Fatalf("--version %q, version %q", r2.stdout, r.stdout)
	}
	h := mustRun(t, "help", "sample")
	if !strings.HasPrefix(h.stdout, "usage: flowbench sample") || !strings.Contains(h.stdout, "\n  --model string\n") || strings.Contains(h.stdout, "\n  -model") {
		t.Fatalf("help sample: %q", h.stdout)
	}
	dir := t.TempDir()
	m := filepath.Join(dir, "m.safetensors")
	args := []string{"train", "--data", "moons", "--steps", "10", "--width", "8", "--depth", "1", "--batch", "32", "--out", m, "--quiet"}
	mustRun(t, args...)
	mustRun(t, "train", "--data", "moons", "--steps", "20", "--out", m, "--resume", "--quiet")
	var info struct {
		Provenance struct {
			Build struct {
				Go string `json:"go"`
			} `json:"build"`
			Command []string   `json:"command"`
			Resumed [][]string `json:"resumed"`
			Started string     `json:"started"`
		} `json:"provenance"`
	}
	if err := json.Unmarshal([]byte(lastLine(mustRun(t, "info", m, "--json").stdout)), &info); err != nil {
		t.Fatal(err)
	}
	p := info.Provenance
	if p.Build.Go != runtime.Version() || strings.Join(p.Command, " ") != "flowbench "+strings.Join(args, " ") || len(p.Resumed) != 1 || p.Resumed[0][len(p.Resumed[0])-2] != "--resume" || p.Started == "" {
		t.Fatalf("provenance %+v", p)
	}
}
