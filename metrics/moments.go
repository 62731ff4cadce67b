package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
)

// Moments accumulates the count, the sum and the sum of squares of float64 values exactly:
// no rounding happens until Mean, StdErr or Std is asked, so the result does not depend on
// the order of the values or on how they were split into parts, and Moments of parts merged
// (Merge) give the bits of Moments of the whole. It is what lets the shards of a job (one
// process per block of rows) report partial statistics that combine into the statistics of
// one run. The zero value is empty and ready to use; a Moments is not safe for concurrent
// use. A NaN or infinite value is counted (NonFinite) and makes every statistic NaN.
//
// The sums are fixed-point integers: Σx in units of 2^−1074 (the smallest float64) and Σx²
// in units of 2^−2148, held in signed 32-bit digits with carries deferred, so that Add costs a
// few integer additions.
type Moments struct {
	n, nonFinite int64
	sum, sq      fixedSum
}

// Offsets and digit counts of the two fixed-point sums: x = m·2^q with q ≥ −1074 and
// m < 2^53, so Σx needs bits 0 … 2098 above 2^−1074 and Σx² bits 0 … 4196 above 2^−2148, plus
// the carries of up to 2^62 values.
const (
	sumOff, sumDigits = 1074, (2098+64)/32 + 6
	sqOff, sqDigits   = 2148, (4196+64)/32 + 6
)

// fixedSum is an exact integer in signed base-2^32 digits whose carries are propagated
// every 2^30 additions (each adds less than 2^32 to a digit).
type fixedSum struct {
	d    []int64
	adds int
}

// add adds (neg ? −1 : 1)·(hi·2^64 + lo)·2^p (hi < 2^42, p ≥ 0) to s, which has n digits.
func (s *fixedSum) add(hi, lo uint64, p int, neg bool, n int) {
	if s.d == nil {
		s.d = make([]int64, n)
	}
	w, r := p/32, uint(p%32)
	w0, w1, w2 := lo<<r, hi<<r, uint64(0)
	if r > 0 {
		w1 |= lo >> (64 - r)
		w2 = hi >> (64 - r)
	}
	c := [5]int64{int64(w0 & 0xffffffff), int64(w0 >> 32), int64(w1 & 0xffffffff), int64(w1 >> 32), int64(w2)}
	d := s.d[w : w+5]
	if neg {
		for i := range d {
			d[i] -= c[i]
		}
	} else {
		for i := range d {
			d[i] += c[i]
		}
	}
	if s.adds++; s.adds == 1<<30 {
		s.normalize()
	}
}

// normalize propagates the carries: every digit but the last in [0, 2^32).
func (s *fixedSum) normalize() {
	for i := 0; i+1 < len(s.d); i++ {
		c := s.d[i] >> 32
		s.d[i] -= c << 32
		s.d[i+1] += c
	}
	s.adds = 0
}

// merge adds o to s (n digits).
func (s *fixedSum) merge(o *fixedSum, n int) {
	if o.d == nil {
		return
	}
	if s.d == nil {
		s.d = make([]int64, n)
	}
	s.normalize()
	for i, v := range o.d {
		s.d[i] += v
	}
	s.normalize()
}

// int returns the integer s holds.
func (s *fixedSum) int() *big.Int {
	z := new(big.Int)
	var t big.Int
	for i := len(s.d) - 1; i >= 0; i-- {
		z.Lsh(z, 32)
		z.Add(z, t.SetInt64(s.d[i]))
	}
	return z
}

// set sets s to the integer z (n digits); it fails when z does not fit.
func (s *fixedSum) set(z *big.Int, n int) error {
	a := new(big.Int).Abs(z)
	if a.BitLen() > 32*(n-1) {
		return fmt.Errorf("%d bits do not fit", a.BitLen())
	}
	s.d = make([]int64, n)
	s.adds = 0
	for i, w := range a.Bits() { // little-endian machine words
		for k := 0; k < bits.UintSize/32; k++ {
			v := int64(uint64(w) >> (32 * k) & 0xffffffff)
			if z.Sign() < 0 {
				v = -v
			}
			s.d[i*bits.UintSize/32+k] = v
		}
	}
	return nil
}

// Add adds one value.
func (m *Moments) Add(v float64) {
	m.n++
	if math.IsNaN(v) || math.IsInf(v, 0) {
		m.nonFinite++
		return
	}
	b := math.Float64bits(v)
	neg := b>>63 != 0
	e, mant := int(b>>52&0x7ff), b&(1<<52-1)
	q := -1074
	if e != 0 {
		mant |= 1 << 52
		q = e - 1075
	}
	m.sum.add(0, mant, q+sumOff, neg, sumDigits)
	hi, lo := bits.Mul64(mant, mant)
	m.sq.add(hi, lo, 2*q+sqOff, false, sqDigits)
}

// Merge adds every value of o (o is unchanged but for its carries).
func (m *Moments) Merge(o *Moments) {
	m.n += o.n
	m.nonFinite += o.nonFinite
	m.sum.merge(&o.sum, sumDigits)
	m.sq.merge(&o.sq, sqDigits)
}

// N returns the number of values added.
func (m *Moments) N() int64 { return m.n }

// NonFinite returns the number of NaN or infinite values added.
func (m *Moments) NonFinite() int64 { return m.nonFinite }

// quo returns num·2^−exp / den rounded once to float64.
func quo(num *big.Int, exp int, den float64) float64 {
	f := new(big.Float).SetInt(num) // exact: SetInt takes the integer's precision
	f.SetMantExp(f, -exp)
	var q big.Float
	r, _ := q.SetPrec(53).Quo(f, new(big.Float).SetFloat64(den)).Float64()
	return r
}

// Mean returns the mean, correctly rounded (0 for no values, NaN after a non-finite value).
func (m *Moments) Mean() float64 {
	switch {
	case m.nonFinite > 0:
		return math.NaN()
	case m.n == 0:
		return 0
	}
	return quo(m.sum.int(), sumOff, float64(m.n))
}

// varianceOver returns (n·Σx² − (Σx)²)/div, computed exactly and rounded once.
func (m *Moments) varianceOver(div float64) float64 {
	s := m.sum.int()
	c := new(big.Int).Mul(m.sq.int(), big.NewInt(m.n)) // units of 2^−2148, as s² is
	c.Sub(c, s.Mul(s, s))
	if c.Sign() < 0 { // cannot happen with exact sums; a guard for Sqrt
		c.SetInt64(0)
	}
	return quo(c, sqOff, div)
}

// StdErr returns the standard error of the mean: the sample standard deviation (divisor
// n − 1) over √n, from the exact sums (0 for fewer than two values, NaN after a non-finite
// value).
func (m *Moments) StdErr() float64 {
	switch {
	case m.nonFinite > 0:
		return math.NaN()
	case m.n < 2:
		return 0
	}
	n := float64(m.n)
	return math.Sqrt(m.varianceOver(n * n * (n - 1))) // (nΣx² − (Σx)²)/(n²(n−1)) = s²/n
}

// Std returns the population standard deviation (divisor n; 0 for no values, NaN after a
// non-finite value).
func (m *Moments) Std() float64 {
	switch {
	case m.nonFinite > 0:
		return math.NaN()
	case m.n == 0:
		return 0
	}
	n := float64(m.n)
	return math.Sqrt(m.varianceOver(n * n))
}

// momentsJSON is the serialized form of Moments: the exact sums as hexadecimal
// floating-point text, an integer mantissa and a binary exponent ("-0x1f3p-5"), which
// loses nothing.
type momentsJSON struct {
	N         int64  `json:"n"`
	NonFinite int64  `json:"non_finite,omitempty"`
	Sum       string `json:"sum"`
	SumSq     string `json:"sum_sq"`
}

// hexText writes z·2^−off as "[-]0xHEXpEXP" with the mantissa's trailing zero digits
// moved into the exponent.
func hexText(z *big.Int, off int) string {
	if z.Sign() == 0 {
		return "0x0p0"
	}
	t := z.Text(16)
	k := len(t) - len(strings.TrimRight(t, "0"))
	t = t[:len(t)-k]
	sign := ""
	if t[0] == '-' {
		sign, t = "-", t[1:]
	}
	return fmt.Sprintf("%s0x%sp%d", sign, t, 4*k-off)
}

// parseHex reads hexText's form back as the integer z with z·2^−off the value; a value
// that is not a whole multiple of 2^−off is refused.
func parseHex(s string, off int) (*big.Int, bool) {
	neg := strings.HasPrefix(s, "-")
	mant, exp, ok := strings.Cut(strings.TrimPrefix(s, "-"), "p")
	if !ok || !strings.HasPrefix(mant, "0x") {
		return nil, false
	}
	z, ok := new(big.Int).SetString(mant[2:], 16)
	e, err := strconv.Atoi(exp)
	if !ok || err != nil || z.Sign() < 0 || e+off < 0 || e+off > 1<<13 {
		return nil, false
	}
	z.Lsh(z, uint(e+off))
	if neg {
		z.Neg(z)
	}
	return z, true
}

// MarshalJSON writes the count and the exact sums.
func (m *Moments) MarshalJSON() ([]byte, error) {
	return json.Marshal(momentsJSON{N: m.n, NonFinite: m.nonFinite, Sum: hexText(m.sum.int(), sumOff), SumSq: hexText(m.sq.int(), sqOff)})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (m *Moments) UnmarshalJSON(b []byte) error {
	var j momentsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.N < 0 || j.NonFinite < 0 || j.NonFinite > j.N {
		return fmt.Errorf("moments: counts n = %d, non_finite = %d are inconsistent", j.N, j.NonFinite)
	}
	s, ok := parseHex(j.Sum, sumOff)
	if !ok {
		return fmt.Errorf("moments: sum %q is not an exact sum of float64 values (hexadecimal 0xMANTpEXP)", j.Sum)
	}
	q, ok := parseHex(j.SumSq, sqOff)
	if !ok || q.Sign() < 0 {
		return fmt.Errorf("moments: sum of squares %q is not a non-negative exact sum of squares (hexadecimal 0xMANTpEXP)", j.SumSq)
	}
	*m = Moments{n: j.N, nonFinite: j.NonFinite}
	if err := m.sum.set(s, sumDigits); err != nil {
		return fmt.Errorf("moments: sum: %v", err)
	}
	if err := m.sq.set(q, sqDigits); err != nil {
		return fmt.Errorf("moments: sum of squares: %v", err)
	}
	return nil
}
