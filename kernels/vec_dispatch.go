package kernels

import "runtime"

// This file holds the internal entry points of the elementwise and vector kernels. Each
// annotates what it reads and writes for the race detector (race.go), then asks the
// architecture's hook to run the selected tier: vec_amd64.go (generated with the kernels by
// kernels/asm/vec), vec_arm64.go and act_arm64.go (NEON), or vec_other.go where the build
// has no SIMD code. A hook returns false when the tier has no SIMD kernel for the call, and
// the pure-Go reference runs instead. The hooks are plain functions that switch on the
// package variable tier, per call, so the asm stubs keep their //go:noescape guarantees (a
// call through a func value would make every argument escape).
//
// Hook set an architecture provides (all take already-checked, equal-length operands):
//
//	actSIMD(act, x, y) bool         y = act(x)            (act ≠ Identity)
//	actDerivSIMD(act, x, d) bool    d = act'(x)           (act ≠ Identity)
//	actBackSIMD(act, z, dy, dz) bool dz = dy·act'(z)      (act ≠ Identity)
//	expSIMD(x, y) bool              y = e^x
//	addSIMD(x, y) bool              y += x
//	mulSIMD(x, y, out) bool         out = x·y (NEON declines: mulGo runs)
//	axpySIMD(alpha, x, y) bool      y = float32(alpha·x) + y
//	scaleSIMD(alpha, x) bool        x *= alpha
//	dotSIMD(x, y) (float32, bool)   Σ x·y (fixed lane order)
//	sumSqSIMD(x) (float32, bool)    Σ x²
//	adamSIMD(p, g, m, v, c) bool    c = the 7 AdamParams fields in order
//	rkSIMD(out, y, h, ns, b, k) bool the RK combination of ns ≤ 7 nonzero stages

// actForward sets y = act(x), len(y) == len(x); y may be x. The GEMM epilogue calls it on
// row segments, so it does no checks and no allocation.
func actForward(act Act, x, y []float32) {
	if len(x) == 0 {
		return
	}
	if act == Identity {
		copy(y, x)
		return
	}
	raceRead(x)
	raceWrite(y)
	if !actSIMD(act, x, y) {
		RefActForward(act, x, y)
	}
}

// actDeriv sets d = act'(x), len(d) == len(x); d may be x.
func actDeriv(act Act, x, d []float32) {
	if len(x) == 0 {
		return
	}
	if act == Identity {
		for i := range d {
			d[i] = 1
		}
		return
	}
	raceRead(x)
	raceWrite(d)
	if !actDerivSIMD(act, x, d) {
		RefActDerivVec(act, x, d)
	}
}

// actBackward computes dZ = dY ⊙ act'(Z) row by row and, when dbias is non-nil, adds each
// row of dZ into dbias in row order (the same order as RefActBackward, so the sums are
// deterministic and independent of the tier apart from act' itself).
func actBackward(act Act, m, n int, dy []float32, lddy int, z []float32, ldz int, dz []float32, lddz int, dbias []float32) {
	for i := 0; i < m; i++ {
		zr := z[i*ldz : i*ldz+n]
		dyr := dy[i*lddy : i*lddy+n]
		dzr := dz[i*lddz : i*lddz+n]
		if act == Identity {
			copy(dzr, dyr)
		} else {
			raceRead(zr)
			raceRead(dyr)
			raceWrite(dzr)
			if !actBackSIMD(act, zr, dyr, dzr) {
				for j, v := range zr {
					dzr[j] = dyr[j] * RefActDeriv(act, v)
				}
			}
		}
		if dbias != nil {
			add(dzr, dbias[:n])
		}
	}
}

// add sets y += x, len(y) == len(x), in the order of a Go loop (one rounding per element).
func add(x, y []float32) {
	if len(x) == 0 {
		return
	}
	raceRead(x)
	raceWrite(y)
	if !addSIMD(x, y) {
		for j, v := range x {
			y[j] += v
		}
	}
}

// mul sets out = x·y elementwise, len(y) == len(out) == len(x); out may be x or y exactly.
func mul(x, y, out []float32) {
	if len(x) == 0 {
		return
	}
	raceRead(x)
	raceRead(y)
	raceWrite(out)
	if !mulSIMD(x, y, out) {
		mulGo(x, y, out)
	}
}

// mulGo is mul's Go loop, unrolled by 4: one rounding per product, the same bits as the
// SIMD tiers.
func mulGo(x, y, out []float32) {
	i := 0
	for ; i+4 <= len(x); i += 4 {
		xs, ys, os := x[i:i+4:i+4], y[i:i+4:i+4], out[i:i+4:i+4]
		os[0] = xs[0] * ys[0]
		os[1] = xs[1] * ys[1]
		os[2] = xs[2] * ys[2]
		os[3] = xs[3] * ys[3]
	}
	for ; i < len(x); i++ {
		out[i] = x[i] * y[i]
	}
}

func expVec(x, y []float32) {
	raceRead(x)
	raceWrite(y)
	expLocal(x, y)
}

// expLocal is expVec without the race annotations, for memory that only the calling
// goroutine can reach: ActDeriv2's scratch on its stack, which an annotation would move to
// the heap in race builds (the race runtime's range calls let their pointer escape).
func expLocal(x, y []float32) {
	if len(x) > 0 && !expSIMD(x, y) {
		RefExp(x, y)
	}
}

func axpy(alpha float32, x, y []float32) {
	if len(x) == 0 {
		return
	}
	raceRead(x)
	raceWrite(y)
	if !axpySIMD(alpha, x, y) {
		RefAxpy(alpha, x, y)
	}
}

func scale(alpha float32, x []float32) {
	if len(x) == 0 {
		return
	}
	raceWrite(x)
	if !scaleSIMD(alpha, x) {
		RefScale(alpha, x)
	}
}

func dot(x, y []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	raceRead(x)
	raceRead(y)
	if s, ok := dotSIMD(x, y); ok {
		return s
	}
	return RefDot(x, y)
}

func sumSq(x []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	raceRead(x)
	if s, ok := sumSqSIMD(x); ok {
		return s
	}
	return RefSumSq(x)
}

func adam(p, g, m, v []float32, c *AdamParams) {
	if len(p) == 0 {
		return
	}
	raceWrite(p)
	raceRead(g)
	raceWrite(m)
	raceWrite(v)
	k := [7]float32{c.LR, c.Beta1, c.Beta2, c.Eps, c.WD, c.BC1, c.BC2}
	if !adamSIMD(p, g, m, v, &k) {
		RefAdam(p, g, m, v, c)
	}
}

// maxRKStages is the most nonzero stages the SIMD RK combination takes in one pass (Dopri5
// has 7); more fall back to the reference.
const maxRKStages = 7

func rkCombine(out, y []float32, h float32, b []float32, ks [][]float32) {
	if len(y) == 0 {
		return
	}
	var bb [maxRKStages]float32
	var kp [maxRKStages]*float32
	ns := 0
	for s := range ks {
		if b[s] == 0 {
			continue
		}
		if ns == maxRKStages {
			RefRKCombine(out, y, h, b, ks)
			return
		}
		raceRead(ks[s][:len(y)])
		bb[ns], kp[ns] = b[s], &ks[s][0]
		ns++
	}
	raceRead(y)
	raceWrite(out)
	if !rkSIMD(out, y, h, ns, &bb, &kp) {
		RefRKCombine(out, y, h, b, ks)
	}
	runtime.KeepAlive(ks)
}
