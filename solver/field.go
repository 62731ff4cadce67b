package solver

// Field is a time-dependent velocity field evaluated on a batch. x holds B rows of d
// float32 values (row-major, B = len(x)/d); out receives v(t, x) in the same layout.
// Implementations must not retain x or out.
type Field interface {
	// Dim returns d, the dimension of one point.
	Dim() int
	// Velocity writes v(t, x) for every row of x into out.
	Velocity(t float64, x, out []float32)
}

// DivField is a Field that can also return the divergence tr(∂v/∂x) of every row.
type DivField interface {
	Field
	// VelocityDiv writes v(t, x) into out and the exact divergence of each row into div
	// (len(div) = B).
	VelocityDiv(t float64, x, out []float32, div []float64)
	// VelocityDivHutchinson writes v(t, x) into out and, into div, the Hutchinson estimate
	// εᵀ(∂v/∂x)ε of each row's divergence with the given probe ε (one d-vector per row,
	// same layout as x, drawn by the caller from an explicit seed so that a trajectory keeps
	// its probe).
	VelocityDivHutchinson(t float64, x, out []float32, div []float64, probe []float32)
}
