// Command vec generates kernels/vec_amd64.s and kernels/vec_stub_amd64.go: the elementwise
// and vector kernels of the "avx2" (AVX2+FMA, 8 lanes, registers Y0–Y15 only) and "avx512"
// (AVX-512 F/DQ, 16 lanes) tiers. One generator function emits each kernel for both tiers,
// so the two never drift apart in what they compute.
//
// Every kernel processes whole vectors in its main loop and the remaining 1..lanes-1
// elements with one masked load/store (VMASKMOVPS on AVX2, an opmask on AVX-512), so no
// scalar code runs and no byte outside the operands is touched.
//
// Regenerate with: cd kernels/asm && go generate ./...
package main

//go:generate go run . -out ../../vec_amd64.s -stubs ../../vec_stub_amd64.go -pkg kernels

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// isa describes one tier: its name suffix, lane count and register constructor.
type isa struct {
	name  string
	lanes int
	z     bool // AVX-512 (ZMM and opmask registers)
}

var tiers = []*isa{{name: "AVX2", lanes: 8}, {name: "AVX512", lanes: 16, z: true}}

func (t *isa) vec() reg.VecVirtual {
	if t.z {
		return ZMM()
	}
	return YMM()
}

func (t *isa) bytes() int { return 4 * t.lanes }

// ---- constants: each is 16 replicated 32-bit words (64 bytes), read as a memory operand. ----
//
// AVX2 reads the first 32 bytes (the linker aligns these symbols to 32, so the load never
// crosses a cache line). AVX-512 reads a constant as a 4-byte embedded broadcast ({1to16}:
// the .BCST forms, see em.op) or with VBROADCASTSS: a 64-byte load of a 32-byte-aligned
// symbol would straddle two cache lines, and with a dozen constants per vector those split
// loads, not arithmetic, bounded the transcendental kernels (exp measured 2.9 G elements/s).

var (
	consts    = map[uint32]Mem{}
	tailAVX2  Mem // 8 × 0xffffffff then 8 × 0: the AVX2 mask for r lanes starts at word 8−r
	tailK     Mem // uint16 (1<<r)−1 for r = 0..15
	constBits []uint32
)

func cu(bits uint32) Mem {
	if m, ok := consts[bits]; ok {
		return m
	}
	m := GLOBL(fmt.Sprintf("vecconst_%08x", bits), RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(bits))
	}
	consts[bits] = m
	return m
}

// isConst reports whether m is one of the constants of cu.
func isConst(m Mem) bool {
	for _, c := range consts {
		if c == m {
			return true
		}
	}
	return false
}

func cf(v float32) Mem { return cu(math.Float32bits(v)) }
func ci(v int32) Mem   { return cu(uint32(v)) }

func tables() {
	tailAVX2 = GLOBL("vectail8", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		v := uint32(0)
		if i < 8 {
			v = 0xffffffff
		}
		DATA(4*i, U32(v))
	}
	tailK = GLOBL("vectail16", RODATA|NOPTR)
	for r := 0; r < 16; r++ {
		DATA(2*r, U16(uint16(1<<r-1)))
	}
}

// ---- vector helpers. Operand order follows the Go assembler (sources first). ----

type mask struct {
	v reg.VecVirtual    // AVX2: all-ones lanes
	k reg.OpmaskVirtual // AVX-512
}

type em struct{ t *isa }

// op emits instruction plain with operands ops, or its embedded-broadcast form bcst on
// AVX-512 when the memory operand (ops[0], or ops[1] after an immediate) is a constant.
func (e em) op(plain, bcst func(...Op), ops ...Op) {
	i := 0
	if _, ok := ops[0].(U8); ok {
		i = 1
	}
	if m, ok := ops[i].(Mem); ok && e.t.z && isConst(m) {
		bcst(ops...)
		return
	}
	plain(ops...)
}

func (e em) mov(src Op) reg.VecVirtual {
	d := e.t.vec()
	if m, ok := src.(Mem); ok && e.t.z && isConst(m) {
		VBROADCASTSS(m, d)
		return d
	}
	VMOVUPS(src, d)
	return d
}
func (e em) add(a reg.VecVirtual, b Op) reg.VecVirtual {
	d := e.t.vec()
	e.op(VADDPS, VADDPS_BCST, b, a, d)
	return d
}
func (e em) sub(a reg.VecVirtual, b Op) reg.VecVirtual { // a − b
	d := e.t.vec()
	e.op(VSUBPS, VSUBPS_BCST, b, a, d)
	return d
}
func (e em) mul(a reg.VecVirtual, b Op) reg.VecVirtual {
	d := e.t.vec()
	e.op(VMULPS, VMULPS_BCST, b, a, d)
	return d
}
func (e em) div(a reg.VecVirtual, b Op) reg.VecVirtual { // a / b
	d := e.t.vec()
	e.op(VDIVPS, VDIVPS_BCST, b, a, d)
	return d
}
func (e em) and(a reg.VecVirtual, b Op) reg.VecVirtual {
	d := e.t.vec()
	e.op(VANDPS, VANDPS_BCST, b, a, d)
	return d
}
func (e em) or(a reg.VecVirtual, b Op) reg.VecVirtual {
	d := e.t.vec()
	e.op(VORPS, VORPS_BCST, b, a, d)
	return d
}

// fma returns a·b + c (one rounding); c may be memory.
func (e em) fma(a, b reg.VecVirtual, c Op) reg.VecVirtual {
	d := e.t.vec()
	VMOVAPS(a, d)
	e.op(VFMADD213PS, VFMADD213PS_BCST, c, b, d)
	return d
}

// horner returns Σ c[i]·r^i evaluated with FMAs from the highest coefficient.
func (e em) horner(r reg.VecVirtual, c ...float32) reg.VecVirtual {
	p := e.mov(cf(c[len(c)-1]))
	for i := len(c) - 2; i >= 0; i-- {
		e.op(VFMADD213PS, VFMADD213PS_BCST, cf(c[i]), r, p)
	}
	return p
}

// maxc returns max(x, c) and minc min(x, c) for a constant c; a NaN in x is kept.
func (e em) maxc(x reg.VecVirtual, c float32) reg.VecVirtual {
	k := e.mov(cf(c))
	d := e.t.vec()
	VMAXPS(x, k, d) // c > x ? c : x (x when unordered)
	return d
}
func (e em) minc(x reg.VecVirtual, c float32) reg.VecVirtual {
	k := e.mov(cf(c))
	d := e.t.vec()
	VMINPS(x, k, d) // c < x ? c : x (x when unordered)
	return d
}

// Compare predicates (x pred y).
const (
	cmpLT    = 0x01
	cmpUNORD = 0x03
	cmpGE    = 0x0d
	cmpGT    = 0x0e
)

func (e em) cmp(pred int, x reg.VecVirtual, y Op) mask {
	if e.t.z {
		k := K()
		e.op(VCMPPS, VCMPPS_BCST, U8(pred), y, x, k)
		return mask{k: k}
	}
	d := e.t.vec()
	VCMPPS(U8(pred), y, x, d)
	return mask{v: d}
}

// sign returns the mask of lanes whose sign bit is set.
func (e em) sign(x reg.VecVirtual) mask {
	if e.t.z {
		k := K()
		VPMOVD2M(x, k)
		return mask{k: k}
	}
	return mask{v: x}
}

// sel returns m ? a : b per lane.
func (e em) sel(m mask, a, b reg.VecVirtual) reg.VecVirtual {
	d := e.t.vec()
	if e.t.z {
		VBLENDMPS(a, b, m.k, d)
	} else {
		VBLENDVPS(m.v, a, b, d)
	}
	return d
}

// pow2 returns the float 2^n for int32 lanes n in [−126, 127].
func (e em) pow2(n reg.VecVirtual) reg.VecVirtual {
	d := e.t.vec()
	e.op(VPADDD, VPADDD_BCST, ci(127), n, d)
	VPSLLD(U8(23), d, d)
	return d
}

// Exp parts. e^a = p · s1 · s2 for a in [−110, 89], where p = e^r with a = n·ln2 + r,
// |r| ≤ ln2/2 + ε, is the degree-7 Taylor polynomial (truncation < 8e-9 relative), and
// s1 = 2^(n>>1), s2 = 2^(n − n>>1) are normal floats, so that scaling by them rounds at
// most once, into the subnormals. The argument reduction is Cody–Waite with ln2 = C1 + C2,
// C1 = 0.693359375 exact in 9 bits, so a − n·C1 is exact.
const (
	log2e  = float32(1.4426950408889634)
	magic  = float32(12582912) // 1.5·2^23: adding it rounds to an integer kept in the low bits
	expC1  = float32(0.693359375)
	expC2  = float32(-2.12194440e-4)
	ln2Hi  = float32(0.6931471805599453)
	sqrt2f = float32(1.4142135)
)

var ln2Lo = float32(math.Ln2 - float64(ln2Hi))

type expParts struct{ p, nf, s1, s2 reg.VecVirtual }

// reduce computes n = round(a·log2e) as a float (nf) and, on AVX2, as an int32 (ni; nil on
// AVX-512, which scales with VSCALEFPS instead), and r = a − n·ln2.
func (e em) reduce(a reg.VecVirtual) (nf, ni, r reg.VecVirtual) {
	t := e.fma(a, e.mov(cf(log2e)), cf(magic))
	nf = e.sub(t, cf(magic))
	if !e.t.z {
		ni = e.t.vec()
		VPSUBD(cf(magic), t, ni)
	}
	r = e.t.vec()
	VMOVAPS(a, r)
	e.op(VFNMADD231PS, VFNMADD231PS_BCST, cf(expC1), nf, r)
	e.op(VFNMADD231PS, VFNMADD231PS_BCST, cf(expC2), nf, r)
	return nf, ni, r
}

// expPoly is a degree-6 polynomial for e^r on |r| ≤ 0.3466, fitted (iteratively reweighted
// least squares) for relative error: 6.8e-8 including float32 FMA evaluation.
var expPoly = []float32{1, 1, 0.49999994, 0.16666521, 0.04166839, 0.008368717, 0.0013814607}

// expParts returns the pieces of e^a for a in [−110, 89]: p = e^r and the scale 2^n. On
// AVX-512 the scale is applied by VSCALEFPS (one rounding, subnormals and overflow handled by
// the instruction). On AVX2, with split false, s1 = 2^n for n in [−126, 127]; with split
// true, s1 = 2^(n>>1) and s2 = 2^(n − n>>1) are normal floats whose product covers
// n in [−252, 254], so scaling by them rounds at most once, into the subnormals.
func (e em) expParts(a reg.VecVirtual, split bool) expParts {
	nf, ni, r := e.reduce(a)
	ep := expParts{p: e.horner(r, expPoly...), nf: nf}
	if e.t.z {
		return ep
	}
	if !split {
		ep.s1 = e.pow2(ni)
		return ep
	}
	n1 := e.t.vec()
	VPSRAD(U8(1), ni, n1)
	n2 := e.t.vec()
	VPSUBD(n1, ni, n2)
	ep.s1, ep.s2 = e.pow2(n1), e.pow2(n2)
	return ep
}

// scaleBy returns v·2^n for the n of ep.
func (e em) scaleBy(v reg.VecVirtual, ep expParts) reg.VecVirtual {
	d := e.t.vec()
	if e.t.z {
		VSCALEFPS(ep.nf, v, d)
		return d
	}
	VMULPS(ep.s1, v, d)
	if ep.s2 != nil {
		VMULPS(ep.s2, d, d)
	}
	return d
}

func (e em) expScaled(ep expParts) reg.VecVirtual { return e.scaleBy(ep.p, ep) }

// exp returns e^x: +Inf above 88.72, 0 below −103.97, subnormal between, NaN kept.
func (e em) exp(x reg.VecVirtual) reg.VecVirtual {
	a := e.minc(e.maxc(x, -104), 89)
	return e.expScaled(e.expParts(a, true))
}

// negAbs returns −|x|.
func (e em) negAbs(x reg.VecVirtual) reg.VecVirtual { return e.or(x, cu(0x80000000)) }

// xsig returns x·σ(a) for a with the sign of x (a = x for SiLU): x/(1+E) where a ≥ 0 and
// x·E/(1+E) where a < 0, with E = e^−|a| = p·2^n. The negative branch divides x·p and
// scales by 2^n afterwards, so results that are normal keep full precision while E is
// subnormal; for a < −110 (and x < −110) it is −0. The numerator is xc·m with xc =
// max(x, −110) and m = p where a < 0, 1 elsewhere (so both branches share one product, exact
// where m = 1). The roundings of xc·m and 1+E are recovered exactly and folded into the
// quotient (divFix), leaving the error of p and one final rounding.
func (e em) xsig(x, a reg.VecVirtual) reg.VecVirtual {
	na := e.maxc(e.negAbs(a), -110)
	ep := e.expParts(na, true)
	E := e.expScaled(ep)
	den := e.add(E, cf(1))
	de := e.sub(E, e.sub(den, cf(1))) // 1 + E − den, exact
	neg := e.sign(a)
	xc := e.maxc(x, -110)
	num, ne := e.t.vec(), e.t.vec() // ne = xc·m − num, exact
	if e.t.z {
		// m = p only where a < 0: a merge-masked product and a zero-masked residual
		// (ne = 0 where num = xc is exact) instead of a blend with 1 (3–4 % faster).
		VMOVAPS(xc, num)
		VMULPS(ep.p, xc, neg.k, num)
		VMOVAPS(xc, ne)
		VFMSUB213PS_Z(num, ep.p, neg.k, ne)
	} else {
		m := e.sel(neg, ep.p, e.mov(cf(1)))
		VMULPS(m, xc, num)
		VMOVAPS(xc, ne)
		VFMSUB213PS(num, m, ne)
	}
	q := e.divFix(x, num, ne, den, de)
	if e.t.z {
		VSCALEFPS(ep.nf, q, neg.k, q) // only where a < 0
		return q
	}
	return e.sel(neg, e.scaleBy(q, ep), q)
}

// divFix returns (num + ne)/(den + de) for small ne, de: q = num/den correctly rounded, less
// the exact negated residual (den·q − num) − ne + q·de times an approximate 1/den. Written
// as a subtraction of the negated residual, the correction keeps the sign of a zero q
// (−0 − +0 = −0). Where q is infinite (x = +Inf) or NaN the correction would be NaN, and q
// is returned as it is: on AVX-512 the correcting FMA is masked to lanes with x < +Inf
// (ordered), on AVX2 NaN results are replaced by q.
func (e em) divFix(x, num, ne, den, de reg.VecVirtual) reg.VecVirtual {
	q := e.div(num, den)
	rem := e.t.vec()
	VMOVAPS(q, rem)
	VFMSUB213PS(num, den, rem) // den·q − num
	VSUBPS(ne, rem, rem)
	VFMADD231PS(de, q, rem) // + q·de
	r := e.t.vec()
	if e.t.z {
		VRCP14PS(den, r)
		fin := e.cmp(cmpLT, x, cf(float32(math.Inf(1))))
		VFNMADD231PS(rem, r, fin.k, q) // q − rem·r where x < +Inf
		return q
	}
	VRCPPS(den, r)
	y := e.t.vec()
	VMOVAPS(q, y)
	VFNMADD231PS(rem, r, y) // q − rem·r
	return e.sel(e.cmp(cmpUNORD, y, y), q, y)
}

// sigPair returns s = σ(a) and c = 1 − σ(a) = σ(−a), each without cancellation.
func (e em) sigPair(a reg.VecVirtual) (s, c reg.VecVirtual) {
	E := e.exp(e.maxc(e.negAbs(a), -110))
	r := e.div(e.mov(cf(1)), e.add(E, cf(1)))
	er := e.mul(E, r)
	neg := e.sign(a)
	return e.sel(neg, er, r), e.sel(neg, r, er)
}

// tanh coefficients: tanh(x) ≈ x + x³·P(x²) on |x| ≤ 1 (weighted least squares fit).
var tanhP = []float32{-0.333333, 0.1333238, -0.05388171, 0.021491539, -0.007952595, 0.0023056893, -0.0003595955}

func (e em) tanh(x reg.VecVirtual) reg.VecVirtual {
	ax := e.and(x, cu(0x7fffffff))
	z := e.mul(x, x)
	P := e.horner(z, tanhP...)
	x3 := e.mul(x, z)
	yp := e.fma(x3, P, x)
	// |x| ≥ 1: 1 − 2E/(1+E), E = e^(−2|x|); |x| ≥ 10 gives 1 after rounding.
	na := e.maxc(e.mul(ax, cf(-2)), -20)
	E := e.expScaled(e.expParts(na, false))
	// 1 − 2·(E/(1+E)) in one FNMADD: 2·q is exact, so this is the rounding of 1 − 2E/(1+E).
	q := e.div(E, e.add(E, cf(1)))
	ye := e.mov(cf(1))
	e.op(VFNMADD231PS, VFNMADD231PS_BCST, cf(2), q, ye)
	// Both branches carry the sign of x (this also makes tanh(−0) = −0): yp has it, ye is
	// positive, so OR in the sign bit of x (AVX-512: one VPTERNLOGD, y | (x & signbit)).
	y := e.sel(e.cmp(cmpLT, ax, cf(1)), yp, ye)
	if e.t.z {
		e.op(VPTERNLOGD, VPTERNLOGD_BCST, U8(0xf8), cu(0x80000000), x, y)
		return y
	}
	return e.or(y, e.and(x, cu(0x80000000)))
}

// tanhDeriv returns 1 − tanh²(x) = 4E/(1+E)², E = e^(−2|x|).
func (e em) tanhDeriv(x reg.VecVirtual) reg.VecVirtual {
	na := e.maxc(e.mul(e.negAbs(x), cf(2)), -110)
	E := e.expScaled(e.expParts(na, true))
	r := e.div(e.mov(cf(1)), e.add(E, cf(1)))
	d := e.mul(E, cf(4))
	VMULPS(r, d, d)
	VMULPS(r, d, d)
	return d
}

// log1p01 returns log(1+E) for E in [0, 1]: u = 1+E = 2^k·m with m in [√½, √2],
// f = m − 1 exact, s = f/(2+f), log m = f − (f²/2 − s·(f²/2 + R(s²))) with R the atanh
// series to s⁸, plus the rounding correction (E − (u−1))/u and k·ln2 in two parts.
func (e em) log1p01(E reg.VecVirtual) reg.VecVirtual {
	u := e.add(E, cf(1))
	c := e.div(e.sub(E, e.sub(u, cf(1))), u)
	big := e.cmp(cmpGT, u, cf(sqrt2f))
	m := e.sel(big, e.mul(u, cf(0.5)), u)
	kf := e.sel(big, e.mov(cf(1)), e.mov(cf(0)))
	f := e.sub(m, cf(1))
	s := e.div(f, e.add(f, cf(2)))
	z := e.mul(s, s)
	R := e.mul(e.horner(z, 2.0/3, 2.0/5, 2.0/7, 2.0/9), z)
	hfsq := e.mul(e.mul(f, f), cf(0.5))
	t := e.mul(e.add(hfsq, R), s)
	t = e.sub(hfsq, t)
	L := e.sub(f, t)
	L = e.add(L, c)
	e.op(VFMADD231PS, VFMADD231PS_BCST, cf(ln2Lo), kf, L)
	e.op(VFMADD231PS, VFMADD231PS_BCST, cf(ln2Hi), kf, L)
	return L
}

func (e em) zero() reg.VecVirtual {
	z := e.t.vec()
	VXORPS(z, z, z)
	return z
}

// GELU constants: a = 2·√(2/π)·(x + 0.044715x³) = x·(geluK0 + geluK1·x²).
var (
	geluK0 = float32(2 * math.Sqrt(2/math.Pi))
	geluK1 = float32(2 * math.Sqrt(2/math.Pi) * 0.044715)
	geluK3 = float32(3 * 2 * math.Sqrt(2/math.Pi) * 0.044715)
)

func (e em) geluArg(x reg.VecVirtual) reg.VecVirtual {
	x2 := e.mul(x, x)
	t := e.fma(x2, e.mov(cf(geluK1)), cf(geluK0))
	return e.mul(x, t)
}

// act is one activation: its name, forward body and derivative body.
type act struct {
	name, fwdDoc, derDoc string
	fwd, der             func(e em, x reg.VecVirtual) reg.VecVirtual
}

var acts = []act{
	{
		name:   "relu",
		fwdDoc: "y[i] = max(x[i], 0) (+0 for −0, NaN kept)",
		derDoc: "d[i] = 1 if x[i] > 0, NaN if x[i] is NaN, else 0",
		fwd: func(e em, x reg.VecVirtual) reg.VecVirtual {
			z := e.zero()
			y := e.t.vec()
			VMAXPS(x, z, y)
			VADDPS(z, y, y)
			return y
		},
		der: func(e em, x reg.VecVirtual) reg.VecVirtual {
			z := e.zero()
			d := e.sel(e.cmp(cmpGT, x, z), e.mov(cf(1)), z)
			return e.sel(e.cmp(cmpUNORD, x, x), x, d)
		},
	},
	{
		name:   "silu",
		fwdDoc: "y[i] = x[i]·σ(x[i])",
		derDoc: "d[i] = σ(x)·(1 + x·(1 − σ(x)))",
		fwd:    func(e em, x reg.VecVirtual) reg.VecVirtual { return e.xsig(x, x) },
		der: func(e em, x reg.VecVirtual) reg.VecVirtual {
			xc := e.minc(e.maxc(x, -110), 110)
			s, c := e.sigPair(xc)
			return e.fma(e.mul(xc, s), c, s)
		},
	},
	{
		name:   "tanh",
		fwdDoc: "y[i] = tanh(x[i])",
		derDoc: "d[i] = 1 − tanh²(x[i])",
		fwd:    func(e em, x reg.VecVirtual) reg.VecVirtual { return e.tanh(x) },
		der:    func(e em, x reg.VecVirtual) reg.VecVirtual { return e.tanhDeriv(x) },
	},
	{
		name:   "softplus",
		fwdDoc: "y[i] = log(1 + e^x[i]) = max(x, 0) + log1p(e^−|x|)",
		derDoc: "d[i] = σ(x[i])",
		fwd: func(e em, x reg.VecVirtual) reg.VecVirtual {
			E := e.exp(e.maxc(e.negAbs(x), -104))
			L := e.log1p01(E)
			z := e.zero()
			m := e.t.vec()
			VMAXPS(x, z, m)
			return e.add(m, L)
		},
		der: func(e em, x reg.VecVirtual) reg.VecVirtual {
			s, _ := e.sigPair(x)
			return s
		},
	},
	{
		name:   "gelu",
		fwdDoc: "y[i] = x/2·(1 + tanh(√(2/π)·(x + 0.044715x³))) = x·σ(2√(2/π)·(x + 0.044715x³))",
		derDoc: "d[i] = σ(a) + x·σ(a)·σ(−a)·a'(x), a = 2√(2/π)·(x + 0.044715x³)",
		fwd:    func(e em, x reg.VecVirtual) reg.VecVirtual { return e.xsig(x, e.geluArg(x)) },
		der: func(e em, x reg.VecVirtual) reg.VecVirtual {
			xc := e.minc(e.maxc(x, -20), 20)
			s, c := e.sigPair(e.geluArg(xc))
			x2 := e.mul(xc, xc)
			da := e.fma(x2, e.mov(cf(geluK3)), cf(geluK0))
			xs := e.mul(e.mul(xc, da), s)
			return e.fma(xs, c, s)
		},
	},
	{
		name:   "elu",
		fwdDoc: "y[i] = x for x ≥ 0 (−0 kept), e^x − 1 otherwise",
		derDoc: "d[i] = 1 for x > 0, e^x otherwise",
		fwd: func(e em, x reg.VecVirtual) reg.VecVirtual {
			xc := e.maxc(x, -30)
			nf, ni, r := e.reduce(xc)
			r2 := e.mul(r, r)
			Q := e.horner(r, 1.0/2, 1.0/6, 1.0/24, 1.0/120, 1.0/720, 1.0/5040)
			m1 := e.fma(r2, Q, r)
			var s reg.VecVirtual
			if e.t.z {
				s = e.t.vec()
				VSCALEFPS(nf, e.mov(cf(1)), s)
			} else {
				s = e.pow2(ni)
			}
			y := e.fma(s, m1, e.sub(s, cf(1)))
			return e.sel(e.cmp(cmpGE, x, e.zero()), x, y)
		},
		der: func(e em, x reg.VecVirtual) reg.VecVirtual {
			return e.sel(e.cmp(cmpGT, x, e.zero()), e.mov(cf(1)), e.exp(x))
		},
	},
}

// ---- loop scaffolding ----

// stream describes the slices of an elementwise kernel: inputs are loaded, the body maps
// them to one output vector, stored to out (which may be one of the inputs).
type stream struct {
	in  []string
	out string
}

// interleave is the number of vectors one AVX-512 loop iteration of an elementwise kernel
// carries (3 and 4 measured no faster on Zen 5: the out-of-order core already overlaps
// iterations).
const interleave = 2

// elementwise emits: main loop over whole vectors, then one masked step for the tail.
func elementwise(t *isa, name, sig string, doc []string, s stream, setup func(), body func(e em, in []reg.VecVirtual) reg.VecVirtual) {
	TEXT(name+t.name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(doc...)
	e := em{t}
	n := Load(Param(s.in[0]).Len(), GP64())
	ptr := map[string]reg.Register{}
	names := append(append([]string{}, s.in...), s.out)
	for _, p := range names {
		if _, ok := ptr[p]; !ok {
			ptr[p] = Load(Param(p).Base(), GP64())
		}
	}
	if setup != nil {
		setup()
	}
	i := GP64()
	XORQ(i, i)
	rem := GP64()
	var in []reg.VecVirtual
	// AVX-512 interleaves ilv independent vectors per iteration so the long dependency
	// chains of the transcendental bodies overlap; AVX2 keeps one (16 registers).
	if t.z {
		ilv := interleave
		Label("loop2")
		MOVQ(n, rem)
		SUBQ(i, rem)
		CMPQ(rem, U32(ilv*t.lanes))
		JL(LabelRef("loop"))
		var ys []reg.VecVirtual
		for u := 0; u < ilv; u++ {
			in = in[:0]
			for _, p := range s.in {
				v := t.vec()
				VMOVUPS(Mem{Base: ptr[p], Index: i, Scale: 4, Disp: u * t.bytes()}, v)
				in = append(in, v)
			}
			ys = append(ys, body(e, in))
		}
		for u, y := range ys {
			VMOVUPS(y, Mem{Base: ptr[s.out], Index: i, Scale: 4, Disp: u * t.bytes()})
		}
		ADDQ(U32(ilv*t.lanes), i)
		JMP(LabelRef("loop2"))
	}
	Label("loop")
	MOVQ(n, rem)
	SUBQ(i, rem)
	CMPQ(rem, U32(t.lanes))
	JL(LabelRef("tail"))
	in = in[:0]
	for _, p := range s.in {
		v := t.vec()
		VMOVUPS(Mem{Base: ptr[p], Index: i, Scale: 4}, v)
		in = append(in, v)
	}
	y := body(e, in)
	VMOVUPS(y, Mem{Base: ptr[s.out], Index: i, Scale: 4})
	ADDQ(U32(t.lanes), i)
	JMP(LabelRef("loop"))

	Label("tail")
	TESTQ(rem, rem)
	JZ(LabelRef("done"))
	if t.z {
		k := K()
		tb := GP64()
		LEAQ(tailK, tb)
		KMOVW(Mem{Base: tb, Index: rem, Scale: 2}, k)
		in = in[:0]
		for _, p := range s.in {
			v := t.vec()
			VMOVUPS_Z(Mem{Base: ptr[p], Index: i, Scale: 4}, k, v)
			in = append(in, v)
		}
		y := body(e, in)
		VMOVUPS(y, k, Mem{Base: ptr[s.out], Index: i, Scale: 4})
	} else {
		tb := GP64()
		LEAQ(tailAVX2, tb)
		off := GP64()
		MOVQ(U32(8), off)
		SUBQ(rem, off)
		mk := t.vec()
		VMOVUPS(Mem{Base: tb, Index: off, Scale: 4}, mk)
		in = in[:0]
		for _, p := range s.in {
			v := t.vec()
			VMASKMOVPS(Mem{Base: ptr[p], Index: i, Scale: 4}, mk, v)
			in = append(in, v)
		}
		y := body(e, in)
		VMASKMOVPS(y, mk, Mem{Base: ptr[s.out], Index: i, Scale: 4})
	}
	Label("done")
	VZEROUPPER()
	RET()
}

func genActs(t *isa) {
	elementwise(t, "exp", "func(x, y []float32)",
		[]string{"exp" + t.name + " sets y[i] = e^x[i] for i < len(x) (len(y) ≥ len(x)); see Exp for the error bound."},
		stream{in: []string{"x"}, out: "y"}, nil,
		func(e em, in []reg.VecVirtual) reg.VecVirtual { return e.exp(in[0]) })
	for _, a := range acts {
		a := a
		elementwise(t, a.name, "func(x, y []float32)",
			[]string{a.name + t.name + " computes, for i < len(x) (len(y) ≥ len(x); y may be x):", "", "\t" + a.fwdDoc},
			stream{in: []string{"x"}, out: "y"}, nil,
			func(e em, in []reg.VecVirtual) reg.VecVirtual { return a.fwd(e, in[0]) })
		elementwise(t, a.name+"Deriv", "func(x, d []float32)",
			[]string{a.name + "Deriv" + t.name + " computes, for i < len(x) (len(d) ≥ len(x); d may be x):", "", "\t" + a.derDoc},
			stream{in: []string{"x"}, out: "d"}, nil,
			func(e em, in []reg.VecVirtual) reg.VecVirtual { return a.der(e, in[0]) })
		elementwise(t, a.name+"Back", "func(z, dy, dz []float32)",
			[]string{a.name + "Back" + t.name + " computes dz[i] = dy[i]·act'(z[i]) for i < len(z), with act' as in " + a.name + "Deriv" + t.name + ";", "dz may be dy."},
			stream{in: []string{"z", "dy"}, out: "dz"}, nil,
			func(e em, in []reg.VecVirtual) reg.VecVirtual { return e.mul(a.der(e, in[0]), in[1]) })
	}
}

func genVec(t *isa) {
	// y += x, and axpy/scale: plain multiplies and adds (no FMA), bit-identical to the refs.
	elementwise(t, "add", "func(x, y []float32)",
		[]string{"add" + t.name + " computes y[i] += x[i] for i < len(x)."},
		stream{in: []string{"x", "y"}, out: "y"}, nil,
		func(e em, in []reg.VecVirtual) reg.VecVirtual { return e.add(in[1], in[0]) })

	elementwise(t, "mul", "func(x, y, out []float32)",
		[]string{"mul" + t.name + " computes out[i] = x[i]·y[i] for i < len(x) (out may be x or y)."},
		stream{in: []string{"x", "y"}, out: "out"}, nil,
		func(e em, in []reg.VecVirtual) reg.VecVirtual { return e.mul(in[0], in[1]) })

	var alpha reg.VecVirtual
	setAlpha := func() {
		a := Load(Param("alpha"), XMM())
		alpha = t.vec()
		VBROADCASTSS(a, alpha)
	}
	elementwise(t, "axpy", "func(alpha float32, x, y []float32)",
		[]string{"axpy" + t.name + " computes y[i] = float32(alpha·x[i]) + y[i] for i < len(x) (no FMA)."},
		stream{in: []string{"x", "y"}, out: "y"}, setAlpha,
		func(e em, in []reg.VecVirtual) reg.VecVirtual { return e.add(e.mul(in[0], alpha), in[1]) })
	elementwise(t, "scale", "func(alpha float32, x []float32)",
		[]string{"scale" + t.name + " computes x[i] *= alpha."},
		stream{in: []string{"x"}, out: "x"}, setAlpha,
		func(e em, in []reg.VecVirtual) reg.VecVirtual { return e.mul(in[0], alpha) })

	genAdam(t)

	genRK(t)
	genReduce(t, "dot", "func(x, y []float32) float32", []string{"x", "y"})
	genReduce(t, "sumSq", "func(x []float32) float32", []string{"x"})
}

// genAdam emits adam<T>(p, g, m, v []float32, c *AdamParams): four loads, three stores.
func genAdam(t *isa) {
	TEXT("adam"+t.name, NOSPLIT, "func(p, g, m, v []float32, c *[7]float32)")
	Pragma("noescape")
	Doc("adam"+t.name+" applies one Adam(W) step to every element, operation for operation as RefAdam",
		"(m = β1·m + (1−β1)·g; v = β2·v + ((1−β2)·g)·g; p −= LR·((m/BC1)/(sqrt(v/BC2)+Eps) + WD·p),",
		"every product rounded before the add), so the result is bit-identical to it. c holds the",
		"AdamParams fields in declaration order: LR, Beta1, Beta2, Eps, WD, BC1, BC2.")
	e := em{t}
	n := Load(Param("p").Len(), GP64())
	pp := Load(Param("p").Base(), GP64())
	pg := Load(Param("g").Base(), GP64())
	pm := Load(Param("m").Base(), GP64())
	pv := Load(Param("v").Base(), GP64())
	c := Load(Param("c"), GP64())
	ld := func(off int) reg.VecVirtual {
		v := t.vec()
		VBROADCASTSS(Mem{Base: c, Disp: off}, v)
		return v
	}
	lr, b1, b2, eps, wd, bc1, bc2 := ld(0), ld(4), ld(8), ld(12), ld(16), ld(20), ld(24)
	omb1 := e.sub(e.mov(cf(1)), b1)
	omb2 := e.sub(e.mov(cf(1)), b2)
	step := func(load func(base reg.Register) reg.VecVirtual, store func(v reg.VecVirtual, base reg.Register)) {
		g := load(pg)
		m := e.add(e.mul(load(pm), b1), e.mul(g, omb1))
		store(m, pm)
		v := e.add(e.mul(load(pv), b2), e.mul(e.mul(g, omb2), g))
		store(v, pv)
		mh := e.div(m, bc1)
		vh := e.div(v, bc2)
		sq := t.vec()
		VSQRTPS(vh, sq)
		p := load(pp)
		upd := e.add(e.div(mh, e.add(sq, eps)), e.mul(p, wd))
		store(e.sub(p, e.mul(upd, lr)), pp)
	}
	loopTail(t, n, step)
}

// loopTail emits the whole-vector loop and the masked tail around step, which loads and
// stores through the functions it is given (index i is implicit in them).
func loopTail(t *isa, n reg.Register, step func(load func(base reg.Register) reg.VecVirtual, store func(v reg.VecVirtual, base reg.Register))) {
	i := GP64()
	XORQ(i, i)
	Label("loop")
	rem := GP64()
	MOVQ(n, rem)
	SUBQ(i, rem)
	CMPQ(rem, U32(t.lanes))
	JL(LabelRef("tail"))
	step(func(b reg.Register) reg.VecVirtual {
		v := t.vec()
		VMOVUPS(Mem{Base: b, Index: i, Scale: 4}, v)
		return v
	}, func(v reg.VecVirtual, b reg.Register) {
		VMOVUPS(v, Mem{Base: b, Index: i, Scale: 4})
	})
	ADDQ(U32(t.lanes), i)
	JMP(LabelRef("loop"))
	Label("tail")
	TESTQ(rem, rem)
	JZ(LabelRef("done"))
	if t.z {
		k := K()
		tb := GP64()
		LEAQ(tailK, tb)
		KMOVW(Mem{Base: tb, Index: rem, Scale: 2}, k)
		step(func(b reg.Register) reg.VecVirtual {
			v := t.vec()
			VMOVUPS_Z(Mem{Base: b, Index: i, Scale: 4}, k, v)
			return v
		}, func(v reg.VecVirtual, b reg.Register) {
			VMOVUPS(v, k, Mem{Base: b, Index: i, Scale: 4})
		})
	} else {
		tb := GP64()
		LEAQ(tailAVX2, tb)
		off := GP64()
		MOVQ(U32(8), off)
		SUBQ(rem, off)
		mk := t.vec()
		VMOVUPS(Mem{Base: tb, Index: off, Scale: 4}, mk)
		step(func(b reg.Register) reg.VecVirtual {
			v := t.vec()
			VMASKMOVPS(Mem{Base: b, Index: i, Scale: 4}, mk, v)
			return v
		}, func(v reg.VecVirtual, b reg.Register) {
			VMASKMOVPS(v, mk, Mem{Base: b, Index: i, Scale: 4})
		})
	}
	Label("done")
	VZEROUPPER()
	RET()
}

// maxStages is the most Runge–Kutta stages rkCombine takes in one pass (Dopri5 has 7).
const maxStages = 7

// genRK emits rkCombine<T>(out, y, h, ns, b, k) with one loop per stage count 0..7, every
// stage pointer and coefficient in a register.
func genRK(t *isa) {
	TEXT("rkCombine"+t.name, NOSPLIT, "func(out, y []float32, h float32, ns int, b *[7]float32, k *[7]*float32)")
	Pragma("noescape")
	Doc("rkCombine"+t.name+" computes out[i] = float32(h·s) + y[i], s = 0 + Σ_j float32(b[j]·k[j][i]) (j < ns",
		"ascending, no FMA), for i < len(y), with ns ≤ 7 and zero coefficients already dropped;",
		"bit-identical to RefRKCombine. out may be y.")
	ns := Load(Param("ns"), GP64())
	for s := 1; s <= maxStages; s++ {
		CMPQ(ns, U32(s))
		JE(LabelRef(fmt.Sprintf("stages%d", s)))
	}
	Label("stages0")
	rkLoop(t, 0)
	for s := 1; s <= maxStages; s++ {
		Label(fmt.Sprintf("stages%d", s))
		rkLoop(t, s)
	}
}

func rkLoop(t *isa, ns int) {
	e := em{t}
	out := Load(Param("out").Base(), GP64())
	y := Load(Param("y").Base(), GP64())
	n := Load(Param("y").Len(), GP64())
	hx := Load(Param("h"), XMM())
	h := t.vec()
	VBROADCASTSS(hx, h)
	var bs []reg.VecVirtual
	var ks []reg.Register
	if ns > 0 {
		pb := Load(Param("b"), GP64())
		pk := Load(Param("k"), GP64())
		for s := 0; s < ns; s++ {
			b := t.vec()
			VBROADCASTSS(Mem{Base: pb, Disp: 4 * s}, b)
			bs = append(bs, b)
			k := GP64()
			MOVQ(Mem{Base: pk, Disp: 8 * s}, k)
			ks = append(ks, k)
		}
	}
	sfx := fmt.Sprint(ns)
	i := GP64()
	XORQ(i, i)
	body := func(load func(base reg.Register) reg.VecVirtual) reg.VecVirtual {
		acc := e.zero()
		for s := 0; s < ns; s++ {
			VADDPS(e.mul(load(ks[s]), bs[s]), acc, acc)
		}
		return e.add(e.mul(acc, h), load(y))
	}
	Label("loop" + sfx)
	rem := GP64()
	MOVQ(n, rem)
	SUBQ(i, rem)
	CMPQ(rem, U32(t.lanes))
	JL(LabelRef("tail" + sfx))
	r := body(func(b reg.Register) reg.VecVirtual {
		v := t.vec()
		VMOVUPS(Mem{Base: b, Index: i, Scale: 4}, v)
		return v
	})
	VMOVUPS(r, Mem{Base: out, Index: i, Scale: 4})
	ADDQ(U32(t.lanes), i)
	JMP(LabelRef("loop" + sfx))
	Label("tail" + sfx)
	TESTQ(rem, rem)
	JZ(LabelRef("done" + sfx))
	if t.z {
		k := K()
		tb := GP64()
		LEAQ(tailK, tb)
		KMOVW(Mem{Base: tb, Index: rem, Scale: 2}, k)
		r := body(func(b reg.Register) reg.VecVirtual {
			v := t.vec()
			VMOVUPS_Z(Mem{Base: b, Index: i, Scale: 4}, k, v)
			return v
		})
		VMOVUPS(r, k, Mem{Base: out, Index: i, Scale: 4})
	} else {
		tb := GP64()
		LEAQ(tailAVX2, tb)
		off := GP64()
		MOVQ(U32(8), off)
		SUBQ(rem, off)
		mk := t.vec()
		VMOVUPS(Mem{Base: tb, Index: off, Scale: 4}, mk)
		r := body(func(b reg.Register) reg.VecVirtual {
			v := t.vec()
			VMASKMOVPS(Mem{Base: b, Index: i, Scale: 4}, mk, v)
			return v
		})
		VMASKMOVPS(r, mk, Mem{Base: out, Index: i, Scale: 4})
	}
	Label("done" + sfx)
	VZEROUPPER()
	RET()
}

// genReduce emits dot/sumSq with four vector accumulators (lane j of accumulator a takes the
// elements i ≡ a·lanes + j mod 4·lanes, in order), then a masked tail into accumulator 0,
// then a fixed reduction tree: (acc0+acc1)+(acc2+acc3), halves folded down to one lane.
func genReduce(t *isa, name, sig string, in []string) {
	TEXT(name+t.name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(name+t.name+" returns Σ x[i]·"+map[bool]string{true: "x[i]", false: "y[i]"}[len(in) == 1]+" for i < len(x) with FMAs into 4 vector accumulators",
		"in a fixed lane order (deterministic; differs from the float64 reference by rounding only).")
	e := em{t}
	n := Load(Param("x").Len(), GP64())
	var ps []reg.Register
	for _, p := range in {
		ps = append(ps, Load(Param(p).Base(), GP64()))
	}
	const U = 4
	var acc [U]reg.VecVirtual
	for j := range acc {
		acc[j] = e.zero()
	}
	i := GP64()
	XORQ(i, i)
	rem := GP64()
	Label("loop4")
	MOVQ(n, rem)
	SUBQ(i, rem)
	CMPQ(rem, U32(U*t.lanes))
	JL(LabelRef("loop1"))
	for j := 0; j < U; j++ {
		x := t.vec()
		VMOVUPS(Mem{Base: ps[0], Index: i, Scale: 4, Disp: j * t.bytes()}, x)
		if len(ps) == 1 {
			VFMADD231PS(x, x, acc[j])
		} else {
			VFMADD231PS(Mem{Base: ps[1], Index: i, Scale: 4, Disp: j * t.bytes()}, x, acc[j])
		}
	}
	ADDQ(U32(U*t.lanes), i)
	JMP(LabelRef("loop4"))
	Label("loop1")
	MOVQ(n, rem)
	SUBQ(i, rem)
	CMPQ(rem, U32(t.lanes))
	JL(LabelRef("tail"))
	{
		x := t.vec()
		VMOVUPS(Mem{Base: ps[0], Index: i, Scale: 4}, x)
		if len(ps) == 1 {
			VFMADD231PS(x, x, acc[0])
		} else {
			VFMADD231PS(Mem{Base: ps[1], Index: i, Scale: 4}, x, acc[0])
		}
	}
	ADDQ(U32(t.lanes), i)
	JMP(LabelRef("loop1"))
	Label("tail")
	TESTQ(rem, rem)
	JZ(LabelRef("reduce"))
	var lx, ly func() reg.VecVirtual
	if t.z {
		k := K()
		tb := GP64()
		LEAQ(tailK, tb)
		KMOVW(Mem{Base: tb, Index: rem, Scale: 2}, k)
		lx = func() reg.VecVirtual { v := t.vec(); VMOVUPS_Z(Mem{Base: ps[0], Index: i, Scale: 4}, k, v); return v }
		ly = func() reg.VecVirtual {
			v := t.vec()
			VMOVUPS_Z(Mem{Base: ps[len(ps)-1], Index: i, Scale: 4}, k, v)
			return v
		}
	} else {
		tb := GP64()
		LEAQ(tailAVX2, tb)
		off := GP64()
		MOVQ(U32(8), off)
		SUBQ(rem, off)
		mk := t.vec()
		VMOVUPS(Mem{Base: tb, Index: off, Scale: 4}, mk)
		lx = func() reg.VecVirtual { v := t.vec(); VMASKMOVPS(Mem{Base: ps[0], Index: i, Scale: 4}, mk, v); return v }
		ly = func() reg.VecVirtual {
			v := t.vec()
			VMASKMOVPS(Mem{Base: ps[len(ps)-1], Index: i, Scale: 4}, mk, v)
			return v
		}
	}
	x := lx()
	if len(ps) == 1 {
		VFMADD231PS(x, x, acc[0])
	} else {
		VFMADD231PS(ly(), x, acc[0])
	}
	Label("reduce")
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	// Fold halves: 512 → 256 → 128 → 64 → 32 bits, fixed order.
	if t.z {
		hi := YMM()
		VEXTRACTF64X4(U8(1), acc[0], hi)
		lo := acc[0].AsY()
		VADDPS(hi, lo, lo)
	}
	y := acc[0].AsY().(reg.VecVirtual)
	h := XMM()
	VEXTRACTF128(U8(1), y, h)
	xl := y.AsX()
	VADDPS(h, xl, xl)
	h2 := XMM()
	VMOVHLPS(xl, xl, h2)
	VADDPS(h2, xl, xl)
	h3 := XMM()
	VPSHUFD(U8(1), xl, h3)
	VADDSS(h3, xl, xl)
	VZEROUPPER()
	Store(xl, ReturnIndex(0))
	RET()
}

func main() {
	ConstraintExpr("!purego")
	tables()
	for _, t := range tiers {
		genActs(t)
		genVec(t)
	}
	Generate()
}
