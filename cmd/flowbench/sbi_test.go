package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/interflow/flowbench/dataset"
)

// The sbi workflow through the CLI on two_moons: simulate, observation, reference, train
// (sbi train and the general train --data θ --cond x), check with figures and calibration,
// calibrate on the user's own held-out simulations, importance sampling; and its errors.
func TestSBICLI(t *testing.T) {
	dir := t.TempDir()
	th, x := filepath.Join(dir, "theta.csv"), filepath.Join(dir, "x.csv")
	mustRun(t, "sbi", "simulate", "--task", "two_moons", "--n", "2000", "--theta", th, "--x", x)
	for _, f := range []string{th, x} {
		tab, err := dataset.ReadTable(f)
		if err != nil || tab.N != 2000 || tab.D != 2 {
			t.Fatalf("%s: %v %+v", f, err, tab)
		}
	}
	r := mustRun(t, "sbi", "observation", "--task", "two_moons", "--obs", "2", "--json")
	var ob struct{ Given string }
	if err := json.Unmarshal([]byte(lastLine(r.stdout)), &ob); err != nil || strings.Count(ob.Given, ",") != 1 {
		t.Fatalf("observation: %q (%v)", r.stdout, err)
	}
	ref := filepath.Join(dir, "ref.csv")
	mustRun(t, "sbi", "reference", "--task", "two_moons", "--obs", "2", "--n", "300", "--out", ref)
	// The general workflow: the user's simulations, the posterior for x_o.
	m := filepath.Join(dir, "m.safetensors")
	mustRun(t, "train", "--data", th, "--cond", x, "--out", m, "--steps", "200", "--width", "32", "--depth", "2", "--quiet")
	post := filepath.Join(dir, "post.csv")
	mustRun(t, "sample", "--model", m, "--given", ob.Given, "--n", "200", "--out", post, "--quiet")
	mustRun(t, "nll", "--model", m, "--data", ref, "--given", ob.Given, "--quiet")
	// Calibration on fresh simulations of the user's.
	th2, x2 := filepath.Join(dir, "theta2.csv"), filepath.Join(dir, "x2.csv")
	mustRun(t, "sbi", "simulate", "--task", "two_moons", "--n", "40", "--seed", "9", "--theta", th2, "--x", x2)
	figs := filepath.Join(dir, "figs")
	os.Mkdir(figs, 0o755)
	r = mustRun(t, "sbi", "calibrate", "--model", m, "--theta", th2, "--x", x2, "--draws", "20", "--figures", figs, "--json")
	var cal map[string]any
	if err := json.Unmarshal([]byte(lastLine(r.stdout)), &cal); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"sbc_min_p_chi2", "hpd_50", "hpd_95", "tarp_80"} {
		if _, ok := cal[k].(float64); !ok {
			t.Fatalf("calibrate: no %s in %v", k, cal)
		}
	}
	// The task workflow.
	ms := filepath.Join(dir, "ms.safetensors")
	mustRun(t, "sbi", "train", "--task", "two_moons", "--sims", "1000", "--steps", "150", "--out", ms, "--quiet")
	r = mustRun(t, "sbi", "check", "--model", ms, "--task", "two_moons", "--obs", "1", "--n", "300", "--n-nll", "100", "--calib", "30", "--draws", "10", "--figures", figs, "--json")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var o struct {
		C2ST float64 `json:"c2st"`
		KL   *float64
	}
	if err := json.Unmarshal([]byte(lines[0]), &o); err != nil || !(o.C2ST >= 0.4 && o.C2ST <= 1) || o.KL == nil {
		t.Fatalf("check: %q", r.stdout)
	}
	for _, f := range []string{"two_moons_obs1_corner.png", "two_moons_sbc.png", "two_moons_coverage.png", "calibration_sbc.png"} {
		if st, err := os.Stat(filepath.Join(figs, f)); err != nil || st.Size() < 1000 {
			t.Fatalf("figure %s: %v", f, err)
		}
	}
	sir := filepath.Join(dir, "sir.csv")
	r = mustRun(t, "sbi", "importance", "--model", ms, "--task", "two_moons", "--obs", "1", "--n", "200", "--out", sir, "--json")
	if !strings.Contains(r.stdout, `"ess"`) || !strings.Contains(r.stdout, `"log_evidence"`) {
		t.Fatalf("importance: %q", r.stdout)
	}
	for _, tc := range []struct {
		code int
		args []string
		frag string
	}{
		{2, []string{"sbi"}, "a subcommand is required"},
		{2, []string{"sbi", "fit"}, `unknown subcommand "fit"`},
		{2, []string{"sbi", "simulate", "--task", "three_moons", "--theta", th, "--x", x}, "three_moons"},
		{2, []string{"sbi", "check", "--model", ms, "--task", "two_moons", "--obs", "11"}, `"11" is not an observation`},
		{1, []string{"sbi", "check", "--model", ms, "--task", "slcp", "--obs", "1"}, "not a posterior for slcp"},
		{1, []string{"sbi", "calibrate", "--model", ms, "--theta", th2, "--x", ref}, "rows"},
		{2, []string{"sbi", "simulate", "--task", "two_moons", "--theta", th, "--x", th}, "--theta"},
	} {
		wantRejected(t, cli(t, tc.args...), tc.code, tc.frag)
	}
}
