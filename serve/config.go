package serve

import (
	"fmt"
	"runtime"
	"time"
)

// Config bounds a Server. The zero value of a field selects its default (DefaultConfig).
type Config struct {
	// MaxBodyBytes bounds a request body; a larger one is answered 413.
	MaxBodyBytes int64
	// MaxRows bounds the rows of a request (x rows, or n of a sample); more are answered 413.
	MaxRows int
	// Queue bounds the requests admitted at once (waiting for a pass or in one); a request
	// beyond it is answered 429 with Retry-After instead of waiting.
	Queue int
	// Workers is the number of passes run at once.
	Workers int
	// BatchRows is the row budget of a coalesced pass: requests that may share a pass are
	// joined until their rows reach it (a request larger than the budget runs alone).
	BatchRows int
	// BatchWindow is how long a coalescible request waits for others to join its pass
	// before it may start (0: it starts as soon as a worker is free, so requests are joined
	// only while every worker is busy).
	BatchWindow time.Duration
	// Timeout is the deadline of one request, from its admission to its answer; past it the
	// request is answered 503 and its work stops.
	Timeout time.Duration
	// Token, when non-empty, is the bearer token every /v1 and /metrics request must carry
	// (Authorization: Bearer TOKEN), compared in constant time.
	Token string
}

// Defaults of Config, chosen as `flowbench serve --help` and the README explain: the body
// and row bounds keep one request's memory to tens of MiB; the queue and workers follow the
// cores; the batch budget and window were chosen by `flowbench bench serve` (README,
// "Serving").
const (
	DefaultMaxBodyBytes = 32 << 20
	DefaultMaxRows      = 100_000
	DefaultBatchRows    = 4096
	DefaultBatchWindow  = 0
	DefaultTimeout      = 60 * time.Second
	DefaultDrain        = 30 * time.Second // ServeOptions.Drain
)

// DefaultQueue is the default admission bound: 32 requests per worker.
func DefaultQueue(workers int) int { return 32 * workers }

// withDefaults returns c with its zero fields set to the defaults, or an error naming the
// first negative field.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.MaxBodyBytes < 0:
		return c, fmt.Errorf("serve: MaxBodyBytes = %d: want ≥ 0 (0: default)", c.MaxBodyBytes)
	case c.MaxRows < 0:
		return c, fmt.Errorf("serve: MaxRows = %d: want ≥ 0 (0: default)", c.MaxRows)
	case c.Queue < 0:
		return c, fmt.Errorf("serve: Queue = %d: want ≥ 0 (0: default)", c.Queue)
	case c.Workers < 0:
		return c, fmt.Errorf("serve: Workers = %d: want ≥ 0 (0: default)", c.Workers)
	case c.BatchRows < 0:
		return c, fmt.Errorf("serve: BatchRows = %d: want ≥ 0 (0: default)", c.BatchRows)
	case c.BatchWindow < 0:
		return c, fmt.Errorf("serve: BatchWindow = %v: want ≥ 0", c.BatchWindow)
	case c.Timeout < 0:
		return c, fmt.Errorf("serve: Timeout = %v: want ≥ 0 (0: default)", c.Timeout)
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxRows == 0 {
		c.MaxRows = DefaultMaxRows
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Queue == 0 {
		c.Queue = DefaultQueue(c.Workers)
	}
	if c.BatchRows == 0 {
		c.BatchRows = DefaultBatchRows
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	return c, nil
}
