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

// TestBenchCouplings runs the couplings group at a tiny budget: one JSON line per method
// with the CPU named, and usage errors for bad methods, data and budgets.
func TestBenchCouplings(t *testing.T) {
	r := mustRun(t, "bench", "couplings", "--data", "8gaussians", "--methods", "independent,ot,reflow:1", "--budget", "0.3",
		"--test-n", "100", "--width", "16", "--depth", "1", "--batch", "64", "--pairs", "500", "--euler", "1,2", "--json")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), r.stdout)
	}
	for i, want := range []string{"independent", "ot", "reflow:1"} {
		var rec map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["method"] != want || rec["cpu"] == "" || rec["energy_euler2"] == nil || rec["straightness"] == nil || rec["nfe_sample"] == nil {
			t.Errorf("line %d: %v", i, rec)
		}
	}
	wantRejected(t, cli(t, "bench", "couplings", "--methods", "reflow:0"), 2, "--methods")
	wantRejected(t, cli(t, "bench", "couplings", "--data", "nosuch"), 2, "--data")
	wantRejected(t, cli(t, "bench", "couplings", "--budget", "0"), 2, "--budget")
	wantRejected(t, cli(t, "bench", "couplings", "--methods", "reflow", "--budget", "0.1", "--data", "moons"), 1, "independent")
}

// TestCouplingInterp: a coupled run trains with the linear interpolant unless --interp
// says otherwise, and the checkpoint records both.
func TestCouplingInterp(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		extra []string
		want  string
	}{{nil, `"interp":"linear"`}, {[]string{"--interp", "trig"}, `"interp":"trig"`}} {
		p := filepath.Join(dir, "m.safetensors")
		mustRun(t, append(append([]string{"train", "--data", "8gaussians", "--out", p, "--steps", "3", "--coupling", "ot"}, tiny...), c.extra...)...)
		info := mustRun(t, "info", p, "--json").stdout
		if !strings.Contains(info, c.want) || !strings.Contains(info, `"coupling":"ot"`) {
			t.Errorf("train --coupling ot %v: info lacks %s and the coupling:\n%s", c.extra, c.want, info)
		}
	}
}
