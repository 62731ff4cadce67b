package gen

import (
	"context"
	"math"
	"testing"
)

// fieldFunc is a solver.Field of a closed-form velocity.
type fieldFunc struct {
	d int
	v func(t float64, x, out []float32)
}

func (f fieldFunc) Dim() int                             { return f.d }
func (f fieldFunc) Velocity(t float64, x, out []float32) { f.v(t, x, out) }

// TestPathStatsClosedForms checks PathStatsOf against three fields whose paths are known:
// a constant velocity c (straight: kinetic = displacement = |c|², straightness 0), the
// linear growth v = x (X_t = e^t·X_0: kinetic (e²−1)/2·|X_0|², displacement (e−1)²·|X_0|²)
// and a rotation by ω (circles at speed ω·r: kinetic ω²r², displacement 2r²(1 − cos ω)).
func TestPathStatsClosedForms(t *testing.T) {
	x0 := []float32{1, 0, 0.5, -2, -1.5, 0.25}
	var r2 float64 // mean |X_0|²
	for _, v := range x0 {
		r2 += float64(v) * float64(v)
	}
	r2 /= 3
	e := math.E
	const omega = 1.3
	cases := []struct {
		name           string
		f              fieldFunc
		kin, disp, str float64
	}{
		{"constant", fieldFunc{2, func(_ float64, x, out []float32) {
			for i := range x {
				out[i] = []float32{0.5, -2}[i%2]
			}
		}}, 4.25, 4.25, 0},
		{"growth", fieldFunc{2, func(_ float64, x, out []float32) { copy(out, x) }},
			(e*e - 1) / 2 * r2, (e - 1) * (e - 1) * r2, ((e*e-1)/2 - (e-1)*(e-1)) * r2},
		{"rotation", fieldFunc{2, func(_ float64, x, out []float32) {
			for i := 0; i < len(x); i += 2 {
				out[i], out[i+1] = -omega*x[i+1], omega*x[i]
			}
		}}, omega * omega * r2, 2 * r2 * (1 - math.Cos(omega)), (omega*omega - 2*(1-math.Cos(omega))) * r2},
	}
	for _, c := range cases {
		st, err := PathStatsOf(context.Background(), c.f, x0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []struct {
			what      string
			got, want float64
		}{{"kinetic", st.Kinetic, c.kin}, {"displacement", st.Displacement, c.disp}, {"straightness", st.Straightness, c.str}} {
			if math.Abs(q.got-q.want) > 1e-5*max(1, math.Abs(q.want)) {
				t.Errorf("%s: %s %.8g, closed form %.8g", c.name, q.what, q.got, q.want)
			}
		}
		if st.N != 3 || st.Steps != DefaultPathSteps || st.NFE != DefaultPathSteps+1+4*DefaultPathSteps {
			t.Errorf("%s: N %d, steps %d, NFE %d", c.name, st.N, st.Steps, st.NFE)
		}
	}
	for _, steps := range []int{1, 3, -2} {
		if _, err := PathStatsOf(context.Background(), cases[0].f, x0, steps); err == nil {
			t.Errorf("%d steps accepted", steps)
		}
	}
}

// TestModelPathStats: a trained model's paths obey Kinetic ≥ Displacement (Jensen) and
// their straightness is their difference (to the quadrature error of ∫v = X_1 − X_0); the same seed gives the same statistics.
func TestModelPathStats(t *testing.T) {
	m := trainSmall(t)
	a, err := m.PathStats(context.Background(), 500, 3, 16)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.PathStats(context.Background(), 500, 3, 16)
	if a != b {
		t.Errorf("same seed: %+v then %+v", a, b)
	}
	if !(a.Kinetic >= a.Displacement && a.Straightness >= 0) || math.Abs(a.Kinetic-a.Displacement-a.Straightness) > 1e-4*a.Kinetic {
		t.Errorf("stats %+v: want kinetic ≥ displacement and straightness their difference", a)
	}
}
