package kernels

import (
	"unsafe"

	"github.com/interflow/flowbench/internal/buf"
)

// The SGEMM driver (BLIS-style). See the package documentation ("GEMM") for the design.
//
// A tier plugs in through a gemmImpl: a register-blocked micro-kernel over a packed B
// micro-panel plus its blocking parameters, and optionally a small-n dot kernel and a TN
// packer. The driver does everything else (blocking, packing, edge tiles, threading,
// epilogues), so a tier (the generated amd64 ones in gemm_impl_amd64.go, NEON in
// gemm_arm64.go, pure Go in gemm_go.go) only provides its kernels and a table entry.

// gemmKernel is a micro-kernel. It computes the mr×nr tile (mr, nr from its gemmImpl)
//
//	acc[r][j] = Σ_{p<k} A(r,p)·b[p·nr + j]   with A(r,p) = a[r·rsa + p·csa]
//	t = alpha·acc[r][j] + bias[j]            (no bias term when bias == nil)
//	c[r·ldc + j] = t + beta·c[r·ldc + j]     (c is not read when beta == 0)
//
// for r < mr, j < nr. b points to a packed, zero-padded micro-panel of k rows of nr floats;
// A is addressed through element strides, so one kernel reads a packed edge panel (rsa = 1,
// csa = mr), a row-major block in place (rsa = lda, csa = 1: NN, NT) or a transposed one
// (rsa = 1, csa = lda: TN). k >= 1; every addressed element is valid memory. The driver
// calls it only for full tiles of C and for its own mr×nr tile buffer (ldc = nr).
type gemmKernel func(k int, a *float32, rsa, csa int, b, c *float32, ldc int, alpha, beta float32, bias *float32)

// gemmDotKernel is the small-n kernel: out[2r+j] = Σ_{p<k} a[r·lda+p]·b[j·ldb+p] for r < 4,
// j < 2, where k is a multiple of 8 (the driver adds the remaining products).
type gemmDotKernel func(k int, a *float32, lda int, b *float32, ldb int, out *float32)

// gemmImpl is one tier's GEMM: its micro-kernel, tile shape and cache blocking.
type gemmImpl struct {
	name   string
	mr, nr int // micro-tile of C
	kc     int // largest k block (see kernels/asm/gemm for the measured choice)
	mc     int // rows per task block (multiple of mr; the A rows it reads sit in L2)
	nc     int // largest column block of packed B (multiple of nr)
	kern   gemmKernel
	dot    gemmDotKernel
	packT  gemmPackTKernel // optional: TN packer for full panels of height mr
}

// gemmPackTKernel packs npan full TN panels of height mr (mr from its gemmImpl):
//
//	dst[q·mr·kc + p·mr + r] = src[p·ld + q·mr + r]   for p < kc, q < npan, r < mr
type gemmPackTKernel func(kc int, src *float32, ld int, dst *float32, npan int)

// gemmImpls holds each tier's GEMM; a nil entry means the tier uses the pure-Go one.
var gemmImpls [len(tierNames)]*gemmImpl

// gemmVariant is a generated micro-kernel (installed or an alternative) and the tier whose
// CPU features it needs; tests run every variant against the reference.
type gemmVariant struct {
	tier int
	impl *gemmImpl
}

// gemmVariants lists the generated kernels (filled in by the generated selector).
var gemmVariants []gemmVariant

func currentGemmImpl() *gemmImpl {
	if g := gemmImpls[tier]; g != nil {
		return g
	}
	return gemmImpls[tierGo]
}

// gemmWorker holds one worker's private buffers, grown on first use and kept.
type gemmWorker struct {
	apack []float32 // edge panel of A: mr×kc, packed p-major
	tile  []float32 // edge tile of C: mr×nr
	arows []float32 // dot path: up to 4 tail rows of A, zero-padded
	out   [8]float32
}

// gemmState is what one GEMM call needs: the job, the shared packed B and the buffers of
// each worker, indexed by the pool's worker number. Everything grows once and is kept.
type gemmState struct {
	job     gemmJob
	bp      []float32     // shared packed B block (or Bᵀ on the dot path)
	workers []*gemmWorker // workers[w] is used by worker w only
}

// growWorkers makes sure there are buffers for workers 0..n-1 (n at most poolMaxWorkers).
func (st *gemmState) growWorkers(n int) {
	for len(st.workers) < min(n, poolMaxWorkers) {
		st.workers = append(st.workers, new(gemmWorker))
	}
}

const (
	phasePackB = iota
	phaseCompute
	phaseDot
)

// gemmJob is one GEMM call: operands, the current block, and the task grid.
type gemmJob struct {
	st             *gemmState
	impl           *gemmImpl
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a              []float32
	lda            int
	b              []float32
	ldb            int
	c              []float32 // output of the product (Z, or Y when no Z is kept)
	ldc            int

	// fused epilogue (GemmBiasAct)
	bias  []float32
	fused bool
	act   Act
	y     []float32
	ldy   int

	phase  int
	jc, nc int // current column block
	kcMax  int // k block size (the last block of k may be shorter)

	// task grid of the compute phase: mTasks row blocks of mcEff rows × nTasks column
	// chunks of ppt panels; of the pack phase: packTasks chunks of ppt panels.
	mcEff, mTasks int
	ppt, nTasks   int
	pptPack       int
	// dot path: rows per task
	dotRows int
}

// minParallelWork is the m·n·k below which a GEMM runs on one thread: waking a parked
// worker costs tens of microseconds, as much as such a product takes (an unfused 4096×3×256,
// store-bound, gains under 1.2× from a second thread). Fused activations and the small-n
// path adjust the count (actWork, run). (A variable so that tests can thread small products.)
var minParallelWork = 1 << 22

// actWork is what one element of a transcendental activation (SiLU, tanh, softplus, GELU,
// ELU: 25–40 vector instructions per 16 elements) costs in GEMM multiply-adds, for the
// threading decision of a fused product: the first layer of an MLP (k = 3) is mostly
// activation.
const actWork = 32

func (j *gemmJob) run(threads int) {
	if j.k == 0 || j.alpha == 0 {
		j.scaleOnly()
		return
	}
	dotPath := j.n <= 4 && !j.transA && j.k >= 8
	work := j.m * j.n * j.k
	if dotPath {
		// The small-n path streams A once at a few multiply-adds per element: count it as
		// four columns (the last layer of an MLP, 4096×256×2, scales on two threads).
		work = j.m * 4 * j.k
	}
	if j.fused && j.act != Identity && j.act != ReLU {
		work += j.m * j.n * actWork // the epilogue's activation, in multiply-adds
	}
	if work < minParallelWork {
		threads = 1
	}
	j.st.growWorkers(threads)
	if dotPath {
		j.runDot(threads)
		return
	}
	im := j.impl
	mr, nr := im.mr, im.nr
	// k blocks of nearly equal size, at most im.kc.
	nkb := (j.k + im.kc - 1) / im.kc
	j.kcMax = (j.k + nkb - 1) / nkb
	// Column blocks: every k block of one is packed at once (one parallel pack phase and
	// one compute phase per column block, whose tasks run all k blocks), so the packed
	// block, k × nc floats, is capped at maxPackB (L3-resident) by narrowing nc.
	ncMax := im.nc
	if lim := max(nr, maxPackB/j.k/nr*nr); lim < ncMax {
		ncMax = lim
	}
	// Row blocks: im.mc, smaller when that leaves threads idle.
	mc := im.mc
	if threads > 1 {
		if want := ceilDiv(j.m, 2*threads); want < mc {
			mc = max(ceilDiv(want, mr)*mr, mr)
		}
		// Round the number of row blocks up to a multiple of threads when that is
		// cheap (few blocks, where one left over would idle the others).
		if nb := ceilDiv(j.m, mc); nb < 8*threads && nb%threads != 0 {
			nb = ceilDiv(nb, threads) * threads
			mc = max(ceilDiv(ceilDiv(j.m, nb), mr)*mr, mr)
		}
	}
	j.mcEff = mc
	j.mTasks = ceilDiv(j.m, mc)
	for jc := 0; jc < j.n; jc += ncMax {
		j.jc, j.nc = jc, min(ncMax, j.n-jc)
		panels := ceilDiv(j.nc, nr)
		// Column chunks only when row blocks alone cannot feed the threads.
		j.nTasks = 1
		if threads > 1 && j.mTasks < 2*threads {
			j.nTasks = min(panels, ceilDiv(2*threads, j.mTasks))
		}
		j.ppt = ceilDiv(panels, j.nTasks)
		j.nTasks = ceilDiv(panels, j.ppt)
		j.pptPack = max(1, ceilDiv(panels, 4*threads))
		j.st.bp = buf.Grow(j.st.bp, panels*nr*j.k)
		j.phase = phasePackB
		packThreads := threads
		if panels*nr*j.k < 1<<15 {
			packThreads = 1 // a small block: not worth a wake-up and a barrier
		}
		pool.parallel(packThreads, ceilDiv(panels, j.pptPack), j)
		j.phase = phaseCompute
		pool.parallel(threads, j.mTasks*j.nTasks, j)
	}
}

// maxPackB is the most floats of packed B one column block may take (4 MiB): nc narrows for
// long k so that the block stays L3-resident and the kept buffer modest.
const maxPackB = 1 << 20

// tnInPlaceLd is the largest leading dimension at which TN reads op(A) = Aᵀ in place (mr
// consecutive floats of a stored row per k step) rather than packing each row block: at
// 256 floats (the weight gradient of a 256-wide layer, k = batch) in place measured 6–8 %
// faster, at 512 the same, at 4096 (a new 16 KiB stride, a page per k step) 20 % slower.
const tnInPlaceLd = 512

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func (j *gemmJob) runTask(worker, t int) {
	w := j.st.workers[worker]
	switch j.phase {
	case phasePackB:
		panels := ceilDiv(j.nc, j.impl.nr)
		for pc := 0; pc < j.k; pc += j.kcMax {
			j.packB(pc, min(j.kcMax, j.k-pc), t*j.pptPack, min((t+1)*j.pptPack, panels))
		}
	case phaseCompute:
		for pc := 0; pc < j.k; pc += j.kcMax {
			j.compute(w, t/j.nTasks, t%j.nTasks, pc, min(j.kcMax, j.k-pc))
		}
	case phaseDot:
		j.dotTask(w, t)
	}
}

// packedB returns k block [pc, pc+kc) of the packed column block: its panel q holds kc rows
// of nr floats at q·kc·nr.
func (j *gemmJob) packedB(pc, kc int) []float32 {
	panels := ceilDiv(j.nc, j.impl.nr)
	return j.st.bp[pc*panels*j.impl.nr:][:panels*kc*j.impl.nr]
}

// packB packs micro-panels q0..q1-1 of op(B)[pc:pc+kc, jc:jc+nc] into its k block of bp:
// panel q holds kc rows of nr floats, columns past n zero.
func (j *gemmJob) packB(pc, kc, q0, q1 int) {
	nr := j.impl.nr
	b, ldb := j.b, j.ldb
	bp := j.packedB(pc, kc)
	for q := q0; q < q1; q++ {
		dst := bp[q*kc*nr : (q+1)*kc*nr]
		col := j.jc + q*nr
		w := min(nr, j.n-col)
		if !j.transB {
			for p := 0; p < kc; p++ {
				d := dst[p*nr : p*nr+nr]
				copy(d, b[(pc+p)*ldb+col:][:w])
				clear(d[w:])
			}
			continue
		}
		// Four stored rows at a time: four sequential reads and one 16-byte write per step.
		jj := 0
		for ; jj+4 <= w; jj += 4 {
			s0 := b[(col+jj)*ldb+pc:][:kc]
			s1 := b[(col+jj+1)*ldb+pc:][:kc]
			s2 := b[(col+jj+2)*ldb+pc:][:kc]
			s3 := b[(col+jj+3)*ldb+pc:][:kc]
			for p := range s0 {
				d := (*[4]float32)(dst[p*nr+jj:])
				d[0], d[1], d[2], d[3] = s0[p], s1[p], s2[p], s3[p]
			}
		}
		for ; jj < w; jj++ {
			src := b[(col+jj)*ldb+pc:][:kc]
			for p, v := range src {
				dst[p*nr+jj] = v
			}
		}
		if w < nr {
			for p := 0; p < kc; p++ {
				clear(dst[p*nr+w : p*nr+nr])
			}
		}
	}
}

// opA returns op(A)[i, p].
func (j *gemmJob) opA(i, p int) float32 {
	if j.transA {
		return j.a[p*j.lda+i]
	}
	return j.a[i*j.lda+p]
}

// compute runs row block ib × column chunk jb of k block [pc, pc+kc) of the current column
// block; the task calls it for each k block in order.
func (j *gemmJob) compute(w *gemmWorker, ib, jb, pc, kc int) {
	im := j.impl
	mr, nr := im.mr, im.nr
	bpk := j.packedB(pc, kc)
	i0 := ib * j.mcEff
	i1 := min(i0+j.mcEff, j.m)
	panels := ceilDiv(j.nc, nr)
	q0 := jb * j.ppt
	q1 := min(q0+j.ppt, panels)
	// Rows [i0, iFull) are read in place and only the partial tile of rows [iFull, i1) is
	// packed, except TN with a leading dimension above tnInPlaceLd, which packs the whole
	// row block (reading Aᵀ in place would touch a new line and page of A per k step).
	iFull := i0 + (i1-i0)/mr*mr
	if j.transA && j.lda > tnInPlaceLd {
		iFull = i0
	}
	if iFull < i1 {
		npan := ceilDiv(i1-iFull, mr)
		w.apack = buf.Grow(w.apack, npan*mr*kc)
		if j.transA {
			src, rows := j.a[pc*j.lda+iFull:], i1-iFull
			if im.packT != nil && rows >= mr {
				// The packer reads src[(kc-1)·lda + full·mr - 1] at most: in bounds.
				full := rows / mr
				im.packT(kc, &src[0], j.lda, &w.apack[0], full)
				if rows > full*mr {
					packBlockT(w.apack[full*mr*kc:], src[full*mr:], j.lda, kc, mr, rows-full*mr)
				}
			} else {
				packBlockT(w.apack, src, j.lda, kc, mr, rows)
			}
		}
		for q := 0; q < npan && !j.transA; q++ {
			r0 := iFull + q*mr
			rows := min(mr, i1-r0)
			pan := w.apack[q*mr*kc : (q+1)*mr*kc]
			for p := 0; p < kc; p++ {
				d := pan[p*mr : p*mr+mr]
				for r := range d {
					if r < rows {
						d[r] = j.opA(r0+r, pc+p)
					} else {
						d[r] = 0
					}
				}
			}
		}
	}
	w.tile = buf.Grow(w.tile, mr*nr)
	beta := j.beta
	var bias []float32
	if pc > 0 {
		beta = 1
	} else {
		bias = j.bias
	}
	a, lda, c, ldc := j.a, j.lda, j.c, j.ldc
	kern := im.kern
	for q := q0; q < q1; q++ {
		bpan := &bpk[q*kc*nr]
		col := j.jc + q*nr
		cols := min(nr, j.n-col)
		var bp *float32
		if bias != nil && cols == nr {
			bp = &bias[col]
		}
		for i := i0; i < i1; i += mr {
			var ap *float32
			rsa, csa := 1, mr
			switch {
			case i >= iFull:
				ap = &w.apack[(i-iFull)*kc]
			case j.transA:
				ap, rsa, csa = &a[pc*lda+i], 1, lda
			default:
				ap, rsa, csa = &a[i*lda+pc], lda, 1
			}
			if i+mr <= j.m && cols == nr {
				kern(kc, ap, rsa, csa, bpan, &c[i*ldc+col], ldc, j.alpha, beta, bp)
				continue
			}
			kern(kc, ap, rsa, csa, bpan, &w.tile[0], nr, j.alpha, 0, nil)
			rows := min(mr, j.m-i)
			for r := 0; r < rows; r++ {
				t := w.tile[r*nr : r*nr+cols]
				cr := c[(i+r)*ldc+col:][:cols]
				for jj, v := range t {
					if bias != nil {
						v += bias[col+jj]
					}
					if beta != 0 {
						v += float32(beta * cr[jj])
					}
					cr[jj] = v
				}
			}
		}
	}
	if j.fused && pc+kc >= j.k {
		c0 := j.jc + q0*nr
		c1 := min(j.jc+q1*nr, j.n)
		j.activate(i0, i1, c0, c1)
	}
}

// activate sets Y = act(C) on rows [i0, i1), columns [c0, c1) (in place when C is Y).
func (j *gemmJob) activate(i0, i1, c0, c1 int) {
	inPlace := &j.c[0] == &j.y[0] && j.ldc == j.ldy
	if inPlace && j.act == Identity {
		return
	}
	for i := i0; i < i1; i++ {
		actForward(j.act, j.c[i*j.ldc+c0:i*j.ldc+c1], j.y[i*j.ldy+c0:i*j.ldy+c1])
	}
}

// scaleOnly handles k == 0 or alpha == 0: C = beta·C (C = 0 when beta == 0); for the fused
// form Z = bias, Y = act(Z).
func (j *gemmJob) scaleOnly() {
	for i := 0; i < j.m; i++ {
		cr := j.c[i*j.ldc:][:j.n]
		switch {
		case j.fused && j.bias != nil:
			copy(cr, j.bias[:j.n])
		case j.beta == 0 || j.fused:
			clear(cr)
		case j.beta != 1:
			for jj := range cr {
				cr[jj] *= j.beta
			}
		}
	}
	if j.fused {
		j.activate(0, j.m, 0, j.n)
	}
}

// runDot is the small-n path (n <= 4, A rows contiguous): Bᵀ is packed once (n rounded up
// to even, zero rows), then row blocks of A are dotted against it, four rows at a time.
func (j *gemmJob) runDot(threads int) {
	k := j.k
	npad := (j.n + 1) &^ 1
	bt := buf.Grow(j.st.bp, npad*k)
	j.st.bp = bt
	for jj := 0; jj < npad; jj++ {
		d := bt[jj*k : (jj+1)*k]
		switch {
		case jj >= j.n:
			clear(d)
		case j.transB:
			copy(d, j.b[jj*j.ldb:][:k])
		default:
			for p := range d {
				d[p] = j.b[p*j.ldb+jj]
			}
		}
	}
	j.phase = phaseDot
	j.dotRows = 64
	if threads > 1 {
		j.dotRows = max(4, min(64, ceilDiv(ceilDiv(j.m, 4*threads), 4)*4))
	}
	pool.parallel(threads, ceilDiv(j.m, j.dotRows), j)
}

func (j *gemmJob) dotTask(w *gemmWorker, t int) {
	k := j.k
	k8 := k &^ 7
	i0 := t * j.dotRows
	i1 := min(i0+j.dotRows, j.m)
	dot := j.impl.dot
	if dot == nil {
		dot = gemmDotGo
	}
	bt := j.st.bp
	for r0 := i0; r0 < i1; r0 += 4 {
		rows := min(4, j.m-r0)
		arow, lda := j.a[r0*j.lda:], j.lda
		if rows < 4 {
			w.arows = buf.Grow(w.arows, 4*k)
			for r := 0; r < 4; r++ {
				d := w.arows[r*k : (r+1)*k]
				if r < rows {
					copy(d, j.a[(r0+r)*j.lda:][:k])
				} else {
					clear(d)
				}
			}
			arow, lda = w.arows, k
		}
		for jp := 0; jp < j.n; jp += 2 {
			dot(k8, &arow[0], lda, &bt[jp*k], k, &w.out[0])
			for r := 0; r < rows; r++ {
				ar := arow[r*lda:][:k]
				for jj := jp; jj < min(jp+2, j.n); jj++ {
					s := w.out[2*r+jj-jp]
					br := bt[jj*k : (jj+1)*k]
					for p := k8; p < k; p++ {
						s = float32(ar[p]*br[p]) + s
					}
					v := j.alpha * s
					if j.bias != nil {
						v += j.bias[jj]
					}
					ci := (r0+r)*j.ldc + jj
					if j.beta != 0 {
						v += float32(j.beta * j.c[ci])
					}
					j.c[ci] = v
				}
			}
		}
	}
	if j.fused {
		if j.ldc == j.n && j.ldy == j.n {
			j.activate1(i0*j.n, i1*j.n)
		} else {
			j.activate(i0, i1, 0, j.n)
		}
	}
}

// activate1 applies the activation to the contiguous element range [e0, e1) of C into Y
// (both with leading dimension n).
func (j *gemmJob) activate1(e0, e1 int) {
	if &j.c[0] == &j.y[0] && j.act == Identity {
		return
	}
	actForward(j.act, j.c[e0:e1], j.y[e0:e1])
}

// gemmDotGo is the pure-Go gemmDotKernel.
func gemmDotGo(k int, a *float32, lda int, b *float32, ldb int, out *float32) {
	o := (*[8]float32)(unsafe.Pointer(out))
	if k == 0 {
		*o = [8]float32{}
		return
	}
	as := unsafe.Slice(a, 3*lda+k)
	bs := unsafe.Slice(b, ldb+k)
	for r := 0; r < 4; r++ {
		ar := as[r*lda : r*lda+k]
		b0 := bs[:k]
		b1 := bs[ldb : ldb+k]
		var s0, s1 float32
		for p, v := range ar {
			s0 = float32(v*b0[p]) + s0
			s1 = float32(v*b1[p]) + s1
		}
		o[2*r], o[2*r+1] = s0, s1
	}
}

// packBlockT packs a TN row block of rows (= columns of the stored A) into panels of mr:
// dst[q·mr·kc + p·mr + r] = src[p·ld + q·mr + r], zero past rows. It walks A row by row
// (p outer), so each stored row, often on its own page, is visited once.
func packBlockT(dst, src []float32, ld, kc, mr, rows int) {
	full := rows / mr
	ps := mr * kc
	for p := 0; p < kc; p++ {
		s := src[p*ld : p*ld+rows]
		switch mr {
		case 8:
			for q := 0; q < full; q++ {
				d, v := dst[q*ps+p*8:q*ps+p*8+8:q*ps+p*8+8], s[q*8:q*8+8:q*8+8]
				d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
			}
		case 6:
			for q := 0; q < full; q++ {
				d, v := dst[q*ps+p*6:q*ps+p*6+6:q*ps+p*6+6], s[q*6:q*6+6:q*6+6]
				d[0], d[1], d[2], d[3], d[4], d[5] = v[0], v[1], v[2], v[3], v[4], v[5]
			}
		default:
			for q := 0; q < full; q++ {
				copy(dst[q*ps+p*mr:q*ps+p*mr+mr], s[q*mr:])
			}
		}
		if rem := rows - full*mr; rem > 0 {
			d := dst[full*ps+p*mr : full*ps+p*mr+mr]
			copy(d, s[full*mr:])
			clear(d[rem:])
		}
	}
}
