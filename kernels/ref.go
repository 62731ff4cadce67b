package kernels

import "math"

// This file holds the pure-Go references, always compiled on every architecture, against
// which every tier is tested. Each doc comment states the loop it computes. Products are
// written float32(x*y) + z so that the reference does not change with GOARCH/GOAMD64 (the
// compiler may otherwise fuse them into FMAs).

// RefGemm is the reference for Gemm:
//
//	for i < m, j < n: s = Σ_p opA[i,p]·opB[p,j] (float32, p ascending)
//	                  C[i,j] = alpha·s + beta·C[i,j]   (C not read when beta == 0)
func RefGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s = float32(av*bv) + s
			}
			if beta == 0 {
				c[i*ldc+j] = float32(alpha * s)
			} else {
				c[i*ldc+j] = float32(alpha*s) + float32(beta*c[i*ldc+j])
			}
		}
	}
}

// RefGemmBiasAct is the reference for GemmBiasAct:
//
//	Z[i,j] = Σ_p A[i,p]·B[p,j] + bias[j];  Y[i,j] = act(Z[i,j])
func RefGemmBiasAct(m, n, k int, a []float32, lda int, b []float32, ldb int, bias []float32, act Act, z []float32, ldz int, y []float32, ldy int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				s = float32(a[i*lda+p]*b[p*ldb+j]) + s
			}
			if bias != nil {
				s += bias[j]
			}
			if z != nil {
				z[i*ldz+j] = s
			}
			y[i*ldy+j] = RefAct(act, s)
		}
	}
}

// RefActBackward is the reference for ActBackward:
//
//	dZ[i,j] = dY[i,j]·act'(Z[i,j]);  dbias[j] += Σ_i dZ[i,j] (i ascending)
func RefActBackward(act Act, m, n int, dy []float32, lddy int, z []float32, ldz int, dz []float32, lddz int, dbias []float32) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			g := dy[i*lddy+j] * RefActDeriv(act, z[i*ldz+j])
			dz[i*lddz+j] = g
			if dbias != nil {
				dbias[j] += g
			}
		}
	}
}

// RefAct returns act(x), computed in float64 and rounded once.
func RefAct(act Act, x float32) float32 {
	v := float64(x)
	switch act {
	case Identity:
		return x
	case ReLU:
		if x > 0 {
			return x
		}
		if x != x {
			return x
		}
		return 0
	case SiLU:
		if v < -745 {
			return float32(math.Copysign(0, -1)) // x·σ(x) → −0 for x → −∞ (also for −Inf)
		}
		return float32(v / (1 + math.Exp(-v)))
	case Tanh:
		return float32(math.Tanh(v))
	case Softplus:
		if v > 30 {
			return float32(v + math.Log1p(math.Exp(-v)))
		}
		return float32(math.Log1p(math.Exp(v)))
	case GELU:
		// x/2·(1 + tanh(u)) = x·σ(2u): the same function without the cancellation of
		// 1 + tanh(u) for x < 0 (which loses everything below x ≈ −7.5 in float64).
		if math.IsInf(v, -1) {
			return float32(math.Copysign(0, -1))
		}
		return float32(v / (1 + math.Exp(-geluArg(v))))
	case ELU:
		if v > 0 {
			return x
		}
		return float32(math.Expm1(v))
	}
	panic("kernels: unknown activation")
}

// RefActDeriv returns act'(x), computed in float64 and rounded once. ReLU'(0) = 0; ELU'(0) = 1.
func RefActDeriv(act Act, x float32) float32 {
	v := float64(x)
	switch act {
	case Identity:
		return 1
	case ReLU:
		if x > 0 {
			return 1
		}
		if x != x {
			return x
		}
		return 0
	case SiLU:
		// σ(x) + x·σ(x)·σ(−x), with σ(−x) computed directly instead of as 1 − σ(x).
		if math.IsInf(v, 0) {
			return float32(max(math.Copysign(1, v), 0)) // 1 at +Inf, 0 at −Inf
		}
		s, c := 1/(1+math.Exp(-v)), 1/(1+math.Exp(v))
		return float32(s + v*s*c)
	case Tanh:
		// 1 − tanh² = 4E/(1+E)², E = e^(−2|x|): no cancellation for large |x|.
		e := math.Exp(-2 * math.Abs(v))
		return float32(4 * e / ((1 + e) * (1 + e)))
	case Softplus:
		return float32(1 / (1 + math.Exp(-v)))
	case GELU:
		// GELU = x·σ(a), a = 2u: GELU' = σ(a) + x·a'·σ(a)·σ(−a), both σ computed directly.
		if math.Abs(v) > 20 {
			return float32(max(math.Copysign(1, v), 0)) // 1 or 0 to float32 precision (also ±Inf)
		}
		a := geluArg(v)
		s, c := 1/(1+math.Exp(-a)), 1/(1+math.Exp(a))
		da := 2 * 0.7978845608028654 * (1 + 3*0.044715*v*v)
		return float32(s + v*da*s*c)
	case ELU:
		if v > 0 {
			return 1
		}
		return float32(math.Exp(v))
	}
	panic("kernels: unknown activation")
}

// geluArg returns a = 2·√(2/π)·(x + 0.044715x³), so that GELU(x) = x·σ(a).
func geluArg(v float64) float64 { return 2 * 0.7978845608028654 * (v + 0.044715*v*v*v) }

// RefActForward is the reference for ActForward: y[i] = RefAct(act, x[i]).
func RefActForward(act Act, x, y []float32) {
	for i, v := range x {
		y[i] = RefAct(act, v)
	}
}

// RefActDerivVec is the reference for ActDeriv: d[i] = RefActDeriv(act, x[i]).
func RefActDerivVec(act Act, x, d []float32) {
	for i, v := range x {
		d[i] = RefActDeriv(act, v)
	}
}

// RefExp is the reference for Exp: y[i] = float32(math.Exp(float64(x[i]))).
func RefExp(x, y []float32) {
	for i, v := range x {
		y[i] = float32(math.Exp(float64(v)))
	}
}

// RefAxpy is the reference for Axpy: y[i] = float32(alpha·x[i]) + y[i].
func RefAxpy(alpha float32, x, y []float32) {
	for i, v := range x {
		y[i] = float32(alpha*v) + y[i]
	}
}

// RefScale is the reference for Scale: x[i] = alpha·x[i].
func RefScale(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

// RefDot is the reference for Dot: Σ x[i]·y[i] accumulated in float64, rounded once.
func RefDot(x, y []float32) float32 {
	var s float64
	for i, v := range x {
		s += float64(v) * float64(y[i])
	}
	return float32(s)
}

// RefSumSq is the reference for SumSq: Σ x[i]² accumulated in float64, rounded once.
func RefSumSq(x []float32) float32 { return RefDot(x, x) }

// RefAdam is the reference for Adam, computed in float32 element by element.
func RefAdam(p, g, m, v []float32, c *AdamParams) {
	for i := range p {
		gi := g[i]
		m[i] = float32(c.Beta1*m[i]) + float32((1-c.Beta1)*gi)
		v[i] = float32(c.Beta2*v[i]) + float32(float32((1-c.Beta2)*gi)*gi)
		mh := m[i] / c.BC1
		vh := v[i] / c.BC2
		upd := mh/(float32(math.Sqrt(float64(vh)))+c.Eps) + float32(c.WD*p[i])
		p[i] -= float32(c.LR * upd)
	}
}

// RefRKCombine is the reference for RKCombine: out[i] = y[i] + h·Σ_s b[s]·ks[s][i], the
// stage sum accumulated in float32 with s ascending, stages with b[s] == 0 skipped.
func RefRKCombine(out, y []float32, h float32, b []float32, ks [][]float32) {
	for i := range y {
		var s float32
		for st, k := range ks {
			if b[st] != 0 {
				s = float32(b[st]*k[i]) + s
			}
		}
		out[i] = float32(h*s) + y[i]
	}
}
