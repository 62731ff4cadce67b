package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/interflow/flowbench/kernels"
)

// divObjective64 is L = Σ gv·v + Σ_rows (gdiv·div + gfrob·frob) in float64, with the exact
// divergence (probe nil) or the Hutchinson one.
func divObjective64(c Config, p []float64, t float64, x, probe, gv, gdiv, gfrob []float64) float64 {
	d := c.Dim
	B := len(x) / d
	L := 0.0
	for r := 0; r < B; r++ {
		var pr []float64
		if probe != nil {
			pr = probe[r*d : (r+1)*d]
		}
		v, div, frob := refNet(c).RowDiv(p, t, x[r*d:(r+1)*d], pr)
		for j := range v {
			L += gv[r*d+j] * v[j]
		}
		L += gdiv[r]*div + gfrob[r]*frob
	}
	return L
}

// TestDivGrad checks the outputs of DivGrad.Forward against the float64 reference and the
// gradients of Backward (parameters and input) against central finite differences of the
// float64 objective, for every activation, exact and Hutchinson divergence.
func TestDivGrad(t *testing.T) {
	cfgs := testConfigs()
	for ci, c := range cfgs {
		if c.Act == kernels.ReLU {
			continue // piecewise linear: its divergence's gradient is 0 almost everywhere
		}
		for _, hutch := range []bool{false, true} {
			name := cfgName(c) + "/exact"
			if hutch {
				name = cfgName(c) + "/hutchinson"
			}
			t.Run(name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(ci), 7))
				m, err := New(c, uint64(ci)+1)
				if err != nil {
					t.Fatal(err)
				}
				d, B := c.Dim, 3
				x := randVec(rng, B*d, 1)
				var probe []float32
				if hutch {
					probe = randVec(rng, B*d, 1)
				}
				gv := randVec(rng, B*d, 1)
				gdiv, gfrob := make([]float64, B), make([]float64, B)
				for r := range B {
					gdiv[r], gfrob[r] = rng.NormFloat64(), 0.3*rng.NormFloat64()
				}
				const tm = 0.37
				g := NewDivGrad(m)
				out := make([]float32, B*d)
				div, frob := make([]float64, B), make([]float64, B)
				g.Forward(tm, x, probe, out, div, frob)
				grad := make([]float32, m.NumParams())
				for i := range grad {
					grad[i] = 0.5 // Backward accumulates
				}
				gx := make([]float32, B*d)
				g.Backward(gv, gdiv, gfrob, grad, gx)

				p64, x64 := to64(m.Params()), to64(x)
				var pr64 []float64
				if probe != nil {
					pr64 = to64(probe)
				}
				// Forward values.
				for r := 0; r < B; r++ {
					var pr []float64
					if hutch {
						pr = pr64[r*d : (r+1)*d]
					}
					v, wd, wf := refNet(c).RowDiv(p64, tm, x64[r*d:(r+1)*d], pr)
					for j := range v {
						if !closeTo(float64(out[r*d+j]), v[j], 1e-5) {
							t.Errorf("v[%d,%d] = %g, want %g", r, j, out[r*d+j], v[j])
						}
					}
					if !closeTo(div[r], wd, 1e-4) || !closeTo(frob[r], wf, 1e-4) {
						t.Errorf("row %d: div, frob = %g, %g, want %g, %g", r, div[r], frob[r], wd, wf)
					}
				}
				obj := func(p, x []float64) float64 {
					return divObjective64(c, p, tm, x, pr64, to64(gv), gdiv, gfrob)
				}
				const h = 1e-6
				scale := 0.0
				fdp := make([]float64, len(p64))
				for i := range p64 {
					pp := append([]float64(nil), p64...)
					pp[i] += h
					lp := obj(pp, x64)
					pp[i] -= 2 * h
					fdp[i] = (lp - obj(pp, x64)) / (2 * h)
					scale = math.Max(scale, math.Abs(fdp[i]))
				}
				for i := range p64 {
					got := float64(grad[i]) - 0.5
					if math.Abs(got-fdp[i]) > 1e-4*(1+scale) {
						t.Errorf("dL/dθ[%d] = %g, finite difference %g", i, got, fdp[i])
					}
				}
				for i := range x64 {
					xx := append([]float64(nil), x64...)
					xx[i] += h
					lp := obj(p64, xx)
					xx[i] -= 2 * h
					fd := (lp - obj(p64, xx)) / (2 * h)
					if math.Abs(float64(gx[i])-fd) > 1e-4*(1+scale) {
						t.Errorf("dL/dx[%d] = %g, finite difference %g", i, gx[i], fd)
					}
				}
			})
		}
	}
}

// TestDivGradMatchesVelocityDiv checks Forward against the MLP's own VelocityDiv and
// VelocityDivHutchinson, and that Forward and Backward allocate nothing after warm-up.
func TestDivGradMatchesVelocityDiv(t *testing.T) {
	c := Config{Dim: 3, Hidden: []int{16, 16}, Act: kernels.SiLU}
	m, _ := New(c, 5)
	rng := rand.New(rand.NewPCG(1, 2))
	B := 20
	x, probe := randVec(rng, B*3, 1), randVec(rng, B*3, 1)
	g := NewDivGrad(m)
	out, want := make([]float32, B*3), make([]float32, B*3)
	div, wdiv := make([]float64, B), make([]float64, B)
	for _, pr := range [][]float32{nil, probe} {
		g.Forward(0.6, x, pr, out, div, nil)
		if pr == nil {
			m.VelocityDiv(0.6, x, want, wdiv)
		} else {
			m.VelocityDivHutchinson(0.6, x, want, wdiv, pr)
		}
		for i := range out {
			if !closeTo(float64(out[i]), float64(want[i]), 1e-5) {
				t.Fatalf("v[%d] = %g, VelocityDiv %g", i, out[i], want[i])
			}
		}
		for i := range div {
			if !closeTo(div[i], wdiv[i], 1e-4) {
				t.Fatalf("div[%d] = %g, VelocityDiv %g", i, div[i], wdiv[i])
			}
		}
	}
	grad, gx := make([]float32, m.NumParams()), make([]float32, B*3)
	gdiv := make([]float64, B)
	allocs := testing.AllocsPerRun(5, func() {
		g.Forward(0.6, x, nil, out, div, nil)
		g.Backward(out, gdiv, gdiv, grad, gx)
	})
	if allocs != 0 {
		t.Errorf("Forward+Backward allocate %v times per call", allocs)
	}
}
