package serve

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// LoadOptions configure RunLoad: Clients goroutines each send Body to URL (POST, JSON)
// one request after another until Duration has passed or Requests were sent.
type LoadOptions struct {
	URL      string
	Body     []byte
	Token    string // bearer token, when the server needs one
	Clients  int
	Requests int           // total requests (0: until Duration)
	Duration time.Duration // (0: until Requests)
	// Rows is the rows of one request, for the throughput (rows answered 200 per second).
	Rows int
	// Backoff is how long a client waits after a 429 before its next request (0: it sends
	// at once, the harshest overload; a client that honors Retry-After waits longer).
	Backoff time.Duration
}

// LoadResult is what a load run measured.
type LoadResult struct {
	Sent     int           // requests sent
	ByStatus map[int]int   // answers by HTTP status
	Failed   int           // requests that got no answer (transport errors)
	Elapsed  time.Duration // from the first request to the last answer
	// Latencies are those of the requests answered 200, sorted.
	Latencies []time.Duration
	// RowsPerSec is Rows × (answers 200) / Elapsed.
	RowsPerSec float64
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1, nearest rank) of the latencies of the
// requests answered 200 (0 when none).
func (r *LoadResult) Quantile(q float64) time.Duration {
	n := len(r.Latencies)
	if n == 0 {
		return 0
	}
	i := int(q*float64(n)+0.5) - 1
	return r.Latencies[min(max(i, 0), n-1)]
}

// RunLoad runs a closed-loop load: every client waits for its answer before sending the
// next request (so Clients is the concurrency). Every answer's body is read in full.
func RunLoad(ctx context.Context, opt LoadOptions) (*LoadResult, error) {
	if opt.Clients < 1 || opt.Requests <= 0 && opt.Duration <= 0 {
		return nil, errors.New("serve: RunLoad: want Clients ≥ 1 and Requests or Duration > 0")
	}
	tr := &http.Transport{MaxIdleConns: opt.Clients, MaxIdleConnsPerHost: opt.Clients, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr}
	var sent atomic.Int64
	var mu sync.Mutex
	res := &LoadResult{ByStatus: map[int]int{}}
	start := time.Now()
	end := start.Add(opt.Duration)
	var wg sync.WaitGroup
	for range opt.Clients {
		wg.Go(func() {
			var lat []time.Duration
			by := map[int]int{}
			failed := 0
			for ctx.Err() == nil {
				if opt.Requests > 0 && sent.Add(1) > int64(opt.Requests) || opt.Duration > 0 && !time.Now().Before(end) {
					break
				}
				if opt.Requests == 0 {
					sent.Add(1)
				}
				t0 := time.Now()
				code, err := send(ctx, cl, opt)
				if err != nil {
					failed++
					continue
				}
				by[code]++
				switch code {
				case http.StatusOK:
					lat = append(lat, time.Since(t0))
				case http.StatusTooManyRequests:
					time.Sleep(opt.Backoff)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			res.Latencies = append(res.Latencies, lat...)
			res.Failed += failed
			for c, n := range by {
				res.ByStatus[c] += n
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Sent = res.Failed
	for _, n := range res.ByStatus {
		res.Sent += n
	}
	slices.Sort(res.Latencies)
	res.RowsPerSec = float64(opt.Rows*res.ByStatus[http.StatusOK]) / res.Elapsed.Seconds()
	return res, ctx.Err()
}

// send posts one request and reads its answer.
func send(ctx context.Context, cl *http.Client, opt LoadOptions) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, opt.URL, bytes.NewReader(opt.Body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if opt.Token != "" {
		req.Header.Set("Authorization", "Bearer "+opt.Token)
	}
	resp, err := cl.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}
