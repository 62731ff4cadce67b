package main

import (
	"context"
	"sort"
	"time"

	"github.com/interflow/flowbench/kernels"
)

// measure runs fn once to warm up, then repeatedly (at least 5 times and about 1 s in all,
// at most 200 times) and returns the median wall time of one run in milliseconds.
func measure(ctx context.Context, fn func()) float64 {
	fn()
	var ts []float64
	start := time.Now()
	for len(ts) < 200 && (len(ts) < 5 || time.Since(start) < time.Second) {
		if ctx.Err() != nil && len(ts) > 0 {
			break
		}
		t0 := time.Now()
		fn()
		ts = append(ts, float64(time.Since(t0).Nanoseconds())/1e6)
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
