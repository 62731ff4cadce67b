package serve

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are a Server's Prometheus collectors, in a registry of their own (so that
// several servers in one process do not collide): counters and histograms with few labels.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec   // by endpoint and status code
	latency  *prometheus.HistogramVec // seconds, by endpoint and status code
	passRows *prometheus.HistogramVec // rows per pass, by endpoint
	passReqs *prometheus.HistogramVec // requests per pass, by endpoint
	nfe      *prometheus.CounterVec   // field evaluations, by endpoint
	rejected prometheus.Counter       // requests answered 429
}

// newMetrics registers the collectors; depth reports the requests admitted now.
func newMetrics(depth func() float64) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "flowbench_requests_total",
			Help: "Requests answered, by endpoint and HTTP status (499: the client went away first)."}, []string{"endpoint", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "flowbench_request_duration_seconds",
			Help:    "Time from a request's arrival to its answer, by endpoint and HTTP status.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 18)}, []string{"endpoint", "code"}),
		passRows: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "flowbench_batch_rows",
			Help: "Rows of one batched pass (coalesced requests, or one alone).", Buckets: prometheus.ExponentialBuckets(1, 2, 18)}, []string{"endpoint"}),
		passReqs: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "flowbench_batch_requests",
			Help: "Requests answered by one batched pass.", Buckets: prometheus.ExponentialBuckets(1, 2, 10)}, []string{"endpoint"}),
		nfe: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "flowbench_field_evaluations_total",
			Help: "Batch-wide velocity-field evaluations of the passes run, by endpoint."}, []string{"endpoint"}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{Name: "flowbench_rejected_total",
			Help: "Requests refused with 429 because the queue was full."}),
	}
	reg.MustRegister(m.requests, m.latency, m.passRows, m.passReqs, m.nfe, m.rejected,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "flowbench_queue_depth",
			Help: "Requests admitted now: waiting for a pass or in one."}, depth),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// pass records one pass of kind k over rows rows answering reqs requests with nfe field
// evaluations.
func (m *metrics) pass(k kind, rows, reqs, nfe int) {
	e := k.String()
	m.passRows.WithLabelValues(e).Observe(float64(rows))
	m.passReqs.WithLabelValues(e).Observe(float64(reqs))
	m.nfe.WithLabelValues(e).Add(float64(nfe))
}

// answered records a request of endpoint e answered with status code after d.
func (m *metrics) answered(e string, code int, d time.Duration) {
	c := strconv.Itoa(code)
	m.requests.WithLabelValues(e, c).Inc()
	m.latency.WithLabelValues(e, c).Observe(d.Seconds())
}

// handler serves the registry in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
