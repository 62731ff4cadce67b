package main

import (
	"context"
	"sort"
	"time"

	"github.com/interflow/flowbench/kernels"
)

// measure runs fn once to warm up, then in samples of enough back-to-back runs to last about
// a millisecond (at least 5 samples and about 1 s in all, at most 1000 samples), and returns
// the median wall time of one run in milliseconds. Batching keeps short kernels (tens of
// microseconds) from being timed one call at a time, where the clock read and scheduling
// noise are a large share of each sample.
func measure(ctx context.Context, fn func()) float64 {
	t0 := time.Now()
	fn()
	batch := 1
	if one := time.Since(t0); one < time.Millisecond {
		batch = int(time.Millisecond / max(one, time.Microsecond))
	}
	var ts []float64
	start := time.Now()
	for len(ts) < 1000 && (len(ts) < 5 || time.Since(start) < time.Second) {
		if ctx.Err() != nil && len(ts) > 0 {
			break
		}
		t0 := time.Now()
		for range batch {
			fn()
		}
		ts = append(ts, float64(time.Since(t0).Nanoseconds())/1e6/float64(batch))
	}
	sort.Float64s(ts)
	return ts[len(ts)/2]
}

var peakCache = map[int]float64{}

// peakGFLOPS returns the FMA probe's total GFLOP/s for that thread count (measured once per
// process).
func peakGFLOPS(threads int) float64 {
	if p, ok := peakCache[threads]; ok {
		return p
	}
	p := kernels.FMAPeak(threads, 300*time.Millisecond)
	peakCache[threads] = p
	return p
}

// measureMin is measure that also returns the fastest run: on a shared machine the
// minimum is the figure least disturbed by other processes.
func measureMin(ctx context.Context, fn func()) (median, best float64) {
	best = -1
	median = measure(ctx, func() {
		t0 := time.Now()
		fn()
		if ms := float64(time.Since(t0).Nanoseconds()) / 1e6; best < 0 || ms < best {
			best = ms
		}
	})
	return median, best
}
