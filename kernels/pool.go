package kernels

import (
	"sync"
	"sync/atomic"
)

// The worker pool: persistent goroutines, started on first use up to Threads()-1 of them
// (the calling goroutine is always worker 0). A parallel section hands out task indices
// 0..n-1 through an atomic counter; which worker runs a task never changes what the task
// computes, so results do not depend on the thread count or on scheduling.
//
// One parallel GEMM runs at a time on the pool. A call that finds the pool busy (another
// goroutine is using it) runs single-threaded on a private state from a sync.Pool, with the
// same bits as it would have had on the pool.

// taskRunner is a parallel section: runTask(w, t) runs task t using worker w's buffers.
type taskRunner interface {
	runTask(w *gemmWorker, t int)
}

type workerPool struct {
	mu      sync.Mutex // held by the call that owns the pool
	workers []*gemmWorker
	wake    []chan struct{}
	state   gemmState // the job and shared buffers of the owning call

	r     taskRunner
	ntask int64
	next  atomic.Int64
	done  sync.WaitGroup
}

var pool = workerPool{workers: []*gemmWorker{new(gemmWorker)}}

// privateStates serves calls that find the pool busy.
var privateStates = sync.Pool{New: func() any { return &gemmState{w0: new(gemmWorker)} }}

// ensure starts workers until there are n (including the caller's worker 0).
func (p *workerPool) ensure(n int) {
	for len(p.workers) < n {
		w := new(gemmWorker)
		ch := make(chan struct{}, 1)
		p.workers = append(p.workers, w)
		p.wake = append(p.wake, ch)
		go p.loop(w, ch)
	}
}

func (p *workerPool) loop(w *gemmWorker, wake chan struct{}) {
	for range wake {
		p.work(w)
		p.done.Done()
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
	nw := min(nthreads, ntask)
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
	p.done.Add(nw - 1)
	for i := 1; i < nw; i++ {
		p.wake[i-1] <- struct{}{}
	}
	p.work(w0)
	p.done.Wait()
	p.r = nil
}
