package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchObjectives runs `flowbench bench objectives` in-process with a tiny budget and
// checks the JSON lines (both objectives, the fields the issue names, summaries) and the
// PNG; bad flags are usage errors.
func TestBenchObjectives(t *testing.T) {
	png := filepath.Join(t.TempDir(), "o.png")
	var out, errb bytes.Buffer
	code := run([]string{"bench", "objectives", "--data", "8gaussians", "--budget", "0.4", "--every", "0.1",
		"--width", "16", "--depth", "2", "--batch", "64", "--test-n", "200", "--mle-steps", "4", "--png", png, "--json"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	seen := map[string]int{}
	summaries := 0
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if m["summary"] == true {
			summaries++
			continue
		}
		for _, k := range []string{"objective", "elapsed_s", "nll", "nfe_per_step"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %q lacks %s", line, k)
			}
		}
		seen[m["objective"].(string)]++
	}
	if seen["interpolant"] < 2 || seen["mle"] < 2 || summaries != 2 {
		t.Errorf("points per objective %v, %d summaries", seen, summaries)
	}
	if b, err := os.ReadFile(png); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("no PNG written: %v", err)
	}
	for _, args := range [][]string{
		{"bench", "objectives", "--budget", "-1"},
		{"bench", "objectives", "--mle-grad", "sideways"},
		{"bench", "objectives", "--data", "nonesuch"},
	} {
		out.Reset()
		errb.Reset()
		if code := run(args, &out, &errb); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
}
