package gen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/interflow/flowbench/solver"
)

// PathStats measures how straight a flow's sampling paths X_t (dX/dt = v(t, X_t), X_0 from
// the base) are, averaged over the paths, in the model's (standardized) units:
//
//	Kinetic      = E ∫₀¹ |v(t, X_t)|² dt        (the flow's transport cost)
//	Displacement = E |X_1 − X_0|²                (the cost of the coupling X_0 ↦ X_1; ≥ W₂²)
//	Straightness = E ∫₀¹ |v(t, X_t) − (X_1 − X_0)|² dt = Kinetic − Displacement ≥ 0
//
// Straightness is 0 exactly when every path is a straight line run at constant speed, where
// one Euler step is exact; Kinetic ≥ Displacement ≥ W₂²(ρ0, ρ1), with equality for the
// optimal-transport flow.
type PathStats struct {
	Kinetic, Displacement, Straightness float64
	// N is the number of paths and Steps the RK4 steps of each; NFE counts the field
	// evaluations.
	N, Steps, NFE int
}

// DefaultPathSteps is the RK4 step count of PathStats when none is given: Simpson's rule on
// its grid integrates smooth paths to about 1e-6 relative.
const DefaultPathSteps = 64

// PathStats integrates n paths from the base draws of seed (the same draws as Sample's with
// that seed) by RK4 with steps steps (even; 0: DefaultPathSteps) and returns their
// statistics. Conditional models are refused.
func (m *Model) PathStats(ctx context.Context, n int, seed uint64, steps int) (PathStats, error) {
	if m.Net.Config().Conditional() {
		return PathStats{}, errors.New("path statistics: conditional models are not supported")
	}
	if n < 1 {
		return PathStats{}, fmt.Errorf("path statistics: n = %d: want ≥ 1", n)
	}
	d := m.Dim()
	x := make([]float32, n*d)
	z := make([]float32, n*d)
	rng := rand.New(rand.NewPCG(seed, streamSample))
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	if m.Base != nil {
		m.Base.Transform(z, x)
	} else {
		copy(x, z)
	}
	f := m.Net.Fork()
	return PathStatsOf(ctx, f, x, steps)
}

// PathStatsOf integrates the paths of the field f from the rows of x0 (not modified) by
// steps RK4 steps over [0, 1] (even; 0: DefaultPathSteps), evaluating v at every grid
// point, and returns the paths' statistics, the integrals taken by Simpson's rule.
func PathStatsOf(ctx context.Context, f solver.Field, x0 []float32, steps int) (PathStats, error) {
	if steps == 0 {
		steps = DefaultPathSteps
	}
	if steps < 2 || steps%2 != 0 {
		return PathStats{}, fmt.Errorf("path statistics: %d steps: want an even number ≥ 2", steps)
	}
	d := f.Dim()
	if d < 1 || len(x0) == 0 || len(x0)%d != 0 {
		return PathStats{}, fmt.Errorf("path statistics: %d values are not rows of %d", len(x0), d)
	}
	n := len(x0) / d
	x := append([]float32(nil), x0...)
	v := make([]float32, len(x))
	integral := make([]float64, len(x)) // Simpson's ∫v dt of every component
	var kin float64                     // Simpson's Σ_rows ∫|v|² dt
	h := 1 / float64(steps)
	ws := solver.NewWorkspace()
	one := solver.Options{Method: solver.RK4, Steps: 1}
	st := PathStats{N: n, Steps: steps}
	for k := 0; k <= steps; k++ {
		t := float64(k) * h
		f.Velocity(t, x, v)
		st.NFE++
		w := 2.0 // Simpson's weights 1, 4, 2, 4, …, 4, 1 (× h/3)
		switch {
		case k == 0 || k == steps:
			w = 1
		case k%2 == 1:
			w = 4
		}
		w *= h / 3
		for i, vi := range v {
			integral[i] += w * float64(vi)
			kin += w * float64(vi) * float64(vi)
		}
		if k == steps {
			break
		}
		s, err := ws.Solve(ctx, f, x, t, t+h, &one)
		st.NFE += s.NFE
		if err != nil {
			return st, fmt.Errorf("path statistics: %w", err)
		}
	}
	// ∫|v − Δ|² = ∫|v|² − 2Δ·∫v + |Δ|², each term by the same quadrature.
	var disp, cross float64
	for i := range x {
		delta := float64(x[i]) - float64(x0[i])
		disp += delta * delta
		cross += delta * integral[i]
	}
	st.Kinetic = kin / float64(n)
	st.Displacement = disp / float64(n)
	st.Straightness = (kin - 2*cross + disp) / float64(n)
	return st, nil
}
