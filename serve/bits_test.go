package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/solver"
)

// bitsCase is one request and the library call that must give its answer's bits.
type bitsCase struct {
	name string
	path string
	body map[string]any
	want func() (any, error) // the answer, from the library called alone
}

// solverBody returns the solver fields of a request for method m (fixed-step: 6 steps;
// adaptive: tolerance 1e-4) and the options the library is called with.
func solverBody(m solver.Method) (map[string]any, solver.Options) {
	if m.Adaptive() {
		return map[string]any{"solver": m.String(), "rtol": 1e-4, "atol": 1e-4}, solver.Options{Method: m, RTol: 1e-4, ATol: 1e-4}
	}
	return map[string]any{"solver": m.String(), "steps": 6}, solver.Options{Method: m, Steps: 6}
}

// with returns a copy of a with the pairs kv added.
func with(a map[string]any, kv ...any) map[string]any {
	b := map[string]any{}
	for k, v := range a {
		b[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		b[kv[i].(string)] = kv[i+1]
	}
	return b
}

// casesFor returns, for every solver, log_prob, encode and sample requests of several row
// counts to model m, with contexts made by ctx (nil: unconditional); seed varies the rows.
func casesFor(m *gen.Model, tag string, ctx func(n int, k int) (map[string]any, *gen.Condition), seed uint64) []bitsCase {
	var cs []bitsCase
	bg := context.Background()
	d := m.Dim()
	for _, meth := range []solver.Method{solver.Euler, solver.Midpoint, solver.Heun, solver.RK4, solver.Dopri5, solver.Bosh3} {
		sb, o := solverBody(meth)
		for k, n := range []int{1, 3, 17, 40} {
			rows := randRows(n, d, seed+uint64(100*int(meth)+k))
			x := flat(rows)
			cb, cond := map[string]any{}, (*gen.Condition)(nil)
			if ctx != nil {
				cb, cond = ctx(n, k)
			}
			body := with(sb, "x", rows)
			for key, v := range cb {
				body[key] = v
			}
			name := fmt.Sprintf("%s/%v/n=%d", tag, meth, n)
			cs = append(cs, bitsCase{name + "/log_prob", "/v1/log_prob", body, func() (any, error) {
				lp, nfe, err := m.LogProb(bg, x, gen.LikelihoodOptions{ODE: o, Cond: cond})
				return &LogProbResponse{LogProb: lp, NFE: nfe}, err
			}})
			cs = append(cs, bitsCase{name + "/encode", "/v1/encode", body, func() (any, error) {
				z, nfe, err := m.Encode(bg, x, gen.LikelihoodOptions{ODE: o, Cond: cond})
				return &EncodeResponse{Z: unflat(z, d), NFE: nfe}, err
			}})
			sbody := with(sb, "n", n, "seed", seed+uint64(k))
			for key, v := range cb {
				sbody[key] = v
			}
			withLogP := k%2 == 1
			if withLogP {
				sbody["with_log_prob"] = true
			}
			cs = append(cs, bitsCase{name + "/sample", "/v1/sample", sbody, func() (any, error) {
				r, err := m.Sample(bg, n, gen.SampleOptions{ODE: o, Seed: seed + uint64(k), Cond: cond, WithLogP: withLogP})
				if err != nil {
					return nil, err
				}
				return &SampleResponse{X: unflat(r.X, d), LogProb: r.LogP, NFE: r.NFE}, nil
			}})
		}
	}
	return cs
}

// checkBits sends every case at once (concurrent clients) and compares each answer's JSON
// with the JSON of the library's answer: Go prints the shortest decimal that reads back to
// the same float, so equal text is equal bits.
func checkBits(t *testing.T, base string, cs []bitsCase) {
	t.Helper()
	want := make([][]byte, len(cs))
	for i, c := range cs {
		v, err := c.want()
		if err != nil {
			t.Fatalf("%s: library: %v", c.name, err)
		}
		want[i], _ = json.Marshal(v)
	}
	got := make([][]byte, len(cs))
	codes := make([]int, len(cs))
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() { codes[i], got[i], _, errs[i] = post(context.Background(), base+c.path, c.body) })
	}
	wg.Wait()
	for i, c := range cs {
		switch {
		case errs[i] != nil:
			t.Errorf("%s: %v", c.name, errs[i])
		case codes[i] != http.StatusOK:
			t.Errorf("%s: status %d: %s", c.name, codes[i], got[i])
		case !bytes.Equal(bytes.TrimSpace(got[i]), want[i]):
			t.Errorf("%s: served answer differs from the library's\n got %.300s\nwant %.300s", c.name, got[i], want[i])
		}
	}
}

// coalesced returns the requests answered and passes run for endpoint e, from /metrics.
func coalesced(t *testing.T, base, e string) (reqs, passes float64) {
	t.Helper()
	sc := scrape(t, base)
	reqs, _ = metricValue(sc, `flowbench_batch_requests_sum{endpoint="`+e+`"}`)
	passes, _ = metricValue(sc, `flowbench_batch_requests_count{endpoint="`+e+`"}`)
	return reqs, passes
}

// TestCoalescedBits: concurrent clients of every endpoint and solver, on an unconditional
// 2-D model and a conditional one (continuous context and labels, contexts per row and
// shared, with and without guidance), get the bits of the library called alone, under every
// kernel tier, while fixed-step log_prob and encode requests do share passes.
func TestCoalescedBits(t *testing.T) {
	defer kernels.SetImpl(kernels.Impl())
	uncond := testModel(t, 2, 0, 0)
	cond := testModel(t, 3, 2, 3)
	condCtx := func(n, k int) (map[string]any, *gen.Condition) {
		vals := randRows(n, 2, uint64(50+k))
		labels := make([]int, n)
		for i := range labels {
			labels[i] = (i + k) % 3
		}
		shared := []float32{0.5, -1}
		switch k {
		case 1: // per-row contexts and labels, guided
			return map[string]any{"context": vals, "labels": labels, "guidance": 0.5}, &gen.Condition{Values: flat(vals), Labels: labels, Guidance: 0.5}
		case 2: // per-row contexts, one label shared, guided: may share passes with case 1
			return map[string]any{"context": vals, "labels": 2, "guidance": 0.5}, &gen.Condition{Values: flat(vals), Labels: []int{2}, Guidance: 0.5}
		}
		// one context shared by every row (by one row when n = 1), the same in every such
		// request: they may share passes
		return map[string]any{"context": shared, "labels": 2}, &gen.Condition{Values: shared, Labels: []int{2}}
	}
	for _, tier := range kernels.Tiers() {
		t.Run(tier, func(t *testing.T) {
			if err := kernels.SetImpl(tier); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name string
				m    *gen.Model
				ctx  func(n, k int) (map[string]any, *gen.Condition)
			}{{"uncond", uncond, nil}, {"cond", cond, condCtx}} {
				_, ts := newTestServer(t, tc.m, Config{Workers: 2, BatchWindow: 20 * time.Millisecond, Queue: 1000})
				checkBits(t, ts.URL, casesFor(tc.m, tc.name, tc.ctx, 1))
				for _, e := range []string{"log_prob", "encode"} {
					if reqs, passes := coalesced(t, ts.URL, e); !(reqs > passes) {
						t.Errorf("%s %s: %v requests in %v passes: no pass was shared", tc.name, e, reqs, passes)
					}
				}
			}
		})
	}
}
