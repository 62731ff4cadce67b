package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/interflow/flowbench/dataset"
)

// TestDataCLI runs `flowbench data` from the real binary (genBin) over the accepted and
// rejected command lines.
func TestDataCLI(t *testing.T) {
	dir := t.TempDir()
	regular := sentinel(t, filepath.Join(dir, "regular"))
	os.Mkdir(filepath.Join(dir, "d.csv"), 0o755)
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string // fragment expected on stderr
	}{
		{"csv", []string{"--name", "8gaussians", "--n", "1000", "--out", filepath.Join(dir, "g.csv"), "--seed", "3"}, 0, ""},
		{"npy json", []string{"--name", "checkerboard", "--n", "500", "--out", filepath.Join(dir, "c.npy"), "--json"}, 0, ""},
		{"tsv", []string{"--name", "moons", "--n", "10", "--out", filepath.Join(dir, "m.tsv")}, 0, ""},
		{"help", []string{"--help"}, 0, ""},
		{"unknown name", []string{"--name", "ninegaussians", "--n", "10", "--out", filepath.Join(dir, "x.csv")}, 2, `unknown data set "ninegaussians"`},
		{"no name", []string{"--n", "10", "--out", filepath.Join(dir, "x.csv")}, 2, "--name is required"},
		{"zero n", []string{"--name", "moons", "--n", "0", "--out", filepath.Join(dir, "x.csv")}, 2, "--n must be a positive"},
		{"negative n", []string{"--name", "moons", "--n", "-4", "--out", filepath.Join(dir, "x.csv")}, 2, "--n must be a positive"},
		{"n not a number", []string{"--name", "moons", "--n", "ten", "--out", filepath.Join(dir, "x.csv")}, 2, "invalid value \"ten\""},
		{"no out", []string{"--name", "moons", "--n", "4"}, 2, "--out is required"},
		{"parent missing", []string{"--name", "moons", "--n", "4", "--out", filepath.Join(dir, "nope", "x.csv")}, 2, "does not exist"},
		{"parent is a file", []string{"--name", "moons", "--n", "4", "--out", filepath.Join(regular.path, "x.csv")}, 2, "is not a directory"},
		{"out is an existing directory", []string{"--name", "moons", "--n", "4", "--out", filepath.Join(dir, "d.csv")}, 2, "is a directory"},
		{"bad extension", []string{"--name", "moons", "--n", "4", "--out", filepath.Join(dir, "x.json")}, 2, "unknown output format"},
		{"positional", []string{"--name", "moons", "--n", "4", "--out", filepath.Join(dir, "y.csv"), "extra"}, 2, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := cli(t, append([]string{"data"}, c.args...)...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d; stderr %q", r.code, c.code, r.stderr)
			}
			if !strings.Contains(r.stderr, c.stderr) {
				t.Errorf("stderr %q lacks %q", r.stderr, c.stderr)
			}
			if c.code != 0 && (strings.Contains(r.stderr, "goroutine") || strings.Count(r.stderr, "\n") > 1) {
				t.Errorf("stderr is not one line: %q", r.stderr)
			}
		})
	}
	// The files hold exactly the seeded draws.
	g, err := dataset.ReadTable(filepath.Join(dir, "g.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if want := dataset.SampleN(dataset.EightGaussians{}, 1000, 3); !slices.Equal(g.Data, want) {
		t.Error("g.csv differs from SampleN(8gaussians, 1000, 3)")
	}
	c, err := dataset.ReadTable(filepath.Join(dir, "c.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if want := dataset.SampleN(dataset.Checkerboard{}, 500, 1); !slices.Equal(c.Data, want) {
		t.Error("c.npy differs from SampleN(checkerboard, 500, 1), the default seed")
	}
	m, err := dataset.ReadTable(filepath.Join(dir, "m.tsv"))
	if err != nil || m.N != 10 {
		t.Fatalf("m.tsv: %v", err)
	}
	regular.untouched(t)
	if n := tempFiles(t, dir); len(n) > 0 {
		t.Errorf("temporary files left: %v", n)
	}
}

// TestDataInProcess checks the in-process entry point: same seed, same bytes.
func TestDataInProcess(t *testing.T) {
	dir := t.TempDir()
	var files [3][]byte
	for i, seed := range []string{"5", "5", "6"} {
		p := filepath.Join(dir, "x.npy")
		if r := runInProcess("data", "--name", "swissroll", "--n", "300", "--out", p, "--seed", seed); r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		files[i], _ = os.ReadFile(p)
	}
	if !bytes.Equal(files[0], files[1]) || bytes.Equal(files[0], files[2]) {
		t.Error("same seed must give the same file, another seed another")
	}
}
