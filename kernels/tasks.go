package kernels

// Task is caller-defined parallel work for RunTasks: RunTask(worker, task) runs task number
// task on the goroutine numbered worker (0 is the goroutine that called RunTasks), so the
// caller can give each worker its own buffers.
type Task interface {
	RunTask(worker, task int)
}

// taskAdapter runs a Task as one of the pool's sections.
type taskAdapter struct{ t Task }

func (a *taskAdapter) runTask(w, t int) { a.t.RunTask(w, t) }

// poolTasks is the section of the RunTasks call that owns the pool (guarded by pool.mu): a
// package variable, so that RunTasks allocates nothing.
var poolTasks taskAdapter

// RunTasks runs t.RunTask(worker, i) for every i in [0, n) on up to min(maxWorkers,
// Threads(), n) goroutines of the package's worker pool, numbered from 0 (the caller), and
// returns when all have finished. A caller sizes its per-worker buffers for maxWorkers
// (WorkersFor(n) is the usual choice) and passes the same number, so a concurrent SetThreads
// can never hand it a worker number it has no buffers for. Tasks are handed out in order by
// an atomic counter, so which worker runs a task varies from call to call.
//
// Kernel calls made inside a task run single-threaded (the pool is held for the whole
// section), so independent pieces of a large job, such as row chunks of a network's forward
// pass, are split once at this level rather than inside every GEMM: no barrier per product,
// and the same bits, since no kernel's result depends on its thread count. When the pool is
// busy (another goroutine, or an enclosing RunTasks, holds it) or only one worker is
// allowed, the tasks run in order on the calling goroutine as worker 0; a task that calls
// RunTasks itself therefore gets worker 0 again and must not share that worker's buffers.
func RunTasks(n, maxWorkers int, t Task) {
	if nw := min(maxWorkers, Threads(), n); nw > 1 && pool.mu.TryLock() {
		poolTasks = taskAdapter{t}
		pool.parallel(nw, n, &poolTasks)
		poolTasks = taskAdapter{}
		pool.mu.Unlock()
		return
	}
	for i := range n {
		t.RunTask(0, i)
	}
}

// WorkersFor returns the number of workers RunTasks would use for n tasks now: Threads()
// capped at n, at least 1.
func WorkersFor(n int) int { return max(1, min(Threads(), n)) }
