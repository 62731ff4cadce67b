package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The worker pool: persistent goroutines, started on first use up to Threads()-1 of them
// (the calling goroutine is always worker 0). A parallel section hands out task indices
// 0..n-1 through an atomic counter; which worker runs a task never changes what the task
// computes, so results do not depend on the thread count or on scheduling.
//
// One caller owns the pool at a time (pool.mu): a parallel GEMM or a RunTasks section. The
// pool hands out worker numbers only; each section keeps its own per-worker state. A GEMM
// that finds the pool busy runs single-threaded on a private state (gemm_dispatch.go), with
// the same bits as it would have had on the pool.
//
// Hand-off. A section publishes itself by storing a new sequence word (generation << 8 |
// number of workers) after setting up the job. A worker that has just finished a section
// spins on that word for up to spinWait before it parks on its channel, and the caller spins
// as long for the workers to finish before it blocks on the WaitGroup: the sections of one
// GEMM (pack, compute) and of one training step follow each other within microseconds,
// while waking a parked goroutine takes tens of microseconds, long enough to unbalance a
// section of a few tasks. Parking is explicit (a parked flag swapped by whichever side
// gets there first), so no wake-up is lost and a spinning worker is never sent one.

// taskRunner is a parallel section: runTask(w, t) runs task t on worker w, where 0 is the
// calling goroutine and 1, 2, ... are the pool's goroutines. A section that needs buffers
// per worker keeps them itself, indexed by w (GEMM: gemmState.workers).
type taskRunner interface {
	runTask(w, t int)
}

// spinWait is how long a worker spins for the next section, and the caller for the end of
// the current one, before blocking.
const spinWait = 50 * time.Microsecond

// poolMaxWorkers is the most workers one section runs on (the sequence word's low byte
// counts them), so worker numbers are below it.
const poolMaxWorkers = 255

type poolWorker struct {
	wake   chan struct{}
	parked atomic.Bool
	_      [64]byte // keep the flags of different workers on different cache lines
}

type workerPool struct {
	mu sync.Mutex    // held by the call that owns the pool (a GEMM or a RunTasks section)
	pw []*poolWorker // pw[i] is worker i+1 (worker 0 is the calling goroutine)

	seq     atomic.Uint64 // generation << 8 | workers in the section (published last)
	r       taskRunner
	ntask   int64
	next    atomic.Int64
	pending atomic.Int64 // workers other than the caller still in the section
	done    sync.WaitGroup
}

var pool workerPool

// ensure starts workers until there are n (including the caller's worker 0). The word
// argument of loop is the sequence at start, so a new worker never joins a section that
// began before it.
func (p *workerPool) ensure(n int) {
	for len(p.pw)+1 < n {
		w := &poolWorker{wake: make(chan struct{}, 1)}
		p.pw = append(p.pw, w)
		go p.loop(w, len(p.pw), p.seq.Load())
	}
}

// loop is worker idx (>= 1): it waits for a section that includes it, runs its share of the
// tasks, and signals completion.
func (p *workerPool) loop(w *poolWorker, idx int, seen uint64) {
	for {
		s := p.await(w, seen)
		seen = s
		if int(s&0xff) <= idx {
			continue // a section with fewer workers
		}
		p.work(idx)
		p.pending.Add(-1)
		p.done.Done()
	}
}

// await returns the first sequence word after seen: spinning for up to spinWait, then
// parked on the worker's channel.
func (p *workerPool) await(w *poolWorker, seen uint64) uint64 {
	start := time.Now()
	for i := 0; ; i++ {
		if s := p.seq.Load(); s != seen {
			return s
		}
		if i&63 == 63 {
			if time.Since(start) > spinWait {
				break
			}
			runtime.Gosched()
		}
	}
	for {
		w.parked.Store(true)
		if s := p.seq.Load(); s != seen {
			if !w.parked.Swap(false) {
				<-w.wake // the caller saw us parked and is sending: take it
			}
			return s
		}
		<-w.wake
		if s := p.seq.Load(); s != seen {
			return s
		}
	}
}

// work runs tasks of the current section on worker w until none is left.
func (p *workerPool) work(w int) {
	for {
		t := p.next.Add(1) - 1
		if t >= p.ntask {
			return
		}
		p.r.runTask(w, int(t))
	}
}

// parallel runs tasks 0..ntask-1 of r on up to min(nthreads, poolMaxWorkers) workers,
// the calling goroutine being worker 0, and returns when all are done. The caller must own
// the pool, except with nthreads <= 1: then the tasks run in order on worker 0 and the
// pool is not touched.
func (p *workerPool) parallel(nthreads, ntask int, r taskRunner) {
	nw := min(nthreads, ntask, poolMaxWorkers)
	if nw <= 1 {
		for t := 0; t < ntask; t++ {
			r.runTask(0, t)
		}
		return
	}
	p.ensure(nw)
	p.r = r
	p.ntask = int64(ntask)
	p.next.Store(0)
	p.pending.Store(int64(nw - 1))
	p.done.Add(nw - 1)
	gen := p.seq.Load()>>8 + 1
	p.seq.Store(gen<<8 | uint64(nw))
	for _, w := range p.pw[:nw-1] {
		if w.parked.Swap(false) {
			w.wake <- struct{}{}
		}
	}
	p.work(0)
	start := time.Now()
	for i := 0; p.pending.Load() != 0; i++ {
		if i&63 == 63 {
			if time.Since(start) > spinWait {
				break
			}
			runtime.Gosched() // with fewer Ps than threads a worker may need this one
		}
	}
	p.done.Wait()
	p.r = nil
}
