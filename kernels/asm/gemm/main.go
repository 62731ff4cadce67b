// Command gemm generates the SGEMM micro-kernels of package kernels (AVX2+FMA and AVX-512)
// and the Go table that selects them, from one list of kernel specifications, so the
// assembly and its selector cannot drift apart.
//
// Run it with go generate in kernels/asm (see the directive below); it writes
// ../../gemm_amd64.s, ../../gemm_stub_amd64.go and ../../gemm_impl_amd64.go.
package main

//go:generate go run . -out ../../gemm_amd64.s -stubs ../../gemm_stub_amd64.go -pkg kernels -selector ../../gemm_impl_amd64.go

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

var selector = flag.String("selector", "", "write the Go file that installs the kernels per tier here")

// isa is one instruction-set tier.
type isa struct {
	name  string // suffix of the function names: AVX2, AVX512
	tier  string // tier constant in package kernels
	lanes int    // float32 lanes per vector register
	regs  int    // vector registers
	vec   func() VecVirtual
}

var (
	avx2   = isa{"AVX2", "tierAVX2", 8, 16, YMM}
	avx512 = isa{"AVX512", "tierAVX512", 16, 32, ZMM}
)

// spec describes one register-blocked micro-kernel: an mr × (nv·lanes) tile of C, held in
// mr·nv accumulators, with kc/mc/nc the cache blocking the Go driver uses with it.
type spec struct {
	isa
	mr, nv     int
	unroll     int  // k-loop unroll factor
	kc, mc, nc int  // blocking: k per packed B block, rows per task block, columns per B block
	variant    bool // an alternative: listed in gemmVariants for tests and tuning, not installed
}

func (s spec) nr() int { return s.nv * s.lanes }

func (s spec) name() string { return fmt.Sprintf("gemmKern%s_%dx%d", s.name_(), s.mr, s.nr()) }

func (s spec) name_() string { return s.isa.name }

// kernels is the family. The selector installs the first non-variant kernel of each tier;
// variants (other tile shapes, kept for tuning on other CPUs) are tested but not installed.
//
// kc = 512 (a B micro-panel of 64 KiB on AVX-512, more than Zen 5's 48 KiB L1) measured as
// fast as 256 on one thread and 5–10 % faster on two (1024³: 317 → 343–365 GFLOP/s;
// 4096×512×512: 357 → 381–388), since each k block costs a load and store of the C tile;
// 128 was slower on both. mc between 48 and 192 and nc between 256 and 2048 made no
// difference beyond the noise (Zen 5, 2026-11-28).
var kernels = []spec{
	{isa: avx2, mr: 6, nv: 2, unroll: 4, kc: 512, mc: 96, nc: 1024},
	{isa: avx512, mr: 8, nv: 2, unroll: 4, kc: 512, mc: 96, nc: 1024},
	{isa: avx512, mr: 12, nv: 2, unroll: 4, kc: 512, mc: 96, nc: 1024, variant: true},
	{isa: avx512, mr: 6, nv: 4, unroll: 4, kc: 512, mc: 96, nc: 1024, variant: true},
}

func main() {
	flag.Parse()
	ConstraintExpr("!purego")
	for _, s := range kernels {
		genKernel(s)
	}
	genDot()
	for _, mr := range []int{6, 8} {
		genPackT(mr)
	}
	Generate()
	if *selector != "" {
		if err := writeSelector(*selector); err != nil {
			log.Fatal(err)
		}
	}
}

// genKernel emits the micro-kernel of spec s. It computes, for r < mr and j < nr,
//
//	acc[r][j] = Σ_{p<k} A(r,p)·b[p·nr + j]    with A(r,p) = a[r·rsa + p·csa]
//	t = alpha·acc[r][j] (+ bias[j] if bias != nil)
//	c[r·ldc + j] = t + beta·c[r·ldc + j]   (c not read when beta == ±0)
//
// b is a packed, zero-padded micro-panel (k rows of nr floats); A is addressed through
// row and column strides, so the same kernel reads a packed panel (rsa = 1, csa = mr), a
// row-major block (rsa = lda, csa = 1) or a transposed one (rsa = 1, csa = lda).
func genKernel(s spec) {
	nr := s.nr()
	TEXT(s.name(), NOSPLIT, "func(k int, a *float32, rsa, csa int, b, c *float32, ldc int, alpha, beta float32, bias *float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes the %d×%d tile c = alpha·A·B (+ bias) + beta·c over k steps:", s.name(), s.mr, nr),
		fmt.Sprintf("A(r,p) = a[r·rsa+p·csa], B(p,j) = b[p·%d+j]; c is not read when beta == 0.", nr))
	if s.mr*s.nv+s.nv+1 > s.regs {
		log.Fatalf("%s: %d accumulators do not fit", s.name(), s.mr*s.nv)
	}
	g := 3 // rows addressed from one base register: base, base+rs, base+2rs (, base+rs3)
	if s.mr%4 == 0 {
		g = 4
	}
	ngroups := (s.mr + g - 1) / g

	Comment("Row r of A is read at bases[r/g] + (r%g)·rsa; every base steps by csa.")
	k := Load(Param("k"), GP64())
	a0 := GP64()
	Load(Param("a"), a0)
	rs := Load(Param("rsa"), GP64())
	SHLQ(U8(2), rs)
	cs := Load(Param("csa"), GP64())
	SHLQ(U8(2), cs)
	bp := Load(Param("b"), GP64())
	var rs3 GPVirtual
	if g == 4 {
		rs3 = GP64()
		LEAQ(Mem{Base: rs, Index: rs, Scale: 2}, rs3)
	}
	bases := []GPVirtual{a0}
	if ngroups > 1 {
		step := GP64()
		IMUL3Q(U32(g), rs, step)
		for gi := 1; gi < ngroups; gi++ {
			nb := GP64()
			LEAQ(Mem{Base: bases[gi-1], Index: step, Scale: 1}, nb)
			bases = append(bases, nb)
		}
	}
	row := func(r int) Mem {
		base := bases[r/g]
		switch r % g {
		case 0:
			return Mem{Base: base}
		case 1:
			return Mem{Base: base, Index: rs, Scale: 1}
		case 2:
			return Mem{Base: base, Index: rs, Scale: 2}
		default:
			return Mem{Base: base, Index: rs3, Scale: 1}
		}
	}

	Comment("Prefetch the C tile.")
	{
		c := Load(Param("c"), GP64())
		ldc := Load(Param("ldc"), GP64())
		SHLQ(U8(2), ldc)
		for r := 0; r < s.mr; r++ {
			for off := 0; off < nr*4; off += 64 {
				PREFETCHT0(Mem{Base: c, Disp: off})
			}
			PREFETCHT0(Mem{Base: c, Disp: nr*4 - 1})
			if r+1 < s.mr {
				ADDQ(ldc, c)
			}
		}
	}

	acc := make([][]VecVirtual, s.mr)
	for r := range acc {
		acc[r] = make([]VecVirtual, s.nv)
		for v := range acc[r] {
			acc[r][v] = s.vec()
			VXORPS(acc[r][v], acc[r][v], acc[r][v])
		}
	}

	step := func() {
		bv := make([]VecVirtual, s.nv)
		for v := range bv {
			bv[v] = s.vec()
			VMOVUPS(Mem{Base: bp, Disp: v * s.lanes * 4}, bv[v])
		}
		for r := 0; r < s.mr; r++ {
			t := s.vec()
			VBROADCASTSS(row(r), t)
			for v := range bv {
				VFMADD231PS(bv[v], t, acc[r][v])
			}
		}
		ADDQ(U32(nr*4), bp)
		for _, b := range bases {
			ADDQ(cs, b)
		}
	}

	Comment(fmt.Sprintf("Main loop, unrolled %d times.", s.unroll))
	n4 := GP64()
	MOVQ(k, n4)
	SHRQ(U8(bitsOf(s.unroll)), n4)
	JZ(LabelRef("tail"))
	Label("loop")
	for u := 0; u < s.unroll; u++ {
		step()
	}
	DECQ(n4)
	JNZ(LabelRef("loop"))
	Label("tail")
	ANDQ(U32(s.unroll-1), k)
	JZ(LabelRef("epilogue"))
	Label("tailloop")
	step()
	DECQ(k)
	JNZ(LabelRef("tailloop"))

	Label("epilogue")
	Comment("t = alpha·acc")
	alpha := s.vec()
	VBROADCASTSS(addr("alpha"), alpha)
	for r := range acc {
		for v := range acc[r] {
			VMULPS(alpha, acc[r][v], acc[r][v])
		}
	}
	Comment("t += bias")
	bias := Load(Param("bias"), GP64())
	TESTQ(bias, bias)
	JZ(LabelRef("nobias"))
	for r := range acc {
		for v := range acc[r] {
			VADDPS(Mem{Base: bias, Disp: v * s.lanes * 4}, acc[r][v], acc[r][v])
		}
	}
	Label("nobias")
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	bits := GP32()
	MOVL(addr("beta"), bits)
	SHLL(U8(1), bits)
	JZ(LabelRef("beta0"))
	Comment("c = t + beta·c")
	beta := s.vec()
	VBROADCASTSS(addr("beta"), beta)
	for r := range acc {
		for v := range acc[r] {
			m := Mem{Base: c, Disp: v * s.lanes * 4}
			VFMADD231PS(m, beta, acc[r][v])
			VMOVUPS(acc[r][v], m)
		}
		if r+1 < s.mr {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
	Label("beta0")
	Comment("c = t")
	for r := range acc {
		for v := range acc[r] {
			VMOVUPS(acc[r][v], Mem{Base: c, Disp: v * s.lanes * 4})
		}
		if r+1 < s.mr {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}

// genDot emits the small-n kernel: four rows of A against two rows of Bᵀ,
//
//	out[2r+j] = Σ_{p<k} a[r·lda+p]·b[j·ldb+p]   (r < 4, j < 2; k a multiple of 8)
//
// accumulated in eight lanes per output and summed in a fixed order.
func genDot() {
	TEXT("gemmDotAVX2_4x2", NOSPLIT, "func(k int, a *float32, lda int, b *float32, ldb int, out *float32)")
	Pragma("noescape")
	Doc("gemmDotAVX2_4x2 sets out[2r+j] = Σ_{p<k} a[r·lda+p]·b[j·ldb+p] for r < 4, j < 2; k must be a multiple of 8.")
	k := Load(Param("k"), GP64())
	SHLQ(U8(2), k)
	lda := Load(Param("lda"), GP64())
	SHLQ(U8(2), lda)
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb)
	a0 := GP64()
	Load(Param("a"), a0)
	ar := []GPVirtual{a0}
	for r := 1; r < 4; r++ {
		p := GP64()
		LEAQ(Mem{Base: ar[r-1], Index: lda, Scale: 1}, p)
		ar = append(ar, p)
	}
	b0 := GP64()
	Load(Param("b"), b0)
	b1 := GP64()
	LEAQ(Mem{Base: b0, Index: ldb, Scale: 1}, b1)
	br := []GPVirtual{b0, b1}
	acc := make([]VecVirtual, 8)
	for i := range acc {
		acc[i] = YMM()
		VXORPS(acc[i], acc[i], acc[i])
	}
	off := GP64()
	XORQ(off, off)
	TESTQ(k, k)
	JZ(LabelRef("sum"))
	Label("loop")
	bv := []VecVirtual{YMM(), YMM()}
	for j := range bv {
		VMOVUPS(Mem{Base: br[j], Index: off, Scale: 1}, bv[j])
	}
	for r := 0; r < 4; r++ {
		av := YMM()
		VMOVUPS(Mem{Base: ar[r], Index: off, Scale: 1}, av)
		for j := range bv {
			VFMADD231PS(av, bv[j], acc[2*r+j])
		}
	}
	ADDQ(U8(32), off)
	CMPQ(off, k)
	JB(LabelRef("loop"))
	Label("sum")
	out := Load(Param("out"), GP64())
	for i, y := range acc {
		x := XMM()
		VEXTRACTF128(U8(1), y, x)
		VADDPS(x, y.AsX(), x)
		VHADDPS(x, x, x)
		VHADDPS(x, x, x)
		VMOVSS(x, Mem{Base: out, Disp: 4 * i})
	}
	VZEROUPPER()
	RET()
}

// genPackT emits the TN packer for panels of height mr:
//
//	for p < kc, q < npan: dst[q·mr·kc + p·mr + r] = src[p·ld + q·mr + r]   (r < mr)
//
// walking the stored rows of A (p outer) once each.
func genPackT(mr int) {
	name := fmt.Sprintf("gemmPackTAVX_%d", mr)
	TEXT(name, NOSPLIT, "func(kc int, src *float32, ld int, dst *float32, npan int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets dst[q·%d·kc + p·%d + r] = src[p·ld + q·%d + r] for p < kc, q < npan, r < %d.", name, mr, mr, mr, mr))
	kc := Load(Param("kc"), GP64())
	src := Load(Param("src"), GP64())
	ld := Load(Param("ld"), GP64())
	SHLQ(U8(2), ld)
	dst := Load(Param("dst"), GP64())
	npan := Load(Param("npan"), GP64())
	ps := GP64()
	IMUL3Q(U32(mr*4), kc, ps)
	TESTQ(npan, npan)
	JZ(LabelRef("done"))
	TESTQ(kc, kc)
	JZ(LabelRef("done"))
	Label("rows")
	s, d, q := GP64(), GP64(), GP64()
	MOVQ(src, s)
	MOVQ(dst, d)
	MOVQ(npan, q)
	Label("panels")
	switch mr {
	case 8:
		y := YMM()
		VMOVUPS(Mem{Base: s}, y)
		VMOVUPS(y, Mem{Base: d})
	case 6:
		x, t := XMM(), GP64()
		VMOVUPS(Mem{Base: s}, x)
		VMOVUPS(x, Mem{Base: d})
		MOVQ(Mem{Base: s, Disp: 16}, t)
		MOVQ(t, Mem{Base: d, Disp: 16})
	default:
		log.Fatalf("genPackT: mr %d", mr)
	}
	ADDQ(U8(mr*4), s)
	ADDQ(ps, d)
	DECQ(q)
	JNZ(LabelRef("panels"))
	ADDQ(ld, src)
	ADDQ(U8(mr*4), dst)
	DECQ(kc)
	JNZ(LabelRef("rows"))
	Label("done")
	VZEROUPPER()
	RET()
}

func addr(param string) Mem {
	b, err := Param(param).Resolve()
	if err != nil {
		log.Fatal(err)
	}
	return b.Addr
}

func bitsOf(n int) int {
	b := 0
	for 1<<b < n {
		b++
	}
	if 1<<b != n {
		log.Fatalf("unroll %d is not a power of two", n)
	}
	return b
}

// packT returns the selector's packT field for tile height mr ("" when no packer exists).
func packT(mr int) string {
	if mr == 6 || mr == 8 {
		return fmt.Sprintf(", packT: gemmPackTAVX_%d", mr)
	}
	return ""
}

// writeSelector writes the Go file that installs each kernel in its tier's gemmImpl.
func writeSelector(path string) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "// Code generated by command: go run . (kernels/asm/gemm). DO NOT EDIT.\n")
	fmt.Fprintf(&buf, "// Regenerate with: cd kernels/asm && go generate ./...\n\n")
	fmt.Fprintf(&buf, "//go:build !purego\n\npackage kernels\n\n")
	fmt.Fprintf(&buf, "// init installs the generated SGEMM micro-kernel of each amd64 tier and lists every\n// generated kernel (alternatives included) in gemmVariants.\nfunc init() {\n")
	for _, s := range kernels {
		if s.variant {
			continue
		}
		fmt.Fprintf(&buf, "\tgemmImpls[%s] = &gemmImpl{name: %q, mr: %d, nr: %d, kc: %d, mc: %d, nc: %d, kern: %s, dot: gemmDotAVX2_4x2%s}\n",
			s.tier, s.name(), s.mr, s.nr(), s.kc, s.mc, s.nc, s.name(), packT(s.mr))
	}
	fmt.Fprintf(&buf, "\tgemmVariants = append(gemmVariants,\n")
	for _, s := range kernels {
		fmt.Fprintf(&buf, "\t\tgemmVariant{%s, &gemmImpl{name: %q, mr: %d, nr: %d, kc: %d, mc: %d, nc: %d, kern: %s, dot: gemmDotAVX2_4x2%s}},\n",
			s.tier, s.name(), s.mr, s.nr(), s.kc, s.mc, s.nc, s.name(), packT(s.mr))
	}
	fmt.Fprintf(&buf, "\t)\n}\n")
	src, err := format.Source(buf.Bytes())
	if err != nil {
		return err
	}
	return os.WriteFile(path, src, 0o644)
}
