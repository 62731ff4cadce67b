//go:build !purego

package kernels

// neonCall runs a NEON routine of vec_arm64.s or act_arm64.s, which takes whole vectors of
// 4, over the full length of its operands: every hook of vec_arm64.go and act_arm64.go
// goes through it.
//
// The routine runs twice at most: over the whole vectors in place, then over the last 1..3
// elements through zero-padded 4-element copies in buf, of which the outputs' lanes are
// copied back. So no routine touches memory outside its operands, and nothing allocates:
// the hook declares its neonCall on its stack and passes run a func literal that calls the
// routine with the pointers c.p(i). No pointer passes through the func value (only the
// element count does), so the asm stubs keep their //go:noescape and the neonCall, its
// buffers included, stays on the hook's stack (GOARCH=arm64 go build -gcflags=-m: the
// neonCall and the func literal "do not escape").
type neonCall struct {
	ops  [][]float32                 // the routine's pointer arguments, in order
	outs uint                        // bit i set: the routine writes ops[i]
	buf  [2 + maxRKStages][4]float32 // tail copies; the RK combination has the most operands
	tail bool                        // the current run is over buf
}

// p returns the pointer argument for operand i of the current run: its first element, or
// its tail copy.
func (c *neonCall) p(i int) *float32 {
	if c.tail {
		return &c.buf[i][0]
	}
	return &c.ops[i][0]
}

// run calls k(m) for the m = n &^ 3 elements of the whole vectors (if any), then k(4) for
// the last n & 3 (if any), where k calls the routine over m elements with the pointers
// c.p(i); n is the operands' common length. It returns k's result over the vectors plus
// k's result over the tail, for the reductions (other routines' k return 0).
func (c *neonCall) run(n int, k func(m int) float32) float32 {
	var s float32
	n4 := n &^ 3
	if n4 > 0 {
		s = k(n4)
	}
	if n4 < n {
		for i, o := range c.ops {
			copy(c.buf[i][:], o[n4:n])
		}
		c.tail = true
		s += k(4)
		for i, o := range c.ops {
			if c.outs&(1<<i) != 0 {
				copy(o[n4:n], c.buf[i][:])
			}
		}
	}
	return s
}
