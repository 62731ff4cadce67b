package serve

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/interflow/flowbench/gen"
)

// slowSample is a request that would run for hours (20 000 samples, 100 000 Euler steps):
// a test that gets its answer, or the worker back, shows that its work stopped.
var slowSample = map[string]any{"n": 20000, "seed": 1, "solver": "euler", "steps": 100000}

// TestErrors: every kind of bad request is answered with its status and a JSON error
// naming the field at fault, and nothing panics.
func TestErrors(t *testing.T) {
	_, ts := newTestServer(t, testModel(t, 2, 0, 0), Config{MaxRows: 10, MaxBodyBytes: 4096})
	_, cts := newTestServer(t, testModel(t, 3, 2, 3), Config{})
	for _, c := range []struct {
		base, method, path, body string
		code                     int
		frag                     string
	}{
		{ts.URL, "POST", "/v1/log_prob", ``, 400, "empty"},
		{ts.URL, "POST", "/v1/log_prob", `{`, 400, "body"},
		{ts.URL, "POST", "/v1/log_prob", `[1, 2]`, 400, "body"},
		{ts.URL, "POST", "/v1/log_prob", `{"x": [[1, 2]], "bogus": 1}`, 400, "bogus"},
		{ts.URL, "POST", "/v1/log_prob", `{"x": [[1, 2]]} {}`, 400, "after"},
		{ts.URL, "POST", "/v1/log_prob", `{"x": []}`, 400, "x: missing"},
		{ts.URL, "POST", "/v1/log_prob", `{"x": [[1, 2], [1, 2, 3]]}`, 400, "row 1 has 3 values"},
		{ts.URL, "POST", "/v1/log_prob", `{"x": [[1e39, 2]]}`, 400, "float32"},
		{ts.URL, "POST", "/v1/log_prob", `{"x": [[1, 2]], "solver": "rk5"}`, 400, "solver"},
		{ts.URL, "POST", "/v1/log_prob", `{"x": [[1, 2]], "steps": -1}`, 400, "steps"},
		{ts.URL, "POST", "/v1/log_prob", `{"x": [[1, 2]], "steps": 1000000}`, 400, "steps"},
		{ts.URL, "POST", "/v1/log_prob", `{"x": [[1, 2]], "rtol": -1}`, 400, "rtol"},
		{ts.URL, "POST", "/v1/log_prob", `{"x": [[1, 2]], "hutchinson": -2}`, 400, "hutchinson"},
		{ts.URL, "POST", "/v1/encode", `{"x": [[1, 2]], "hutchinson": 2}`, 400, "hutchinson"},
		{ts.URL, "POST", "/v1/log_prob", `{"x": [[1, 2]], "context": [1]}`, 400, "unconditional"},
		{ts.URL, "POST", "/v1/log_prob", `{"x": [[1,2],[1,2],[1,2],[1,2],[1,2],[1,2],[1,2],[1,2],[1,2],[1,2],[1,2]]}`, 413, "limit of 10"},
		{ts.URL, "POST", "/v1/log_prob", `{"x": [[1, 2]], "seed": 1` + strings.Repeat(" ", 5000) + `}`, 413, "4096 bytes"},
		{ts.URL, "POST", "/v1/sample", `{"n": 0}`, 400, "n: 0"},
		{ts.URL, "POST", "/v1/sample", `{"n": 11}`, 413, "limit of 10"},
		{ts.URL, "POST", "/v1/sample", `{"n": 2, "x": [[1, 2]]}`, 400, `"x"`},
		{ts.URL, "GET", "/v1/log_prob", ``, 405, "POST"},
		{ts.URL, "POST", "/v1/info", ``, 405, "GET"},
		{ts.URL, "POST", "/v1/nothing", `{}`, 404, "no endpoint"},
		{cts.URL, "POST", "/v1/log_prob", `{"x": [[1, 2, 3]]}`, 400, "conditional"},
		{cts.URL, "POST", "/v1/log_prob", `{"x": [[1, 2, 3]], "labels": 3, "context": [1, 2]}`, 400, "labels"},
		{cts.URL, "POST", "/v1/log_prob", `{"x": [[1, 2, 3]], "labels": "a", "context": [1, 2]}`, 400, "labels"},
		{cts.URL, "POST", "/v1/log_prob", `{"x": [[1, 2, 3]], "labels": 1, "context": [1, 2, 3]}`, 400, "context: row 0 has 3 values"},
		{cts.URL, "POST", "/v1/log_prob", `{"x": [[1, 2, 3]], "labels": 1, "context": [[1, 2], [3, 4]]}`, 400, "2 rows for 1"},
		{cts.URL, "POST", "/v1/log_prob", `{"x": [[1, 2, 3]], "labels": 1, "context": [1, 2], "guidance": -1}`, 400, "guidance"},
		{cts.URL, "POST", "/v1/log_prob", `{"x": [[1, 2, 3], [1, 2, 3], [1, 2, 3]], "labels": [1, 2], "context": [1, 2]}`, 422, "labels"},
		{cts.URL, "POST", "/v1/sample", `{"n": 2, "labels": 1}`, 422, "context"},
	} {
		req, _ := http.NewRequest(c.method, c.base+c.path, strings.NewReader(c.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e ErrorResponse
		err = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != c.code || err != nil || !strings.Contains(e.Error, c.frag) {
			t.Errorf("%s %s %.60q: status %d, error %q (%v); want %d with %q", c.method, c.path, c.body, resp.StatusCode, e.Error, err, c.code, c.frag)
		}
	}
}

// TestQueueFullAndCancel: with the queue full, a request is refused at once with 429 and
// Retry-After; when the clients of the admitted (endless) requests go away their work
// stops and their slots free, so the single worker answers the next request.
func TestQueueFullAndCancel(t *testing.T) {
	s, ts := newTestServer(t, testModel(t, 2, 0, 0), Config{Queue: 2, Workers: 1})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, _, _, err := post(ctx, ts.URL+"/v1/sample", slowSample); !errors.Is(err, context.Canceled) {
				t.Errorf("endless request: %v, want it cancelled", err)
			}
		})
	}
	waitFor(t, "two requests admitted", func() bool { return len(s.slots) == 2 })
	code, body, h, err := post(context.Background(), ts.URL+"/v1/log_prob", map[string]any{"x": [][]float32{{1, 2}}})
	if err != nil || code != http.StatusTooManyRequests || h.Get("Retry-After") == "" || !strings.Contains(string(body), "queue full") {
		t.Fatalf("with the queue full: %d %s (Retry-After %q, %v), want 429", code, body, h.Get("Retry-After"), err)
	}
	cancel()
	wg.Wait()
	waitFor(t, "slots freed", func() bool { return len(s.slots) == 0 })
	code, body, _, err = post(context.Background(), ts.URL+"/v1/log_prob", map[string]any{"x": [][]float32{{1, 2}}, "solver": "rk4", "steps": 4})
	if err != nil || code != http.StatusOK {
		t.Fatalf("after the cancellations: %d %s %v", code, body, err)
	}
	sc := scrape(t, ts.URL)
	if v, _ := metricValue(sc, `flowbench_requests_total{code="429",endpoint="log_prob"}`); v != 1 {
		t.Errorf("metrics count %v answers 429, want 1", v)
	}
	if v, _ := metricValue(sc, `flowbench_requests_total{code="499",endpoint="sample"}`); v != 2 {
		t.Errorf("metrics count %v requests whose client went away, want 2", v)
	}
}

// waitFor polls cond for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s: not within 20 s", what)
}

// TestDeadline: a request past Config.Timeout is answered 503 and its work stops (the
// single worker answers the next request).
func TestDeadline(t *testing.T) {
	_, ts := newTestServer(t, testModel(t, 2, 0, 0), Config{Workers: 1, Timeout: 200 * time.Millisecond})
	code, body, _, err := post(context.Background(), ts.URL+"/v1/sample", slowSample)
	if err != nil || code != http.StatusServiceUnavailable || !strings.Contains(string(body), "deadline") {
		t.Fatalf("endless request: %d %s %v, want 503 naming the deadline", code, body, err)
	}
	if code, body, _, err = post(context.Background(), ts.URL+"/v1/sample", map[string]any{"n": 3, "solver": "rk4", "steps": 2}); code != http.StatusOK {
		t.Fatalf("next request: %d %s %v", code, body, err)
	}
}

// TestToken: with a token, /v1 and /metrics need it (constant-time compare), the probes
// do not.
func TestToken(t *testing.T) {
	_, ts := newTestServer(t, testModel(t, 2, 0, 0), Config{Token: "s3cret"})
	body := map[string]any{"x": [][]float32{{1, 2}}, "solver": "euler", "steps": 1}
	for _, c := range []struct {
		header []string
		code   int
	}{{nil, 401}, {[]string{"Authorization", "Bearer s3cre"}, 401}, {[]string{"Authorization", "s3cret"}, 401}, {[]string{"Authorization", "Bearer s3cret"}, 200}} {
		if code, b, _, err := post(context.Background(), ts.URL+"/v1/log_prob", body, c.header...); code != c.code {
			t.Errorf("header %q: %d %s %v, want %d", c.header, code, b, err, c.code)
		}
	}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 401, "/v1/info": 401} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s without the token: %d, want %d", path, resp.StatusCode, want)
		}
	}
	scrape(t, ts.URL, "Authorization", "Bearer s3cret")
}

// TestShutdown: when Serve's context ends, requests in flight finish (200), readiness
// drops, the listener closes and Serve returns nil; a request still running at the drain
// deadline is answered 503 and Serve still returns nil.
func TestShutdown(t *testing.T) {
	for _, endless := range []bool{false, true} {
		s, err := New(testModel(t, 2, 0, 0), Config{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := "http://" + ln.Addr().String()
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		body, want, drain := map[string]any{"n": 2000, "seed": 1, "solver": "rk4", "steps": 40}, http.StatusOK, 20*time.Second
		if endless {
			body, want, drain = slowSample, http.StatusServiceUnavailable, 300*time.Millisecond
		}
		go func() { done <- s.Serve(ctx, ln, ServeOptions{Drain: drain}) }()
		codes := make([]int, 3)
		var wg sync.WaitGroup
		for i := range codes {
			wg.Go(func() {
				code, b, _, err := post(context.Background(), base+"/v1/sample", body)
				codes[i] = code
				if codes[i] != want {
					t.Errorf("endless %v: request %d in flight: %d %s %v, want %d", endless, i, codes[i], b, err, want)
				}
			})
		}
		waitFor(t, "three requests admitted", func() bool { return len(s.slots) == 3 })
		stop()
		waitFor(t, "draining", func() bool { return s.draining.Load() })
		wg.Wait()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("endless %v: Serve: %v", endless, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("endless %v: Serve did not return", endless)
		}
		if _, err := http.Get(base + "/healthz"); err == nil {
			t.Errorf("endless %v: the listener still answers after Serve returned", endless)
		}
	}
}

// TestTLS serves HTTPS with a self-signed certificate.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	s, err := New(testModel(t, 2, 0, 0), Config{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, ServeOptions{CertFile: certFile, KeyFile: keyFile}) }()
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := cl.Get("https://" + ln.Addr().String() + "/v1/info")
	if err != nil {
		t.Fatal(err)
	}
	var in Info
	json.NewDecoder(resp.Body).Decode(&in)
	resp.Body.Close()
	if resp.StatusCode != 200 || in.Dim != 2 || resp.TLS == nil {
		t.Errorf("GET /v1/info over TLS: %d %+v", resp.StatusCode, in)
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// TestPanicIsA500: a panic inside a library call (here a learned base whose L has the
// wrong size, which no checkpoint loader would let through) answers its request 500 and
// leaves the server serving.
func TestPanicIsA500(t *testing.T) {
	m := testModel(t, 2, 0, 0)
	m.Base = &gen.GaussianBase{Mu: []float64{0, 0}, L: []float64{1}}
	s, ts := newTestServer(t, m, Config{Workers: 1})
	code, body, _, err := post(context.Background(), ts.URL+"/v1/sample", map[string]any{"n": 3, "solver": "euler", "steps": 1})
	if err != nil || code != http.StatusInternalServerError || !strings.Contains(string(body), "internal error") {
		t.Fatalf("sample with a broken base: %d %s %v, want 500", code, body, err)
	}
	for range 2 { // the process lives on, and the worker too
		if code, body, _, err := post(context.Background(), ts.URL+"/v1/log_prob", map[string]any{"x": [][]float32{{1, 2}}, "solver": "euler", "steps": 1}); code != http.StatusInternalServerError || err != nil {
			t.Fatalf("the next request: %d %s %v, want 500 again", code, body, err)
		}
	}
	if resp, err := http.Get(ts.URL + "/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz after the panics: %v %v", resp, err)
	}
	s.Close() // a second Close (the test's cleanup closes too) does nothing
}
