package kernels

import (
	"runtime"
	"sync"
	"time"
)

// FMAPeak measures this machine's peak float32 FMA throughput in GFLOP/s (2 FLOPs per lane
// per FMA), summed over threads goroutines (threads < 1 means 1), each locked to its own OS
// thread and running a register-only FMA loop for about d. It uses the widest FMA tier the
// CPU and build have (AVX-512, else AVX2; see kernels/asm/peak), whatever tier SetImpl
// selected, since it measures the machine, not a tier. Where there is no SIMD probe (purego
// builds, other architectures) it runs a scalar Go loop of 8 independent multiply-adds,
// which is a scalar figure, not the machine's vector peak.
func FMAPeak(threads int, d time.Duration) float64 {
	if threads < 1 {
		threads = 1
	}
	run, flopsPerIter := peakKernel()
	// Chunks of about 0.1 ms at 100 GFLOP/s, so the clock is read rarely.
	chunk := max(1, int(1e7/flopsPerIter))
	rates := make([]float64, threads)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for w := range threads {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			run(chunk) // warm up (clock ramp, page-in) before the start line
			ready.Done()
			<-start
			t0 := time.Now()
			iters := 0
			for {
				run(chunk)
				iters += chunk
				if el := time.Since(t0); el >= d {
					rates[w] = float64(iters) * flopsPerIter / el.Seconds() / 1e9
					return
				}
			}
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	var total float64
	for _, r := range rates {
		total += r
	}
	return total
}

// peakMul and peakAdd are variables so the compiler cannot fold the scalar probe's
// multiply-adds (a·1 + 1).
var peakMul, peakAdd = float32(1), float32(1)

// fmaPeakGo runs n iterations of 8 independent scalar multiply-adds (16 FLOPs) and returns
// the sum of the accumulators, 8·n; the compiler may or may not fuse them, so this is a
// scalar-pipeline figure.
func fmaPeakGo(n int) float32 {
	a0, a1, a2, a3, a4, a5, a6, a7 := float32(0), float32(0), float32(0), float32(0), float32(0), float32(0), float32(0), float32(0)
	m, c := peakMul, peakAdd
	for range n {
		a0 = a0*m + c
		a1 = a1*m + c
		a2 = a2*m + c
		a3 = a3*m + c
		a4 = a4*m + c
		a5 = a5*m + c
		a6 = a6*m + c
		a7 = a7*m + c
	}
	return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7
}
