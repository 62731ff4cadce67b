package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

const guard = float32(-7777.25) // sentinel around and between outputs

// gemmCase is one GEMM problem with its operands laid out in guarded backing arrays.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	lda, ldb, ldc  int
	offA, offB     int
	offC           int
	a, b, c        []float32 // backing arrays; operands start at the offsets
}

func (g gemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,m=%d,n=%d,k=%d,alpha=%v,beta=%v,ld=%d/%d/%d,off=%d/%d/%d",
		g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.beta, g.lda, g.ldb, g.ldc, g.offA, g.offB, g.offC)
}

// newGemmCase builds operands. ints selects small-integer entries (exact results);
// otherwise entries are uniform in [-1, 1). pad is added to each leading dimension.
func newGemmCase(rng *rand.Rand, transA, transB bool, m, n, k int, alpha, beta float32, pad, off int, ints bool) *gemmCase {
	g := &gemmCase{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		offA: off, offB: (off + 1) % 4, offC: (off + 2) % 4}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	g.lda, g.ldb, g.ldc = max(ac, 1)+pad, max(bc, 1)+pad, max(n, 1)+pad
	val := func() float32 {
		if ints {
			return float32(rng.IntN(9) - 4)
		}
		return rng.Float32()*2 - 1
	}
	fill := func(rows, cols, ld, off int) []float32 {
		s := make([]float32, off+matLen(rows, cols, ld)+5)
		for i := range s {
			s[i] = guard
		}
		for i := 0; i < rows; i++ {
			for j := 0; j < cols; j++ {
				s[off+i*ld+j] = val()
			}
		}
		return s
	}
	g.a = fill(ar, ac, g.lda, g.offA)
	g.b = fill(br, bc, g.ldb, g.offB)
	g.c = fill(m, n, g.ldc, g.offC)
	return g
}

func (g *gemmCase) opA(i, p int) float32 {
	if g.transA {
		return g.a[g.offA+p*g.lda+i]
	}
	return g.a[g.offA+i*g.lda+p]
}

func (g *gemmCase) opB(p, j int) float32 {
	if g.transB {
		return g.b[g.offB+j*g.ldb+p]
	}
	return g.b[g.offB+p*g.ldb+j]
}

func (g *gemmCase) operands() (a, b, c []float32) {
	return g.a[g.offA:], g.b[g.offB:], g.c[g.offC:]
}

// run computes the case with Gemm (got) and RefGemm (want) on copies of C.
func (g *gemmCase) run() (got, want []float32) {
	a, b, _ := g.operands()
	got = append([]float32(nil), g.c...)
	want = append([]float32(nil), g.c...)
	Gemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, g.lda, b, g.ldb, g.beta, got[g.offC:], g.ldc)
	RefGemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, g.lda, b, g.ldb, g.beta, want[g.offC:], g.ldc)
	return got, want
}

// bound returns the allowed error at C[i,j]: c·k·2⁻²³·|alpha|·Σ|a||b| plus rounding of the
// alpha and beta terms.
func (g *gemmCase) bound(i, j int, c0 float32) float64 {
	var s float64
	for p := 0; p < g.k; p++ {
		s += math.Abs(float64(g.opA(i, p)) * float64(g.opB(p, j)))
	}
	const u = 1.0 / (1 << 23)
	t := 2 * float64(g.k+2) * u * math.Abs(float64(g.alpha)) * s
	if g.beta != 0 {
		t += 4 * u * math.Abs(float64(g.beta)*float64(c0))
	}
	return t + 1e-30
}

// check compares got with want inside the m×n window (exactly, or within bound when
// !exact) and asserts that everything outside the window, and the inputs, are unchanged.
func (g *gemmCase) check(t *testing.T, got, want []float32, a0, b0 []float32, exact bool) {
	t.Helper()
	for i := range g.a {
		if math.Float32bits(g.a[i]) != math.Float32bits(a0[i]) {
			t.Fatalf("%v: A[%d] modified", g, i)
		}
	}
	for i := range g.b {
		if math.Float32bits(g.b[i]) != math.Float32bits(b0[i]) {
			t.Fatalf("%v: B[%d] modified", g, i)
		}
	}
	inside := func(e int) (int, int, bool) {
		e -= g.offC
		if e < 0 {
			return 0, 0, false
		}
		i, j := e/g.ldc, e%g.ldc
		return i, j, i < g.m && j < g.n
	}
	bad := 0
	for e := range got {
		i, j, in := inside(e)
		if !in {
			if math.Float32bits(got[e]) != math.Float32bits(g.c[e]) {
				t.Fatalf("%v: guard at element %d (row %d col %d) changed to %v", g, e, i, j, got[e])
			}
			continue
		}
		d := math.Abs(float64(got[e]) - float64(want[e]))
		ok := got[e] == want[e]
		if !exact {
			ok = d <= g.bound(i, j, g.c[e])
		}
		if !ok || math.IsNaN(float64(got[e])) {
			bad++
			if bad <= 3 {
				t.Errorf("%v: C[%d,%d] = %v, want %v (diff %g)", g, i, j, got[e], want[e], d)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%v: %d wrong elements", g, bad)
	}
}

var gemmSizes = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 48, 49, 63, 64, 65, 127, 129}

type transPair struct{ a, b bool }

var gemmTrans = []transPair{{false, false}, {false, true}, {true, false}}

var alphaBetas = [][2]float32{{1, 0}, {1, 1}, {-2, 0.5}, {0, -1.5}, {0.5, 0}, {1, -1}}

// TestGemmTails sweeps m, n over every tail of every tier's tile (mr ∈ {4,6,8,12}, nr ∈
// {4,12,16,32,64}) with small integer entries, so results must be exact; k, offsets,
// padding and alpha/beta rotate through their sets.
func TestGemmTails(t *testing.T) {
	forEachTier(t, gemmTails)
}

// TestGemmVariants runs the tail sweep on every generated micro-kernel, installed or not.
func TestGemmVariants(t *testing.T) {
	for _, v := range gemmVariants {
		t.Run(v.impl.name, func(t *testing.T) {
			if !hasTier[v.tier] {
				t.Skipf("CPU lacks tier %s", tierNames[v.tier])
			}
			prevTier, prevImpl := tier, gemmImpls[v.tier]
			defer func() { tier, gemmImpls[v.tier] = prevTier, prevImpl }()
			tier, gemmImpls[v.tier] = v.tier, v.impl
			gemmTails(t)
		})
	}
}

func gemmTails(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ks := []int{0, 1, 2, 3, 7, 8, 9, 17, 33}
	idx := 0
	for _, tr := range gemmTrans {
		for _, m := range gemmSizes {
			for _, n := range gemmSizes {
				idx++
				k := ks[idx%len(ks)]
				ab := alphaBetas[idx%len(alphaBetas)]
				g := newGemmCase(rng, tr.a, tr.b, m, n, k, ab[0], ab[1], idx%3, idx%4, true)
				a0, b0 := append([]float32(nil), g.a...), append([]float32(nil), g.b...)
				got, want := g.run()
				g.check(t, got, want, a0, b0, true)
			}
		}
	}
}

// TestGemmBlocks crosses the k, row and column blocking (kc = 512, mc, nc = 1024, and nc
// narrowed to keep k × nc within maxPackB: k = 4100 gives column blocks of 224 or 240), TN
// read in place (m ≤ 512) and packed (m = 603 > tnInPlaceLd), and the small-n path, with
// float entries and the error bound. Shapes are {m, n, k}.
func TestGemmBlocks(t *testing.T) {
	shapes := [][3]int{{37, 33, 513}, {5, 2, 100}, {131, 3, 77}, {130, 4, 9}, {66, 1, 1000}, {9, 1, 8}, {30, 40, 65}, {100, 40, 30}, {20, 1030, 5}, {9, 300, 4100}, {603, 40, 70}}
	if !testing.Short() {
		shapes = append(shapes, [3]int{97, 67, 300}, [3]int{300, 40, 65}, [3]int{50, 1100, 30}, [3]int{1030, 70, 260}, [3]int{200, 2, 2049})
	}
	forEachTier(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for si, s := range shapes {
			for ti, tr := range gemmTrans {
				ab := alphaBetas[(si+ti)%len(alphaBetas)]
				g := newGemmCase(rng, tr.a, tr.b, s[0], s[1], s[2], ab[0], ab[1], (si+ti)%3, (si+ti)%4, false)
				a0, b0 := append([]float32(nil), g.a...), append([]float32(nil), g.b...)
				got, want := g.run()
				g.check(t, got, want, a0, b0, false)
			}
		}
	})
}

// TestGemmBetaZeroIgnoresNaN fills C with NaN: beta == 0 must not read it.
func TestGemmBetaZeroIgnoresNaN(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, tr := range gemmTrans {
			for _, s := range [][3]int{{7, 5, 3}, {13, 37, 20}, {64, 64, 64}, {10, 2, 16}, {3, 1, 0}} {
				for _, alpha := range []float32{1, 0, 3} {
					g := newGemmCase(rng, tr.a, tr.b, s[0], s[1], s[2], alpha, 0, 1, 1, true)
					nan := float32(math.NaN())
					for i := 0; i < g.m; i++ {
						for j := 0; j < g.n; j++ {
							g.c[g.offC+i*g.ldc+j] = nan
						}
					}
					a0, b0 := append([]float32(nil), g.a...), append([]float32(nil), g.b...)
					got, want := g.run()
					g.check(t, got, want, a0, b0, true)
				}
			}
		}
	})
}

// keepThreads restores the thread count when t ends.
func keepThreads(t testing.TB) {
	th := Threads()
	t.Cleanup(func() { SetThreads(th) })
}

// threadEveryProduct lets even the smallest product run on several threads
// (minParallelWork = 0) until t ends, and restores the thread count then too.
func threadEveryProduct(t *testing.T) {
	keepThreads(t)
	w := minParallelWork
	t.Cleanup(func() { minParallelWork = w })
	minParallelWork = 0
}

// TestGemmThreadsBitIdentical checks that 1, 2, 3 and 7 threads give the same bits.
func TestGemmThreadsBitIdentical(t *testing.T) {
	threadEveryProduct(t)
	shapes := [][3]int{{301, 77, 290}, {13, 300, 40}, {1001, 3, 100}, {64, 1030, 20}, {7, 9, 11}}
	forEachTier(t, func(t *testing.T) {
		for _, tr := range gemmTrans {
			for _, s := range shapes {
				rng := rand.New(rand.NewPCG(7, 8))
				g := newGemmCase(rng, tr.a, tr.b, s[0], s[1], s[2], 1.25, -0.5, 2, 3, false)
				var first []float32
				for _, th := range []int{1, 2, 3, 7} {
					SetThreads(th)
					a, b, _ := g.operands()
					got := append([]float32(nil), g.c...)
					Gemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, g.lda, b, g.ldb, g.beta, got[g.offC:], g.ldc)
					if first == nil {
						first = got
						continue
					}
					if e := firstDiff(got, first, false); e >= 0 {
						t.Fatalf("%v: %d threads differ from 1 thread at element %d: %v vs %v", g, th, e, got[e], first[e])
					}
				}
			}
		}
	})
}

// TestGemmBiasAct compares the fused form against RefGemmBiasAct (Z within the GEMM
// bound) and checks Y == act(Z) bit for bit through the package's actForward, with and
// without Z and bias, for every activation.
func TestGemmBiasAct(t *testing.T) {
	threadEveryProduct(t)
	shapes := [][3]int{{1, 1, 1}, {7, 5, 3}, {33, 17, 9}, {65, 49, 300}, {50, 3, 40}, {19, 2, 7}, {6, 16, 0}, {100, 64, 16}}
	forEachTier(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 10))
		for si, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			for act := Act(0); act < numActs; act++ {
				SetThreads(1 + (si+int(act))%3)
				pad := (si + int(act)) % 3
				lda, ldb, ld := k+pad, n+pad, n+pad
				if k == 0 {
					lda = 1 + pad
				}
				a := randSlice(rng, matLen(m, k, lda)+1)
				b := randSlice(rng, matLen(k, n, ldb)+1)
				bias := randSlice(rng, n)
				useBias := si%2 == 0 || act == Identity
				if !useBias {
					bias = nil
				}
				z := fillSlice(matLen(m, n, ld)+3, guard)
				y := fillSlice(matLen(m, n, ld)+3, guard)
				zr := fillSlice(len(z), guard)
				yr := fillSlice(len(y), guard)
				GemmBiasAct(m, n, k, a, lda, b, ldb, bias, act, z, ld, y, ld)
				RefGemmBiasAct(m, n, k, a, lda, b, ldb, bias, act, zr, ld, yr, ld)
				yz := fillSlice(len(y), guard)
				GemmBiasAct(m, n, k, a, lda, b, ldb, bias, act, nil, 0, yz, ld)
				for e := range z {
					i, j := e/ld, e%ld
					if i >= m || j >= n {
						if z[e] != guard || y[e] != guard || yz[e] != guard {
							t.Fatalf("m=%d n=%d k=%d %v: guard %d changed", m, n, k, act, e)
						}
						continue
					}
					var s float64
					for p := 0; p < k; p++ {
						s += math.Abs(float64(a[i*lda+p]) * float64(b[p*ldb+j]))
					}
					if bias != nil {
						s += math.Abs(float64(bias[j]))
					}
					if d := math.Abs(float64(z[e] - zr[e])); d > 2*float64(k+2)*s/(1<<23)+1e-30 {
						t.Fatalf("m=%d n=%d k=%d %v: Z[%d,%d] = %v, want %v", m, n, k, act, i, j, z[e], zr[e])
					}
					var want [1]float32
					actForward(act, z[e:e+1], want[:])
					if math.Float32bits(y[e]) != math.Float32bits(want[0]) || math.Float32bits(yz[e]) != math.Float32bits(want[0]) {
						t.Fatalf("m=%d n=%d k=%d %v: Y[%d,%d] = %v (no Z: %v), want act(Z) = %v", m, n, k, act, i, j, y[e], yz[e], want[0])
					}
				}
			}
		}
	})
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}

func fillSlice(n int, v float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// TestGemmNoAllocs asserts zero allocations per call after warm-up, threaded and not.
func TestGemmNoAllocs(t *testing.T) {
	keepThreads(t)
	rng := rand.New(rand.NewPCG(11, 12))
	m, n, k := 200, 70, 300
	a, b, c := randSlice(rng, m*k), randSlice(rng, k*n), randSlice(rng, m*n)
	bias := randSlice(rng, n)
	forEachTier(t, func(t *testing.T) {
		for _, th := range []int{1, 2} {
			SetThreads(th)
			for _, tr := range gemmTrans {
				var f func()
				if tr.a {
					f = func() { Gemm(true, false, m, n, k, 1, a, m, b, n, 0.5, c, n) }
				} else if tr.b {
					f = func() { Gemm(false, true, m, n, k, 1, a, k, b, k, 0.5, c, n) }
				} else {
					f = func() { Gemm(false, false, m, n, k, 1, a, k, b, n, 0.5, c, n) }
				}
				if allocs := testing.AllocsPerRun(5, f); allocs != 0 {
					t.Errorf("threads=%d %v: %v allocations per Gemm", th, tr, allocs)
				}
			}
			f := func() { GemmBiasAct(m, n, k, a, k, b, n, bias, SiLU, nil, 0, c, n) }
			if allocs := testing.AllocsPerRun(5, f); allocs != 0 {
				t.Errorf("threads=%d: %v allocations per GemmBiasAct", th, allocs)
			}
			g := func() { Gemm(false, false, m, 2, k, 1, a, k, b, 2, 0, c, 2) }
			if allocs := testing.AllocsPerRun(5, g); allocs != 0 {
				t.Errorf("threads=%d: %v allocations per small-n Gemm", th, allocs)
			}
		}
	})
}

// FuzzGemm compares Gemm with RefGemm on fuzzer-chosen shapes, layouts and scalars, in
// every available tier, within the error bound.
func FuzzGemm(f *testing.F) {
	f.Add(uint8(5), uint8(7), uint8(3), uint8(0), uint8(1), uint8(2), uint64(1))
	f.Add(uint8(17), uint8(33), uint8(65), uint8(1), uint8(0), uint8(3), uint64(2))
	f.Add(uint8(64), uint8(2), uint8(40), uint8(2), uint8(2), uint8(0), uint64(3))
	f.Fuzz(func(t *testing.T, m, n, k, trans, ab, layout uint8, seed uint64) {
		tr := gemmTrans[int(trans)%len(gemmTrans)]
		abv := alphaBetas[int(ab)%len(alphaBetas)]
		prev := Impl()
		defer SetImpl(prev)
		for _, name := range Tiers() {
			if err := SetImpl(name); err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(seed, uint64(layout)))
			g := newGemmCase(rng, tr.a, tr.b, int(m)%130, int(n)%130, int(k)%300, abv[0], abv[1], int(layout)%5, int(layout>>3)%4, false)
			a0, b0 := append([]float32(nil), g.a...), append([]float32(nil), g.b...)
			got, want := g.run()
			g.check(t, got, want, a0, b0, false)
		}
	})
}

// TestGemmConcurrentCallers runs GEMMs from several goroutines at once (the pool serves one,
// the others run on private states) and checks each against a sequential result.
func TestGemmConcurrentCallers(t *testing.T) {
	threadEveryProduct(t)
	SetThreads(2)
	rng := rand.New(rand.NewPCG(13, 14))
	m, n, k := 67, 45, 70
	a, b := randSlice(rng, m*k), randSlice(rng, k*n)
	want := make([]float32, m*n)
	Gemm(false, false, m, n, k, 1, a, k, b, n, 0, want, n)
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			c := make([]float32, m*n)
			for it := 0; it < 20; it++ {
				Gemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
				if e := firstDiff(c, want, false); e >= 0 {
					errs <- fmt.Errorf("goroutine %d iteration %d: element %d = %v, want %v", g, it, e, c[e], want[e])
					return
				}
			}
			errs <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// oneThreadNN returns random A (m×k), B (k×n) from seed and their NN product on one thread
// (the thread count is left at 1).
func oneThreadNN(seed uint64, m, n, k int) (a, b, c []float32) {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	a, b, c = randSlice(rng, m*k), randSlice(rng, k*n), make([]float32, m*n)
	SetThreads(1)
	Gemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
	return a, b, c
}

// TestPoolSpinAndPark drives the pool through sections of changing worker counts, some
// back to back (workers still spinning) and some after pauses longer than spinWait (workers
// parked), so both hand-offs and the sections that leave some workers out are exercised;
// every result must equal the one-thread bits, and the test must not hang.
func TestPoolSpinAndPark(t *testing.T) {
	threadEveryProduct(t)
	m, n, k := 70, 97, 40
	a, b, want := oneThreadNN(15, m, n, k)
	c := make([]float32, m*n)
	iters := 300
	if testing.Short() {
		iters = 60
	}
	for it := 0; it < iters; it++ {
		SetThreads([]int{2, 7, 3, 1, 5}[it%5])
		if it%7 == 0 {
			time.Sleep(2 * spinWait) // let the workers park
		}
		clear(c)
		Gemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		if e := firstDiff(c, want, false); e >= 0 {
			t.Fatalf("iteration %d (threads %d): element %d = %v, want %v", it, Threads(), e, c[e], want[e])
		}
	}
}

// countTask records which tasks ran and on which workers, and runs a GEMM in each.
type countTask struct {
	runs    []atomic.Int32
	badW    atomic.Int32
	nw      int
	delay   time.Duration // per task, so that every worker gets some
	a, b, c []float32
	m, n, k int
}

func (c *countTask) RunTask(w, t int) {
	c.runs[t].Add(1)
	if w < 0 || w >= c.nw {
		c.badW.Add(1)
	}
	time.Sleep(c.delay)
	out := c.c[t*c.m*c.n : (t+1)*c.m*c.n]
	Gemm(false, false, c.m, c.n, c.k, 1, c.a, c.k, c.b, c.n, 0, out, c.n)
}

// TestRunTasks checks that RunTasks runs every task once, on worker numbers below the
// caller's cap (WorkersFor, or a smaller one), that kernels inside tasks give the one-thread
// bits, and that it allocates nothing in steady state.
func TestRunTasks(t *testing.T) {
	keepThreads(t)
	m, n, k := 40, 70, 90
	a, b, want := oneThreadNN(17, m, n, k)
	for _, th := range []int{1, 2, 3, 7} {
		for _, ntask := range []int{0, 1, 2, 5, 40} {
			SetThreads(th)
			ct := &countTask{runs: make([]atomic.Int32, ntask), nw: WorkersFor(ntask), a: a, b: b, c: make([]float32, ntask*m*n), m: m, n: n, k: k}
			RunTasks(ntask, ct.nw, ct)
			for i := range ct.runs {
				if r := ct.runs[i].Load(); r != 1 {
					t.Fatalf("threads %d, %d tasks: task %d ran %d times", th, ntask, i, r)
				}
				got := ct.c[i*m*n : (i+1)*m*n]
				if e := firstDiff(got, want, false); e >= 0 {
					t.Fatalf("threads %d: task %d element %d = %v, want %v", th, i, e, got[e], want[e])
				}
			}
			if ct.badW.Load() != 0 {
				t.Fatalf("threads %d, %d tasks: a worker number outside [0, %d)", th, ntask, ct.nw)
			}
		}
	}
	// A caller's cap below Threads() bounds the worker numbers.
	SetThreads(7)
	capped := &countTask{runs: make([]atomic.Int32, 30), nw: 2, delay: time.Millisecond, a: a, b: b, c: make([]float32, 30*m*n), m: m, n: n, k: k}
	RunTasks(30, 2, capped)
	if capped.badW.Load() != 0 {
		t.Fatal("threads 7, maxWorkers 2: a worker number above 1")
	}
	SetThreads(2)
	ct := &countTask{runs: make([]atomic.Int32, 8), nw: 2, a: a, b: b, c: make([]float32, 8*m*n), m: m, n: n, k: k}
	if allocs := testing.AllocsPerRun(20, func() { RunTasks(8, ct.nw, ct) }); allocs != 0 {
		t.Errorf("RunTasks: %v allocations per call", allocs)
	}
}
