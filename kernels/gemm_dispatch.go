package kernels

import (
	"runtime"
	"sync"
)

// The GEMM entry points after the exported functions' shape checks. They take the pool
// with its state (or a private state when the pool is busy), describe the call as a gemmJob
// and run the driver in gemm.go with the tier's gemmImpl (gemmImpls, filled by gemm_go.go,
// gemm_arm64.go and the generated gemm_impl_amd64.go).

// gemm is the internal entry point of Gemm after shape checks (m, n >= 1).
func gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if transA {
		raceReadMat(a, k, m, lda)
	} else {
		raceReadMat(a, m, k, lda)
	}
	if transB {
		raceReadMat(b, n, k, ldb)
	} else {
		raceReadMat(b, k, n, ldb)
	}
	raceWriteMat(c, m, n, ldc)
	st, threads := acquireState()
	j := &st.job
	*j = gemmJob{st: st, impl: currentGemmImpl(), transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, beta: beta, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc}
	j.run(threads)
	releaseState(st)
}

// gemmBiasAct is the internal entry point of GemmBiasAct after shape checks (m, n >= 1).
func gemmBiasAct(m, n, k int, a []float32, lda int, b []float32, ldb int, bias []float32, act Act, z []float32, ldz int, y []float32, ldy int) {
	raceReadMat(a, m, k, lda)
	raceReadMat(b, k, n, ldb)
	if bias != nil {
		raceRead(bias[:n])
	}
	if z != nil {
		raceWriteMat(z, m, n, ldz)
	}
	raceWriteMat(y, m, n, ldy)
	st, threads := acquireState()
	j := &st.job
	*j = gemmJob{st: st, impl: currentGemmImpl(), m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb,
		c: y, ldc: ldy, bias: bias, fused: true, act: act, y: y, ldy: ldy}
	if z != nil {
		j.c, j.ldc = z, ldz
	}
	j.run(threads)
	releaseState(st)
}

// matLen is the number of elements a rows×cols matrix with leading dimension ld spans.
func matLen(rows, cols, ld int) int {
	if rows == 0 || cols == 0 {
		return 0
	}
	return (rows-1)*ld + cols
}

// poolState is the state of the GEMM that owns the pool (guarded by pool.mu).
var poolState gemmState

// privateStates serves calls that find the pool busy: the GEMMs inside RunTasks tasks and
// those of other goroutines. A free list rather than a sync.Pool, which drops its items at
// every garbage collection and would make each worker regrow megabytes of packing buffers
// after it. It keeps at most 2·GOMAXPROCS states (GEMMs that run at once are bounded by the
// Ps, with slack for goroutines preempted inside one), each up to about 4 MiB of packed B.
var privateStates struct {
	mu   sync.Mutex
	free []*gemmState
}

// acquireState returns the state to run a GEMM on and the number of threads to use: the
// pool's state and Threads() when the pool is free, else a private single-threaded state.
func acquireState() (*gemmState, int) {
	if pool.mu.TryLock() {
		return &poolState, Threads()
	}
	privateStates.mu.Lock()
	defer privateStates.mu.Unlock()
	if n := len(privateStates.free); n > 0 {
		st := privateStates.free[n-1]
		privateStates.free = privateStates.free[:n-1]
		return st, 1
	}
	return new(gemmState), 1
}

// releaseState gives back a state from acquireState (and the pool with the pool's state).
func releaseState(st *gemmState) {
	st.job = gemmJob{}
	if st == &poolState {
		pool.mu.Unlock()
		return
	}
	privateStates.mu.Lock()
	defer privateStates.mu.Unlock()
	if len(privateStates.free) < 2*runtime.GOMAXPROCS(0) {
		privateStates.free = append(privateStates.free, st)
	}
}
