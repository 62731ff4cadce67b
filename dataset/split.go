package dataset

import (
	"fmt"
	"math"

	"github.com/interflow/flowbench/internal/enum"
)

// SplitPart names one part of a train/validation/test split.
type SplitPart uint8

// The parts of a split; PartAll means every row.
const (
	PartAll SplitPart = iota
	PartTrain
	PartVal
	PartTest
)

var splitPartNames = enum.Names{Type: "SplitPart", Names: []string{"all", "train", "val", "test"},
	Aliases: map[string]int{"validation": int(PartVal)}, Unknown: "unknown split", Want: "all, train, val or test"}

// String returns "all", "train", "val" or "test".
func (p SplitPart) String() string { return enum.String(&splitPartNames, p) }

// ParseSplitPart parses "all", "train", "val" (or "validation") or "test".
func ParseSplitPart(s string) (SplitPart, error) { return enum.Value[SplitPart](&splitPartNames, s) }

// Split assigns the rows of a data file to train, validation and test from a seed. Of n
// rows, row i goes to the part of its place π(i) in a seeded pseudo-random permutation π of
// 0..n−1 (a keyed Feistel network with cycle walking): places below round(Train·n) are
// training rows, the next round(Val·n) validation rows, the rest test rows. Part sizes are
// therefore exact, and the assignment needs O(1) memory and one row at a time once n is
// known, so it streams. It is stored in checkpoints (with the file's SHA-256) so that nll
// and eval score the same test rows.
type Split struct {
	Seed   uint64  `json:"seed"`
	Train  float64 `json:"train"`
	Val    float64 `json:"val"`
	Test   float64 `json:"test"`
	SHA256 string  `json:"sha256,omitempty"` // hex SHA-256 of the file split
}

// NewSplit returns a split with those fractions, which must be in [0, 1] and sum to 1.
func NewSplit(seed uint64, train, val, test float64) (Split, error) {
	for _, f := range []float64{train, val, test} {
		if !(f >= 0 && f <= 1) {
			return Split{}, fmt.Errorf("split fractions %g/%g/%g: each must be in [0, 1]", train, val, test)
		}
	}
	if math.Abs(train+val+test-1) > 1e-9 {
		return Split{}, fmt.Errorf("split fractions %g/%g/%g sum to %g, want 1", train, val, test, train+val+test)
	}
	return Split{Seed: seed, Train: train, Val: val, Test: test}, nil
}

// Sizes returns the number of training, validation and test rows of n.
func (s Split) Sizes(n int64) (train, val, test int64) {
	train = min(n, int64(math.Floor(s.Train*float64(n)+0.5)))
	val = min(n-train, int64(math.Floor(s.Val*float64(n)+0.5)))
	return train, val, n - train - val
}

// splitmix64 is a bijective 64-bit mixer (Steele, Lea and Flood 2014).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// permutation is a seeded bijection of [0, n): a 4-round balanced Feistel network on the
// smallest even number of bits covering n, cycle-walking until the image falls below n
// (fewer than 4 steps on average).
type permutation struct {
	n    uint64
	half uint
	mask uint64
	keys [4]uint64
}

func newPermutation(seed uint64, n int64) *permutation {
	bits := uint(2)
	for uint64(1)<<bits < uint64(n) {
		bits++
	}
	bits += bits & 1
	p := &permutation{n: uint64(n), half: bits / 2, mask: uint64(1)<<(bits/2) - 1}
	k := splitmix64(seed ^ 0x73706c6974) // "split"
	for r := range p.keys {
		k = splitmix64(k)
		p.keys[r] = k
	}
	return p
}

func (p *permutation) at(i int64) uint64 {
	x := uint64(i)
	for {
		l, r := x>>p.half, x&p.mask
		for _, k := range p.keys {
			l, r = r, l^(splitmix64(r^k)&p.mask)
		}
		x = l<<p.half | r
		if x < p.n {
			return x
		}
	}
}

// Part returns the part of row i (0-based) of a file of n rows.
func (s Split) Part(i, n int64) SplitPart {
	return s.Keep(PartAll, n).part(i)
}

// RowFilter tells the part of each row of a file of known size (see Split.Keep).
type RowFilter struct {
	perm              *permutation
	nTrain, nTrainVal uint64
	want              SplitPart
}

func (f *RowFilter) part(i int64) SplitPart {
	switch x := f.perm.at(i); {
	case x < f.nTrain:
		return PartTrain
	case x < f.nTrainVal:
		return PartVal
	}
	return PartTest
}

// Keep reports whether row i (0-based) is in the filter's part (PartAll: every row).
func (f *RowFilter) Keep(i int64) bool {
	return f.want == PartAll || f.part(i) == f.want
}

// Keep returns the filter of part p for a file of n rows.
func (s Split) Keep(p SplitPart, n int64) *RowFilter {
	tr, va, _ := s.Sizes(n)
	return &RowFilter{perm: newPermutation(s.Seed, n), nTrain: uint64(tr), nTrainVal: uint64(tr + va), want: p}
}

// Take returns a new table with the rows of t in part p, in their order, or an error naming
// the file if that part is empty.
func (s Split) Take(t *Table, p SplitPart) (*Table, error) {
	keep := s.Keep(p, int64(t.N))
	tr, va, te := s.Sizes(int64(t.N))
	n := map[SplitPart]int64{PartAll: int64(t.N), PartTrain: tr, PartVal: va, PartTest: te}[p]
	if n == 0 {
		return nil, fileErr(t.Source, "the %s split is empty (%d rows, fractions train %g, val %g, test %g)", p, t.N, s.Train, s.Val, s.Test)
	}
	out := &Table{Source: t.Source, SHA256: t.SHA256, N: int(n), D: t.D, Columns: t.Columns, Bytes8: t.Bytes8, Data: make([]float32, 0, int(n)*t.D)}
	for i := range t.N {
		if keep.Keep(int64(i)) {
			out.Data = append(out.Data, t.Row(i)...)
		}
	}
	return out, nil
}
