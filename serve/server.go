package serve

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/solver"
)

// Server answers the /v1 endpoints for one model. It is safe for concurrent use: every
// request is handled on its own goroutine, the model's calls take their own workspaces
// (gen.Model's concurrency contract), and the queue, dispatcher and metrics are
// synchronized. Close (or Serve's return) stops it.
type Server struct {
	m        *gen.Model
	cfg      Config
	met      *metrics
	sched    *scheduler
	slots    chan struct{} // admitted requests; full: 429
	token    [32]byte      // SHA-256 of Config.Token
	draining atomic.Bool
	cancel   context.CancelFunc // ends every pass (the drain deadline passed, or Close)
	closed   sync.Once
	mux      *http.ServeMux
}

// New returns a server for model m bounded by cfg.
func New(m *gen.Model, cfg Config) (*Server, error) {
	if m == nil || m.Net == nil {
		return nil, errors.New("serve: no model")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	base, cancel := context.WithCancel(context.Background())
	s := &Server{m: m, cfg: cfg, slots: make(chan struct{}, cfg.Queue), cancel: cancel, token: sha256.Sum256([]byte(cfg.Token))}
	s.met = newMetrics(func() float64 { return float64(len(s.slots)) })
	s.sched = newScheduler(base, m, cfg, s.met)
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /v1/log_prob", s.endpoint("log_prob", s.logProb))
	s.mux.HandleFunc("POST /v1/encode", s.endpoint("encode", s.encode))
	s.mux.HandleFunc("POST /v1/sample", s.endpoint("sample", s.sample))
	s.mux.HandleFunc("GET /v1/info", s.plain("info", true, s.info))
	s.mux.HandleFunc("GET /healthz", s.plain("healthz", false, func(w http.ResponseWriter, _ *http.Request) int {
		return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}))
	s.mux.HandleFunc("GET /readyz", s.plain("readyz", false, s.ready))
	metricsH := s.met.handler()
	s.mux.HandleFunc("GET /metrics", s.plain("metrics", true, func(w http.ResponseWriter, r *http.Request) int {
		metricsH.ServeHTTP(w, r)
		return http.StatusOK
	}))
	return s, nil
}

// Config returns the server's bounds, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// ServeHTTP implements http.Handler: the endpoints above, and JSON errors for any other
// path (404) or method (405).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern == "" {
		start := time.Now()
		code := http.StatusNotFound
		msg := fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path)
		if _, p := s.mux.Handler(&http.Request{Method: http.MethodPost, URL: r.URL, Host: r.Host}); p != "" {
			code, msg = http.StatusMethodNotAllowed, fmt.Sprintf("%s takes POST, not %s", r.URL.Path, r.Method)
			w.Header().Set("Allow", http.MethodPost)
		} else if _, p := s.mux.Handler(&http.Request{Method: http.MethodGet, URL: r.URL, Host: r.Host}); p != "" {
			code, msg = http.StatusMethodNotAllowed, fmt.Sprintf("%s takes GET, not %s", r.URL.Path, r.Method)
			w.Header().Set("Allow", http.MethodGet)
		}
		writeError(w, code, msg)
		s.met.answered("other", code, time.Since(start))
		return
	}
	h.ServeHTTP(w, r)
}

// Close stops the server's work at once: passes running are cancelled and requests waiting
// are answered 503. Serve calls it on return; later calls do nothing.
func (s *Server) Close() {
	s.closed.Do(func() {
		s.draining.Store(true)
		s.cancel()
		s.sched.stop()
	})
}

// ServeOptions configure Serve.
type ServeOptions struct {
	// CertFile and KeyFile, when set, serve HTTPS with that certificate and key (PEM).
	CertFile, KeyFile string
	// Drain bounds the graceful shutdown: after ctx ends, the listener closes at once and
	// requests in flight get this long to finish before their work is cancelled (0:
	// DefaultDrain).
	Drain time.Duration
}

// Serve answers requests on ln until ctx ends, then shuts down gracefully: it stops
// accepting, lets admitted requests finish within opt.Drain (then cancels them, answering
// 503), and returns nil. A listener failure is returned as an error.
func (s *Server) Serve(ctx context.Context, ln net.Listener, opt ServeOptions) error {
	defer s.Close()
	drain := opt.Drain
	if drain == 0 {
		drain = DefaultDrain
	}
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.Timeout,
		WriteTimeout:      s.cfg.Timeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() {
		if opt.CertFile != "" || opt.KeyFile != "" {
			errc <- hs.ServeTLS(ln, opt.CertFile, opt.KeyFile)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	dctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	err := hs.Shutdown(dctx)
	if err != nil { // past the deadline: cancel the work, let the handlers answer 503
		s.cancel()
		fctx, fcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer fcancel()
		if hs.Shutdown(fctx) != nil {
			hs.Close()
		}
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// authorized reports whether r carries the bearer token (always, without a token).
func (s *Server) authorized(r *http.Request) bool {
	if s.cfg.Token == "" {
		return true
	}
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return false
	}
	sum := sha256.Sum256([]byte(tok))
	return subtle.ConstantTimeCompare(sum[:], s.token[:]) == 1
}

// plain wraps a handler that needs no queue slot (info, probes, metrics): authorization
// when auth, panic recovery and the request metrics.
func (s *Server) plain(name string, auth bool, h func(http.ResponseWriter, *http.Request) int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		code := http.StatusInternalServerError
		defer func() {
			if p := recover(); p != nil {
				writeError(w, code, fmt.Sprintf("internal error: %v", p))
			}
			s.met.answered(name, code, time.Since(start))
		}()
		if auth && !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="flowbench"`)
			code = writeError(w, http.StatusUnauthorized, "missing or wrong bearer token (Authorization: Bearer TOKEN)")
			return
		}
		code = h(w, r)
	}
}

// endpoint wraps a /v1 computing handler: authorization, admission to the bounded queue
// (429 with Retry-After when full), the body limit, the request deadline, panic recovery
// and the request metrics. h decodes the body, runs the job and writes the answer,
// returning the status.
func (s *Server) endpoint(name string, h func(ctx context.Context, w http.ResponseWriter, r *http.Request) int) http.HandlerFunc {
	return s.plain(name, true, func(w http.ResponseWriter, r *http.Request) int {
		if s.draining.Load() {
			w.Header().Set("Connection", "close")
			return writeError(w, http.StatusServiceUnavailable, "the server is shutting down")
		}
		select {
		case s.slots <- struct{}{}:
		default:
			s.met.rejected.Inc()
			w.Header().Set("Retry-After", "1")
			return writeError(w, http.StatusTooManyRequests, fmt.Sprintf("queue full (%d requests admitted): retry later", s.cfg.Queue))
		}
		defer func() { <-s.slots }()
		ctx, cancel := context.WithTimeoutCause(r.Context(), s.cfg.Timeout, errDeadline)
		defer cancel()
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		return h(ctx, w, r)
	})
}

// errDeadline is the cause of a request's context past Config.Timeout.
var errDeadline = errors.New("request deadline exceeded")

// statusClientGone is the status recorded (never sent) for a request whose client went
// away before its answer, as nginx logs it.
const statusClientGone = 499

// runJob submits j, waits for its answer and returns it, or the status and error that
// answer the request instead.
func (s *Server) runJob(ctx context.Context, j *job) (result, error) {
	j.ctx = ctx
	j.res = make(chan result, 1)
	if err := s.sched.submit(ctx, j); err != nil {
		return result{}, s.failure(ctx, err)
	}
	select {
	case r := <-j.res:
		if r.err != nil {
			return r, s.failure(ctx, r.err)
		}
		return r, nil
	case <-ctx.Done():
		return result{}, s.failure(ctx, context.Cause(ctx))
	}
}

// failure maps the error of a job to the answer: the client gone (499, not sent), the
// deadline or a shutdown (503), or the model's refusal of the request (422: a context of
// the wrong shape, or rows the solver cannot integrate).
func (s *Server) failure(ctx context.Context, err error) error {
	var he *httpError
	switch {
	case errors.As(err, &he): // a fault of the server (a recovered panic)
		return he
	case errors.Is(context.Cause(ctx), errDeadline):
		return &httpError{http.StatusServiceUnavailable, fmt.Sprintf("request deadline of %v exceeded", s.cfg.Timeout)}
	case ctx.Err() != nil:
		return &httpError{statusClientGone, "the client went away"}
	case errors.Is(err, errStopped) || errors.Is(err, context.Canceled):
		return &httpError{http.StatusServiceUnavailable, "the server is shutting down"}
	}
	return &httpError{http.StatusUnprocessableEntity, err.Error()}
}

// answer writes v, or the error err as {"error": …} with its status.
func answer(w http.ResponseWriter, v any, err error) int {
	if err != nil {
		var he *httpError
		if !errors.As(err, &he) {
			he = &httpError{http.StatusInternalServerError, err.Error()}
		}
		if he.code == statusClientGone {
			return he.code
		}
		return writeError(w, he.code, he.msg)
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) logProb(ctx context.Context, w http.ResponseWriter, r *http.Request) int {
	j, err := s.decodeRows(r, kindLogProb)
	if err != nil {
		return answer(w, nil, err)
	}
	res, err := s.runJob(ctx, j)
	return answer(w, &LogProbResponse{LogProb: res.logp, NFE: res.nfe}, err)
}

func (s *Server) encode(ctx context.Context, w http.ResponseWriter, r *http.Request) int {
	j, err := s.decodeRows(r, kindEncode)
	if err != nil {
		return answer(w, nil, err)
	}
	res, err := s.runJob(ctx, j)
	return answer(w, &EncodeResponse{Z: unflat(res.x, s.m.Dim()), NFE: res.nfe}, err)
}

func (s *Server) sample(ctx context.Context, w http.ResponseWriter, r *http.Request) int {
	j, err := s.decodeSample(r)
	if err != nil {
		return answer(w, nil, err)
	}
	res, err := s.runJob(ctx, j)
	return answer(w, &SampleResponse{X: unflat(res.x, s.m.Dim()), LogProb: res.logp, NFE: res.nfe}, err)
}

// decodeRows decodes the body of /v1/log_prob or /v1/encode (JSON, or .npy: npy.go) into
// its job.
func (s *Server) decodeRows(r *http.Request, k kind) (*job, error) {
	if isNPY(r) {
		req, err := npyRequest(r.Body, r.URL.Query())
		if err != nil {
			return nil, err
		}
		return s.rowsJob(req, k)
	}
	var req LogProbRequest
	if err := decodeJSON(r.Body, &req); err != nil {
		return nil, err
	}
	return s.rowsJob(&req, k)
}

// rowsJob checks a log_prob or encode request against the model and the limits.
func (s *Server) rowsJob(req *LogProbRequest, k kind) (*job, error) {
	d := s.m.Dim()
	x, err := flatRows("x", req.X, d, s.cfg.MaxRows)
	if err != nil {
		return nil, err
	}
	tol := solver.DensityRTol
	if k == kindEncode {
		tol = solver.DefaultRTol
		if req.Hutchinson != 0 || req.Seed != 0 {
			return nil, badRequest("hutchinson, seed: apply to /v1/log_prob only")
		}
	}
	o, err := req.options(tol)
	if err != nil {
		return nil, err
	}
	if req.Hutchinson < 0 || req.Hutchinson > maxProbes {
		return nil, badRequest("hutchinson: %d: want a value in [0, %d]", req.Hutchinson, maxProbes)
	}
	n := len(req.X)
	c, err := req.condition(s.m, n)
	if err != nil {
		return nil, err
	}
	return &job{kind: k, x: x, n: n, lo: gen.LikelihoodOptions{ODE: o, Hutchinson: req.Hutchinson, Seed: req.Seed, Cond: c}}, nil
}

// maxProbes bounds the Hutchinson solves of one request.
const maxProbes = 64

// decodeSample decodes the body of /v1/sample into its job.
func (s *Server) decodeSample(r *http.Request) (*job, error) {
	var req SampleRequest
	if err := decodeJSON(r.Body, &req); err != nil {
		return nil, err
	}
	return s.sampleJob(&req)
}

// sampleJob checks a sample request against the model and the limits.
func (s *Server) sampleJob(req *SampleRequest) (*job, error) {
	switch {
	case req.N < 1:
		return nil, badRequest("n: %d: want ≥ 1 samples", req.N)
	case req.N > s.cfg.MaxRows:
		return nil, &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("n: %d samples is more than the limit of %d per request", req.N, s.cfg.MaxRows)}
	}
	tol := solver.DefaultRTol
	if req.WithLogProb {
		tol = solver.DensityRTol
	}
	o, err := req.options(tol)
	if err != nil {
		return nil, err
	}
	c, err := req.condition(s.m, req.N)
	if err != nil {
		return nil, err
	}
	return &job{kind: kindSample, n: req.N, so: gen.SampleOptions{ODE: o, WithLogP: req.WithLogProb, Seed: req.Seed, Cond: c}}, nil
}

// Info is the answer of GET /v1/info.
type Info struct {
	Dim            int      `json:"dim"`
	Hidden         []int    `json:"hidden"`
	Params         int      `json:"params"`
	Interp         string   `json:"interp"`
	Base           string   `json:"base"` // "normal" or "learned"
	Data           string   `json:"data,omitempty"`
	Columns        []string `json:"columns,omitempty"`
	Conditional    bool     `json:"conditional"`
	ContextColumns int      `json:"context_columns,omitempty"` // continuous context values per row
	Classes        int      `json:"classes,omitempty"`         // class labels (0: none)
	MaxRows        int      `json:"max_rows"`
	MaxBodyBytes   int64    `json:"max_body_bytes"`
	Queue          int      `json:"queue"`
	BatchRows      int      `json:"batch_rows"`
}

// Info describes the model and the server's limits.
func (s *Server) Info() Info {
	nc := s.m.Net.Config()
	in := Info{Dim: nc.Dim, Hidden: nc.Hidden, Params: nc.NumParams(), Interp: s.m.Interp.Name(), Base: "normal",
		Data: s.m.Data.Name, Columns: s.m.Data.Columns, Conditional: nc.Conditional(), ContextColumns: nc.Context, Classes: nc.Classes,
		MaxRows: s.cfg.MaxRows, MaxBodyBytes: s.cfg.MaxBodyBytes, Queue: s.cfg.Queue, BatchRows: s.cfg.BatchRows}
	if s.m.Base != nil {
		in.Base = "learned"
	}
	return in
}

func (s *Server) info(w http.ResponseWriter, _ *http.Request) int {
	return writeJSON(w, http.StatusOK, s.Info())
}

func (s *Server) ready(w http.ResponseWriter, _ *http.Request) int {
	if s.draining.Load() {
		return writeError(w, http.StatusServiceUnavailable, "the server is shutting down")
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// writeJSON writes v with status code; a value JSON cannot hold (a non-finite result) is
// a 500.
func writeJSON(w http.ResponseWriter, code int, v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return writeError(w, http.StatusInternalServerError, fmt.Sprintf("encoding the answer: %v", err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
	return code
}

// writeError writes {"error": msg} with status code and returns code.
func writeError(w http.ResponseWriter, code int, msg string) int {
	b, _ := json.Marshal(ErrorResponse{Error: msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
	return code
}
