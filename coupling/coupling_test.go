package coupling

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/interflow/flowbench/kernels"
)

// randPoints returns n×d standard normal points, shifted by shift in every coordinate.
func randPoints(rng *rand.Rand, n, d int, shift float64) []float32 {
	x := make([]float32, n*d)
	for i := range x {
		x[i] = float32(rng.NormFloat64() + shift)
	}
	return x
}

// bruteAssign returns the minimum of Σ cost[i][p[i]] over all permutations p (Heap's
// algorithm).
func bruteAssign(cost []float64, n int) float64 {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	eval := func() float64 {
		s := 0.0
		for i, j := range p {
			s += cost[i*n+j]
		}
		return s
	}
	best := eval()
	c := make([]int, n)
	for i := 0; i < n; {
		if c[i] < i {
			if i%2 == 0 {
				p[0], p[i] = p[i], p[0]
			} else {
				p[c[i]], p[i] = p[i], p[c[i]]
			}
			best = min(best, eval())
			c[i]++
			i = 0
		} else {
			c[i] = 0
			i++
		}
	}
	return best
}

func isPerm(p []int) bool {
	s := slices.Clone(p)
	slices.Sort(s)
	for i, v := range s {
		if v != i {
			return false
		}
	}
	return true
}

// costs returns a random n×n cost matrix of one of three kinds: uniform reals, small
// integers (many ties) and squared distances of Gaussian points.
func costs(rng *rand.Rand, kind string, n int) []float64 {
	c := make([]float64, n*n)
	switch kind {
	case "uniform":
		for i := range c {
			c[i] = rng.Float64() * 10
		}
	case "ints":
		for i := range c {
			c[i] = float64(rng.IntN(4))
		}
	case "sqdist":
		if err := SqDist(randPoints(rng, n, 2, 0), randPoints(rng, n, 2, 1), n, n, 2, c, nil); err != nil {
			panic(err)
		}
	}
	return c
}

func TestAssignBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, kind := range []string{"uniform", "ints", "sqdist"} {
		for n := 0; n <= 8; n++ {
			for trial := range 5 {
				c := costs(rng, kind, n)
				perm := make([]int, n)
				got, err := Assign(c, n, perm, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !isPerm(perm) {
					t.Fatalf("%s n=%d: %v is not a permutation", kind, n, perm)
				}
				s := 0.0
				for i, j := range perm {
					s += c[i*n+j]
				}
				want := bruteAssign(c, n)
				if s != got || math.Abs(got-want) > 1e-9*(1+math.Abs(want)) {
					t.Errorf("%s n=%d trial %d: cost %g (perm sums to %g), brute force %g", kind, n, trial, got, s, want)
				}
			}
		}
	}
}

// certify checks the LP-duality certificate of the solver's potentials: every reduced cost
// c_ij − u_i − v_j ≥ −tol, the assigned ones within tol of 0, and Σu + Σv equal to the
// assignment's cost, which proves the assignment optimal independently of how it was found.
func certify(t *testing.T, ws *Workspace, c []float64, n int, perm []int, total float64) {
	t.Helper()
	scale := 0.0
	for _, v := range c {
		scale = max(scale, math.Abs(v))
	}
	tol := 1e-9 * (1 + scale) * float64(n)
	dual := 0.0
	for i := range n {
		dual += ws.u[i] + ws.v[i]
		for j := range n {
			r := c[i*n+j] - ws.u[i] - ws.v[j]
			if r < -tol {
				t.Fatalf("n=%d: reduced cost [%d][%d] = %g < 0", n, i, j, r)
			}
			if j == perm[i] && math.Abs(r) > tol {
				t.Fatalf("n=%d: assigned edge [%d][%d] has reduced cost %g ≠ 0", n, i, j, r)
			}
		}
	}
	if math.Abs(dual-total) > tol {
		t.Fatalf("n=%d: dual objective %g ≠ primal %g", n, dual, total)
	}
}

func TestAssignCertificate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var ws Workspace // reused across sizes and kinds
	for _, kind := range []string{"uniform", "ints", "sqdist"} {
		for _, n := range []int{9, 17, 50, 100, 200} {
			c := costs(rng, kind, n)
			perm := make([]int, n)
			total, err := Assign(c, n, perm, &ws)
			if err != nil {
				t.Fatal(err)
			}
			if !isPerm(perm) {
				t.Fatalf("%s n=%d: not a permutation", kind, n)
			}
			certify(t, &ws, c, n, perm, total)
			// A random permutation and the identity cost at least as much.
			q := rng.Perm(n)
			rs, id := 0.0, 0.0
			for i := range n {
				rs += c[i*n+q[i]]
				id += c[i*n+i]
			}
			if rs < total-1e-9 || id < total-1e-9 {
				t.Fatalf("%s n=%d: optimum %g above a random %g or identity %g pairing", kind, n, total, rs, id)
			}
		}
	}
}

func TestAssignLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("n = 1024")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	const n, d = 1024, 2
	c := make([]float64, n*n)
	var ws Workspace
	if err := SqDist(randPoints(rng, n, d, 0), randPoints(rng, n, d, 2), n, n, d, c, &ws); err != nil {
		t.Fatal(err)
	}
	perm := make([]int, n)
	total, err := Assign(c, n, perm, &ws)
	if err != nil {
		t.Fatal(err)
	}
	certify(t, &ws, c, n, perm, total)
}

func TestSqDist(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, sh := range [][3]int{{1, 1, 1}, {3, 5, 2}, {17, 9, 7}, {64, 33, 3}} {
		na, nb, d := sh[0], sh[1], sh[2]
		a, b := randPoints(rng, na, d, 0), randPoints(rng, nb, d, 0.5)
		c := make([]float64, na*nb)
		if err := SqDist(a, b, na, nb, d, c, nil); err != nil {
			t.Fatal(err)
		}
		for i := range na {
			for j := range nb {
				want, scale := 0.0, 0.0
				for k := range d {
					x, y := float64(a[i*d+k]), float64(b[j*d+k])
					want += (x - y) * (x - y)
					scale += x*x + y*y
				}
				if got := c[i*nb+j]; got < 0 || math.Abs(got-want) > 1e-6*(1+scale) {
					t.Errorf("%v: [%d][%d] = %g, want %g", sh, i, j, got, want)
				}
			}
		}
	}
	// A point against itself: exactly 0 after the clamp, never negative.
	x := []float32{1e3, -7.25, 0.1}
	c := make([]float64, 1)
	if err := SqDist(x, x, 1, 1, 3, c, nil); err != nil || c[0] < 0 || c[0] > 1e-1 {
		t.Errorf("self-distance %g (err %v)", c[0], err)
	}
}

// planCost returns Σ P_ij c_ij, the mean cost of a pair under the plan.
func planCost(p, c []float64) float64 {
	s := 0.0
	for k := range p {
		s += p[k] * c[k]
	}
	return s
}

func TestSinkhornMarginals(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const n = 64
	c := costs(rng, "sqdist", n)
	var ws Workspace
	for _, eps := range []float64{0.03, 0.1, 1, 100} {
		res, err := SinkhornPlan(c, n, SinkhornOptions{Eps: eps, Tol: 1e-5, MaxIter: 20000}, &ws)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Converged {
			t.Fatalf("eps %g: not converged after %d iterations (err %g)", eps, res.Iters, res.MarginalErr)
		}
		p := make([]float64, n*n)
		Plan(c, n, eps, res.F, res.G, p)
		rowErr, colErr := 0.0, 0.0
		for i := range n {
			r, cs := 0.0, 0.0
			for j := range n {
				r += p[i*n+j]
				cs += p[j*n+i]
			}
			rowErr += math.Abs(r - 1.0/n)
			colErr += math.Abs(cs - 1.0/n)
		}
		t.Logf("eps %g: %d iterations, row L1 error %.2e (reported %.2e), column %.2e", eps, res.Iters, rowErr, res.MarginalErr, colErr)
		if rowErr > 1e-5 || math.Abs(rowErr-res.MarginalErr) > 1e-10 || colErr > 1e-12 {
			t.Errorf("eps %g: marginal errors rows %g (reported %g), columns %g", eps, rowErr, res.MarginalErr, colErr)
		}
	}
}

func TestSinkhornLimits(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const n = 48
	c := costs(rng, "sqdist", n)
	perm := make([]int, n)
	opt, err := Assign(c, n, perm, nil)
	if err != nil {
		t.Fatal(err)
	}
	opt /= n
	indep := 0.0 // the independent coupling's mean cost: the mean of all entries
	for _, v := range c {
		indep += v
	}
	indep /= n * n
	var ws Workspace
	sampled := func(eps float64, seed uint64) (plan, draw float64) {
		res, err := SinkhornPlan(c, n, SinkhornOptions{Eps: eps, Tol: 1e-5, MaxIter: 20000}, &ws)
		if err != nil || !res.Converged {
			t.Fatalf("eps %g: %v (converged %v)", eps, err, res.Converged)
		}
		p := make([]float64, n*n)
		Plan(c, n, eps, res.F, res.G, p)
		plan = planCost(p, c)
		src := make([]int, n)
		const draws = 200
		r := rand.New(rand.NewPCG(seed, 1))
		for range draws {
			if err := SamplePlan(c, n, eps, res.G, r, src, &ws); err != nil {
				t.Fatal(err)
			}
			if !isPerm(src) {
				t.Fatal("not a permutation")
			}
			for i, j := range src {
				draw += c[i*n+j]
			}
		}
		return plan, draw / (draws * n)
	}
	prevPlan := math.Inf(1)
	for _, eps := range []float64{10, 1, 0.1, 0.03} {
		pc, dc := sampled(eps, 3)
		t.Logf("eps %g: plan cost %.5f, sampled pairs %.5f (exact OT %.5f, independent %.5f)", eps, pc, dc, opt, indep)
		if pc < opt-1e-9 || pc > prevPlan+1e-9 {
			t.Errorf("eps %g: plan cost %g not in [OT %g, previous %g]", eps, pc, opt, prevPlan)
		}
		prevPlan = pc
	}
	// ε → 0 (ε = 0.03 is 0.5% of the mean cost): the plan's cost within 1% of the exact
	// assignment's, the draws' within 5% (rows drawn late find their best columns taken).
	if pc, dc := sampled(0.03, 4); math.Abs(pc-opt) > 0.01*opt || math.Abs(dc-opt) > 0.05*opt {
		t.Errorf("ε → 0: plan %g and draws %g, want the exact assignment's %g within 1%% and 5%%", pc, dc, opt)
	}
	// ε → ∞: the plan is uniform, its cost the independent coupling's; the draws are random
	// permutations, whose mean cost is the same (within a few standard errors).
	if pc, dc := sampled(1e6, 5); math.Abs(pc-indep) > 1e-3*indep || math.Abs(dc-indep) > 0.03*indep {
		t.Errorf("ε → ∞: plan %g and draws %g, want the independent coupling's %g", pc, dc, indep)
	}
}

func TestPairDeterministicAcrossThreads(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	rng := rand.New(rand.NewPCG(13, 14))
	const n, d = 512, 16 // n²·d = 2²² multiply-adds: the GEMM splits over workers
	x0, x1 := randPoints(rng, n, d, 0), randPoints(rng, n, d, 1)
	for _, spec := range []Spec{{Method: OT}, {Method: Sinkhorn, Eps: 0.5}} {
		var ref []int
		var refCost []float64
		for _, th := range []int{1, 2, 4} {
			kernels.SetThreads(th)
			c, _ := NewCoupler(spec)
			src := make([]int, n)
			if err := c.Pair(x0, x1, n, d, rand.New(rand.NewPCG(1, 1)), src); err != nil {
				t.Fatal(err)
			}
			if ref == nil {
				ref, refCost = src, slices.Clone(c.cost)
				continue
			}
			if !slices.Equal(src, ref) || !slices.Equal(c.cost, refCost) {
				t.Errorf("%v: threads %d give another pairing or cost matrix than 1 thread", spec, th)
			}
		}
	}
}

func TestPairIndependentAndPermute(t *testing.T) {
	c, err := NewCoupler(Spec{})
	if err != nil {
		t.Fatal(err)
	}
	src := make([]int, 5)
	if err := c.Pair(nil, nil, 5, 2, nil, src); err != nil || !slices.Equal(src, []int{0, 1, 2, 3, 4}) {
		t.Errorf("independent: %v, %v", src, err)
	}
	x := []float32{0, 1, 10, 11, 20, 21}
	dst := make([]float32, 6)
	Permute(dst, x, []int{2, 0, 1}, 2)
	if !slices.Equal(dst, []float32{20, 21, 0, 1, 10, 11}) {
		t.Errorf("Permute: %v", dst)
	}
	// OT pairs a shifted copy of a point set with its own points.
	p := []float32{0, 0, 5, 0, 0, 5, 5, 5}
	q := []float32{5.1, 5, 0.1, 0, 5.1, 0, 0.1, 5}
	ot, _ := NewCoupler(Spec{Method: OT})
	src = make([]int, 4)
	if err := ot.Pair(p, q, 4, 2, nil, src); err != nil || !slices.Equal(src, []int{3, 0, 1, 2}) {
		t.Errorf("OT of a shifted set: %v (err %v), want [3 0 1 2]", src, err)
	}
}

func TestSpecParse(t *testing.T) {
	for _, s := range []string{"independent", "ot", "sinkhorn:0.05", "sinkhorn:1e-07", "sinkhorn:2"} {
		sp, err := Parse(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if sp.String() != s {
			t.Errorf("Parse(%q).String() = %q", s, sp.String())
		}
		b, err := sp.MarshalText()
		var back Spec
		if err != nil || back.UnmarshalText(b) != nil || back != sp {
			t.Errorf("%s: text round trip gives %v (%v)", s, back, err)
		}
	}
	for _, s := range []string{"", "OT", "sinkhorn", "sinkhorn:", "sinkhorn:0", "sinkhorn:-1", "sinkhorn:inf", "sinkhorn:NaN", "sinkhorn:x", "exact"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
	for _, sp := range []Spec{{Method: 3}, {Method: OT, Eps: 1}, {Method: Sinkhorn}} {
		if sp.Validate() == nil {
			t.Errorf("%+v validated", sp)
		}
		if _, err := NewCoupler(sp); err == nil {
			t.Errorf("NewCoupler(%+v) accepted", sp)
		}
		if _, err := sp.MarshalText(); err == nil {
			t.Errorf("%+v marshaled", sp)
		}
	}
}

func TestErrors(t *testing.T) {
	perm := make([]int, 2)
	if _, err := Assign([]float64{1, 2, 3}, 2, perm, nil); err == nil {
		t.Error("Assign: short cost accepted")
	}
	if _, err := Assign([]float64{1, math.NaN(), 3, 4}, 2, perm, nil); !errors.Is(err, ErrCost) {
		t.Errorf("Assign: NaN cost: %v", err)
	}
	if _, err := Assign([]float64{1, math.Inf(1), 3, 4}, 2, perm, nil); !errors.Is(err, ErrCost) {
		t.Errorf("Assign: +Inf cost: %v", err)
	}
	if _, err := Assign([]float64{1, 2, 3, 4}, 2, perm[:1], nil); err == nil {
		t.Error("Assign: short perm accepted")
	}
	if _, err := Assign(nil, -1, nil, nil); err == nil {
		t.Error("Assign: n < 0 accepted")
	}
	c := []float64{1, 2, 3, 4}
	for _, o := range []SinkhornOptions{{}, {Eps: -1}, {Eps: math.Inf(1)}, {Eps: math.NaN()}, {Eps: 1, Tol: -1}, {Eps: 1, MaxIter: -1}} {
		if _, err := SinkhornPlan(c, 2, o, nil); err == nil {
			t.Errorf("SinkhornPlan %+v accepted", o)
		}
	}
	if _, err := SinkhornPlan([]float64{1, math.NaN(), 3, 4}, 2, SinkhornOptions{Eps: 1}, nil); !errors.Is(err, ErrCost) {
		t.Errorf("SinkhornPlan: NaN cost: %v", err)
	}
	if err := SamplePlan(c, 2, 1, []float64{0}, rand.New(rand.NewPCG(1, 1)), perm, nil); err == nil {
		t.Error("SamplePlan: short g accepted")
	}
	if err := SqDist([]float32{1}, []float32{1, 2}, 1, 1, 1, make([]float64, 1), nil); err == nil {
		t.Error("SqDist: wrong b length accepted")
	}
	if err := SqDist(nil, nil, 0, 0, 0, nil, nil); err == nil {
		t.Error("SqDist: d = 0 accepted")
	}
	oc, _ := NewCoupler(Spec{Method: OT})
	if err := oc.Pair([]float32{1, 2}, []float32{1}, 2, 1, nil, make([]int, 2)); err == nil {
		t.Error("Pair: short x1 accepted")
	}
	nan := float32(math.NaN())
	if err := oc.Pair([]float32{nan, 2}, []float32{1, 3}, 2, 1, nil, make([]int, 2)); !errors.Is(err, ErrCost) {
		t.Errorf("Pair: NaN point: %v", err)
	}
}

// BenchmarkPair times Pair (cost matrix included) on 2-D Gaussian batches, x1 shifted by 1.
func BenchmarkPair(b *testing.B) {
	for _, s := range []string{"ot", "sinkhorn:0.5"} {
		for _, n := range []int{256, 1024} {
			b.Run(s+"/n="+strconv.Itoa(n), func(b *testing.B) {
				spec, _ := Parse(s)
				c, _ := NewCoupler(spec)
				rng := rand.New(rand.NewPCG(1, 2))
				x0, x1 := randPoints(rng, n, 2, 0), randPoints(rng, n, 2, 1)
				src := make([]int, n)
				b.ReportAllocs()
				for b.Loop() {
					if err := c.Pair(x0, x1, n, 2, rng, src); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
