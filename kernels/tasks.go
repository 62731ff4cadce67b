package kernels

// Task is caller-defined parallel work for RunTasks: RunTask(worker, task) runs task number
// task on the goroutine numbered worker (0 is the goroutine that called RunTasks; at most
// Threads() workers), so the caller can give each worker its own buffers.
type Task interface {
	RunTask(worker, task int)
}

// taskAdapter runs a Task as one of the pool's sections; it lives in the pool (guarded by
// pool.mu), so RunTasks allocates nothing.
type taskAdapter struct{ t Task }

func (a *taskAdapter) runTask(w *gemmWorker, t int) { a.t.RunTask(w.id, t) }

// RunTasks runs t.RunTask(worker, i) for every i in [0, n) on up to Threads() goroutines of
// the package's worker pool and returns when all have finished. Tasks are handed out in
// order by an atomic counter, so which worker runs a task varies from call to call.
//
// Kernel calls made inside a task run single-threaded (the pool is held for the whole
// section), so independent pieces of a large job, such as row chunks of a network's forward
// pass, are split once at this level rather than inside every GEMM: no barrier per product,
// and the same bits, since no kernel's result depends on its thread count. When the pool is
// busy (another goroutine holds it) or Threads() is 1, the tasks run in order on the calling
// goroutine as worker 0. It returns the number of workers that may have run tasks, so that
// a caller sizes per-worker buffers with WorkersFor before calling.
func RunTasks(n int, t Task) int {
	if n <= 0 {
		return 0
	}
	nw := min(Threads(), n)
	if nw > 1 && pool.mu.TryLock() {
		pool.ensure(nw)
		pool.tasks = taskAdapter{t}
		pool.parallel(nw, n, &pool.tasks, pool.workers[0])
		pool.tasks = taskAdapter{}
		pool.mu.Unlock()
		return nw
	}
	for i := range n {
		t.RunTask(0, i)
	}
	return 1
}

// WorkersFor returns how many workers RunTasks(n, …) may use, Threads() capped at n: the
// worker numbers passed to RunTask are below it.
func WorkersFor(n int) int { return max(1, min(Threads(), n)) }
