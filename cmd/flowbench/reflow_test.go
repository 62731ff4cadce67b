package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestReflowCLI: reflow trains a new checkpoint from a model's own pairs: the summary
// names the pairs, round and distillation; info shows the source (path and hash) and the
// linear interpolant with the Euler grid's times; a reflow of the reflow is round 2; its
// run cannot be resumed (the pairs are not stored) and its output may not be its input.
func TestReflowCLI(t *testing.T) {
	dir := t.TempDir()
	src := trainTiny(t, dir, "src.safetensors", 30)
	r1 := filepath.Join(dir, "r1.safetensors")
	r := mustRun(t, "reflow", "--model", src, "--out", r1, "--pairs", "200", "--train-steps", "20", "--distill", "2",
		"--solver", "rk4", "--steps", "8", "--threads", "1", "--quiet", "--json")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var sum map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatal(err)
	}
	if sum["summary"] != "reflow" || sum["pairs"] != 200.0 || sum["round"] != 1.0 || sum["distill"] != 2.0 || sum["steps"] != 20.0 {
		t.Errorf("summary %v", sum)
	}
	info := mustRun(t, "info", r1, "--json").stdout
	for _, want := range []string{`"reflow"`, `"source":"` + src, `"source_sha256":"`, `"round":1`, `"solver":"rk4 steps=8"`, `"time_dist":"grid:2"`, `"interp":"linear"`} {
		if !strings.Contains(info, want) {
			t.Errorf("info of the reflowed model lacks %s:\n%s", want, info)
		}
	}
	r2 := filepath.Join(dir, "r2.safetensors")
	r = mustRun(t, "reflow", "--model", r1, "--out", r2, "--pairs", "100", "--train-steps", "5", "--solver", "euler", "--steps", "2", "--quiet")
	if !strings.Contains(r.stdout, "round=2") {
		t.Errorf("reflow of a reflow: %s", r.stdout)
	}
	wantRejected(t, cli(t, "train", "--data", "8gaussians", "--out", r1, "--steps", "40", "--resume"), 1, "reflow", "cannot be resumed")
	wantRejected(t, cli(t, "reflow", "--model", r1, "--out", r1), 2, "--out")
	wantRejected(t, cli(t, "reflow", "--model", r1, "--out", filepath.Join(dir, "x.safetensors"), "--pairs", "0"), 2, "--pairs")
}
