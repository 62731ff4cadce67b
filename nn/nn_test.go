package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/interflow/flowbench/kernels"
)

func newTestNet(t *testing.T, c Config, seed uint64) *MLP {
	t.Helper()
	m, err := New(c, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestInitBounds(t *testing.T) {
	c := Config{Dim: 3, Hidden: []int{64, 32}, Act: kernels.SiLU}
	m := newTestNet(t, c, 1)
	for i, l := range m.Layers() {
		bound := float32(1 / math.Sqrt(float64(l.In)))
		var maxAbs float32
		for _, v := range append(append([]float32(nil), l.W...), l.B...) {
			if v < -bound || v > bound {
				t.Fatalf("layer %d: %v outside ±%v", i, v, bound)
			}
			maxAbs = max(maxAbs, float32(math.Abs(float64(v))))
		}
		if maxAbs < 0.8*bound {
			t.Errorf("layer %d: max |w| = %v, expected close to the bound %v", i, maxAbs, bound)
		}
	}
	m2 := newTestNet(t, c, 1)
	m3 := newTestNet(t, c, 2)
	for i := range m.Params() {
		if m.Params()[i] != m2.Params()[i] {
			t.Fatal("same seed gave different parameters")
		}
	}
	same := 0
	for i := range m.Params() {
		if m.Params()[i] == m3.Params()[i] {
			same++
		}
	}
	if same > len(m.Params())/100 {
		t.Fatalf("different seeds share %d parameters", same)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []Config{
		{Dim: 0, Hidden: []int{4}, Act: kernels.SiLU},
		{Dim: 2, Hidden: []int{0}, Act: kernels.SiLU},
		{Dim: 2, Hidden: []int{4}, Act: kernels.Identity},
		{Dim: 2, Hidden: []int{4}, Act: kernels.Act(99)},
		{Dim: 2, Hidden: []int{4}, Act: kernels.SiLU, Time: TimeFourier},
		{Dim: 2, Hidden: []int{4}, Act: kernels.SiLU, Fourier: 2},
		{Dim: 2, Hidden: []int{MaxWidth, MaxWidth, MaxWidth}, Act: kernels.SiLU},
	}
	for i, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("config %d %+v: no error", i, c)
		}
		if _, err := New(c, 0); err == nil {
			t.Errorf("New %d: no error", i)
		}
	}
	for _, c := range testConfigs() {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", cfgName(c), err)
		}
	}
}

func TestVelocityMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range testConfigs() {
		t.Run(cfgName(c), func(t *testing.T) {
			m := newTestNet(t, c, 3)
			p := to64(m.Params())
			for _, B := range []int{0, 1, 3, 17, inferRows + 5} {
				d := c.Dim
				x := randVec(rng, B*d, 1.5)
				out := make([]float32, B*d)
				tt := rng.Float64()
				m.Velocity(tt, x, out)
				ts := make([]float64, B)
				fwd := make([]float32, B*d)
				for i := range ts {
					ts[i] = rng.Float64()
				}
				m.Forward(ts, x, fwd)
				for b := 0; b < B; b++ {
					want := ref64(c, p, tt, to64(x[b*d:(b+1)*d]))
					want2 := ref64(c, p, ts[b], to64(x[b*d:(b+1)*d]))
					for j := 0; j < d; j++ {
						if !closeTo(float64(out[b*d+j]), want[j], 2e-5) {
							t.Fatalf("B=%d Velocity row %d dim %d: %v, want %v", B, b, j, out[b*d+j], want[j])
						}
						if !closeTo(float64(fwd[b*d+j]), want2[j], 2e-5) {
							t.Fatalf("B=%d Forward row %d dim %d: %v, want %v", B, b, j, fwd[b*d+j], want2[j])
						}
					}
				}
			}
		})
	}
}

// refLoss is the loss in float64 with parameters p.
func refLoss(c Config, p []float64, ts []float64, x, u []float64) float64 {
	d := c.Dim
	var s float64
	for b := range ts {
		v := ref64(c, p, ts[b], x[b*d:(b+1)*d])
		for j := range v {
			r := v[j] - u[b*d+j]
			s += r * r
		}
	}
	return s / float64(len(ts))
}

func TestLossGradFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range testConfigs() {
		t.Run(cfgName(c), func(t *testing.T) {
			m := newTestNet(t, c, 7)
			d, B := c.Dim, 5
			ts := make([]float64, B)
			for i := range ts {
				ts[i] = rng.Float64()
			}
			x, u := randVec(rng, B*d, 1), randVec(rng, B*d, 1)
			grad := make([]float32, m.NumParams())
			dx, dt := make([]float32, B*d), make([]float64, B)
			st := m.LossGrad(ts, x, u, grad, dx, dt)
			p, x64, u64 := to64(m.Params()), to64(x), to64(u)
			// Statistics against the reference.
			var l, g, kin float64
			for b := 0; b < B; b++ {
				v := ref64(c, p, ts[b], x64[b*d:(b+1)*d])
				for j, vj := range v {
					uj := u64[b*d+j]
					l += (vj - uj) * (vj - uj)
					g += vj*vj - 2*uj*vj
					kin += vj * vj
				}
			}
			fb := float64(B)
			for _, q := range [][3]float64{{st.Loss, l / fb}, {st.G, g / fb}, {st.Kinetic, kin / fb}, {st.GTilde, (g + kin) / fb}} {
				if !closeTo(q[0], q[1], 1e-5) {
					t.Fatalf("loss statistics %+v, want loss %v G %v kinetic %v", st, l/fb, g/fb, kin/fb)
				}
			}
			if !closeTo(st.Loss-st.G, func() float64 {
				s := 0.0
				for _, v := range u64 {
					s += v * v
				}
				return s / fb
			}(), 1e-5) {
				t.Fatalf("Loss − G ≠ mean |dI/dt|²")
			}
			// Each gradient against central differences of the reference loss in its variables.
			fdCheck := func(name string, vars []float64, got func(i int) float64) {
				t.Helper()
				const h = 1e-6
				for i := range vars {
					old := vars[i]
					vars[i] = old + h
					lp := refLoss(c, p, ts, x64, u64)
					vars[i] = old - h
					lm := refLoss(c, p, ts, x64, u64)
					vars[i] = old
					fd := (lp - lm) / (2 * h)
					if g := got(i); math.Abs(g-fd) > 1e-4*(1+math.Abs(fd)) {
						t.Fatalf("dL/d%s[%d] = %v, finite difference %v", name, i, g, fd)
					}
				}
			}
			fdCheck("θ", p, func(i int) float64 { return float64(grad[i]) })
			fdCheck("x", x64, func(i int) float64 { return float64(dx[i]) })
			fdCheck("t", ts, func(i int) float64 { return dt[i] })
			// dL/d(dI/dt) = −LossGradOutput().
			gout := m.LossGradOutput()
			fdCheck("u", u64, func(i int) float64 { return -float64(gout[i]) })
		})
	}
}

// jacobian64 returns the d×d Jacobian ∂v_i/∂x_j of one row by central differences.
func jacobian64(c Config, p []float64, t float64, x []float64) [][]float64 {
	const h = 1e-6
	d := c.Dim
	J := make([][]float64, d)
	for i := range J {
		J[i] = make([]float64, d)
	}
	for j := 0; j < d; j++ {
		old := x[j]
		x[j] = old + h
		vp := ref64(c, p, t, x)
		x[j] = old - h
		vm := ref64(c, p, t, x)
		x[j] = old
		for i := 0; i < d; i++ {
			J[i][j] = (vp[i] - vm[i]) / (2 * h)
		}
	}
	return J
}

func TestDivergenceJVPVJP(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, c := range testConfigs() {
		t.Run(cfgName(c), func(t *testing.T) {
			m := newTestNet(t, c, 10)
			p := to64(m.Params())
			d := c.Dim
			for _, B := range []int{1, 4, divTangents/d + 3} {
				x, u := randVec(rng, B*d, 1.2), randVec(rng, B*d, 1)
				out, out2 := make([]float32, B*d), make([]float32, B*d)
				div := make([]float64, B)
				tt := rng.Float64()
				m.VelocityDiv(tt, x, out, div)
				m.Velocity(tt, x, out2)
				jv, vj := make([]float32, B*d), make([]float32, B*d)
				out3, out4 := make([]float32, B*d), make([]float32, B*d)
				m.JVP(tt, x, u, out3, jv)
				m.VJP(tt, x, u, out4, vj)
				for i := range out {
					if out[i] != out2[i] || out3[i] != out2[i] {
						t.Fatalf("velocity of VelocityDiv/JVP differs from Velocity at %d: %v %v %v", i, out[i], out3[i], out2[i])
					}
					if !closeTo(float64(out4[i]), float64(out2[i]), 1e-5) {
						t.Fatalf("velocity of VJP %v, Velocity %v", out4[i], out2[i])
					}
				}
				for b := 0; b < B; b += max(1, B/7) {
					J := jacobian64(c, p, tt, to64(x[b*d:(b+1)*d]))
					var tr float64
					for i := 0; i < d; i++ {
						tr += J[i][i]
						var a, bb float64
						for j := 0; j < d; j++ {
							a += J[i][j] * float64(u[b*d+j])
							bb += float64(u[b*d+j]) * J[j][i]
						}
						if !closeTo(float64(jv[b*d+i]), a, 1e-4) {
							t.Fatalf("B=%d row %d: JVP[%d] = %v, finite difference %v", B, b, i, jv[b*d+i], a)
						}
						if !closeTo(float64(vj[b*d+i]), bb, 1e-4) {
							t.Fatalf("B=%d row %d: VJP[%d] = %v, finite difference %v", B, b, i, vj[b*d+i], bb)
						}
					}
					if !closeTo(div[b], tr, 1e-4) {
						t.Fatalf("B=%d row %d: divergence %v, finite-difference trace %v", B, b, div[b], tr)
					}
				}
			}
		})
	}
}

// Summing the Hutchinson estimates over the probes e_1..e_d gives the trace exactly.
func TestHutchinsonBasisProbesGiveTrace(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, c := range testConfigs() {
		m := newTestNet(t, c, 13)
		d, B := c.Dim, 6
		x := randVec(rng, B*d, 1)
		out := make([]float32, B*d)
		div, h := make([]float64, B), make([]float64, B)
		m.VelocityDiv(0.3, x, out, div)
		sum := make([]float64, B)
		probe := make([]float32, B*d)
		for j := 0; j < d; j++ {
			clear(probe)
			for b := 0; b < B; b++ {
				probe[b*d+j] = 1
			}
			m.VelocityDivHutchinson(0.3, x, out, h, probe)
			for b := range sum {
				sum[b] += h[b]
			}
		}
		for b := range sum {
			if !closeTo(sum[b], div[b], 1e-5) {
				t.Fatalf("%s row %d: Σ_j e_jᵀJe_j = %v, exact divergence %v", cfgName(c), b, sum[b], div[b])
			}
		}
	}
}

// The mean of Rademacher and Gaussian Hutchinson estimates converges to the exact value.
func TestHutchinsonMeanConverges(t *testing.T) {
	c := Config{Dim: 5, Hidden: []int{16, 16}, Act: kernels.Tanh}
	m := newTestNet(t, c, 14)
	rng := rand.New(rand.NewPCG(15, 16))
	d := c.Dim
	x := randVec(rng, d, 1)
	const N = 20000
	// The same point repeated N times, each row with its own probe.
	xs := make([]float32, N*d)
	for b := 0; b < N; b++ {
		copy(xs[b*d:], x)
	}
	out := make([]float32, N*d)
	exact := make([]float64, N)
	m.VelocityDiv(0.7, xs, out, exact)
	for _, kind := range []string{"rademacher", "gaussian"} {
		probe := make([]float32, N*d)
		for i := range probe {
			if kind == "gaussian" {
				probe[i] = float32(rng.NormFloat64())
			} else {
				probe[i] = float32(2*rng.IntN(2) - 1)
			}
		}
		est := make([]float64, N)
		m.VelocityDivHutchinson(0.7, xs, out, est, probe)
		var mean, sq float64
		for _, v := range est {
			mean += v
		}
		mean /= N
		for _, v := range est {
			sq += (v - mean) * (v - mean)
		}
		se := math.Sqrt(sq / (N - 1) / N)
		if math.Abs(mean-exact[0]) > 5*se+1e-6 {
			t.Errorf("%s: mean estimate %v ± %v, exact %v", kind, mean, se, exact[0])
		}
		if se == 0 {
			t.Errorf("%s: zero variance, probes not used?", kind)
		}
	}
}

// Every kernel tier gives the same passes as the pure-Go tier, up to rounding.
func TestTiersAgree(t *testing.T) {
	prev := kernels.Impl()
	defer kernels.SetImpl(prev)
	c := Config{Dim: 5, Hidden: []int{64, 48}, Act: kernels.SiLU}
	rng := rand.New(rand.NewPCG(21, 22))
	B, d := 200, 5
	x, u := randVec(rng, B*d, 1), randVec(rng, B*d, 1)
	ts := make([]float64, B)
	for i := range ts {
		ts[i] = rng.Float64()
	}
	run := func(tier string) ([]float32, []float64, LossStats) {
		if err := kernels.SetImpl(tier); err != nil {
			t.Fatal(err)
		}
		m := newTestNet(t, c, 23)
		g := make([]float32, m.NumParams())
		st := m.LossGrad(ts, x, u, g, nil, nil)
		out := make([]float32, B*d)
		div := make([]float64, B)
		m.VelocityDiv(0.5, x, out, div)
		return append(g, out...), div, st
	}
	g0, div0, st0 := run(kernels.TierGo)
	for _, tier := range kernels.Tiers() {
		g, div, st := run(tier)
		if !closeTo(st.Loss, st0.Loss, 1e-5) {
			t.Errorf("%s: loss %v, go tier %v", tier, st.Loss, st0.Loss)
		}
		for i := range g {
			if math.Abs(float64(g[i]-g0[i])) > 1e-4*(1+math.Abs(float64(g0[i]))) {
				t.Fatalf("%s: gradient/velocity element %d: %v, go tier %v", tier, i, g[i], g0[i])
			}
		}
		for i := range div {
			if !closeTo(div[i], div0[i], 1e-4) {
				t.Fatalf("%s: divergence %d: %v, go tier %v", tier, i, div[i], div0[i])
			}
		}
	}
}

// TestLossGradChunks checks LossGrad over more than trainRows rows (3 chunks, the last
// partial) against the same pass done in one piece with Forward and Backward: dL/dv, dL/dx
// and dL/dt bit for bit (each row's arithmetic is the same), the gradient and the loss
// statistics to rounding (the chunk partials are summed in another order), on 1 and 2
// threads.
func TestLossGradChunks(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	c := Config{Dim: 3, Hidden: []int{48, 40}, Act: kernels.SiLU}
	B := 2*trainRows + 555
	rng := rand.New(rand.NewPCG(21, 22))
	x, u := randVec(rng, B*3, 1), randVec(rng, B*3, 1)
	ts := make([]float64, B)
	for i := range ts {
		ts[i] = rng.Float64()
	}
	// One piece: Forward, the loss gradient by hand, Backward.
	m := newTestNet(t, c, 23)
	out := make([]float32, B*3)
	m.Forward(ts, x, out)
	var loss float64
	for i := range out {
		r := float64(out[i]) - float64(u[i])
		loss += r * r
		out[i] = float32(2/float64(B)) * (out[i] - u[i])
	}
	loss /= float64(B)
	wantGrad, wantDx, wantDt := make([]float32, m.NumParams()), make([]float32, B*3), make([]float64, B)
	m.Backward(out, wantGrad, wantDx, wantDt)
	for _, th := range []int{1, 2} {
		kernels.SetThreads(th)
		grad, dx, dt := make([]float32, m.NumParams()), make([]float32, B*3), make([]float64, B)
		st := m.LossGrad(ts, x, u, grad, dx, dt)
		if !closeTo(st.Loss, loss, 1e-9) {
			t.Errorf("threads %d: loss %v, want %v", th, st.Loss, loss)
		}
		gout := m.LossGradOutput()
		for i := range out {
			if math.Float32bits(gout[i]) != math.Float32bits(out[i]) || math.Float32bits(dx[i]) != math.Float32bits(wantDx[i]) {
				t.Fatalf("threads %d: row element %d: dL/dv %v (want %v), dL/dx %v (want %v)", th, i, gout[i], out[i], dx[i], wantDx[i])
			}
		}
		for i := range dt {
			if dt[i] != wantDt[i] {
				t.Fatalf("threads %d: dL/dt[%d] = %v, want %v", th, i, dt[i], wantDt[i])
			}
		}
		var scale float64
		for _, g := range wantGrad {
			scale = math.Max(scale, math.Abs(float64(g)))
		}
		for i := range grad {
			if math.Abs(float64(grad[i])-float64(wantGrad[i])) > 1e-5*scale {
				t.Fatalf("threads %d: grad[%d] = %v, want %v (scale %v)", th, i, grad[i], wantGrad[i], scale)
			}
		}
	}
}
