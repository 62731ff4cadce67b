package kernels

import "testing"

// TestShapePanics checks that the exported API panics on operands too short for their
// shape and on unknown activations (programming errors, not input errors).
func TestShapePanics(t *testing.T) {
	f := func(n int) []float32 { return make([]float32, n) }
	for name, call := range map[string]func(){
		"Mul short y":             func() { Mul(f(3), f(2), f(3)) },
		"Mul short out":           func() { Mul(f(3), f(3), f(2)) },
		"ScaleCols short v":       func() { ScaleCols(2, 3, f(6), 3, f(2)) },
		"ScaleCols short a":       func() { ScaleCols(2, 3, f(5), 3, f(3)) },
		"ColSums short dst":       func() { ColSums(2, 3, f(6), 3, f(2)) },
		"ColSums short a":         func() { ColSums(2, 3, f(5), 3, f(3)) },
		"Gemm TT":                 func() { Gemm(true, true, 1, 1, 1, 1, f(1), 1, f(1), 1, 0, f(1), 1) },
		"Gemm short C":            func() { Gemm(false, false, 2, 2, 2, 1, f(4), 2, f(4), 2, 0, f(3), 2) },
		"Gemm ld below columns":   func() { Gemm(false, false, 2, 2, 2, 1, f(4), 1, f(4), 2, 0, f(4), 2) },
		"GemmBiasAct short bias":  func() { GemmBiasAct(2, 2, 2, f(4), 2, f(4), 2, f(1), ReLU, nil, 0, f(4), 2) },
		"GemmBiasAct unknown act": func() { GemmBiasAct(2, 2, 2, f(4), 2, f(4), 2, nil, numActs, nil, 0, f(4), 2) },
		"ActBackward short dbias": func() { ActBackward(SiLU, 2, 2, f(4), 2, f(4), 2, f(4), 2, f(1)) },
		"ActBackward unknown act": func() { ActBackward(numActs, 2, 2, f(4), 2, f(4), 2, f(4), 2, nil) },
		"ActForward short y":      func() { ActForward(Tanh, f(3), f(2)) },
		"ActForward unknown act":  func() { ActForward(numActs, f(3), f(3)) },
		"ActDeriv short d":        func() { ActDeriv(Tanh, f(3), f(2)) },
		"ActDeriv unknown act":    func() { ActDeriv(numActs, f(3), f(3)) },
		"ActDeriv2 short d":       func() { ActDeriv2(Tanh, f(3), f(2)) },
		"ActDeriv2 unknown act":   func() { ActDeriv2(numActs, f(3), f(3)) },
		"ActErrorBound unknown":   func() { ActErrorBound(numActs, false) },
		"Exp short y":             func() { Exp(f(3), f(2)) },
		"Axpy short y":            func() { Axpy(1, f(3), f(2)) },
		"Dot short y":             func() { Dot(f(3), f(2)) },
		"Adam lengths differ":     func() { Adam(f(3), f(3), f(2), f(3), &AdamParams{}) },
		"RKCombine short out":     func() { RKCombine(f(2), f(3), 1, []float32{1}, [][]float32{f(3)}) },
		"RKCombine b and ks":      func() { RKCombine(f(3), f(3), 1, []float32{1, 1}, [][]float32{f(3)}) },
		"RKCombine short stage":   func() { RKCombine(f(3), f(3), 1, []float32{1}, [][]float32{f(2)}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			call()
		}()
	}
	// A stage with a zero coefficient is skipped, so its length does not matter.
	out := f(3)
	RKCombine(out, f(3), 1, []float32{0}, [][]float32{f(1)})
}
