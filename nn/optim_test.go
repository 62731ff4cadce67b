package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/interflow/flowbench/kernels"
)

// Adam against the algorithm of torch.optim.AdamW written out in float64.
func TestAdamMatchesFloat64Algorithm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, wd := range []float64{0, 0.01} {
		n := 37
		p := randVec(rng, n, 1)
		a := NewAdam(n)
		a.WeightDecay = wd
		p64, m64, v64 := to64(p), make([]float64, n), make([]float64, n)
		for step := 1; step <= 6; step++ {
			g := randVec(rng, n, 0.1)
			lr := 1e-2 / float64(step)
			a.Update(p, g, lr)
			bc1, bc2 := 1-math.Pow(0.9, float64(step)), 1-math.Pow(0.999, float64(step))
			for i := range p64 {
				gi := float64(g[i])
				p64[i] *= 1 - lr*wd
				m64[i] = 0.9*m64[i] + 0.1*gi
				v64[i] = 0.999*v64[i] + 0.001*gi*gi
				p64[i] -= lr * (m64[i] / bc1) / (math.Sqrt(v64[i]/bc2) + 1e-8)
			}
		}
		if a.Step != 6 {
			t.Fatalf("step = %d", a.Step)
		}
		for i := range p {
			if !closeTo(float64(p[i]), p64[i], 1e-5) {
				t.Fatalf("wd=%v p[%d] = %v, want %v", wd, i, p[i], p64[i])
			}
		}
	}
}

// AdamStep64 against its update written out by hand (bit for bit), on two vectors whose
// moments share m and v, and against the float32 Adam with the same hyper-parameters (to
// float32 rounding).
func TestAdamStep64(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	sizes := []int{3, 5}
	var params, ref, grads [][]float64
	for _, n := range sizes {
		p := make([]float64, n)
		for i := range p {
			p[i] = rng.NormFloat64()
		}
		params, ref, grads = append(params, p), append(ref, append([]float64(nil), p...)), append(grads, make([]float64, n))
	}
	m, v := make([]float64, 8), make([]float64, 8)
	rm, rv := make([]float64, 8), make([]float64, 8)
	a32 := NewAdam(8)
	p32 := append(to32(params[0]), to32(params[1])...)
	for step := int64(1); step <= 6; step++ {
		lr := 1e-2 / float64(step)
		k := 0
		var g32 []float32
		for j, g := range grads {
			for i := range g {
				g[i] = float64(float32(rng.NormFloat64() * 0.1))
				g32 = append(g32, float32(g[i]))
				rm[k] = 0.9*rm[k] + 0.1*g[i]
				rv[k] = 0.999*rv[k] + 0.001*g[i]*g[i]
				bc1, bc2 := 1-math.Pow(0.9, float64(step)), 1-math.Pow(0.999, float64(step))
				ref[j][i] -= lr * (rm[k] / bc1) / (math.Sqrt(rv[k]/bc2) + 1e-8)
				k++
			}
		}
		AdamStep64(params, grads, m, v, step, lr)
		a32.Update(p32, g32, lr)
	}
	k := 0
	for j := range params {
		for i, p := range params[j] {
			if p != ref[j][i] || m[k] != rm[k] || v[k] != rv[k] {
				t.Errorf("vector %d [%d]: p, m, v = %v, %v, %v; by hand %v, %v, %v", j, i, p, m[k], v[k], ref[j][i], rm[k], rv[k])
			}
			if !closeTo(float64(p32[k]), p, 1e-5) || !closeTo(float64(a32.M[k]), m[k], 1e-5) {
				t.Errorf("vector %d [%d]: float32 Adam p, m = %v, %v; AdamStep64 %v, %v", j, i, p32[k], a32.M[k], p, m[k])
			}
			k++
		}
	}
}

func TestSchedule(t *testing.T) {
	cases := []struct {
		s    Schedule
		step int
		want float64
	}{
		{Schedule{Kind: "constant", LR: 1e-3}, 0, 1e-3},
		{Schedule{Kind: "constant", LR: 1e-3}, 1000, 1e-3},
		{Schedule{Kind: "constant", LR: 1e-3, Warmup: 10}, 0, 1e-4},
		{Schedule{Kind: "constant", LR: 1e-3, Warmup: 10}, 4, 5e-4},
		{Schedule{Kind: "constant", LR: 1e-3, Warmup: 10}, 9, 1e-3},
		{Schedule{Kind: "step", LR: 1, Every: 10, Gamma: 0.5}, 9, 1},
		{Schedule{Kind: "step", LR: 1, Every: 10, Gamma: 0.5}, 10, 0.5},
		{Schedule{Kind: "step", LR: 1, Every: 10, Gamma: 0.5, Warmup: 5}, 25, 0.25},
		{Schedule{Kind: "cosine", LR: 1, Total: 100, MinLR: 0}, 0, 1},
		{Schedule{Kind: "cosine", LR: 1, Total: 100, MinLR: 0}, 50, 0.5},
		{Schedule{Kind: "cosine", LR: 1, Total: 100, MinLR: 0.1}, 100, 0.1},
		{Schedule{Kind: "cosine", LR: 1, Total: 110, MinLR: 0, Warmup: 10}, 60, 0.5},
	}
	for _, c := range cases {
		if err := c.s.Validate(); err != nil {
			t.Fatalf("%+v: %v", c.s, err)
		}
		if got := c.s.At(c.step); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%+v step %d: %v, want %v", c.s, c.step, got, c.want)
		}
	}
	for _, s := range []Schedule{{LR: 0}, {LR: 1, Kind: "bogus"}, {LR: 1, Kind: "step"}, {LR: 1, Kind: "cosine", Total: 5, Warmup: 5}, {LR: math.NaN()}, {LR: 1, Warmup: -1}} {
		if s.Validate() == nil {
			t.Errorf("%+v: no error", s)
		}
	}
}

func TestClipAndEMA(t *testing.T) {
	g := []float32{3, 4}
	if n := ClipGradNorm(g, 10); n != 5 || g[0] != 3 {
		t.Fatalf("no-op clip: norm %v, g %v", n, g)
	}
	if n := ClipGradNorm(g, 1); n != 5 || math.Abs(float64(g[0])-0.6) > 1e-6 || math.Abs(float64(g[1])-0.8) > 1e-6 {
		t.Fatalf("clip: norm %v, g %v", n, g)
	}
	c := Config{Dim: 2, Hidden: []int{3}, Act: kernels.SiLU}
	m := newTestNet(t, c, 1)
	e := NewEMA(m, 0.9)
	old := append([]float32(nil), m.Params()...)
	for i := range m.Params() {
		m.Params()[i] += 1
	}
	e.Update(m)
	for i, v := range e.Net.Params() {
		want := 0.9*float64(old[i]) + 0.1*float64(m.Params()[i])
		if math.Abs(float64(v)-want) > 1e-6 {
			t.Fatalf("EMA[%d] = %v, want %v", i, v, want)
		}
	}
}

// A few hundred Adam steps on the loss drive it well below its starting value.
func TestTrainingReducesLoss(t *testing.T) {
	c := Config{Dim: 2, Hidden: []int{32, 32}, Act: kernels.SiLU}
	m := newTestNet(t, c, 2)
	rng := rand.New(rand.NewPCG(3, 4))
	B, d := 256, 2
	ts := make([]float64, B)
	xt, u := make([]float32, B*d), make([]float32, B*d)
	grad := make([]float32, m.NumParams())
	opt := NewAdam(m.NumParams())
	batch := func() {
		for b := 0; b < B; b++ {
			ts[b] = rng.Float64()
			for j := 0; j < d; j++ {
				x0, x1 := rng.NormFloat64(), 2+0.1*rng.NormFloat64()
				s, co := math.Sincos(math.Pi / 2 * ts[b])
				xt[b*d+j] = float32(co*x0 + s*x1)
				u[b*d+j] = float32(math.Pi / 2 * (co*x1 - s*x0))
			}
		}
	}
	var first, last float64
	for step := 0; step < 300; step++ {
		batch()
		st := m.LossGrad(ts, xt, u, grad, nil, nil)
		if step == 0 {
			first = st.Loss
		}
		last = st.Loss
		opt.Update(m.Params(), grad, 3e-3)
	}
	if !(last < 0.5*first) {
		t.Fatalf("loss %v → %v after 300 steps", first, last)
	}
}

func TestZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	c := Config{Dim: 3, Hidden: []int{16, 16}, Act: kernels.SiLU, Time: TimeFourier, Fourier: 2}
	m := newTestNet(t, c, 5)
	rng := rand.New(rand.NewPCG(6, 7))
	B, d := 70, 3
	x, u := randVec(rng, B*d, 1), randVec(rng, B*d, 1)
	out, jv := make([]float32, B*d), make([]float32, B*d)
	div := make([]float64, B)
	ts := make([]float64, B)
	for i := range ts {
		ts[i] = rng.Float64()
	}
	grad, dx, dt := make([]float32, m.NumParams()), make([]float32, B*d), make([]float64, B)
	opt := NewAdam(m.NumParams())
	ema := NewEMA(m, 0.99)
	cases := map[string]func(){
		"Velocity":              func() { m.Velocity(0.5, x, out) },
		"VelocityDiv":           func() { m.VelocityDiv(0.5, x, out, div) },
		"VelocityDivHutchinson": func() { m.VelocityDivHutchinson(0.5, x, out, div, u) },
		"JVP":                   func() { m.JVP(0.5, x, u, out, jv) },
		"VJP":                   func() { m.VJP(0.5, x, u, out, jv) },
		"ForwardBackward":       func() { m.Forward(ts, x, out); m.Backward(u, grad, dx, dt) },
		"TrainStep": func() {
			m.LossGrad(ts, x, u, grad, nil, nil)
			ClipGradNorm(grad, 1)
			opt.Update(m.Params(), grad, 1e-4)
			ema.Update(m)
		},
	}
	for name, f := range cases {
		if n := testing.AllocsPerRun(5, f); n != 0 {
			t.Errorf("%s: %v allocations per call", name, n)
		}
	}
}

// Same seed, 1, 2 or 3 kernel threads: the same bits everywhere (training, and the scalar-t
// passes, whose row chunks run in parallel).
func TestThreadsBitIdentical(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	run := func(threads int, c Config, B int) []float32 {
		kernels.SetThreads(threads)
		m := newTestNet(t, c, 9)
		rng := rand.New(rand.NewPCG(10, 11))
		d := c.Dim
		x, u := randVec(rng, B*d, 1), randVec(rng, B*d, 1)
		ts := make([]float64, B)
		for i := range ts {
			ts[i] = rng.Float64()
		}
		grad := make([]float32, m.NumParams())
		opt := NewAdam(m.NumParams())
		var res []float32
		for step := 0; step < 3; step++ {
			st := m.LossGrad(ts, x, u, grad, nil, nil)
			opt.Update(m.Params(), grad, 1e-3)
			res = append(res, float32(st.Loss))
		}
		out := make([]float32, B*d)
		div := make([]float64, B)
		m.VelocityDiv(0.25, x, out, div)
		res = append(res, out...)
		for _, v := range div {
			res = append(res, float32(v), float32(v-float64(float32(v))))
		}
		// The scalar-t passes split their row chunks over the threads (chunks.go).
		m.Velocity(0.7, x, out)
		res = append(res, out...)
		jv := make([]float32, B*d)
		m.JVP(0.4, x, u, out, jv)
		res = append(append(res, out...), jv...)
		return append(res, m.Params()...)
	}
	cases := []struct {
		c Config
		B int
	}{
		{Config{Dim: 4, Hidden: []int{96, 80}, Act: kernels.GELU}, 1300}, // 2–3 chunks per pass
		{Config{Dim: 2, Hidden: []int{256, 256, 256}, Act: kernels.SiLU}, 1500},
	}
	if testing.Short() {
		cases = cases[:1]
	}
	for _, tc := range cases {
		a := run(1, tc.c, tc.B)
		for _, th := range []int{2, 3} {
			b := run(th, tc.c, tc.B)
			for i := range a {
				if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
					t.Fatalf("%s: element %d differs: %v (1 thread) vs %v (%d threads)", cfgName(tc.c), i, a[i], b[i], th)
				}
			}
		}
	}
}
