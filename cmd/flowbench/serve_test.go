package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/serve"
	"github.com/interflow/flowbench/solver"
)

// startServe starts `flowbench serve` with args and returns the process, its base URL
// (from the first stdout line, "listening on ADDR") and its stderr.
func startServe(t *testing.T, args ...string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(genBin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	se := new(bytes.Buffer)
	cmd.Stderr = se
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadString('\n')
		line <- l
	}()
	select {
	case l := <-line:
		addr, ok := strings.CutPrefix(strings.TrimSpace(l), "listening on ")
		if !ok {
			t.Fatalf("first stdout line %q, want \"listening on ADDR\"; stderr %s", l, se)
		}
		return cmd, "http://" + addr, se
	case <-time.After(time.Minute):
		t.Fatalf("no \"listening on\" line within a minute: %s", se)
	}
	return nil, "", nil
}

// waitExit waits for cmd to exit and returns its exit code.
func waitExit(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode()
	case <-time.After(time.Minute):
		t.Fatal("serve did not exit within a minute of SIGTERM")
	}
	return -1
}

// TestServeCLI: `flowbench serve` prints its address first, answers log_prob with the bits
// of the library, needs the token of --token-file, and on SIGTERM in the middle of
// requests answers every admitted one (200 or a clean 503) and exits 0.
func TestServeCLI(t *testing.T) {
	dir := t.TempDir()
	model := trainTiny(t, dir, "m.safetensors", 20)
	tok := filepath.Join(dir, "token")
	os.WriteFile(tok, []byte("abc123\n"), 0o600)
	cmd, base, se := startServe(t, "--model", model, "--token-file", tok, "--threads", "1", "--drain", "20s")
	rows := [][]float32{{0.5, -1}, {2, 0.25}, {-3, 1}}
	body, _ := json.Marshal(map[string]any{"x": rows, "solver": "rk4", "steps": 10})
	postTo := func(path string, b []byte, token string) (int, []byte) {
		req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(b))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("POST %s: %v", path, err)
			return 0, nil
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		return resp.StatusCode, buf.Bytes()
	}
	if code, b := postTo("/v1/log_prob", body, ""); code != http.StatusUnauthorized {
		t.Fatalf("without the token: %d %s", code, b)
	}
	code, b := postTo("/v1/log_prob", body, "abc123")
	if code != http.StatusOK {
		t.Fatalf("log_prob: %d %s", code, b)
	}
	m, err := gen.LoadModel(model)
	if err != nil {
		t.Fatal(err)
	}
	var x []float32
	for _, r := range rows {
		x = append(x, r...)
	}
	lp, nfe, err := m.LogProb(context.Background(), x, gen.LikelihoodOptions{ODE: solver.Options{Method: solver.RK4, Steps: 10}})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(serve.LogProbResponse{LogProb: lp, NFE: nfe})
	// The binary dispatches its own tier; under -tags purego this test process computes on
	// the go tier, whose last bits differ, so the bits are compared only when the tiers agree.
	if kernels.Impl() != kernels.TierGo && !bytes.Equal(bytes.TrimSpace(b), want) {
		t.Errorf("served %s, library %s", b, want)
	}
	// SIGTERM with requests in flight.
	slow, _ := json.Marshal(map[string]any{"n": 3000, "seed": 1, "solver": "rk4", "steps": 60})
	var wg sync.WaitGroup
	codes := make([]int, 4)
	for i := range codes {
		wg.Go(func() { codes[i], _ = postTo("/v1/sample", slow, "abc123") })
	}
	time.Sleep(300 * time.Millisecond) // let them be admitted (one that is not is refused cleanly below)
	cmd.Process.Signal(syscall.SIGTERM)
	wg.Wait()
	ok := 0
	for i, c := range codes {
		switch c {
		case http.StatusOK:
			ok++
		case http.StatusServiceUnavailable, 0: // refused cleanly, or not yet connected
		default:
			t.Errorf("request %d in flight at SIGTERM: status %d", i, c)
		}
	}
	if ok == 0 {
		t.Errorf("no request in flight at SIGTERM was answered 200 (statuses %v)", codes)
	}
	if code := waitExit(t, cmd); code != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0; stderr %s", code, se)
	}
	if !strings.Contains(se.String(), "shut down") {
		t.Errorf("stderr %q lacks the shutdown note", se)
	}
}

// TestServeCLIErrors: bad flags are usage errors (exit 2) naming the flag; an address in
// use is a failure (exit 1).
func TestServeCLIErrors(t *testing.T) {
	dir := t.TempDir()
	model := trainTiny(t, dir, "m.safetensors", 5)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	for _, c := range []struct {
		args []string
		code int
		frag string
	}{
		{[]string{"serve"}, 2, "--model is required"},
		{[]string{"serve", "--model", model, "--token-file", filepath.Join(dir, "none")}, 2, "--token-file"},
		{[]string{"serve", "--model", model, "--token-file", empty}, 2, "--token-file"},
		{[]string{"serve", "--model", model, "--tls-cert", "c.pem"}, 2, "--tls-key"},
		{[]string{"serve", "--model", model, "--max-rows", "0"}, 2, "--max-rows"},
		{[]string{"serve", "--model", model, "--queue", "-1"}, 2, "--queue"},
		{[]string{"serve", "--model", model, "--timeout", "0s"}, 2, "--timeout"},
		{[]string{"serve", "--model", model, "--addr", "256.0.0.1:1"}, 1, "--addr"},
	} {
		wantRejected(t, cli(t, c.args...), c.code, c.frag)
	}
}
