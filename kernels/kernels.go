package kernels

import (
	"fmt"

	"github.com/interflow/flowbench/internal/enum"
)

// Act identifies an elementwise activation function.
type Act uint8

// The activations supported by every tier.
const (
	Identity Act = iota // y = x
	ReLU                // y = max(x, 0)
	SiLU                // y = x·σ(x)
	Tanh                // y = tanh(x)
	Softplus            // y = log(1 + e^x)
	GELU                // y = x/2·(1 + tanh(√(2/π)·(x + 0.044715x³)))
	ELU                 // y = x for x > 0, e^x − 1 otherwise
	numActs
)

var actNames = enum.Names{Type: "Act", Names: []string{"identity", "relu", "silu", "tanh", "softplus", "gelu", "elu"}, Fold: true, Unknown: "unknown activation"}

// String returns the lower-case name of the activation ("silu", ...).
func (a Act) String() string { return enum.String(&actNames, a) }

// ParseAct returns the activation with the given (case-insensitive) name.
func ParseAct(name string) (Act, error) { return enum.Value[Act](&actNames, name) }

func checkMat(name string, s []float32, rows, cols, ld int) {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("kernels: %s has negative shape %d×%d", name, rows, cols))
	}
	if ld < max(cols, 1) {
		panic(fmt.Sprintf("kernels: %s leading dimension %d < %d columns", name, ld, cols))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := (rows-1)*ld + cols; len(s) < need {
		panic(fmt.Sprintf("kernels: %s has %d elements, %d×%d with ld %d needs %d", name, len(s), rows, cols, ld, need))
	}
}

// checkVec panics unless the vector s, called name, has at least n elements.
func checkVec(name string, s []float32, n int) {
	if len(s) < n {
		panic(fmt.Sprintf("kernels: %s has %d elements, want %d", name, len(s), n))
	}
}

// checkOptVec is checkVec for an optional vector: nil passes.
func checkOptVec(name string, s []float32, n int) {
	if s != nil {
		checkVec(name, s, n)
	}
}

// checkAct panics unless act is one of the activations.
func checkAct(act Act) {
	if act >= numActs {
		panic("kernels: unknown activation")
	}
}

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major float32 matrices, where op(A) is
// m×k (A is m×k with leading dimension lda, or k×m when transA) and op(B) is k×n (B is k×n, or
// n×k when transB). When beta == 0, C is not read (NaNs in C do not propagate). The
// supported products are NN, NT and TN; transA && transB panics. Work is split over the
// package's worker pool by output tiles only, so the result is bit-identical for any
// thread count. Shape errors panic: they are programming errors, not input errors.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if transA && transB {
		panic("kernels: Gemm TT is not supported")
	}
	if transA {
		checkMat("A", a, k, m, lda)
	} else {
		checkMat("A", a, m, k, lda)
	}
	if transB {
		checkMat("B", b, n, k, ldb)
	} else {
		checkMat("B", b, k, n, ldb)
	}
	checkMat("C", c, m, n, ldc)
	if m == 0 || n == 0 {
		return
	}
	gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// GemmBiasAct computes the fused layer forward Z = A·B + bias (bias broadcast over rows, may
// be nil for none) and Y = act(Z), with A m×k, B k×n. If z is non-nil the pre-activation Z is
// stored there too (needed for the backward pass); y may not alias A or B. Like Gemm, it is
// bit-identical for any thread count.
func GemmBiasAct(m, n, k int, a []float32, lda int, b []float32, ldb int, bias []float32, act Act, z []float32, ldz int, y []float32, ldy int) {
	checkMat("A", a, m, k, lda)
	checkMat("B", b, k, n, ldb)
	checkMat("Y", y, m, n, ldy)
	if z != nil {
		checkMat("Z", z, m, n, ldz)
	}
	checkOptVec("bias", bias, n)
	checkAct(act)
	if m == 0 || n == 0 {
		return
	}
	gemmBiasAct(m, n, k, a, lda, b, ldb, bias, act, z, ldz, y, ldy)
}

// ActBackward computes dZ = dY ⊙ act'(Z) for m×n matrices and, when dbias is non-nil, adds
// the column sums of dZ into dbias (dbias[j] += Σ_i dZ[i,j], summed in row order). dz may
// alias dy exactly.
func ActBackward(act Act, m, n int, dy []float32, lddy int, z []float32, ldz int, dz []float32, lddz int, dbias []float32) {
	checkMat("dY", dy, m, n, lddy)
	checkMat("Z", z, m, n, ldz)
	checkMat("dZ", dz, m, n, lddz)
	checkOptVec("dbias", dbias, n)
	checkAct(act)
	if m == 0 || n == 0 {
		return
	}
	actBackward(act, m, n, dy, lddy, z, ldz, dz, lddz, dbias)
}

// ActForward sets y[i] = act(x[i]) for i < len(x); y may alias x. The SIMD tiers are
// within ActErrorBound(act, false) of the float64 function rounded once (ReLU exactly),
// with NaN, ±Inf and ±0 handled as act.go describes.
func ActForward(act Act, x, y []float32) {
	if len(y) < len(x) {
		panic("kernels: ActForward output shorter than input")
	}
	checkAct(act)
	actForward(act, x, y[:len(x)])
}

// ActDeriv sets d[i] = act'(x[i]) for i < len(x); d may alias x. The SIMD tiers are within
// ActErrorBound(act, true) of the float64 derivative rounded once.
func ActDeriv(act Act, x, d []float32) {
	if len(d) < len(x) {
		panic("kernels: ActDeriv output shorter than input")
	}
	checkAct(act)
	actDeriv(act, x, d[:len(x)])
}

// Exp sets y[i] = e^x[i]; y may alias x. On the SIMD tiers the relative error is at most
// ExpErrorBound (1.3e-7) wherever e^x is a normal float32, and at most 1 ulp in the
// subnormal range (x in [−103.97, −87.34]); e^x is +Inf above 88.72, 0 below −103.97, and
// NaN stays NaN.
func Exp(x, y []float32) {
	if len(y) < len(x) {
		panic("kernels: Exp output shorter than input")
	}
	expVec(x, y[:len(x)])
}

// Axpy computes y[i] += alpha·x[i] for i < len(x).
func Axpy(alpha float32, x, y []float32) {
	if len(y) < len(x) {
		panic("kernels: Axpy y shorter than x")
	}
	axpy(alpha, x, y[:len(x)])
}

// Scale computes x[i] *= alpha.
func Scale(alpha float32, x []float32) { scale(alpha, x) }

// Mul sets out[i] = x[i]·y[i] for i < len(x), one rounding per product on every tier (the
// amd64 tiers run a generated multiply, the others a Go loop). out may alias x or y exactly.
func Mul(x, y, out []float32) {
	if len(y) < len(x) || len(out) < len(x) {
		panic(fmt.Sprintf("kernels: Mul: len(x) = %d, len(y) = %d, len(out) = %d", len(x), len(y), len(out)))
	}
	mul(x, y[:len(x)], out[:len(x)])
}

// Dot returns Σ x[i]·y[i] for i < len(x), accumulated in float32 lanes in a fixed order
// (the result depends on the tier but never on the thread count).
func Dot(x, y []float32) float32 {
	if len(y) < len(x) {
		panic("kernels: Dot y shorter than x")
	}
	return dot(x, y[:len(x)])
}

// SumSq returns Σ x[i]², accumulated like Dot.
func SumSq(x []float32) float32 { return sumSq(x) }

// AdamParams are the per-step coefficients of the fused Adam update. BC1 and BC2 are the bias
// corrections 1−β1^t and 1−β2^t of the current step t (≥ 1). WD is decoupled weight decay
// (AdamW); 0 disables it.
type AdamParams struct {
	LR, Beta1, Beta2, Eps, WD, BC1, BC2 float32
}

// Adam applies one fused Adam(W) step to every parameter in one pass:
//
//	m = β1·m + (1−β1)·g
//	v = β2·v + (1−β2)·g²
//	p = p − LR·( (m/BC1) / (sqrt(v/BC2) + Eps) + WD·p )
//
// p, g, m and v must have the same length.
func Adam(p, g, m, v []float32, c *AdamParams) {
	if len(g) != len(p) || len(m) != len(p) || len(v) != len(p) {
		panic("kernels: Adam slices differ in length")
	}
	adam(p, g, m, v, c)
}

// RKCombine computes out[i] = y[i] + h·Σ_s b[s]·ks[s][i] over the stages in one pass, for
// i < len(y). Stages with b[s] == 0 are skipped. out may alias y.
func RKCombine(out, y []float32, h float32, b []float32, ks [][]float32) {
	if len(out) < len(y) {
		panic("kernels: RKCombine out shorter than y")
	}
	if len(b) != len(ks) {
		panic("kernels: RKCombine needs one coefficient per stage")
	}
	for s := range ks {
		if b[s] != 0 && len(ks[s]) < len(y) {
			panic("kernels: RKCombine stage shorter than y")
		}
	}
	rkCombine(out[:len(y)], y, h, b, ks)
}
