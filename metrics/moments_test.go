package metrics

import (
	"encoding/json"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

// ratMoments computes the mean, standard error and population standard deviation of v in
// exact rational arithmetic, rounded once: the independent truth of Moments.
func ratMoments(v []float64) (mean, se, sd float64) {
	var s, s2 big.Rat
	for _, x := range v {
		r := new(big.Rat).SetFloat64(x)
		s.Add(&s, r)
		s2.Add(&s2, new(big.Rat).Mul(r, r))
	}
	n := new(big.Rat).SetInt64(int64(len(v)))
	mean, _ = new(big.Rat).Quo(&s, n).Float64()
	c := new(big.Rat).Sub(new(big.Rat).Mul(&s2, n), new(big.Rat).Mul(&s, &s)) // nΣx² − (Σx)²
	nf := float64(len(v))
	v1, _ := new(big.Rat).Quo(c, new(big.Rat).SetFloat64(nf*nf*(nf-1))).Float64()
	v2, _ := new(big.Rat).Quo(c, new(big.Rat).SetFloat64(nf*nf)).Float64()
	return mean, math.Sqrt(v1), math.Sqrt(v2)
}

// TestMomentsExact checks Moments against exact rational arithmetic on values of wildly
// different magnitudes, and that any split into parts merges to the same bits.
func TestMomentsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 20 {
		n := 2 + rng.IntN(300)
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(2*trial+1)-trial))
			if trial%5 == 0 {
				v[i] += 1e8 // a large mean over a small spread: two-pass float64 loses digits here
			}
		}
		var whole Moments
		for _, x := range v {
			whole.Add(x)
		}
		mean, se, sd := ratMoments(v)
		if whole.Mean() != mean || whole.StdErr() != se || whole.Std() != sd {
			t.Fatalf("trial %d: mean %v se %v sd %v, exact %v %v %v", trial, whole.Mean(), whole.StdErr(), whole.Std(), mean, se, sd)
		}
		// A random split into parts, each serialized and read back, merged in a shuffled order.
		var merged Moments
		cuts := []int{0}
		for c := 0; c < n; {
			c = min(n, c+1+rng.IntN(n/3+1))
			cuts = append(cuts, c)
		}
		order := rng.Perm(len(cuts) - 1)
		for _, k := range order {
			var part Moments
			for _, x := range v[cuts[k]:cuts[k+1]] {
				part.Add(x)
			}
			b, err := json.Marshal(&part)
			if err != nil {
				t.Fatal(err)
			}
			var back Moments
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			merged.Merge(&back)
		}
		if merged.N() != int64(n) || math.Float64bits(merged.Mean()) != math.Float64bits(mean) ||
			math.Float64bits(merged.StdErr()) != math.Float64bits(se) || math.Float64bits(merged.Std()) != math.Float64bits(sd) {
			t.Fatalf("trial %d: merged parts give %v %v %v, whole %v %v %v", trial, merged.Mean(), merged.StdErr(), merged.Std(), mean, se, sd)
		}
	}
}

// TestMomentsEdges checks the empty, one-value and non-finite cases and refused JSON.
func TestMomentsEdges(t *testing.T) {
	var m Moments
	if m.Mean() != 0 || m.StdErr() != 0 || m.N() != 0 {
		t.Fatal("empty Moments not zero")
	}
	m.Add(7)
	if m.Mean() != 7 || m.StdErr() != 0 || m.Std() != 0 {
		t.Fatalf("one value: %v %v %v", m.Mean(), m.StdErr(), m.Std())
	}
	m.Add(math.Inf(-1))
	if !math.IsNaN(m.Mean()) || !math.IsNaN(m.StdErr()) || m.NonFinite() != 1 {
		t.Fatal("a non-finite value must make the statistics NaN")
	}
	for _, bad := range []string{`{"n":-1,"sum":"0x0p0","sum_sq":"0x0p0"}`, `{"n":2,"sum":"x","sum_sq":"0x0p0"}`, `{"n":2,"sum":"0x1p0","sum_sq":"-0x2p0"}`,
		`{"n":1,"non_finite":2,"sum":"0x0p0","sum_sq":"0x0p0"}`, `{"n":2,"sum":"0x1p-1075","sum_sq":"0x0p0"}`, `{"n":2,"sum":"0x1` + strings.Repeat("0", 700) + `p0","sum_sq":"0x0p0"}`} {
		var b Moments
		if err := json.Unmarshal([]byte(bad), &b); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// BenchmarkMomentsAdd measures the cost of one exact Add (for the CLI's summaries).
func BenchmarkMomentsAdd(b *testing.B) {
	var m Moments
	rng := rand.New(rand.NewPCG(1, 2))
	v := make([]float64, 4096)
	for i := range v {
		v[i] = 3 + rng.NormFloat64()
	}
	b.ResetTimer()
	for i := range b.N {
		m.Add(v[i&4095])
	}
}
