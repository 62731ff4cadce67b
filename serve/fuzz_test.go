package serve

import (
	"bytes"
	"errors"
	"net/url"
	"testing"

	"github.com/interflow/flowbench/dataset"
)

// FuzzDecode feeds arbitrary bodies to the decoders of every endpoint (JSON, and .npy
// for the row endpoints), for an
// unconditional and a conditional model: none panics, a refusal is an httpError with a 4xx
// status, and an accepted body gives a job whose shapes agree with the model and limits,
// whose coalescing key and merged pass can be formed.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"x": [[1, 2]]}`, `{"x": [[1, 2, 3]], "context": [1, 2], "labels": 1}`,
		`{"x": [[1, 2, 3], [4, 5, 6]], "context": [[1, 2], [3, 4]], "labels": [0, -1], "guidance": 1, "solver": "rk4", "steps": 3}`,
		`{"n": 3, "seed": 2, "with_log_prob": true, "solver": "bosh3", "rtol": 1e-3}`, `{"n": 2, "labels": [1, 2], "context": [0, 0]}`,
		`{"x": [[1e30, -0]], "hutchinson": 2, "seed": 9}`, `{"x": null}`, `{"context": [[`, ``,
	} {
		f.Add([]byte(s))
	}
	var npy bytes.Buffer
	dataset.WriteNPY(&npy, []float32{1, 2, 3, 4, 5, 6}, 2, 3)
	f.Add(npy.Bytes())
	npy.Reset()
	dataset.WriteNPY64(&npy, []float64{1, 2}, 1, 2)
	f.Add(npy.Bytes())
	var servers []*Server
	for _, m := range [][3]int{{2, 0, 0}, {3, 2, 3}} {
		s, err := New(testModel(f, m[0], m[1], m[2]), Config{MaxRows: 50})
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(s.Close)
		servers = append(servers, s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, s := range servers {
			d := s.m.Dim()
			for _, k := range []kind{kindLogProb, kindEncode, kindSample} {
				var j *job
				var err error
				if k == kindSample {
					var req SampleRequest
					if err = decodeJSON(bytes.NewReader(body), &req); err == nil {
						j, err = s.sampleJob(&req)
					}
				} else {
					var req LogProbRequest
					if err = decodeJSON(bytes.NewReader(body), &req); err == nil {
						j, err = s.rowsJob(&req, k)
					}
					if err != nil { // the same bytes as a .npy body, with a query
						var nr *LogProbRequest
						if nr, err = npyRequest(bytes.NewReader(body), url.Values{"steps": {"3"}, "solver": {"rk4"}}); err == nil {
							j, err = s.rowsJob(nr, k)
						}
					}
				}
				if err != nil {
					var he *httpError
					if !errors.As(err, &he) || he.code < 400 || he.code > 499 {
						t.Fatalf("%v: refusal %v is not a 4xx", k, err)
					}
					continue
				}
				if j.n < 1 || j.n > s.cfg.MaxRows || k != kindSample && len(j.x) != j.n*d {
					t.Fatalf("%v: job of %d rows with %d values (d = %d)", k, j.n, len(j.x), d)
				}
				j.key = coalesceKey(s.m, j)
				if j.key != "" {
					if mj := merged(s.m, []*job{j, j}); mj.n != 2*j.n || len(mj.x) != 2*len(j.x) {
						t.Fatalf("%v: merged pass of %d rows, %d values", k, mj.n, len(mj.x))
					}
				}
			}
		}
	})
}
