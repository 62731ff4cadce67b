// Package metrics measures how close two sets of samples are and summarizes per-point
// values: energy distance, MMD² with RBF kernels at several bandwidths, sliced 2-Wasserstein
// distance (Compare runs all three), the mean with its standard error, and bits per dimension.
// Sample sets are flat row-major []float32 with an explicit dimension.
//
// The package knows nothing of models, data formats, solvers or kernels: it imports only the
// standard library, so any Go program can score samples from any generator with it.
package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// MMDBandwidthFactors are the RBF bandwidths of MMD2, as multiples of the median pairwise
// distance of the pooled samples.
var MMDBandwidthFactors = [4]float64{0.1, 0.5, 1, 2}

// medianSubsample bounds the points used for the median pairwise distance.
const medianSubsample = 1000

// SWProjections is the number of random directions of SlicedW2 by default.
const SWProjections = 128

// Distances are the sample-based distances between two sets of points (see Compare).
type Distances struct {
	// Energy is the squared energy distance, V-statistic:
	// 2·mean|x−y| − mean|x−x'| − mean|y−y'| over all pairs (self-pairs included).
	Energy float64 `json:"energy"`
	// MMD is the squared maximum mean discrepancy (V-statistic), summed over the RBF
	// kernels exp(−|a−b|²/(2h²)) at the bandwidths in Bandwidths; MMDPer holds each term.
	MMD        float64    `json:"mmd"`
	MMDPer     [4]float64 `json:"mmd_per_bandwidth"`
	Bandwidths [4]float64 `json:"bandwidths"`
	// SW2 is the sliced Wasserstein-2 distance: the square root of the mean, over
	// SWProjections seeded random directions, of the squared 1-D Wasserstein-2 distance
	// between the projected samples.
	SW2 float64 `json:"sw2"`
}

// Compare returns the energy distance, MMD² and sliced W2 between x (n×d) and y (m×d),
// computing the pairwise terms in one blocked, parallel pass. threads ≤ 0 means
// GOMAXPROCS. The result depends only on the inputs (and seed for SW2), never on threads.
// Inputs must be finite (see CheckSamples).
func Compare(x, y []float32, d int, seed uint64, threads int) Distances {
	checkSets(x, y, d)
	bw := mmdBandwidths(x, y, d)
	ex, kx := pairSums(x, x, d, &bw, true, threads)
	ey, ky := pairSums(y, y, d, &bw, true, threads)
	exy, kxy := pairSums(x, y, d, &bw, false, threads)
	var r Distances
	r.Energy = 2*exy - ex - ey
	r.Bandwidths = bw
	for k := range bw {
		r.MMDPer[k] = kx[k] + ky[k] - 2*kxy[k]
		r.MMD += r.MMDPer[k]
	}
	r.SW2 = SlicedW2(x, y, d, SWProjections, seed, threads)
	return r
}

// EnergyDistance returns the squared energy distance (V-statistic) between x (n×d) and y
// (m×d): 2·mean_{i,j}|x_i−y_j| − mean_{i,j}|x_i−x_j| − mean_{i,j}|y_i−y_j|, self-pairs
// included. It is ≥ 0, zero for identical sets, invariant under translation and rotation,
// and scales as c under x, y → c·x, c·y. threads ≤ 0 means GOMAXPROCS.
func EnergyDistance(x, y []float32, d, threads int) float64 {
	checkSets(x, y, d)
	ex, _ := pairSums(x, x, d, nil, true, threads)
	ey, _ := pairSums(y, y, d, nil, true, threads)
	exy, _ := pairSums(x, y, d, nil, false, threads)
	return 2*exy - ex - ey
}

// MMD2 returns the squared MMD (V-statistic) between x and y for each RBF kernel
// exp(−|a−b|²/(2h²)) with h = MMDBandwidthFactors[k] × the median pairwise distance of the
// pooled samples (MedianDistance), and the bandwidths used. It is invariant under
// translation, rotation and scaling of both sets.
func MMD2(x, y []float32, d, threads int) (per, bandwidths [4]float64) {
	checkSets(x, y, d)
	bw := mmdBandwidths(x, y, d)
	_, kx := pairSums(x, x, d, &bw, true, threads)
	_, ky := pairSums(y, y, d, &bw, true, threads)
	_, kxy := pairSums(x, y, d, &bw, false, threads)
	for k := range bw {
		per[k] = kx[k] + ky[k] - 2*kxy[k]
	}
	return per, bw
}

func checkSets(x, y []float32, d int) {
	if d <= 0 || len(x)%d != 0 || len(y)%d != 0 || len(x) == 0 || len(y) == 0 {
		panic(fmt.Sprintf("gen: sample sets of %d and %d values are not non-empty n×%d", len(x), len(y), d))
	}
}

// MedianDistance returns the median of the pairwise distances |z_i − z_j|, i < j, of the
// pooled points z = x ∪ y. With more than 1000 points it uses a deterministic subsample of
// 1000: half from each set (all of the smaller set if it has fewer), each set's points
// chosen by a generator seeded with that set's size, so that swapping x and y gives the
// same value. If the median is 0 (most points coincide) it returns the mean pairwise
// distance instead, and 0 only if all points coincide.
func MedianDistance(x, y []float32, d int) float64 {
	nx, ny := len(x)/d, len(y)/d
	kx, ky := nx, ny
	if nx+ny > medianSubsample {
		kx = min(nx, max(medianSubsample/2, medianSubsample-ny))
		ky = min(ny, medianSubsample-kx)
	}
	pts := make([][]float32, 0, kx+ky)
	pts = appendSubsample(pts, x, d, kx)
	pts = appendSubsample(pts, y, d, ky)
	dist := make([]float64, 0, len(pts)*(len(pts)-1)/2)
	var sum float64
	for a, p := range pts {
		for _, q := range pts[a+1:] {
			var s float64
			for j := range p {
				t := float64(p[j]) - float64(q[j])
				s += t * t
			}
			dist = append(dist, math.Sqrt(s))
			sum += math.Sqrt(s)
		}
	}
	if len(dist) == 0 {
		return 0
	}
	k := len(dist) / 2
	med := selectKth(dist, k)
	if len(dist)%2 == 0 {
		med = (slices.Max(dist[:k]) + med) / 2 // dist[:k] holds the k smallest
	}
	if med == 0 {
		med = sum / float64(len(dist))
	}
	return med
}

// appendSubsample appends k rows of x (n×d) chosen by a partial Fisher–Yates shuffle
// seeded with n (all rows, in order, when k = n).
func appendSubsample(dst [][]float32, x []float32, d, k int) [][]float32 {
	n := len(x) / d
	if k >= n {
		for i := range n {
			dst = append(dst, x[i*d:(i+1)*d])
		}
		return dst
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	rng := rand.New(rand.NewPCG(0x6d656469616e, uint64(n)))
	for i := range k {
		j := i + rng.IntN(n-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	for _, i := range idx[:k] {
		dst = append(dst, x[i*d:(i+1)*d])
	}
	return dst
}

// selectKth reorders a so that a[k] is the value a sorted copy would hold there, every
// element before it is ≤ a[k] and every element after is ≥ a[k] (Hoare's quickselect with a
// median-of-three pivot, deterministic), and returns a[k].
func selectKth(a []float64, k int) float64 {
	lo, hi := 0, len(a)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		// median of three to a[mid]
		if a[mid] < a[lo] {
			a[mid], a[lo] = a[lo], a[mid]
		}
		if a[hi] < a[lo] {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if a[hi] < a[mid] {
			a[hi], a[mid] = a[mid], a[hi]
		}
		p := a[mid]
		i, j := lo, hi
		for i <= j {
			for a[i] < p {
				i++
			}
			for a[j] > p {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return a[k]
		}
	}
	return a[k]
}

func mmdBandwidths(x, y []float32, d int) [4]float64 {
	m := MedianDistance(x, y, d)
	var bw [4]float64
	for k, f := range MMDBandwidthFactors {
		bw[k] = f * m
	}
	return bw
}

// pairSums returns mean_{i,j}|a_i − b_j| and, when bw is non-nil, mean_{i,j} of the RBF
// kernel at each bandwidth, over all pairs (self-pairs included). With sym (a and b the
// same set) only pairs i < j are visited and doubled. Rows of a are shared among threads;
// each row's sums are kept apart and added in row order, so the result does not depend on
// threads. The kernels use the fixed ratios of MMDBandwidthFactors: with
// e = exp(−r²/(2·(2m)²)), the kernels at 2m, m, m/2, m/10 are e, e⁴, e¹⁶, e⁴⁰⁰.
func pairSums(a, b []float32, d int, bw *[4]float64, sym bool, threads int) (dist float64, kern [4]float64) {
	na, nb := len(a)/d, len(b)/d
	withK := bw != nil
	if withK && bw[3] == 0 { // every point coincides: all distances 0, every kernel 1
		return 0, [4]float64{1, 1, 1, 1}
	}
	var c float64
	if withK {
		c = 1 / (2 * bw[3] * bw[3])
	}
	rowD := make([]float64, na)
	var rowK [][4]float64
	if withK {
		rowK = make([][4]float64, na)
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	const chunk = 16
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(threads, (na+chunk-1)/chunk) {
		wg.Go(func() {
			for {
				i0 := int(next.Add(chunk)) - chunk
				if i0 >= na {
					return
				}
				for i := i0; i < min(i0+chunk, na); i++ {
					j0 := 0
					if sym {
						j0 = i + 1
					}
					p := a[i*d : (i+1)*d]
					var sd float64
					var s [4]float64
					if d == 2 {
						px, py := float64(p[0]), float64(p[1])
						for j := j0; j < nb; j++ {
							dx, dy := px-float64(b[2*j]), py-float64(b[2*j+1])
							r2 := dx*dx + dy*dy
							sd += math.Sqrt(r2)
							if withK {
								addKernels(&s, r2, c)
							}
						}
					} else {
						for j := j0; j < nb; j++ {
							q := b[j*d : (j+1)*d]
							var r2 float64
							for k, v := range p {
								t := float64(v) - float64(q[k])
								r2 += t * t
							}
							sd += math.Sqrt(r2)
							if withK {
								addKernels(&s, r2, c)
							}
						}
					}
					rowD[i] = sd
					if withK {
						rowK[i] = s
					}
				}
			}
		})
	}
	wg.Wait()
	for i := range na {
		dist += rowD[i]
		if withK {
			for k := range kern {
				kern[k] += rowK[i][k]
			}
		}
	}
	pairs := float64(na) * float64(nb)
	if sym {
		dist *= 2
		for k := range kern {
			kern[k] = 2*kern[k] + float64(na) // the diagonal: kernel 1 at distance 0
		}
	}
	dist /= pairs
	for k := range kern {
		kern[k] /= pairs
	}
	return dist, kern
}

// addKernels adds the RBF kernels at bandwidths m/10, m/2, m, 2m for squared distance r2,
// where c = 1/(2·(2m)²).
func addKernels(s *[4]float64, r2, c float64) {
	e := math.Exp(-r2 * c) // h = 2m
	e4 := e * e
	e4 *= e4 // h = m
	e16 := e4 * e4
	e16 *= e16 // h = m/2
	e32 := e16 * e16
	e64 := e32 * e32
	e128 := e64 * e64
	e256 := e128 * e128
	e400 := e256 * e128 * e16 // h = m/10
	s[0] += e400
	s[1] += e16
	s[2] += e4
	s[3] += e
}

// SlicedW2 returns the sliced Wasserstein-2 distance between x (n×d) and y (m×d): the square
// root of the mean over `projections` random unit directions θ (drawn from seed) of
// W2²(θ·x, θ·y), each computed exactly between the two 1-D empirical distributions by
// sorting (any n and m). Directions are shared among threads and the result does not
// depend on threads. It is zero for identical sets, invariant under translation, and scales
// as c under x, y → c·x, c·y.
func SlicedW2(x, y []float32, d, projections int, seed uint64, threads int) float64 {
	checkSets(x, y, d)
	if projections <= 0 {
		panic("gen.SlicedW2: projections must be positive")
	}
	rng := rand.New(rand.NewPCG(seed, 0x736c69636564))
	dirs := make([]float64, projections*d)
	for k := range projections {
		th := dirs[k*d : (k+1)*d]
		for {
			var n2 float64
			for j := range th {
				th[j] = rng.NormFloat64()
				n2 += th[j] * th[j]
			}
			if n2 > 1e-12 {
				inv := 1 / math.Sqrt(n2)
				for j := range th {
					th[j] *= inv
				}
				break
			}
		}
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	w2 := make([]float64, projections)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(threads, projections) {
		wg.Go(func() {
			px := make([]float64, len(x)/d)
			py := make([]float64, len(y)/d)
			for {
				k := int(next.Add(1)) - 1
				if k >= projections {
					return
				}
				th := dirs[k*d : (k+1)*d]
				project(px, x, th)
				project(py, y, th)
				slices.Sort(px)
				slices.Sort(py)
				w2[k] = wasserstein2Sorted(px, py)
			}
		})
	}
	wg.Wait()
	var s float64
	for _, v := range w2 {
		s += v
	}
	return math.Sqrt(s / float64(projections))
}

func project(dst []float64, x []float32, th []float64) {
	d := len(th)
	for i := range dst {
		var s float64
		for j, t := range th {
			s += float64(x[i*d+j]) * t
		}
		dst[i] = s
	}
}

// wasserstein2Sorted returns W2² = ∫₀¹ (F⁻¹(t) − G⁻¹(t))² dt between the empirical
// distributions of sorted a (n points) and sorted b (m points). The quantile functions are
// step functions with breaks at i/n and j/m; the integral is a sum over the merged breaks,
// tracked in integer units of 1/(n·m).
func wasserstein2Sorted(a, b []float64) float64 {
	n, m := len(a), len(b)
	if n == m {
		var s float64
		for i := range a {
			t := a[i] - b[i]
			s += t * t
		}
		return s / float64(n)
	}
	var s float64
	var i, j int
	var pos int64 // current t·n·m
	for i < n && j < m {
		ea := int64(i+1) * int64(m) // end of a's step i
		eb := int64(j+1) * int64(n)
		end := min(ea, eb)
		t := a[i] - b[j]
		s += float64(end-pos) * t * t
		pos = end
		if ea == end {
			i++
		}
		if eb == end {
			j++
		}
	}
	return s / (float64(n) * float64(m))
}

// MeanStderr returns the mean of v and its standard error, the sample standard deviation
// (divisor n−1) over √n, from exact sums (Moments): the mean is correctly rounded and neither
// depends on the order of v. With fewer than two values the standard error is undefined and
// returned as 0. It is meant for per-point NLLs.
func MeanStderr(v []float64) (mean, stderr float64) {
	var m Moments
	for _, x := range v {
		m.Add(x)
	}
	return m.Mean(), m.StdErr()
}

// CheckSamples returns an error naming what (e.g. "model samples") and the first row of x
// (n×d) holding a NaN or infinite value, or nil. The metrics assume finite inputs: call it
// on samples from a model before Compare, so that a diverged model is reported instead of
// yielding NaN distances.
func CheckSamples(x []float32, d int, what string) error {
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%s: row %d, column %d is %v", what, i/d, i%d+1, v)
		}
	}
	return nil
}

// BitsPerDim converts an NLL in nats of a D-dimensional point to bits per dimension:
// nll / (D·ln 2). For 8-bit data the NLL must be in the units of [0, 256) values.
func BitsPerDim(nll float64, d int) float64 { return nll / (float64(d) * math.Ln2) }
