package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/nn"
)

// testModel returns a model on an untrained network of dimension d (seeded; its field is
// a fixed nonlinear function, which is all the bits tests need), with cw continuous context
// columns and classes labels (0, 0: unconditional).
func testModel(t testing.TB, d, cw, classes int) *gen.Model {
	t.Helper()
	net, err := nn.New(nn.Config{Dim: d, Hidden: []int{32, 32}, Act: kernels.SiLU, Context: cw, Classes: classes}, 7)
	if err != nil {
		t.Fatal(err)
	}
	return &gen.Model{Net: net, Interp: interp.Trig{}}
}

// testServer starts an httptest server for s; it is closed with the test.
func testServer(t testing.TB, s *Server) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return ts
}

// newTestServer builds a Server for m with cfg and starts it.
func newTestServer(t testing.TB, m *gen.Model, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, testServer(t, s)
}

// post sends body (JSON-encoded unless a string or []byte) to url and returns the status,
// the body and the response headers.
func post(ctx context.Context, url string, body any, header ...string) (int, []byte, http.Header, error) {
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		var err error
		if b, err = json.Marshal(body); err != nil {
			return 0, nil, nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	return resp.StatusCode, rb, resp.Header, err
}

// randRows returns n rows of d standard normal values.
func randRows(n, d int, seed uint64) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, 11))
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = make([]float32, d)
		for j := range rows[i] {
			rows[i][j] = float32(rng.NormFloat64())
		}
	}
	return rows
}

// flat returns rows flat.
func flat(rows [][]float32) []float32 {
	var x []float32
	for _, r := range rows {
		x = append(x, r...)
	}
	return x
}

// metricValue returns the value of the sample line named series (with its labels, as the
// text format prints them) in a /metrics scrape, and whether it was there.
func metricValue(scrape, series string) (float64, bool) {
	for _, line := range strings.Split(scrape, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			var f float64
			if err := json.Unmarshal([]byte(v), &f); err == nil {
				return f, true
			}
		}
	}
	return 0, false
}

// scrape returns the /metrics text of the server at base.
func scrape(t testing.TB, base string, header ...string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, b)
	}
	return string(b)
}
