package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
)

// TestReadmeShowsThisProgram checks that the README's "Using the library" block is this
// file, line for line (indented by four spaces), so the snippet a user copies compiles.
func TestReadmeShowsThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	var block strings.Builder
	for _, line := range strings.Split(strings.TrimRight(string(src), "\n"), "\n") {
		if line == "" {
			block.WriteString("\n")
		} else {
			block.WriteString("    " + strings.ReplaceAll(line, "\t", "    ") + "\n")
		}
	}
	if !strings.Contains(string(readme), block.String()) {
		t.Fatal("README.md does not show examples/quickstart/main.go as it is (indent each line by four spaces, tabs as four spaces); update the README")
	}
}

// TestQuickstartAnswer runs the program and checks its answers against the truth: the
// data's mean (3, −1), and its entropy log 2π + 1 + ½·log det Σ with Σ = [[1, 0.5],
// [0.5, 0.29]] (det 0.04), which the test NLL of held-out rows estimates (a model trained on
// the raw, unstandardized rows misses both).
func TestQuickstartAnswer(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, 1000); err != nil {
		t.Fatal(err)
	}
	var mx, my, nll float64
	var nfe int
	if _, err := fmt.Sscanf(out.String(), "sample mean (%f, %f); test NLL %f nats (%d field evaluations)", &mx, &my, &nll, &nfe); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	want := math.Log(2*math.Pi) + 1 + 0.5*math.Log(1e4)
	if math.Abs(mx-300) > 5 || math.Abs(my+10) > 0.5 {
		t.Errorf("sample mean (%.3f, %.3f), want (300, -10) within a tenth of a standard deviation", mx, my)
	}
	if math.Abs(nll-want) > 0.1 {
		t.Errorf("test NLL %.4f, want the entropy %.4f within 0.1", nll, want)
	}
}
