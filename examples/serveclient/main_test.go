package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/nn"
	"github.com/interflow/flowbench/serve"
	"github.com/interflow/flowbench/solver"
)

// TestReadmeShowsTheClients checks that the README's "Serving" section shows main.go and
// client.py as they are (indented by four spaces, tabs as four spaces).
func TestReadmeShowsTheClients(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"main.go", "client.py"} {
		src, err := os.ReadFile(f)
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
			t.Errorf("README.md does not show examples/serveclient/%s as it is; update the README", f)
		}
	}
}

// TestClients runs the Go client, and the Python one when python3 is installed, against a
// server with a token, and checks that each prints the library's log-densities of its rows
// (the same digits: the same bits) and field evaluations.
func TestClients(t *testing.T) {
	net, err := nn.New(nn.Config{Dim: 2, Hidden: []int{16, 16}, Act: kernels.SiLU}, 3)
	if err != nil {
		t.Fatal(err)
	}
	m := &gen.Model{Net: net, Interp: interp.Trig{}}
	lp, nfe, err := m.LogProb(context.Background(), []float32{0.5, -1, 2, 0.25}, gen.LikelihoodOptions{ODE: solver.Options{Method: solver.RK4, Steps: 20}})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("row 0: log p = %v\nrow 1: log p = %v\n%d field evaluations\n", lp[0], lp[1], nfe)
	s, err := serve.New(m, serve.Config{Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer s.Close()
	defer ts.Close()
	var out bytes.Buffer
	if err := run(&out, ts.URL, "tok"); err != nil {
		t.Fatal(err)
	}
	if out.String() != want {
		t.Errorf("Go client printed\n%swant\n%s", &out, want)
	}
	if err := run(&out, ts.URL, "wrong"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("Go client with a wrong token: %v, want a 401 error", err)
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: the Python client is not run")
	}
	cmd := exec.Command(py, "client.py")
	cmd.Env = append(os.Environ(), "FLOWBENCH_URL="+ts.URL, "FLOWBENCH_TOKEN=tok")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3 client.py: %v\n%s", err, b)
	}
	// Python prints floats with repr: the shortest digits that read back, as Go's %v does.
	if string(b) != want {
		t.Errorf("Python client printed\n%swant\n%s", b, want)
	}
}
