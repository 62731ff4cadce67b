package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The helpers every CLI test uses: the binary genBin, built once by TestMain, runs of it
// (cli, mustRun, start) and of the in-process entry point (runInProcess, jsonLines), and
// checks of their output.

// genBin is the flowbench binary built once by TestMain for the CLI tests.
var genBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "flowbench-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	genBin = filepath.Join(dir, "flowbench")
	if out, err := exec.Command("go", "build", "-o", genBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cliResult is the outcome of one run of the binary (or of run, in process).
type cliResult struct {
	code           int
	stdout, stderr string
}

// cliTimeout bounds every run of the binary, so that a hang fails the test instead of
// blocking it.
const cliTimeout = 2 * time.Minute

// cli runs the flowbench binary with args and returns its exit code and output.
func cli(t *testing.T, args ...string) cliResult {
	t.Helper()
	return cliIn(t, nil, args...)
}

// cliIn is cli with in (when not nil) on the binary's standard input.
func cliIn(t *testing.T, in []byte, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, genBin, args...)
	if in != nil {
		cmd.Stdin = bytes.NewReader(in)
	}
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("flowbench %s: no exit within %v (hang?)", strings.Join(args, " "), cliTimeout)
	}
	r := cliResult{stdout: so.String(), stderr: se.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// mustRun runs the binary and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) cliResult {
	t.Helper()
	r := cli(t, args...)
	if r.code != 0 {
		t.Fatalf("flowbench %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

// start starts the binary with args without waiting for it; its stderr collects in the
// buffer returned.
func start(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(genBin, args...)
	se := new(bytes.Buffer)
	cmd.Stderr = se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, se
}

// waitFile waits until path exists; after a minute it kills the process cmd and fails the
// test with its stderr se.
func waitFile(t *testing.T, path string, cmd *exec.Cmd, se *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("no %s within a minute: %s", path, se)
}

// tiny are training flags for a fast run.
var tiny = []string{"--width", "16", "--depth", "2", "--batch", "32", "--warmup", "2", "--threads", "1", "--quiet"}

// trainTiny trains a small 8gaussians model (dimension 2) at dir/name and returns its path.
func trainTiny(t *testing.T, dir, name string, steps int) string {
	t.Helper()
	p := filepath.Join(dir, name)
	mustRun(t, append([]string{"train", "--data", "8gaussians", "--out", p, "--steps", fmt.Sprint(steps)}, tiny...)...)
	return p
}

// longTrainArgs are the arguments of a long tiny training run writing path.
func longTrainArgs(path string, extra ...string) []string {
	a := append([]string{"train", "--data", "8gaussians", "--out", path, "--steps", "1000000", "--log-every", "100000"}, tiny...)
	return append(a, extra...)
}

// runInProcess runs one command line through run, in this process.
func runInProcess(args ...string) cliResult {
	var so, se bytes.Buffer
	code := run(args, &so, &se)
	return cliResult{code, so.String(), se.String()}
}

// jsonLines runs a command line in process, fails the test unless it exits 0 and prints
// want lines, and returns them.
func jsonLines(t *testing.T, want int, args ...string) []string {
	t.Helper()
	r := runInProcess(args...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != want {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), want, r.stdout)
	}
	return lines
}

// wantPositiveInts checks that each field of the JSON line is a positive JSON integer.
func wantPositiveInts(t *testing.T, line string, fields ...string) {
	t.Helper()
	var rec map[string]json.RawMessage
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatalf("line %q: %v", line, err)
	}
	for _, f := range fields {
		var v int
		if err := json.Unmarshal(rec[f], &v); err != nil || v < 1 {
			t.Errorf("line %q: field %s = %s is not a positive JSON integer", line, f, rec[f])
		}
	}
}

// checkNoCrash fails the test if the output shows a panic or a stack trace.
func checkNoCrash(t *testing.T, r cliResult) {
	t.Helper()
	for _, s := range []string{r.stdout, r.stderr} {
		for _, bad := range []string{"panic", "goroutine ", "runtime error", "SIGSEGV"} {
			if strings.Contains(s, bad) {
				t.Fatalf("output contains %q:\n%s", bad, s)
			}
		}
	}
}

// wantRejected checks a run that must fail: exit code, exactly one line on stderr that
// contains every fragment, no stack trace and no NaN in the output.
func wantRejected(t *testing.T, r cliResult, code int, frags ...string) {
	t.Helper()
	checkNoCrash(t, r)
	msg := strings.TrimSuffix(r.stderr, "\n")
	if r.code != code {
		t.Fatalf("exit %d, want %d; stderr %q", r.code, code, r.stderr)
	}
	if msg == "" || strings.Contains(msg, "\n") {
		t.Fatalf("stderr must be exactly one line, got %q", r.stderr)
	}
	for _, f := range frags {
		if !strings.Contains(msg, f) {
			t.Fatalf("stderr %q lacks %q", msg, f)
		}
	}
	if strings.Contains(r.stdout, "NaN") {
		t.Fatalf("stdout has NaN: %q", r.stdout)
	}
}
