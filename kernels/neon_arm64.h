// Hand-written NEON helpers for the *_arm64.s files of package kernels.
//
// The Go assembler has no mnemonics for most float32 vector instructions of ASIMD (FADD,
// FMUL, FDIV, FMAX, FCVTNS, FMLA by element, ...). Each macro below emits exactly one such
// instruction as a WORD, with its operands in GNU order (destination first) given as
// register numbers 0..31. Every use carries the GNU mnemonic in a trailing comment, and
// scripts/check_neon_words.sh disassembles a test binary with `go tool objdump -gnu` and
// checks each use against that comment, so a wrong encoding cannot go unnoticed.

// Three-register float32 ops, Vd.4S = Vn.4S op Vm.4S.
#define FADD4(d, n, m)  WORD $(0x4E20D400 | ((m)<<16) | ((n)<<5) | (d))
#define FSUB4(d, n, m)  WORD $(0x4EA0D400 | ((m)<<16) | ((n)<<5) | (d))
#define FMUL4(d, n, m)  WORD $(0x6E20DC00 | ((m)<<16) | ((n)<<5) | (d))
#define FDIV4(d, n, m)  WORD $(0x6E20FC00 | ((m)<<16) | ((n)<<5) | (d))
#define FMAX4(d, n, m)  WORD $(0x4E20F400 | ((m)<<16) | ((n)<<5) | (d))
#define FMIN4(d, n, m)  WORD $(0x4EA0F400 | ((m)<<16) | ((n)<<5) | (d))
#define FCMGT4(d, n, m) WORD $(0x6EA0E400 | ((m)<<16) | ((n)<<5) | (d))
#define FCMGE4(d, n, m) WORD $(0x6E20E400 | ((m)<<16) | ((n)<<5) | (d))
#define FCMEQ4(d, n, m) WORD $(0x4E20E400 | ((m)<<16) | ((n)<<5) | (d))
#define FADDP4(d, n, m) WORD $(0x6E20D400 | ((m)<<16) | ((n)<<5) | (d))

// Vd.4S += Vn.4S · Vm.S[i] (FMLA by element; any Vm since the size is S).
#define FMLAE4(d, n, m, i) WORD $(0x4F801000 | (((i)&1)<<21) | ((m)<<16) | (((i)>>1)<<11) | ((n)<<5) | (d))

// Two-register float32 ops, Vd.4S = op(Vn.4S).
#define FABS4(d, n)    WORD $(0x4EA0F800 | ((n)<<5) | (d))
#define FNEG4(d, n)    WORD $(0x6EA0F800 | ((n)<<5) | (d))
#define FSQRT4(d, n)   WORD $(0x6EA1F800 | ((n)<<5) | (d))
#define FRECPE4(d, n)  WORD $(0x4EA1D800 | ((n)<<5) | (d))
#define FCVTNS4(d, n)  WORD $(0x4E21A800 | ((n)<<5) | (d))
#define SCVTF4(d, n)   WORD $(0x4E21D800 | ((n)<<5) | (d))
#define FCMLT04(d, n)  WORD $(0x4EA0E800 | ((n)<<5) | (d))
#define FCMGT04(d, n)  WORD $(0x4EA0C800 | ((n)<<5) | (d))
#define FCMGE04(d, n)  WORD $(0x6EA0C800 | ((n)<<5) | (d))

// Vd.4S = Vn.4S >> s, arithmetic (signed int32 lanes), 1 <= s <= 32.
#define SSHR4(d, n, s) WORD $(0x4F000400 | ((64-(s))<<16) | ((n)<<5) | (d))

// Sd = Vn.S[0] + Vn.S[1] (scalar pairwise add).
#define FADDP2S(d, n)  WORD $(0x7E30D800 | ((n)<<5) | (d))
