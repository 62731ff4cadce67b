package kernels

// How the SIMD tiers compute the activations and Exp (kernels/asm/vec generates both
// tiers from the same code; the "go" tier is the float64 reference in ref.go):
//
//   - e^a: n = round(a·log2 e) by the 1.5·2^23 trick, r = a − n·ln2 (Cody–Waite, ln2 split
//     into an exact 9-bit part and a remainder, so |r| ≤ 0.3466 is exact before the last
//     FMA), e^r by a degree-6 polynomial fitted for relative error (6.8e-8 in float32 FMA
//     arithmetic), then the scale 2^n: VSCALEFPS on AVX-512, two exact power-of-two
//     factors on AVX2, so a subnormal result rounds once. Inputs are clamped to
//     [−104, 89] with NaN passed through, giving 0 below −103.97 and +Inf above 88.72.
//   - x·σ(a) (SiLU with a = x, GELU with a = 2√(2/π)(x + 0.044715x³)): with E = e^−|a|,
//     x/(1+E) for a ≥ 0 and (x·p)/(1+E)·2^n for a < 0 (E = p·2^n), so results stay accurate
//     where E is subnormal and the product is not; the rounding errors of x·p and 1+E are
//     recovered exactly (FMA, Fast2Sum) and folded into the quotient with its exact
//     residual, leaving p's error and one rounding; x·σ(a) → −0 below a = −110.
//   - tanh: x + x³·P(x²) (degree-6 P fitted on |x| < 1), else sign(x)·(1 − 2E/(1+E)) with
//     E = e^−2|x|; tanh' = 4E/(1+E)²; σ and 1−σ are each computed as 1/(1+E) or E/(1+E),
//     never by subtraction; softplus = max(x,0) + log1p(e^−|x|) with log1p from a reduced
//     u = 1+E = 2^k·m, f = m−1, s = f/(2+f) and the atanh series, plus the rounding
//     correction of u; ELU's e^x − 1 = 2^n·expm1(r) + (2^n − 1) with expm1(r) by Taylor.
//
// Special values: NaN in gives NaN out; ±Inf give the limits (SiLU(−Inf) = −0, GELU(−Inf)
// = −0, tanh(±Inf) = ±1, softplus(−Inf) = 0, ELU(−Inf) = −1; every derivative its limit);
// f(±0) keeps the sign where f is odd or f(x) = x near 0 (ReLU(−0) = +0, ELU(−0) = −0).

// actErrBounds are the documented bounds, [act][0] for act and [act][1] for act'; see
// ActErrorBound. They are the maxima measured over sweeps of every 97th or 331st float32
// (both signs) plus special values, rounded up (tanh: exhaustive over |x| ≤ 10, 1.19e-7;
// SiLU: 1.23e-7 measured, 6.8e-8 + 2^−24 by analysis); TestActAccuracySweep and FuzzAct
// enforce them.
var actErrBounds = [numActs][2]float64{
	Identity: {0, 0},
	ReLU:     {0, 0},
	SiLU:     {1.3e-7, 3e-7},
	Tanh:     {1.3e-7, 3.7e-7},
	Softplus: {2.2e-7, 2.6e-7},
	GELU:     {2.5e-7, 3e-7},
	ELU:      {1.3e-7, 1.3e-7},
}

// ExpErrorBound is the maximum relative error of Exp on the SIMD tiers where e^x is a normal
// float32 (exhaustively checked over every float32 input; 1 ulp absolute in the subnormal
// range). The "go" tier rounds the float64 result once (≤ 2^−24 relative).
const ExpErrorBound = 1.3e-7

// ActErrorBound returns ε, the documented error bound of act (deriv false) or act' (deriv
// true) on every tier, against the float64 function rounded once to float32:
//
//	|got − ref| ≤ ε·max(scale, 2^−126) + slack
//
// scale is |ref|, except for the derivatives of SiLU and GELU, which cross zero, where it
// is |σ(a)| + |x·a'(x)·σ(a)·σ(−a)| (the terms summed); for GELU and GELU', ε grows by
// 1.6e-7·|a|, a = 2√(2/π)(x + 0.044715x³), since a is rounded to float32 before e^a (this is
// the conditioning of float32 evaluation, reached only for x < −5); slack is 2^−148 for
// act and 2^−122 for act' (whose results below that come from a subnormal e^−|x|).
// ReLU and Identity are exact.
func ActErrorBound(act Act, deriv bool) float64 {
	checkAct(act)
	if deriv {
		return actErrBounds[act][1]
	}
	return actErrBounds[act][0]
}
