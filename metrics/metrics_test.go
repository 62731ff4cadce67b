package metrics

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/interflow/flowbench/dataset"
)

// gaussSet returns n points of N(mu, sigma²·I) in d dimensions.
func gaussSet(n, d int, mu []float64, sigma float64, seed uint64) []float32 {
	rng := dataset.ToyRNG(seed, 11)
	x := make([]float32, n*d)
	for i := range n {
		for j := range d {
			x[i*d+j] = float32(mu[j] + sigma*rng.NormFloat64())
		}
	}
	return x
}

// refDistances computes energy distance and MMD² with the bandwidths bw directly over all
// ordered pairs, one exp per kernel.
func refDistances(x, y []float32, d int, bw [4]float64) (energy float64, mmd [4]float64) {
	mean := func(a, b []float32) (dist float64, k [4]float64) {
		na, nb := len(a)/d, len(b)/d
		for i := range na {
			for j := range nb {
				var r2 float64
				for c := range d {
					t := float64(a[i*d+c]) - float64(b[j*d+c])
					r2 += t * t
				}
				dist += math.Sqrt(r2)
				for q, h := range bw {
					k[q] += math.Exp(-r2 / (2 * h * h))
				}
			}
		}
		p := float64(na * nb)
		for q := range k {
			k[q] /= p
		}
		return dist / p, k
	}
	dxx, kxx := mean(x, x)
	dyy, kyy := mean(y, y)
	dxy, kxy := mean(x, y)
	for q := range mmd {
		mmd[q] = kxx[q] + kyy[q] - 2*kxy[q]
	}
	return 2*dxy - dxx - dyy, mmd
}

// refMedian is the median of all pairwise distances of x ∪ y.
func refMedian(x, y []float32, d int) float64 {
	z := append(slices.Clone(x), y...)
	n := len(z) / d
	var ds []float64
	for i := range n {
		for j := i + 1; j < n; j++ {
			var r2 float64
			for c := range d {
				t := float64(z[i*d+c]) - float64(z[j*d+c])
				r2 += t * t
			}
			ds = append(ds, math.Sqrt(r2))
		}
	}
	slices.Sort(ds)
	if len(ds)%2 == 0 {
		return (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
	}
	return ds[len(ds)/2]
}

func relClose(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(math.Abs(want), 1e-300)
}

func TestDistancesMatchReference(t *testing.T) {
	for _, c := range []struct{ n, m, d int }{{1, 1, 1}, {1, 5, 2}, {120, 150, 2}, {100, 80, 5}, {151, 149, 3}} {
		t.Run(fmt.Sprintf("n=%d,m=%d,d=%d", c.n, c.m, c.d), func(t *testing.T) {
			mu := make([]float64, c.d)
			mu[0] = 0.7
			x := gaussSet(c.n, c.d, make([]float64, c.d), 1, 1)
			y := gaussSet(c.m, c.d, mu, 1.3, 2)
			med := MedianDistance(x, y, c.d)
			if want := refMedian(x, y, c.d); med != want {
				t.Fatalf("median %v, want %v", med, want)
			}
			var bw [4]float64
			for k, f := range MMDBandwidthFactors {
				bw[k] = f * med
			}
			e, mmd := refDistances(x, y, c.d, bw)
			r := Compare(x, y, c.d, 1, 2)
			if !relClose(r.Energy, e, 1e-10) {
				t.Errorf("energy %v, want %v", r.Energy, e)
			}
			if got := EnergyDistance(x, y, c.d, 3); got != r.Energy {
				t.Errorf("EnergyDistance %v != Compare %v", got, r.Energy)
			}
			per, bw2 := MMD2(x, y, c.d, 1)
			if bw2 != bw || per != r.MMDPer || r.Bandwidths != bw {
				t.Errorf("MMD2 %v %v vs Compare %v %v", per, bw2, r.MMDPer, r.Bandwidths)
			}
			var sum float64
			for k := range mmd {
				// the e^400 path loses ~400 ulps relative to one exp
				if math.Abs(per[k]-mmd[k]) > 1e-11 {
					t.Errorf("MMD² at %g·median: %v, want %v", MMDBandwidthFactors[k], per[k], mmd[k])
				}
				sum += per[k]
			}
			if r.MMD != sum {
				t.Errorf("MMD %v, sum of terms %v", r.MMD, sum)
			}
		})
	}
}

func TestDistancesIdenticalAndInvariant(t *testing.T) {
	x := dataset.SampleN(dataset.Moons{}, 400, 1)
	y := dataset.SampleN(dataset.Moons{}, 300, 2)
	r := Compare(x, x, 2, 3, 0)
	if math.Abs(r.Energy) > 1e-12 || math.Abs(r.MMD) > 1e-12 || r.SW2 != 0 {
		t.Errorf("identical sets: %+v", r)
	}
	base := Compare(x, y, 2, 3, 0)
	if base.Energy <= 0 || base.MMD <= 0 || base.SW2 <= 0 {
		t.Fatalf("different sets: %+v", base)
	}
	scale := func(a []float32, c, s float32) []float32 {
		b := slices.Clone(a)
		for i := range b {
			b[i] = b[i]*c + s
		}
		return b
	}
	// Scaling by 2 is exact in float32: energy and SW2 double, MMD (median bandwidth) stays.
	r2 := Compare(scale(x, 2, 0), scale(y, 2, 0), 2, 3, 0)
	if !relClose(r2.Energy, 2*base.Energy, 1e-12) || !relClose(r2.SW2, 2*base.SW2, 1e-12) || !relClose(r2.MMD, base.MMD, 1e-12) {
		t.Errorf("scaled ×2: %+v\nbase %+v", r2, base)
	}
	// Translation: invariant up to the float32 rounding of the shifted points.
	r3 := Compare(scale(x, 1, 0.375), scale(y, 1, 0.375), 2, 3, 0)
	if !relClose(r3.Energy, base.Energy, 1e-5) || !relClose(r3.SW2, base.SW2, 1e-5) || !relClose(r3.MMD, base.MMD, 1e-5) {
		t.Errorf("translated: %+v\nbase %+v", r3, base)
	}
	// Symmetry.
	r4 := Compare(y, x, 2, 3, 0)
	if !relClose(r4.Energy, base.Energy, 1e-12) || !relClose(r4.MMD, base.MMD, 1e-12) || !relClose(r4.SW2, base.SW2, 1e-12) {
		t.Errorf("swapped: %+v\nbase %+v", r4, base)
	}
}

func TestDistancesThreadIndependent(t *testing.T) {
	x := dataset.SampleN(dataset.Pinwheel{}, 603, 1)
	y := dataset.SampleN(dataset.Pinwheel{}, 598, 2)
	want := Compare(x, y, 2, 5, 1)
	for _, th := range []int{2, 3, 8} {
		if got := Compare(x, y, 2, 5, th); got != want {
			t.Errorf("threads=%d: %+v, want %+v", th, got, want)
		}
	}
}

// TestEnergyDistanceGaussians compares with the closed form for N(0,1) vs N(1,1) in 1-D:
// E|X−Y| = √2·√(2/π)·e^{−1/4} + (1 − 2Φ(−1/√2)), E|X−X'| = 2/√π (times (n−1)/n for the
// V-statistic's self-pairs).
func TestEnergyDistanceGaussians(t *testing.T) {
	n := 4000
	x := gaussSet(n, 1, []float64{0}, 1, 3)
	y := gaussSet(n, 1, []float64{1}, 1, 4)
	phi := 0.5 * math.Erfc(1/math.Sqrt2/math.Sqrt2)
	exy := math.Sqrt2*math.Sqrt(2/math.Pi)*math.Exp(-0.25) + (1 - 2*phi)
	exx := 2 / math.Sqrt(math.Pi) * float64(n-1) / float64(n)
	want := 2*exy - 2*exx
	got := EnergyDistance(x, y, 1, 0)
	if math.Abs(got-want) > 0.03 {
		t.Errorf("energy distance %v, want %v", got, want)
	}
}

// TestSlicedW2Gaussians: in 1-D every direction is ±1, so SW2 = W2, and
// W2²(N(μ1,σ1²), N(μ2,σ2²)) = (μ1−μ2)² + (σ1−σ2)². In d dimensions, for isotropic
// Gaussians with the same mean every projection is N(0, σ²), so SW2 = |σ1−σ2| whatever the
// directions.
func TestSlicedW2Gaussians(t *testing.T) {
	n := 20000
	x := gaussSet(n, 1, []float64{0}, 1, 5)
	y := gaussSet(n+7, 1, []float64{1.5}, 2, 6)
	want := math.Sqrt(1.5*1.5 + 1)
	if got := SlicedW2(x, y, 1, 16, 1, 0); math.Abs(got-want) > 0.03 {
		t.Errorf("1-D W2 %v, want %v", got, want)
	}
	x2 := gaussSet(n/2, 3, []float64{1, 2, 3}, 1, 7)
	y2 := gaussSet(n/2, 3, []float64{1, 2, 3}, 0.5, 8)
	want = 0.5
	if got := SlicedW2(x2, y2, 3, 32, 1, 0); math.Abs(got-want) > 0.02 {
		t.Errorf("3-D SW2 %v, want %v", got, want)
	}
}

// TestWasserstein2Sorted checks the merged-breakpoint sum against a midpoint rule over the
// quantile functions.
func TestWasserstein2Sorted(t *testing.T) {
	for _, c := range []struct{ n, m int }{{1, 1}, {3, 7}, {10, 4}, {50, 51}, {64, 64}} {
		a := gaussSet(c.n, 1, []float64{0}, 1, uint64(c.n))
		b := gaussSet(c.m, 1, []float64{0.5}, 2, uint64(c.m)+100)
		fa, fb := make([]float64, c.n), make([]float64, c.m)
		for i := range fa {
			fa[i] = float64(a[i])
		}
		for i := range fb {
			fb[i] = float64(b[i])
		}
		slices.Sort(fa)
		slices.Sort(fb)
		K := 1 << 20
		var ref float64
		for k := range K {
			u := (float64(k) + 0.5) / float64(K)
			t := fa[int(u*float64(c.n))] - fb[int(u*float64(c.m))]
			ref += t * t
		}
		ref /= float64(K)
		if got := wasserstein2Sorted(fa, fb); !relClose(got, ref, 1e-4) {
			t.Errorf("n=%d m=%d: %v, want %v", c.n, c.m, got, ref)
		}
	}
}

func TestSelectKth(t *testing.T) {
	rng := dataset.ToyRNG(1, 2)
	for _, n := range []int{1, 2, 3, 5, 10, 101, 1000} {
		for trial := range 20 {
			a := make([]float64, n)
			for i := range a {
				a[i] = float64(rng.IntN(max(1, n/(trial%3+1)))) // with ties
			}
			want := slices.Clone(a)
			slices.Sort(want)
			k := rng.IntN(n)
			if got := selectKth(a, k); got != want[k] {
				t.Fatalf("n=%d k=%d: %v, want %v", n, k, got, want[k])
			}
			if slices.Max(a[:k+1]) != want[k] || slices.Min(a[k:]) != want[k] {
				t.Fatalf("n=%d k=%d: not partitioned", n, k)
			}
		}
	}
}

func TestCheckSamples(t *testing.T) {
	x := []float32{1, 2, 3, float32(math.Inf(1)), 5, 6}
	err := CheckSamples(x, 2, "model samples")
	if err == nil || err.Error() != "model samples: row 1, column 2 is +Inf" {
		t.Errorf("got %v", err)
	}
	x[3] = float32(math.NaN())
	if err := CheckSamples(x, 3, "s"); err == nil || err.Error() != "s: row 1, column 1 is NaN" {
		t.Errorf("got %v", err)
	}
	if err := CheckSamples(x[:3], 3, "s"); err != nil {
		t.Error(err)
	}
}

func TestMeanStderr(t *testing.T) {
	m, se := MeanStderr([]float64{1, 2, 3, 4})
	if m != 2.5 || math.Abs(se-math.Sqrt(5.0/3)/2) > 1e-15 {
		t.Errorf("got %v %v", m, se)
	}
	m, se = MeanStderr([]float64{7})
	if m != 7 || se != 0 {
		t.Errorf("one value: %v %v", m, se)
	}
}

func TestMedianDistanceDegenerate(t *testing.T) {
	z := make([]float32, 20)
	if m := MedianDistance(z, z, 2); m != 0 {
		t.Errorf("coincident points: median %v", m)
	}
	r := Compare(z, z, 2, 1, 1)
	if r.Energy != 0 || r.MMD != 0 || r.SW2 != 0 {
		t.Errorf("coincident points: %+v", r)
	}
	// Mostly coincident points: fall back to the mean distance, stay finite.
	y := slices.Clone(z)
	y[0] = 1
	r = Compare(z, y, 2, 1, 1)
	if !(r.MMD > 0) || math.IsInf(r.MMD, 0) {
		t.Errorf("nearly coincident: %+v", r)
	}
}

// BenchmarkCompare measures the 10 000 × 10 000 2-D case of the quality targets.
func BenchmarkCompare(b *testing.B) {
	for _, n := range []int{2000, 10000} {
		x := dataset.SampleN(dataset.EightGaussians{}, n, 1)
		y := dataset.SampleN(dataset.EightGaussians{}, n, 2)
		b.Run(fmt.Sprintf("n=%d,d=2", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Compare(x, y, 2, 1, 0)
			}
		})
	}
}

func TestBitsPerDim(t *testing.T) {
	if got := BitsPerDim(784*math.Ln2*3, 784); math.Abs(got-3) > 1e-12 {
		t.Errorf("BitsPerDim = %v, want 3", got)
	}
}
