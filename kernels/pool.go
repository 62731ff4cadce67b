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
// One parallel GEMM runs at a time on the pool. A call that finds the pool busy (another
// goroutine is using it, or a RunTasks section holds it) runs single-threaded on a private
// state from a free list, with the same bits as it would have had on the pool.
//
// Hand-off. A section publishes itself by storing a new sequence word (generation << 8 |
// number of workers) after setting up the job. A worker that has just finished a section
// spins on that word for up to spinWait before it parks on its channel, and the caller spins
// as long for the workers to finish before it blocks on the WaitGroup: the sections of one
// GEMM (pack, compute) and of one training step follow each other within microseconds,
// while waking a parked goroutine takes tens of microseconds, long enough to unbalance a
// section of a few tasks. Parking is explicit (a parked flag swapped by whichever side
// gets there first), so no wake-up is lost and a spinning worker is never sent one.

// taskRunner is a parallel section: runTask(w, t) runs task t using worker w's buffers.
type taskRunner interface {
	runTask(w *gemmWorker, t int)
}

// spinWait is how long a worker spins for the next section, and the caller for the end of
// the current one, before blocking.
const spinWait = 50 * time.Microsecond

type poolWorker struct {
	w      *gemmWorker
	wake   chan struct{}
	parked atomic.Bool
	_      [64]byte // keep the flags of different workers on different cache lines
}

type workerPool struct {
	mu      sync.Mutex // held by the call that owns the pool
	workers []*gemmWorker
	pw      []*poolWorker // pw[i] runs workers[i+1]
	state   gemmState     // the job and shared buffers of the owning call
	tasks   taskAdapter   // the RunTasks section of the owner (tasks.go)

	seq     atomic.Uint64 // generation << 8 | workers in the section (published last)
	r       taskRunner
	ntask   int64
	next    atomic.Int64
	pending atomic.Int64 // workers other than the caller still in the section
	done    sync.WaitGroup
}

var pool = workerPool{workers: []*gemmWorker{new(gemmWorker)}}

// privateStates serves calls that find the pool busy: the GEMMs inside RunTasks tasks and
// those of other goroutines. A free list rather than a sync.Pool, which drops its items at
// every garbage collection and would make each worker regrow megabytes of packing buffers
// after it. It keeps at most 2·GOMAXPROCS states (GEMMs that run at once are bounded by the
// Ps, with slack for goroutines preempted inside one), each up to about 4 MiB of packed B.
var privateStates struct {
	mu   sync.Mutex
	free []*gemmState
}

func getPrivateState() *gemmState {
	privateStates.mu.Lock()
	defer privateStates.mu.Unlock()
	if n := len(privateStates.free); n > 0 {
		st := privateStates.free[n-1]
		privateStates.free = privateStates.free[:n-1]
		return st
	}
	return &gemmState{w0: new(gemmWorker)}
}

func putPrivateState(st *gemmState) {
	privateStates.mu.Lock()
	defer privateStates.mu.Unlock()
	if len(privateStates.free) < 2*runtime.GOMAXPROCS(0) {
		privateStates.free = append(privateStates.free, st)
	}
}

// ensure starts workers until there are n (including the caller's worker 0). The word
// argument of loop is the sequence at start, so a new worker never joins a section that
// began before it.
func (p *workerPool) ensure(n int) {
	for len(p.workers) < n {
		w := &poolWorker{w: &gemmWorker{id: len(p.workers)}, wake: make(chan struct{}, 1)}
		p.workers = append(p.workers, w.w)
		p.pw = append(p.pw, w)
		go p.loop(w, len(p.workers)-1, p.seq.Load())
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
		p.work(w.w)
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

func (p *workerPool) work(w *gemmWorker) {
	for {
		t := p.next.Add(1) - 1
		if t >= p.ntask {
			return
		}
		p.r.runTask(w, int(t))
	}
}

// parallel runs tasks 0..ntask-1 of r on up to nthreads workers and returns when all are
// done. w0 is the calling goroutine's worker. With nthreads <= 1 it runs them in order on w0.
func (p *workerPool) parallel(nthreads, ntask int, r taskRunner, w0 *gemmWorker) {
	nw := min(nthreads, ntask, 255)
	if nw <= 1 {
		for t := 0; t < ntask; t++ {
			r.runTask(w0, t)
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
	p.work(w0)
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
