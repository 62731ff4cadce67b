package serve

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/interflow/flowbench/dataset"
)

// TestNPYBody: a .npy body (float32 and float64) with the options in the query gets the
// bytes of the same request in JSON, for log_prob and encode, and a conditional model's
// shared context goes in the query; bad arrays and queries are 4xx naming the fault.
func TestNPYBody(t *testing.T) {
	m := testModel(t, 2, 0, 0)
	_, ts := newTestServer(t, m, Config{MaxBodyBytes: 1 << 12})
	rows := randRows(20, 2, 5)
	x := flat(rows)
	x64 := make([]float64, len(x))
	for i, v := range x {
		x64[i] = float64(v)
	}
	npy := func(v any, n, d int) []byte {
		var b bytes.Buffer
		switch v := v.(type) {
		case []float32:
			dataset.WriteNPY(&b, v, n, d)
		case []float64:
			dataset.WriteNPY64(&b, v, n, d)
		}
		return b.Bytes()
	}
	ct := []string{"Content-Type", npyType}
	for _, path := range []string{"/v1/log_prob", "/v1/encode"} {
		_, want, _, err := post(context.Background(), ts.URL+path, map[string]any{"x": rows, "solver": "heun", "steps": 7})
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range [][]byte{npy(x, 20, 2), npy(x64, 20, 2)} {
			code, got, _, err := post(context.Background(), ts.URL+path+"?solver=heun&steps=7", body, ct...)
			if code != http.StatusOK || !bytes.Equal(got, want) {
				t.Errorf("%s .npy: %d %s %v, want the JSON request's answer %s", path, code, got, err, want)
			}
		}
	}
	nan := append([]float32{float32(math.NaN())}, x[1:]...)
	for _, c := range []struct {
		query string
		body  []byte
		code  int
		frag  string
	}{
		{"", npy(x, 10, 4), 400, "has 4 values, want 2"},
		{"", []byte("not npy"), 400, "body"},
		{"", npy(nan, 20, 2), 400, "NaN"},
		{"?steps=x", npy(x, 20, 2), 400, "steps"},
		{"?bogus=1", npy(x, 20, 2), 400, "bogus"},
		{"?steps=2&steps=3", npy(x, 20, 2), 400, "2 times"},
		{"?context=1,2", npy(x, 20, 2), 400, "unconditional"},
		{"", npy(make([]float32, 2000), 1000, 2), 413, "limit"},
	} {
		code, got, _, err := post(context.Background(), ts.URL+"/v1/log_prob"+c.query, c.body, ct...)
		if code != c.code || !strings.Contains(string(got), c.frag) {
			t.Errorf("query %q: %d %s %v, want %d with %q", c.query, code, got, err, c.code, c.frag)
		}
	}
	cm := testModel(t, 3, 2, 3)
	_, cts := newTestServer(t, cm, Config{})
	crows := randRows(5, 3, 6)
	_, want, _, _ := post(context.Background(), cts.URL+"/v1/log_prob", map[string]any{"x": crows, "solver": "rk4", "steps": 3, "context": []float32{0.5, -1}, "labels": 2})
	code, got, _, err := post(context.Background(), cts.URL+"/v1/log_prob?solver=rk4&steps=3&context=0.5,-1&labels=2", npy(flat(crows), 5, 3), ct...)
	if code != http.StatusOK || !bytes.Equal(got, want) {
		t.Errorf("conditional .npy: %d %s %v, want %s", code, got, err, want)
	}
}
