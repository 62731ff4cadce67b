package serve

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/interflow/flowbench/gen"
)

// Batching across requests. Admitted requests become jobs; a dispatcher groups the jobs
// that may share one batched pass (same endpoint, same fixed-step solver and step count,
// contexts of a compatible form) and hands a group to a free worker once it is full
// (Config.BatchRows) or its window (Config.BatchWindow) has passed. A group's pass is one
// library call over the rows of all its jobs, split back in order.
//
// Which requests may share a pass is decided by bits, not by accuracy: the answer of a
// coalesced request must be the bits of the same request made alone (one library call with
// gen.LikelihoodOptions.Batch = 0). That holds where every row's arithmetic is independent
// of the other rows of the batch:
//
//   - fixed-step solvers (Euler, Midpoint, Heun, RK4): every row takes the same steps at the
//     same times, and a row's field value does not depend on the other rows (the kernels'
//     GEMMs compute each output row from its input row alone, in an order that depends on
//     neither the row count nor the thread count: gen's TestFixedStepRowsIndependent and
//     TestCoalescedBits check it);
//   - exact divergences only: Hutchinson probes are drawn per position in the batch, so a
//     Hutchinson request (asked for, or d > gen.ExactDivMaxDim) runs alone;
//   - contexts of one form: a context shared by every row is folded into the first layer's
//     bias, one per row is multiplied with x, and the two differ in the last bits, so
//     requests with per-row contexts share passes with each other, and requests with a
//     shared context only with requests holding the same context bits.
//
// The adaptive solvers (Dopri5, Bosh3) choose one step size for the whole batch from the
// error of every row, so a request's steps would depend on its neighbours: such requests
// run alone (their own pass, concurrently with others on the other workers). Samples run
// alone too: their base draws come from the library's own stream inside Model.Sample.

// kind is the endpoint of a job.
type kind uint8

const (
	kindLogProb kind = iota
	kindEncode
	kindSample
)

var kindNames = [...]string{"log_prob", "encode", "sample"}

func (k kind) String() string { return kindNames[k] }

// job is one admitted request: its library call and where its answer goes.
type job struct {
	ctx  context.Context
	kind kind
	x    []float32 // n×d rows (log_prob, encode)
	n    int       // rows (or samples)
	lo   gen.LikelihoodOptions
	so   gen.SampleOptions
	key  string // non-empty: may share a pass with the jobs of the same key
	enq  time.Time
	res  chan result // buffered: the worker never waits for the handler
}

// result is a job's answer.
type result struct {
	logp []float64
	x    []float32 // encodings or samples, n×d
	nfe  int
	err  error
}

// call runs job j alone: the library call a client linking the library would make. A
// panic of the call is its error (500), not the end of the server.
func call(ctx context.Context, m *gen.Model, j *job) (r result) {
	defer func() {
		if p := recover(); p != nil {
			r = result{err: &httpError{http.StatusInternalServerError, fmt.Sprintf("internal error: %v", p)}}
		}
	}()
	switch j.kind {
	case kindLogProb:
		lp, nfe, err := m.LogProb(ctx, j.x, j.lo)
		return result{logp: lp, nfe: nfe, err: err}
	case kindEncode:
		z, nfe, err := m.Encode(ctx, j.x, j.lo)
		return result{x: z, nfe: nfe, err: err}
	}
	sr, err := m.Sample(ctx, j.n, j.so)
	if err != nil {
		return result{err: err}
	}
	return result{x: sr.X, logp: sr.LogP, nfe: sr.NFE}
}

// coalesceKey returns the key of the jobs j may share a pass with, or "" when it must run
// alone (see the comment at the top of this file).
func coalesceKey(m *gen.Model, j *job) string {
	if j.kind == kindSample {
		return ""
	}
	o := j.lo.ODE
	if o.Method.Adaptive() {
		return ""
	}
	if j.kind == kindLogProb && (j.lo.Hutchinson > 0 || m.Dim() > gen.ExactDivMaxDim) {
		return ""
	}
	ck, ok := condKey(m, j.lo.Cond, j.n)
	if !ok {
		return ""
	}
	return j.kind.String() + "/" + o.Method.String() + "/" + strconv.Itoa(o.Steps) + "/" + ck
}

// condForm returns the rows of c's continuous values and of its labels, and whether c has
// a form the model accepts for n rows (the library reports the others).
func condForm(m *gen.Model, c *gen.Condition, n int) (rowsV, rowsL int, ok bool) {
	nc := m.Net.Config()
	if nc.Context > 0 {
		if len(c.Values) == 0 || len(c.Values)%nc.Context != 0 {
			return 0, 0, false
		}
		rowsV = len(c.Values) / nc.Context
	} else if len(c.Values) > 0 {
		return 0, 0, false
	}
	rowsL = len(c.Labels)
	if (nc.Classes > 0) != (rowsL > 0) {
		return 0, 0, false
	}
	if rowsV > 1 && rowsV != n || rowsL > 1 && rowsL != n {
		return 0, 0, false
	}
	return rowsV, rowsL, true
}

// condKey is the context part of a coalescing key: "-" for none, "r…" for contexts per row
// (any two such requests may share a pass), "s…" with the context's bits for a shared one.
func condKey(m *gen.Model, c *gen.Condition, n int) (string, bool) {
	if !m.Net.Config().Conditional() {
		return "-", c == nil
	}
	if c == nil {
		return "", false
	}
	rowsV, rowsL, ok := condForm(m, c, n)
	if !ok {
		return "", false
	}
	g := strconv.FormatUint(math.Float64bits(c.Guidance), 16)
	if max(rowsV, rowsL) > 1 {
		return "r" + g, true
	}
	var b strings.Builder
	b.WriteString("s" + g)
	for _, v := range c.Values {
		b.WriteString("," + strconv.FormatUint(uint64(math.Float32bits(v)), 16))
	}
	for _, l := range c.Labels {
		b.WriteString(";" + strconv.Itoa(l))
	}
	return b.String(), true
}

// merged returns the job of one pass over the jobs js (all of one key): their rows in
// order, with their contexts as one per row (or the shared one).
func merged(m *gen.Model, js []*job) *job {
	first := js[0]
	mj := &job{kind: first.kind, lo: first.lo}
	for _, j := range js {
		mj.n += j.n
	}
	d := m.Dim()
	mj.x = make([]float32, 0, mj.n*d)
	for _, j := range js {
		mj.x = append(mj.x, j.x...)
	}
	c := first.lo.Cond
	if c == nil || !strings.HasPrefix(first.key[strings.LastIndexByte(first.key, '/')+1:], "r") {
		return mj // unconditional, or one shared context
	}
	nc := m.Net.Config()
	mc := &gen.Condition{Guidance: c.Guidance}
	for _, j := range js {
		jc := j.lo.Cond
		rowsV, rowsL, _ := condForm(m, jc, j.n)
		for r := range j.n {
			if rowsV > 0 {
				o := r % rowsV * nc.Context
				mc.Values = append(mc.Values, jc.Values[o:o+nc.Context]...)
			}
			if rowsL > 0 {
				mc.Labels = append(mc.Labels, jc.Labels[r%rowsL])
			}
		}
	}
	mj.lo.Cond = mc
	return mj
}

// group is the pending jobs of one key, in arrival order.
type group struct {
	key  string
	jobs []*job
	rows int
}

// scheduler runs the jobs of one model: the dispatcher goroutine and the workers.
type scheduler struct {
	m    *gen.Model
	cfg  Config
	met  *metrics
	base context.Context // cancelled when the server stops for good
	jobs chan *job
	work chan []*job
	quit chan struct{}
	wg   sync.WaitGroup
}

// errStopped answers the jobs left when the scheduler stops.
var errStopped = errors.New("the server is shutting down")

func newScheduler(base context.Context, m *gen.Model, cfg Config, met *metrics) *scheduler {
	s := &scheduler{m: m, cfg: cfg, met: met, base: base, jobs: make(chan *job), work: make(chan []*job), quit: make(chan struct{})}
	s.wg.Add(1 + cfg.Workers)
	go s.dispatch()
	for range cfg.Workers {
		go s.worker()
	}
	return s
}

// submit hands j to the dispatcher; it fails when ctx ends or the scheduler stopped first.
func (s *scheduler) submit(ctx context.Context, j *job) error {
	j.key = coalesceKey(s.m, j)
	j.enq = time.Now()
	select {
	case s.jobs <- j:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-s.quit:
		return errStopped
	}
}

// stop ends the dispatcher and the workers after the passes running finish; jobs still
// pending are answered errStopped.
func (s *scheduler) stop() {
	close(s.quit)
	s.wg.Wait()
}

// dispatch groups the jobs by key and hands each group to a worker when it is eligible:
// full, past its window, or a job that runs alone; eligible groups are served in turn.
// Jobs whose request went away are dropped unrun.
func (s *scheduler) dispatch() {
	defer s.wg.Done()
	defer close(s.work)
	var pending []*group // in order of their first job
	byKey := map[string]*group{}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		now := time.Now()
		var next *group
		var nextAt, take, rows int
		var wake time.Time
		for i := 0; i < len(pending); i++ {
			g := pending[i]
			live := g.jobs[:0]
			g.rows = 0
			for _, j := range g.jobs {
				if j.ctx.Err() == nil {
					live = append(live, j)
					g.rows += j.n
				}
			}
			g.jobs = live
			if len(live) == 0 {
				if g.key != "" {
					delete(byKey, g.key)
				}
				pending = append(pending[:i], pending[i+1:]...)
				i--
				continue
			}
			due := g.jobs[0].enq.Add(s.cfg.BatchWindow)
			ready := g.key == "" || g.rows >= s.cfg.BatchRows || !now.Before(due)
			if next == nil && ready {
				next, nextAt = g, i
				continue
			}
			// A group already eligible waits for a free worker (the send below), not for
			// the timer: waking for it would spin while every worker is busy.
			if !ready && (wake.IsZero() || due.Before(wake)) {
				wake = due
			}
		}
		var out chan []*job
		var batch []*job
		if next != nil {
			out = s.work
			take, rows = 1, next.jobs[0].n
			for take < len(next.jobs) && rows+next.jobs[take].n <= s.cfg.BatchRows {
				rows += next.jobs[take].n
				take++
			}
			batch = next.jobs[:take:take]
		}
		var tc <-chan time.Time
		if !wake.IsZero() {
			timer.Reset(time.Until(wake))
			tc = timer.C
		}
		select {
		case j := <-s.jobs:
			if g := byKey[j.key]; g != nil && j.key != "" {
				g.jobs = append(g.jobs, j)
				g.rows += j.n
				break
			}
			g := &group{key: j.key, jobs: []*job{j}, rows: j.n}
			pending = append(pending, g)
			if j.key != "" {
				byKey[j.key] = g
			}
		case out <- batch:
			next.jobs = next.jobs[take:]
			next.rows -= rows
			// Round robin: the group goes behind the others, so a steady stream of one
			// key does not starve the rest.
			pending = append(append(pending[:nextAt], pending[nextAt+1:]...), next)
		case <-tc:
		case <-s.quit:
			timer.Stop()
			for _, g := range pending {
				for _, j := range g.jobs {
					j.res <- result{err: errStopped}
				}
			}
			return
		}
		timer.Stop()
	}
}

// worker runs the passes the dispatcher hands it.
func (s *scheduler) worker() {
	defer s.wg.Done()
	for b := range s.work {
		s.run(b)
	}
}

// run answers the jobs of one pass: alone, or coalesced into one library call whose
// answers are split back; when a coalesced pass fails (a request's rows the solver cannot
// integrate, or every client gone), each job is answered by its own call instead.
func (s *scheduler) run(b []*job) {
	live := b[:0]
	for _, j := range b {
		if j.ctx.Err() == nil {
			live = append(live, j)
		}
	}
	if len(live) == 0 {
		return
	}
	if len(live) == 1 {
		s.alone(live[0])
		return
	}
	ctx, cancel := context.WithCancel(s.base)
	defer cancel()
	var left atomic.Int64
	left.Store(int64(len(live)))
	for _, j := range live {
		stop := context.AfterFunc(j.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
	}
	mj := merged(s.m, live)
	r := call(ctx, s.m, mj)
	s.met.pass(mj.kind, mj.n, len(live), r.nfe)
	if r.err != nil {
		for _, j := range live {
			if j.ctx.Err() == nil {
				s.alone(j)
			}
		}
		return
	}
	d, off := s.m.Dim(), 0
	for _, j := range live {
		jr := result{nfe: r.nfe}
		switch j.kind {
		case kindLogProb:
			jr.logp = r.logp[off : off+j.n : off+j.n]
		case kindEncode:
			jr.x = r.x[off*d : (off+j.n)*d : (off+j.n)*d]
		}
		off += j.n
		j.res <- jr
	}
}

// alone answers j by its own library call, under its request's context and the server's.
func (s *scheduler) alone(j *job) {
	ctx, cancel := context.WithCancel(j.ctx)
	defer cancel()
	stop := context.AfterFunc(s.base, cancel)
	defer stop()
	r := call(ctx, s.m, j)
	s.met.pass(j.kind, j.n, 1, r.nfe)
	j.res <- r
}
