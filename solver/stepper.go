package solver

import (
	"fmt"

	"github.com/interflow/flowbench/kernels"
)

// Stepper takes single steps of a fixed-step explicit Runge–Kutta method (Euler, Midpoint,
// Heun or RK4) of a system that the caller evaluates, and leaves every stage with the
// caller: the caller owns the stage derivatives and the buffers the stage inputs are written
// to, so that it can keep the inputs (back-propagation through the steps needs them) or
// advance states that the stages do not read (an adjoint's parameter gradient). The fixed-step
// solves of Workspace go through it.
//
// With the Butcher tableau (a, b, c) of the method, a step of size h from time t computes, for
// each stage i in order, the input Yᵢ = y + h·Σ_{j<i} a_ij·kⱼ of every state vector and the
// derivative kᵢ at time t + cᵢ·h, then y ← y + h·Σᵢ bᵢ·kᵢ. For a vector with a float32 state
// only, every combination is kernels.RKCombine with float32(h) and the float32 coefficients,
// terms with a zero coefficient skipped; a vector with a float64 state (StageVec.Y64) is
// combined in float64 with h and the float64 coefficients (combine64), so that its rounding
// error does not accumulate over the steps. A Stepper holds no buffers and is safe for
// concurrent use.
type Stepper struct {
	tab *tableau
}

// NewStepper returns the stepper of a fixed-step method (Euler, Midpoint, Heun or RK4); an
// adaptive or unknown method is an error.
func NewStepper(m Method) (*Stepper, error) {
	if m >= numMethods || m.Adaptive() {
		return nil, fmt.Errorf("solver: NewStepper: %v is not a fixed-step method (want euler, midpoint, heun or rk4)", m)
	}
	return &steppers[m], nil
}

// steppers are the fixed-step methods' steppers (the adaptive entries are unused).
var steppers = func() (s [numMethods]Stepper) {
	for m := range s {
		s[m].tab = tableaus[m]
	}
	return s
}()

// Stages returns the number of stages s of a step.
func (st *Stepper) Stages() int { return st.tab.stages }

// Weight returns bᵢ, the weight of stage i in the step's update, as the float32 that the
// update of a float32 state multiplies by (a float64 state, StageVec.Y64, uses the float64
// bᵢ).
func (st *Stepper) Weight(i int) float32 { return st.tab.b32[i] }

// Coeff returns a_ij (j < i), the weight of stage j in the input of stage i, as the float32
// that the combination from a float32 state multiplies by (0 for j ≥ i; a float64 state
// uses the float64 a_ij).
func (st *Stepper) Coeff(i, j int) float32 {
	if j >= i {
		return 0
	}
	return st.tab.a32[i][j]
}

// StageTime returns the time of stage i of a step of size h from t: t + cᵢ·h, exactly t
// when cᵢ = 0.
func (st *Stepper) StageTime(t, h float64, i int) float64 {
	c := st.tab.c[i]
	if c == 0 {
		return t
	}
	return t + c*h
}

// StageVec is one float32 state vector of the system a Stepper advances, with its stage
// buffers.
type StageVec struct {
	// Y is the state: Step overwrites it with Y + h·Σᵢ bᵢ·K[i].
	Y []float32
	// Y64, when non-nil (len(Y64) = len(Y)), is the state in float64 and Y its rounding,
	// float32(Y64), which the caller sets before the first step: then Step computes the
	// stage inputs and the update from Y64 in float64 (Y64 ← Y64 + h·Σᵢ bᵢ·K[i], Y ←
	// float32(Y64)), so that many small steps do not lose the increments to float32 rounding
	// of the state.
	Y64 []float64
	// K holds one buffer per stage (len(K) = Stages()); the stage function of stage i
	// writes the derivative kᵢ into K[i].
	K [][]float32
	// In, when non-nil, holds one buffer per stage: before stage i ≥ 1, Step writes the
	// stage input Y + h·Σ_{j<i} a_ij·K[j] into In[i] (the input of stage 0 is Y itself and
	// In[0] is not used). Stages may share a buffer when the caller does not keep the
	// inputs. A vector that the stages do not read (an accumulated quantity) has In == nil
	// and gets no inputs.
	In [][]float32
}

// Input returns the input of stage i: Y for stage 0, In[i] after it.
func (v *StageVec) Input(i int) []float32 {
	if i == 0 {
		return v.Y
	}
	return v.In[i]
}

// Step takes one step of size h from time t of the system whose state vectors are vs. For
// each stage i in order it writes the stage inputs of the vectors that have In buffers and
// calls stage(i, StageTime(t, h, i)), which must write K[i] of every vector (reading the
// inputs through StageVec.Input); then it advances every vector's Y. The stage function
// sees Y unchanged until the step's update.
func (st *Stepper) Step(t, h float64, vs []StageVec, stage func(i int, t float64)) {
	tab := st.tab
	h32 := float32(h)
	for i := range tab.stages {
		if i > 0 {
			for k := range vs {
				v := &vs[k]
				switch {
				case v.In == nil:
				case v.Y64 != nil:
					combine64(nil, v.In[i], v.Y64, h, tab.a[i], v.K[:i])
				default:
					tab.stageInput(v.In[i], v.Y, h32, v.K, i)
				}
			}
		}
		stage(i, st.StageTime(t, h, i))
	}
	for k := range vs {
		v := &vs[k]
		if v.Y64 != nil {
			combine64(v.Y64, v.Y, v.Y64, h, tab.b, v.K[:tab.stages])
			continue
		}
		kernels.RKCombine(v.Y, v.Y, h32, tab.b32, v.K[:tab.stages])
	}
}
