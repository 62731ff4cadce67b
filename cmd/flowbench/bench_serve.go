package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"time"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/serve"
	"github.com/interflow/flowbench/solver"
)

// The serve benchmark group (issue 18): package serve on loopback, loaded by serve.RunLoad
// with closed-loop clients each sending 100-row log_prob requests (RK4, 8 steps, exact
// divergence) to a 2-D and a 64-D model (3×64 SiLU, untrained: the cost of a fixed-step
// solve does not depend on the weights), beside the library's own batched throughput
// measured in the same run:
//
//	serve-lib       Model.LogProb of BatchRows rows in one call: rows/s, and the latency of
//	                one 100-row call
//	serve           1, 8 and 64 clients: rows/s (x_lib = ÷ the library's), p50 and p99
//	                latency (p99_x_alone = p99 ÷ the 1-client p50)
//	serve-window    64 clients on the 2-D model at several batch windows
//	serve-overload  a queue of 2 requests per worker and 4× more clients than it admits,
//	                retrying at once after a 429 or 10 ms later: answers by status, p99 of
//	                the admitted ÷ the unloaded p99, the heap's peak
//
// The server runs Workers = the thread count, so it computes on as many cores as the
// library line; its HTTP and JSON work runs on the Go scheduler beside them.

// serveBench are the group's own flags.
var serveBench struct {
	short *bool
	secs  *float64
}

func addServeBenchFlags(fs *flag.FlagSet) {
	serveBench.short = fs.Bool("short", false, "a quick run: the 2-D model only, short loads")
	serveBench.secs = fs.Float64("seconds", 3, "duration of each load")
}

const serveReqRows, serveSteps, serveWidth = 100, 8, 64

// serveModel is the benchmark model of dimension d.
func serveModel(d int) *gen.Model {
	return &gen.Model{Net: benchNet(d, serveWidth), Interp: interp.Trig{}}
}

// benchServer is a running loopback server.
type benchServer struct {
	srv  *serve.Server
	url  string
	stop context.CancelFunc
	done chan error
}

func startBenchServer(m *gen.Model, cfg serve.Config) (*benchServer, error) {
	srv, err := serve.New(m, cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	b := &benchServer{srv: srv, url: "http://" + ln.Addr().String(), stop: stop, done: make(chan error, 1)}
	go func() { b.done <- srv.Serve(ctx, ln, serve.ServeOptions{Drain: 10 * time.Second}) }()
	return b, nil
}

func (b *benchServer) close() error {
	b.stop()
	return <-b.done
}

func benchServe(ctx context.Context, o *benchOpts) error {
	names := []string{"serve-lib", "serve", "serve-window", "serve-overload"}
	if err := checkOnly(o, "serve", names...); err != nil {
		return err
	}
	short := *serveBench.short
	dur := time.Duration(*serveBench.secs * float64(time.Second))
	if !(dur > 0) {
		return usagef("bench serve: --seconds must be > 0, got %v", *serveBench.secs)
	}
	if short {
		dur = min(dur, 300*time.Millisecond)
	}
	dims := []int{2, 64}
	if short {
		dims = dims[:1]
	}
	ode := solver.Options{Method: solver.RK4, Steps: serveSteps}
	err := forEachSetting(o, func(impl string, th int) error {
		for _, d := range dims {
			if err := benchServeDim(ctx, o, impl, th, d, ode, dur, short); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return o.out.Emit("group", "serve", "summary", true, "short", short)
}

// libThroughput measures the library's rows/s on one call of rows rows (repeated for at
// least dur) and the mean time of one call of serveReqRows rows.
func libThroughput(ctx context.Context, m *gen.Model, ode solver.Options, rows int, dur time.Duration) (rowsPerSec float64, alone time.Duration, err error) {
	d := m.Dim()
	x := make([]float32, rows*d)
	for i := range x {
		x[i] = float32(i%7)*0.3 - 1
	}
	lo := gen.LikelihoodOptions{ODE: ode}
	if _, _, err := m.LogProb(ctx, x[:serveReqRows*d], lo); err != nil { // warm-up
		return 0, 0, err
	}
	run := func(x []float32) (time.Duration, error) {
		t0 := time.Now()
		n := 0
		for n == 0 || time.Since(t0) < dur {
			if _, _, err := m.LogProb(ctx, x, lo); err != nil {
				return 0, err
			}
			n++
		}
		return time.Since(t0) / time.Duration(n), nil
	}
	big, err := run(x)
	if err != nil {
		return 0, 0, err
	}
	small, err := run(x[:serveReqRows*d])
	return float64(rows) / big.Seconds(), small, err
}

func benchServeDim(ctx context.Context, o *benchOpts, impl string, th, d int, ode solver.Options, dur time.Duration, short bool) error {
	m := serveModel(d)
	cfg := serve.Config{Workers: th, Queue: 256} // room for every client: no 429 below overload
	libRows := []int{1024, 4096}
	if d > 2 || short {
		libRows = libRows[:1] // the 64-D pass costs ~50× the 2-D one per row
	}
	common := []any{"threads", th, "impl", impl, "dim", d, "width", serveWidth, "solver", "rk4", "steps", serveSteps, "cpu", cpuName(), "gomaxprocs", runtime.GOMAXPROCS(0)}
	lib := 0.0 // the library's best batched throughput: what the server is compared with
	for _, rows := range libRows {
		r, alone, err := libThroughput(ctx, m, ode, rows, dur)
		if err != nil {
			return err
		}
		lib = max(lib, r)
		if o.want("serve-lib") {
			if err := o.out.Emit(append([]any{"workload", "serve-lib", "rows", rows, "rows_per_s", r, "alone_ms", ms(alone)}, common...)...); err != nil {
				return err
			}
		}
	}
	body := logProbBody(d, ode)
	load := func(cfg serve.Config, clients int, backoff time.Duration) (*serve.LoadResult, uint64, error) {
		bs, err := startBenchServer(m, cfg)
		if err != nil {
			return nil, 0, err
		}
		peak := make(chan uint64, 1)
		quit := make(chan struct{})
		go func() { peak <- heapPeak(quit) }()
		r, err := serve.RunLoad(ctx, serve.LoadOptions{URL: bs.url + "/v1/log_prob", Body: body, Clients: clients, Duration: dur, Rows: serveReqRows, Backoff: backoff})
		close(quit)
		p := <-peak
		if cerr := bs.close(); err == nil {
			err = cerr
		}
		return r, p, err
	}
	var aloneP50, unloadedP99 time.Duration
	if o.want("serve") || o.want("serve-overload") {
		for _, clients := range []int{1, 8, 64} {
			r, _, err := load(cfg, clients, 0)
			if err != nil {
				return err
			}
			if clients == 1 {
				aloneP50, unloadedP99 = r.Quantile(0.5), r.Quantile(0.99)
			}
			if !o.want("serve") {
				break
			}
			if err := o.out.Emit(append([]any{"workload", "serve", "clients", clients, "requests", r.Sent, "ok", r.ByStatus[http.StatusOK],
				"rows_per_s", r.RowsPerSec, "x_lib", r.RowsPerSec / lib, "p50_ms", ms(r.Quantile(0.5)), "p99_ms", ms(r.Quantile(0.99)),
				"p99_x_alone", ratio(r.Quantile(0.99), aloneP50)}, common...)...); err != nil {
				return err
			}
		}
	}
	if o.want("serve-window") && d == 2 {
		for _, w := range []time.Duration{0, time.Millisecond, 4 * time.Millisecond} {
			c := cfg
			c.BatchWindow = w
			r, _, err := load(c, 64, 0)
			if err != nil {
				return err
			}
			if err := o.out.Emit(append([]any{"workload", "serve-window", "clients", 64, "window_ms", ms(w), "rows_per_s", r.RowsPerSec,
				"x_lib", r.RowsPerSec / lib, "p50_ms", ms(r.Quantile(0.5)), "p99_ms", ms(r.Quantile(0.99))}, common...)...); err != nil {
				return err
			}
		}
	}
	if o.want("serve-overload") {
		c := cfg
		c.Queue = 2 * th // an admitted request waits for at most one other per worker
		for _, backoff := range []time.Duration{0, 10 * time.Millisecond} {
			r, peak, err := load(c, 4*c.Queue, backoff)
			if err != nil {
				return err
			}
			if err := emitOverload(o, r, c.Queue, backoff, unloadedP99, peak, common); err != nil {
				return err
			}
		}
	}
	return nil
}

// emitOverload prints the line of an overload run.
func emitOverload(o *benchOpts, r *serve.LoadResult, queue int, backoff, unloadedP99 time.Duration, peak uint64, common []any) error {
	kv := []any{"workload", "serve-overload", "clients", 4 * queue, "queue", queue, "backoff_ms", ms(backoff), "requests", r.Sent, "no_answer", r.Failed}
	for _, code := range []int{200, 429, 503} {
		kv = append(kv, fmt.Sprintf("status_%d", code), r.ByStatus[code])
	}
	other := r.Sent - r.Failed - r.ByStatus[200] - r.ByStatus[429] - r.ByStatus[503]
	kv = append(kv, "status_other", other, "p99_ms", ms(r.Quantile(0.99)), "unloaded_p99_ms", ms(unloadedP99),
		"p99_x_unloaded", ratio(r.Quantile(0.99), unloadedP99), "heap_peak_mb", float64(peak)/(1<<20))
	return o.out.Emit(append(kv, common...)...)
}

// logProbBody is the JSON body of one 100-row log_prob request of dimension d.
func logProbBody(d int, ode solver.Options) []byte {
	rows := make([][]float32, serveReqRows)
	for i := range rows {
		rows[i] = make([]float32, d)
		for j := range rows[i] {
			rows[i][j] = float32((i*d+j)%11)*0.2 - 1
		}
	}
	b, err := json.Marshal(map[string]any{"x": rows, "solver": ode.Method.String(), "steps": ode.Steps})
	if err != nil {
		panic(err) // finite values
	}
	return b
}

// heapPeak samples the heap in use every 20 ms until quit closes and returns its peak.
func heapPeak(quit <-chan struct{}) uint64 {
	var peak uint64
	var ms runtime.MemStats
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
		select {
		case <-quit:
			return peak
		case <-tick.C:
		}
	}
}

func ms(d time.Duration) float64 { return d.Seconds() * 1e3 }

// ratio returns a ÷ b (0 when b is 0).
func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
