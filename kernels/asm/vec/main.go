// Command vec generates kernels/vec_amd64.s and kernels/vec_stub_amd64.go: the elementwise
// and vector kernels of the "avx2" (AVX2+FMA, 8 lanes, registers Y0–Y15 only) and "avx512"
// (AVX-512 F/DQ, 16 lanes) tiers. One generator function emits each kernel for both tiers,
// so the two never drift apart in what they compute. From the table hooks it also writes
// kernels/vec_amd64.go, the Go selector: the SIMD hooks of kernels/vec_dispatch.go, each a
// switch on the selected tier that calls its kernel. It fails if a hook names a kernel that
// was not generated or a generated kernel has no hook, so kernels and selector never drift
// apart either.
//
// Every kernel processes whole vectors in its main loop and the remaining 1..lanes-1
// elements with one masked load/store (VMASKMOVPS on AVX2, an opmask on AVX-512), so no
// scalar code runs and no byte outside the operands is touched.
//
// Regenerate with: cd kernels/asm && go generate ./...
package main

//go:generate go run . -out ../../vec_amd64.s -stubs ../../vec_stub_amd64.go -pkg kernels -selector ../../vec_amd64.go

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"math"
	"os"
	"slices"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

var selector = flag.String("selector", "", "write the Go file of the SIMD hooks that select the kernels here")

// isa describes one tier: its name suffix, tier constant in package kernels, lane count and
// register kind.
type isa struct {
	name  string
	tier  string
	lanes int
	z     bool // AVX-512 (ZMM and opmask registers)
}

var tiers = []*isa{{name: "AVX2", tier: "tierAVX2", lanes: 8}, {name: "AVX512", tier: "tierAVX512", lanes: 16, z: true}}

// generated records the kernels emitted (name with tier suffix), for the selector's checks.
var generated = map[string]bool{}

// text starts the kernel name of tier t: the TEXT symbol name+t.name.
func text(name string, t *isa, sig string) {
	generated[name+t.name] = true
	TEXT(name+t.name, NOSPLIT, sig)
}

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

// bin returns a ∘ b in a new register for the binary instruction plain (bcst: its
// embedded-broadcast form); b may be memory.
func (e em) bin(plain, bcst func(...Op), a reg.VecVirtual, b Op) reg.VecVirtual {
	d := e.t.vec()
	e.op(plain, bcst, b, a, d)
	return d
}

func (e em) add(a reg.VecVirtual, b Op) reg.VecVirtual { return e.bin(VADDPS, VADDPS_BCST, a, b) }
func (e em) sub(a reg.VecVirtual, b Op) reg.VecVirtual { return e.bin(VSUBPS, VSUBPS_BCST, a, b) } // a − b
func (e em) mul(a reg.VecVirtual, b Op) reg.VecVirtual { return e.bin(VMULPS, VMULPS_BCST, a, b) }
func (e em) div(a reg.VecVirtual, b Op) reg.VecVirtual { return e.bin(VDIVPS, VDIVPS_BCST, a, b) } // a / b
func (e em) and(a reg.VecVirtual, b Op) reg.VecVirtual { return e.bin(VANDPS, VANDPS_BCST, a, b) }
func (e em) or(a reg.VecVirtual, b Op) reg.VecVirtual  { return e.bin(VORPS, VORPS_BCST, a, b) }

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
	d := e.bin(VPADDD, VPADDD_BCST, n, ci(127))
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

// act is one activation: its kernels' name prefix, its constant in package kernels, the
// docs and the forward and derivative bodies.
type act struct {
	name, goName, fwdDoc, derDoc string
	fwd, der                     func(e em, x reg.VecVirtual) reg.VecVirtual
}

var acts = []act{
	{
		name:   "relu",
		goName: "ReLU",
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
		goName: "SiLU",
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
		goName: "Tanh",
		fwdDoc: "y[i] = tanh(x[i])",
		derDoc: "d[i] = 1 − tanh²(x[i])",
		fwd:    func(e em, x reg.VecVirtual) reg.VecVirtual { return e.tanh(x) },
		der:    func(e em, x reg.VecVirtual) reg.VecVirtual { return e.tanhDeriv(x) },
	},
	{
		name:   "softplus",
		goName: "Softplus",
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
		goName: "GELU",
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
		goName: "ELU",
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

// loop is the element loop of one kernel over n elements: index i counts up from 0, rem
// holds n − i at each loop head. Label names carry sfx (the RK combination emits one loop
// per stage count in the same function).
type loop struct {
	t         *isa
	n, i, rem reg.Register
	sfx       string
}

func newLoop(t *isa, n reg.Register, sfx string) loop {
	i := GP64()
	XORQ(i, i)
	return loop{t: t, n: n, i: i, rem: GP64(), sfx: sfx}
}

// whole emits the loop at label that runs step and advances i by count while at least
// count elements remain, and leaves to label exit otherwise.
func (l loop) whole(label, exit string, count int, step func(a access)) {
	Label(label + l.sfx)
	MOVQ(l.n, l.rem)
	SUBQ(l.i, l.rem)
	CMPQ(l.rem, U32(count))
	JL(LabelRef(exit + l.sfx))
	step(access{t: l.t, i: l.i})
	ADDQ(U32(count), l.i)
	JMP(LabelRef(label + l.sfx))
}

// tail emits label tail: on to label done when no element remains, else the mask of the
// last rem (1..lanes−1) elements and one masked step, falling through to what follows.
func (l loop) tail(done string, step func(a access)) {
	Label("tail" + l.sfx)
	TESTQ(l.rem, l.rem)
	JZ(LabelRef(done + l.sfx))
	a := access{t: l.t, i: l.i, masked: true}
	if l.t.z {
		a.k = K()
		tb := GP64()
		LEAQ(tailK, tb)
		KMOVW(Mem{Base: tb, Index: l.rem, Scale: 2}, a.k)
	} else {
		tb := GP64()
		LEAQ(tailAVX2, tb)
		off := GP64()
		MOVQ(U32(8), off)
		SUBQ(l.rem, off)
		a.mk = l.t.vec()
		VMOVUPS(Mem{Base: tb, Index: off, Scale: 4}, a.mk)
	}
	step(a)
}

// run emits the whole-vector loop and the masked tail of step, then label done and the
// return.
func (l loop) run(step func(a access)) {
	l.whole("loop", "tail", l.t.lanes, step)
	l.tail("done", step)
	Label("done" + l.sfx)
	VZEROUPPER()
	RET()
}

// access is how one loop step reads and writes the vectors at element i: plain moves in a
// whole-vector loop, masked ones in the tail (an opmask on AVX-512, a VMASKMOVPS lane mask
// on AVX2), so the tail touches no byte outside the operands.
type access struct {
	t      *isa
	i      reg.Register
	masked bool
	k      reg.OpmaskVirtual // AVX-512 tail mask
	mk     reg.VecVirtual    // AVX2 tail mask
}

func (a access) at(base reg.Register, disp int) Mem {
	return Mem{Base: base, Index: a.i, Scale: 4, Disp: disp}
}

// load returns the vector at base[i] (disp bytes further).
func (a access) load(base reg.Register, disp int) reg.VecVirtual {
	v := a.t.vec()
	switch {
	case !a.masked:
		VMOVUPS(a.at(base, disp), v)
	case a.t.z:
		VMOVUPS_Z(a.at(base, disp), a.k, v)
	default:
		VMASKMOVPS(a.at(base, disp), a.mk, v)
	}
	return v
}

// operand returns base[i] as an instruction's source: the memory operand itself in a
// whole-vector loop, a masked load in the tail.
func (a access) operand(base reg.Register, disp int) Op {
	if a.masked {
		return a.load(base, disp)
	}
	return a.at(base, disp)
}

// store writes v to base[i] (disp bytes further).
func (a access) store(v reg.VecVirtual, base reg.Register, disp int) {
	switch {
	case !a.masked:
		VMOVUPS(v, a.at(base, disp))
	case a.t.z:
		VMOVUPS(v, a.k, a.at(base, disp))
	default:
		VMASKMOVPS(v, a.mk, a.at(base, disp))
	}
}

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
	text(name, t, sig)
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
	l := newLoop(t, n, "")
	// y = body(inputs) for the vector disp bytes past element i.
	vector := func(a access, disp int) reg.VecVirtual {
		var in []reg.VecVirtual
		for _, p := range s.in {
			in = append(in, a.load(ptr[p], disp))
		}
		return body(e, in)
	}
	// AVX-512 interleaves independent vectors per iteration so the long dependency chains
	// of the transcendental bodies overlap; AVX2 keeps one (16 registers).
	if t.z {
		l.whole("loop2", "loop", interleave*t.lanes, func(a access) {
			var ys []reg.VecVirtual
			for u := 0; u < interleave; u++ {
				ys = append(ys, vector(a, u*t.bytes()))
			}
			for u, y := range ys {
				a.store(y, ptr[s.out], u*t.bytes())
			}
		})
	}
	l.run(func(a access) { a.store(vector(a, 0), ptr[s.out], 0) })
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
	text("adam", t, "func(p, g, m, v []float32, c *[7]float32)")
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
	newLoop(t, n, "").run(func(a access) {
		g := a.load(pg, 0)
		m := e.add(e.mul(a.load(pm, 0), b1), e.mul(g, omb1))
		a.store(m, pm, 0)
		v := e.add(e.mul(a.load(pv, 0), b2), e.mul(e.mul(g, omb2), g))
		a.store(v, pv, 0)
		mh := e.div(m, bc1)
		vh := e.div(v, bc2)
		sq := t.vec()
		VSQRTPS(vh, sq)
		p := a.load(pp, 0)
		upd := e.add(e.div(mh, e.add(sq, eps)), e.mul(p, wd))
		a.store(e.sub(p, e.mul(upd, lr)), pp, 0)
	})
}

// maxStages is the most Runge–Kutta stages rkCombine takes in one pass (Dopri5 has 7).
const maxStages = 7

// genRK emits rkCombine<T>(out, y, h, ns, b, k) with one loop per stage count 0..7, every
// stage pointer and coefficient in a register.
func genRK(t *isa) {
	text("rkCombine", t, "func(out, y []float32, h float32, ns int, b *[7]float32, k *[7]*float32)")
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
	newLoop(t, n, fmt.Sprint(ns)).run(func(a access) {
		acc := e.zero()
		for s := 0; s < ns; s++ {
			VADDPS(e.mul(a.load(ks[s], 0), bs[s]), acc, acc)
		}
		a.store(e.add(e.mul(acc, h), a.load(y, 0)), out, 0)
	})
}

// genReduce emits dot/sumSq with four vector accumulators (lane j of accumulator a takes the
// elements i ≡ a·lanes + j mod 4·lanes, in order), then a masked tail into accumulator 0,
// then a fixed reduction tree: (acc0+acc1)+(acc2+acc3), halves folded down to one lane.
func genReduce(t *isa, name, sig string, in []string) {
	text(name, t, sig)
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
	// acc[j] += x·y for the vector j·lanes elements past i.
	fma := func(a access, j int) {
		x := a.load(ps[0], j*t.bytes())
		if len(ps) == 1 {
			VFMADD231PS(x, x, acc[j])
		} else {
			VFMADD231PS(a.operand(ps[1], j*t.bytes()), x, acc[j])
		}
	}
	l := newLoop(t, n, "")
	l.whole("loop4", "loop1", U*t.lanes, func(a access) {
		for j := 0; j < U; j++ {
			fma(a, j)
		}
	})
	one := func(a access) { fma(a, 0) }
	l.whole("loop1", "tail", t.lanes, one)
	l.tail("reduce", one)
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
	flag.Parse()
	ConstraintExpr("!purego")
	tables()
	for _, t := range tiers {
		genActs(t)
		genVec(t)
	}
	Generate()
	if *selector != "" {
		if err := writeSelector(*selector); err != nil {
			log.Fatal(err)
		}
	}
}

// ---- the Go selector ----

// hook is one SIMD hook of kernels/vec_dispatch.go: the selector implements it as a switch
// on the selected tier (with the activation, for the activation hooks) that calls the
// kernel.
type hook struct {
	name, params string // the hook's Go name and parameters
	does         string // what it computes, for its doc comment
	kernel       string // the kernel's name without the tier suffix (perAct: after the activation's name)
	args         string // the kernel's arguments
	perAct       bool   // one kernel per activation: act.name + kernel
	sum          bool   // returns the kernel's float32 result and true
}

var hooks = []hook{
	{name: "actSIMD", params: "act Act, x, y []float32", does: "y = act(x)", perAct: true, args: "x, y"},
	{name: "actDerivSIMD", params: "act Act, x, d []float32", does: "d = act'(x)", perAct: true, kernel: "Deriv", args: "x, d"},
	{name: "actBackSIMD", params: "act Act, z, dy, dz []float32", does: "dz = dy·act'(z)", perAct: true, kernel: "Back", args: "z, dy, dz"},
	{name: "expSIMD", params: "x, y []float32", does: "y = e^x", kernel: "exp", args: "x, y"},
	{name: "addSIMD", params: "x, y []float32", does: "y += x", kernel: "add", args: "x, y"},
	{name: "mulSIMD", params: "x, y, out []float32", does: "out = x·y", kernel: "mul", args: "x, y, out"},
	{name: "axpySIMD", params: "alpha float32, x, y []float32", does: "y = float32(alpha·x) + y", kernel: "axpy", args: "alpha, x, y"},
	{name: "scaleSIMD", params: "alpha float32, x []float32", does: "x *= alpha", kernel: "scale", args: "alpha, x"},
	{name: "dotSIMD", params: "x, y []float32", does: "Σ x·y in the kernel's fixed lane order", kernel: "dot", args: "x, y", sum: true},
	{name: "sumSqSIMD", params: "x []float32", does: "Σ x² in the kernel's fixed lane order", kernel: "sumSq", args: "x", sum: true},
	{name: "adamSIMD", params: "p, g, m, v []float32, c *[7]float32", does: "the fused Adam step (c: the AdamParams fields in order)", kernel: "adam", args: "p, g, m, v, c"},
	{name: "rkSIMD", params: "out, y []float32, h float32, ns int, b *[maxRKStages]float32, k *[maxRKStages]*float32", does: "the RK stage combination of ns nonzero stages", kernel: "rkCombine", args: "out, y, h, ns, b, k"},
}

// writeSelector writes the Go file of the hooks, after checking that they call every
// generated kernel and only those.
func writeSelector(path string) error {
	var b bytes.Buffer
	called := map[string]bool{}
	// call returns the statement of hook h that runs kernel (without tier suffix) on t.
	call := func(h hook, kernel string, t *isa) string {
		name := kernel + t.name
		if !generated[name] {
			log.Fatalf("hook %s calls %s, which was not generated", h.name, name)
		}
		called[name] = true
		if h.sum {
			return fmt.Sprintf("return %s(%s), true", name, h.args)
		}
		return fmt.Sprintf("%s(%s)", name, h.args)
	}
	fmt.Fprintf(&b, `// Code generated by command: go run . (kernels/asm/vec). DO NOT EDIT.
// Regenerate with: cd kernels/asm && go generate ./...

//go:build !purego

package kernels

// The amd64 SIMD hooks of vec_dispatch.go: each switches on the selected tier and calls
// the generated kernel of vec_amd64.s, or declines (false) where there is none.

// actKey is the key of the activation hooks' switches: one value per (activation, tier).
func actKey(act Act) int { return int(act)*len(tierNames) + tier }
`)
	for _, h := range hooks {
		result, key, without := "bool", "tier", "a tier"
		if h.sum {
			result = "(float32, bool)"
		}
		if h.perAct {
			key, without = "actKey(act)", "a tier or activation"
		}
		fmt.Fprintf(&b, "\n// %s computes %s with the selected tier's kernel.\n// It returns false for %s without one.\n", h.name, h.does, without)
		fmt.Fprintf(&b, "func %s(%s) %s {\n\tswitch %s {\n", h.name, h.params, result, key)
		for _, t := range tiers {
			if !h.perAct {
				fmt.Fprintf(&b, "\tcase %s:\n\t\t%s\n", t.tier, call(h, h.kernel, t))
				continue
			}
			for _, a := range acts {
				fmt.Fprintf(&b, "\tcase int(%s)*len(tierNames) + %s:\n\t\t%s\n", a.goName, t.tier, call(h, a.name+h.kernel, t))
			}
		}
		if h.sum {
			fmt.Fprintf(&b, "\t}\n\treturn 0, false\n}\n")
		} else {
			fmt.Fprintf(&b, "\tdefault:\n\t\treturn false\n\t}\n\treturn true\n}\n")
		}
	}
	var unused []string
	for name := range generated {
		if !called[name] {
			unused = append(unused, name)
		}
	}
	if len(unused) > 0 {
		slices.Sort(unused)
		log.Fatalf("generated kernels without a hook: %s", strings.Join(unused, ", "))
	}
	src, err := format.Source(b.Bytes())
	if err != nil {
		return err
	}
	return os.WriteFile(path, src, 0o644)
}
