package nn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/nn/nntest"
)

// condConfigs are conditional networks: continuous contexts, labels, both, Fourier time
// features, a linear map.
func condConfigs() []Config {
	return []Config{
		{Dim: 3, Hidden: []int{7, 5}, Act: kernels.SiLU, Context: 2},
		{Dim: 2, Hidden: []int{9}, Act: kernels.Tanh, Classes: 3},
		{Dim: 3, Hidden: []int{6, 8, 5}, Act: kernels.GELU, Context: 4, Classes: 2},
		{Dim: 2, Hidden: []int{9}, Act: kernels.SiLU, Time: TimeFourier, Fourier: 2, Context: 1},
		{Dim: 2, Hidden: nil, Act: kernels.SiLU, Context: 3},
	}
}

// condRef is the float64 reference of v(t, x, c): the reference network with input
// [x, c, features(t)], built straight from the definitions (the context enters as fixed
// extra inputs; tangents have no component along it).
func condRef(c Config, ctx []float64) nntest.Net {
	n := refNet(c)
	f := n.Features
	n.Features = func(t float64) []float64 { return append(append([]float64(nil), ctx...), f(t)...) }
	return n
}

// randContext returns B context rows of c: continuous values and a one-hot label (the null
// label included).
func randContext(rng *rand.Rand, c Config, B int) []float32 {
	cw := c.ContextWidth()
	out := make([]float32, B*cw)
	cont := make([]float32, c.Context)
	for b := 0; b < B; b++ {
		for j := range cont {
			cont[j] = float32(rng.NormFloat64())
		}
		c.EncodeContext(out[b*cw:(b+1)*cw], cont, rng.IntN(c.Classes+1))
	}
	return out
}

func TestEncodeContext(t *testing.T) {
	c := Config{Dim: 2, Hidden: []int{4}, Act: kernels.SiLU, Context: 2, Classes: 3}
	if c.ContextWidth() != 6 || c.InputDim() != 2+6+1 || !c.Conditional() {
		t.Fatalf("ContextWidth %d, InputDim %d", c.ContextWidth(), c.InputDim())
	}
	dst := make([]float32, 6)
	for label, want := range map[int][]float32{
		0: {0.5, -1, 1, 0, 0, 0}, 2: {0.5, -1, 0, 0, 1, 0}, 3: {0.5, -1, 0, 0, 0, 1}, -1: {0.5, -1, 0, 0, 0, 1},
	} {
		c.EncodeContext(dst, []float32{0.5, -1}, label)
		for j := range want {
			if dst[j] != want[j] {
				t.Fatalf("label %d: %v, want %v", label, dst, want)
			}
		}
	}
	if (Config{Dim: 2, Hidden: []int{4}, Act: kernels.SiLU}).Conditional() {
		t.Fatal("an unconditional config reports a context")
	}
	for _, bad := range []Config{{Dim: 2, Act: kernels.SiLU, Context: -1}, {Dim: 2, Act: kernels.SiLU, Classes: MaxClasses + 1}} {
		if bad.Validate() == nil {
			t.Errorf("%+v validated", bad)
		}
	}
}

// TestConditionalPasses checks every pass of conditional networks, with a shared context and
// with one per row (chunked batches included), against the float64 reference and its finite
// differences in x.
func TestConditionalPasses(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, c := range condConfigs() {
		t.Run(cfgName(c)+"/c"+itoa(c.Context)+"k"+itoa(c.Classes), func(t *testing.T) {
			m := newTestNet(t, c, 23)
			p := to64(m.Params())
			d, cw := c.Dim, c.ContextWidth()
			for _, B := range []int{1, 5, inferRows + 3} {
				for _, shared := range []bool{true, false} {
					x, u := randVec(rng, B*d, 1.2), randVec(rng, B*d, 1)
					ctx := randContext(rng, c, B)
					if shared {
						ctx = ctx[:cw]
					}
					rowCtx := func(b int) []float64 {
						if shared {
							return to64(ctx)
						}
						return to64(ctx[b*cw : (b+1)*cw])
					}
					m.SetContext(ctx)
					tt := rng.Float64()
					out, out2, out3, out4 := make([]float32, B*d), make([]float32, B*d), make([]float32, B*d), make([]float32, B*d)
					fwd := make([]float32, B*d)
					div := make([]float64, B)
					jv, vj := make([]float32, B*d), make([]float32, B*d)
					m.Velocity(tt, x, out)
					m.VelocityDiv(tt, x, out2, div)
					m.JVP(tt, x, u, out3, jv)
					m.VJP(tt, x, u, out4, vj)
					ts := make([]float64, B)
					for i := range ts {
						ts[i] = rng.Float64()
					}
					m.Forward(ts, x, fwd)
					for b := 0; b < B; b += max(1, B/9) {
						ref := condRef(c, rowCtx(b))
						xb := to64(x[b*d : (b+1)*d])
						want := ref.Eval(p, tt, xb)
						want2 := ref.Eval(p, ts[b], xb)
						var tr float64
						for i := 0; i < d; i++ {
							if !closeTo(float64(out[b*d+i]), want[i], 2e-5) || out2[b*d+i] != out[b*d+i] || out3[b*d+i] != out[b*d+i] {
								t.Fatalf("B=%d shared=%v row %d: v = %v / %v / %v, reference %v", B, shared, b, out[b*d+i], out2[b*d+i], out3[b*d+i], want[i])
							}
							if !closeTo(float64(out4[b*d+i]), want[i], 2e-5) || !closeTo(float64(fwd[b*d+i]), want2[i], 2e-5) {
								t.Fatalf("B=%d shared=%v row %d: VJP v = %v, Forward %v; reference %v, %v", B, shared, b, out4[b*d+i], fwd[b*d+i], want[i], want2[i])
							}
						}
						// The Jacobian in x by central differences of the reference.
						const h = 1e-6
						J := make([][]float64, d)
						for j := 0; j < d; j++ {
							old := xb[j]
							xb[j] = old + h
							vp := ref.Eval(p, tt, xb)
							xb[j] = old - h
							vm := ref.Eval(p, tt, xb)
							xb[j] = old
							for i := 0; i < d; i++ {
								if J[i] == nil {
									J[i] = make([]float64, d)
								}
								J[i][j] = (vp[i] - vm[i]) / (2 * h)
							}
						}
						for i := 0; i < d; i++ {
							tr += J[i][i]
							var a, bb float64
							for j := 0; j < d; j++ {
								a += J[i][j] * float64(u[b*d+j])
								bb += float64(u[b*d+j]) * J[j][i]
							}
							if !closeTo(float64(jv[b*d+i]), a, 1e-4) || !closeTo(float64(vj[b*d+i]), bb, 1e-4) {
								t.Fatalf("B=%d shared=%v row %d: JVP %v VJP %v, finite differences %v %v", B, shared, b, jv[b*d+i], vj[b*d+i], a, bb)
							}
						}
						if !closeTo(div[b], tr, 1e-4) {
							t.Fatalf("B=%d shared=%v row %d: divergence %v, finite-difference trace %v", B, shared, b, div[b], tr)
						}
					}
				}
			}
		})
	}
}

// TestConditionalLossGrad checks LossGrad of conditional networks (per-row context, one
// chunk and several) against central differences of the reference loss in θ and x.
func TestConditionalLossGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, c := range condConfigs() {
		t.Run(cfgName(c)+"/c"+itoa(c.Context)+"k"+itoa(c.Classes), func(t *testing.T) {
			m := newTestNet(t, c, 33)
			d, cw := c.Dim, c.ContextWidth()
			for _, B := range []int{6, trainRows + 7} {
				ts := make([]float64, B)
				for i := range ts {
					ts[i] = rng.Float64()
				}
				x, u := randVec(rng, B*d, 1), randVec(rng, B*d, 1)
				ctx := randContext(rng, c, B)
				m.SetContext(ctx)
				grad := make([]float32, m.NumParams())
				dx := make([]float32, B*d)
				st := m.LossGrad(ts, x, u, grad, dx, nil)
				p, x64, u64 := to64(m.Params()), to64(x), to64(u)
				loss := func() float64 {
					var s float64
					for b := range B {
						v := condRef(c, to64(ctx[b*cw:(b+1)*cw])).Eval(p, ts[b], x64[b*d:(b+1)*d])
						for j := range v {
							r := v[j] - u64[b*d+j]
							s += r * r
						}
					}
					return s / float64(B)
				}
				if l := loss(); !closeTo(st.Loss, l, 1e-5) {
					t.Fatalf("B=%d: loss %v, reference %v", B, st.Loss, l)
				}
				check := func(name string, vars []float64, idx []int, got func(i int) float64) {
					const h = 1e-6
					for _, i := range idx {
						old := vars[i]
						vars[i] = old + h
						lp := loss()
						vars[i] = old - h
						lm := loss()
						vars[i] = old
						fd := (lp - lm) / (2 * h)
						if g := got(i); math.Abs(g-fd) > 2e-4*(1+math.Abs(fd)) {
							t.Fatalf("B=%d: dL/d%s[%d] = %v, finite difference %v", B, name, i, g, fd)
						}
					}
				}
				// Every first-layer weight row of the context, and a sample of the rest.
				l0 := m.Layers()[0]
				var idx []int
				for r := d; r < d+cw; r++ {
					idx = append(idx, r*l0.Out+rng.IntN(l0.Out))
				}
				for range 8 {
					idx = append(idx, rng.IntN(len(p)))
				}
				if B > 100 {
					idx = idx[:cw+2]
				}
				check("θ", p, idx, func(i int) float64 { return float64(grad[i]) })
				check("x", x64, []int{0, d*B - 1}, func(i int) float64 { return float64(dx[i]) })
			}
		})
	}
}

// A shared context is the same field as that context replicated on every row, and the
// folded bias costs nothing in accuracy.
func TestSharedContextMatchesPerRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	c := Config{Dim: 4, Hidden: []int{32, 32}, Act: kernels.SiLU, Context: 3, Classes: 4}
	m := newTestNet(t, c, 43)
	B, d, cw := 300, c.Dim, c.ContextWidth()
	ctx := randContext(rng, c, 1)
	rep := make([]float32, B*cw)
	for b := range B {
		copy(rep[b*cw:], ctx)
	}
	x := randVec(rng, B*d, 1)
	a, b2 := make([]float32, B*d), make([]float32, B*d)
	m.SetContext(ctx)
	m.Velocity(0.3, x, a)
	m.SetContext(rep)
	m.Velocity(0.3, x, b2)
	for i := range a {
		if !closeTo(float64(a[i]), float64(b2[i]), 1e-5) {
			t.Fatalf("shared %v, per-row %v at %d", a[i], b2[i], i)
		}
	}
	// A different label changes the field.
	other := append([]float32(nil), ctx...)
	c.EncodeContext(other, []float32{other[0], other[1], other[2]}, (indexOfOne(ctx[3:])+1)%(c.Classes+1))
	m.SetContext(other)
	m.Velocity(0.3, x, b2)
	same := true
	for i := range a {
		same = same && a[i] == b2[i]
	}
	if same {
		t.Fatal("changing the label left the field unchanged")
	}
}

func indexOfOne(v []float32) int {
	for i, x := range v {
		if x == 1 {
			return i
		}
	}
	return -1
}

func TestContextMisuse(t *testing.T) {
	c := Config{Dim: 2, Hidden: []int{4}, Act: kernels.SiLU, Context: 2}
	m := newTestNet(t, c, 1)
	x, out := make([]float32, 6), make([]float32, 6)
	mustPanic := func(what, want string, f func()) {
		t.Helper()
		defer func() {
			r := recover()
			s, _ := r.(string)
			if r == nil || !strings.Contains(s, want) {
				t.Fatalf("%s: recovered %v, want a panic containing %q", what, r, want)
			}
		}()
		f()
	}
	mustPanic("no context", "without a context", func() { m.Velocity(0.5, x, out) })
	m.SetContext(make([]float32, 4)) // two rows for a batch of three
	mustPanic("row count", "2 context rows for 3 rows", func() { m.Velocity(0.5, x, out) })
	mustPanic("width", "context width 2", func() { m.SetContext(make([]float32, 3)) })
	u := newTestNet(t, Config{Dim: 2, Hidden: []int{4}, Act: kernels.SiLU}, 1)
	mustPanic("unconditional", "context width 0", func() { u.SetContext(make([]float32, 2)) })
	mustPanic("DivGrad", "conditional", func() { NewDivGrad(m) })
	if f := m.Fork(); f.Context() != nil {
		t.Fatal("a fork inherited the context")
	}
}

// A conditional network's checkpoint keeps its context layout.
func TestConditionalCheckpointRoundTrip(t *testing.T) {
	c := Config{Dim: 3, Hidden: []int{8}, Act: kernels.SiLU, Context: 2, Classes: 5}
	m := newTestNet(t, c, 5)
	b, err := (&Checkpoint{Net: m}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	ck, err := DecodeCheckpoint(b)
	if err != nil {
		t.Fatal(err)
	}
	got := ck.Net.Config()
	if got.Context != 2 || got.Classes != 5 || got.InputDim() != c.InputDim() {
		t.Fatalf("decoded config %+v", got)
	}
	for i, v := range m.Params() {
		if ck.Net.Params()[i] != v {
			t.Fatal("parameters differ after the round trip")
		}
	}
	// The PyTorch reference's name for the context width.
	var j Config
	if err := j.UnmarshalJSON([]byte(`{"dim":2,"xdim":4,"width":8,"depth":2,"act":"silu"}`)); err != nil || j.Context != 4 {
		t.Fatalf("xdim: %+v %v", j, err)
	}
	if err := j.UnmarshalJSON([]byte(`{"dim":2,"xdim":4,"context":3,"width":8,"depth":2,"act":"silu"}`)); err == nil {
		t.Fatal("context and xdim disagreeing: no error")
	}
}
