package gen

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/solver"
)

// TestShardRows checks that the shards of a job partition its rows into contiguous runs of
// whole chunks, in index order, for many sizes.
func TestShardRows(t *testing.T) {
	for n := 0; n < 60; n++ {
		for _, batch := range []int{0, 1, 4, 7, 64} {
			for count := 1; count <= 9; count++ {
				next := 0
				for i := range count {
					lo, hi := Shard{i, count}.Rows(n, batch)
					b := batch
					if b <= 0 || b > n {
						b = max(n, 1)
					}
					if lo != next || hi < lo || hi > n || (lo%b != 0 && lo != n) || (hi%b != 0 && hi != n) {
						t.Fatalf("n=%d batch=%d shard %d/%d: rows [%d, %d) after %d", n, batch, i, count, lo, hi, next)
					}
					next = hi
				}
				if next != n {
					t.Fatalf("n=%d batch=%d count=%d: the shards end at %d", n, batch, count, next)
				}
			}
		}
	}
	for _, bad := range []Shard{{-1, 3}, {3, 3}, {0, -1}, {1, 0}} {
		if bad.Validate() == nil {
			t.Errorf("shard %+v accepted", bad)
		}
	}
}

// TestShardsConcatenateToWhole checks that the shards of every sampling, scoring and encoding
// path, concatenated in order, have the bits of the unsharded call, for N ∈ {1, 2, 3, 7}, at
// one and two threads, with an adaptive solver (whose steps are chosen per chunk), for an
// unconditional model (both bases) and a conditional one with a context per row. It also
// checks that the test can fail: rows split off at a place that is not a chunk boundary are
// solved with other steps and differ.
func TestShardsConcatenateToWhole(t *testing.T) {
	defer kernels.SetThreads(0)
	ctx := context.Background()
	ode := solver.Options{Method: solver.Dopri5, RTol: 1e-5, ATol: 1e-5}
	const n, batch = 230, 64 // 4 chunks, the last short: with N = 7 some shards own none
	type call func(m *Model, cond *Condition, sh Shard) []float64
	x := dataset.SampleN(dataset.Moons{}, n, 9)
	calls := map[string]call{
		"sample": func(m *Model, cond *Condition, sh Shard) []float64 {
			r, err := m.Sample(ctx, n, SampleOptions{ODE: ode, Seed: 5, Batch: batch, Shard: sh, Cond: cond})
			must(t, err)
			return f64(r.X)
		},
		"sample-logp-hutchinson": func(m *Model, cond *Condition, sh Shard) []float64 {
			o := ode
			o.Div, o.ProbeSeed = solver.DivRademacher, 3
			r, err := m.Sample(ctx, n, SampleOptions{ODE: o, Seed: 5, Batch: batch, Shard: sh, WithLogP: true, Cond: cond})
			must(t, err)
			return append(f64(r.X), r.LogP...)
		},
		"logprob": func(m *Model, cond *Condition, sh Shard) []float64 {
			lp, _, err := m.LogProb(ctx, x, LikelihoodOptions{ODE: ode, Batch: batch, Shard: sh, Cond: cond})
			must(t, err)
			return lp
		},
		"logprob-hutchinson": func(m *Model, cond *Condition, sh Shard) []float64 {
			lp, _, err := m.LogProb(ctx, x, LikelihoodOptions{ODE: ode, Batch: batch, Shard: sh, Hutchinson: 2, Seed: 7, Cond: cond})
			must(t, err)
			return lp
		},
		"encode": func(m *Model, cond *Condition, sh Shard) []float64 {
			z, _, err := m.Encode(ctx, x, LikelihoodOptions{ODE: ode, Batch: batch, Shard: sh, Cond: cond})
			must(t, err)
			return f64(z)
		},
	}
	sdeCall := func(m *Model, cond *Condition, sh Shard) []float64 {
		r, err := m.Sample(ctx, n, SampleOptions{SDE: &solver.SDEOptions{Method: solver.StochasticHeun, Steps: 20, Eps: solver.LinearEps(1)}, Seed: 5, Batch: batch, Shard: sh, Cond: cond})
		must(t, err)
		return f64(r.X)
	}
	models := map[string]*Model{}
	for _, base := range []BaseKind{BaseNormal, BaseLearned} {
		cfg := smallConfig(20)
		cfg.Base = base
		m, err := Train(ctx, cfg, toyData(t, "moons"), TrainOptions{})
		must(t, err)
		models[base.String()] = m
	}
	lc := newLinearCondModel(t, 2, 2, 0, 3)
	rng := rand.New(rand.NewPCG(1, 1))
	cvals := make([]float32, 2*n)
	for i := range cvals {
		cvals[i] = float32(rng.NormFloat64())
	}
	models["conditional"] = lc.m
	for mname, m := range models {
		var cond *Condition
		if mname == "conditional" {
			cond = &Condition{Values: cvals}
		}
		cs := calls
		if mname != "learned" {
			cs = map[string]call{"sde": sdeCall}
			for k, v := range calls {
				cs[k] = v
			}
		}
		for cname, c := range cs {
			t.Run(mname+"/"+cname, func(t *testing.T) {
				kernels.SetThreads(1)
				whole := c(m, cond, Shard{})
				if len(whole) == 0 {
					t.Fatal("empty result")
				}
				for _, threads := range []int{1, 2} {
					kernels.SetThreads(threads)
					for _, count := range []int{1, 2, 3, 7} {
						var cat []float64
						parts := make([][]float64, count)
						for i := range count {
							parts[i] = c(m, cond, Shard{i, count})
						}
						// The results hold the rows' values then (sample with log-densities)
						// the log-densities: interleave by the row counts.
						cat = concatParts(parts, whole, n, count, batch)
						if !sameBits(cat, whole) {
							t.Fatalf("threads %d, %d shards: concatenation differs from the unsharded result", threads, count)
						}
					}
				}
			})
		}
	}
	t.Run("unaligned-split-differs", func(t *testing.T) {
		m := models["normal"]
		whole, _, err := m.LogProb(ctx, x, LikelihoodOptions{ODE: ode, Batch: batch})
		must(t, err)
		a, _, err := m.LogProb(ctx, x[:2*100], LikelihoodOptions{ODE: ode, Batch: batch})
		must(t, err)
		b, _, err := m.LogProb(ctx, x[2*100:], LikelihoodOptions{ODE: ode, Batch: batch})
		must(t, err)
		if sameBits(append(a, b...), whole) {
			t.Fatal("rows split off the chunk boundaries gave the same bits: the shard test above could not fail")
		}
	})
}

// concatParts joins the shards' results: each holds its rows' values, possibly followed by
// one extra value per row (the log-densities of sample --with-logp), which whole has after
// all rows' values.
func concatParts(parts [][]float64, whole []float64, n, count, batch int) []float64 {
	per := len(whole) / n // values per row, extras included
	var vals, extra []float64
	for i, p := range parts {
		lo, hi := Shard{i, count}.Rows(n, batch)
		rows := hi - lo
		if per == 3 { // two coordinates, then one log-density per row
			vals = append(vals, p[:2*rows]...)
			extra = append(extra, p[2*rows:]...)
		} else {
			vals = append(vals, p...)
		}
	}
	return slices.Concat(vals, extra)
}

// must fails the test on an error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
