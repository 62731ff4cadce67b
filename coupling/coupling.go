package coupling

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/interflow/flowbench/internal/buf"
)

// Method selects a coupling.
type Method uint8

const (
	// Independent keeps the pairs as drawn.
	Independent Method = iota
	// OT pairs by the exact minibatch optimal-transport assignment (Assign).
	OT
	// Sinkhorn pairs by a draw without replacement from the entropic plan (SinkhornPlan,
	// SamplePlan).
	Sinkhorn
)

// Spec is a coupling's configuration. The zero value is the independent coupling.
type Spec struct {
	Method Method
	// Eps is Sinkhorn's regularization ε > 0 in squared-distance units of the points
	// coupled (the trainer's model units: standardized data); unused by the others.
	Eps float64
}

// String returns the configuration string Parse reads: "independent", "ot" or
// "sinkhorn:EPS" (EPS in the shortest form that reads back exactly).
func (s Spec) String() string {
	switch s.Method {
	case Independent:
		return "independent"
	case OT:
		return "ot"
	case Sinkhorn:
		return "sinkhorn:" + strconv.FormatFloat(s.Eps, 'g', -1, 64)
	}
	return fmt.Sprintf("Method(%d)", s.Method)
}

// Parse reads a coupling's configuration string: "independent", "ot" or "sinkhorn:EPS"
// with EPS a finite number > 0.
func Parse(str string) (Spec, error) {
	switch {
	case str == "independent":
		return Spec{}, nil
	case str == "ot":
		return Spec{Method: OT}, nil
	case strings.HasPrefix(str, "sinkhorn:"):
		e, err := strconv.ParseFloat(strings.TrimPrefix(str, "sinkhorn:"), 64)
		s := Spec{Method: Sinkhorn, Eps: e}
		if err != nil {
			return Spec{}, fmt.Errorf("coupling %q: ε is not a number", str)
		}
		if err := s.Validate(); err != nil {
			return Spec{}, err
		}
		return s, nil
	case str == "sinkhorn":
		return Spec{}, fmt.Errorf("coupling %q: want sinkhorn:EPS with ε > 0", str)
	}
	return Spec{}, fmt.Errorf("unknown coupling %q (want independent, ot or sinkhorn:EPS)", str)
}

// Validate reports whether the configuration is usable.
func (s Spec) Validate() error {
	switch s.Method {
	case Independent, OT:
		if s.Eps != 0 {
			return fmt.Errorf("coupling %v: eps = %g is for sinkhorn only", s, s.Eps)
		}
		return nil
	case Sinkhorn:
		if !(s.Eps > 0) || math.IsInf(s.Eps, 0) {
			return fmt.Errorf("coupling sinkhorn: eps = %g: want a finite value > 0", s.Eps)
		}
		return nil
	}
	return fmt.Errorf("coupling: unknown method %d (want independent, ot or sinkhorn)", s.Method)
}

// MarshalText implements encoding.TextMarshaler (the configuration string).
func (s Spec) MarshalText() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Spec) UnmarshalText(t []byte) error {
	v, err := Parse(string(t))
	if err == nil {
		*s = v
	}
	return err
}

// Coupler pairs batches by one Spec, with its buffers: after warm-up (the first batch of
// the largest size) Pair allocates nothing. A Coupler serves one goroutine at a time.
type Coupler struct {
	spec Spec
	ws   Workspace
	cost []float64
	last SinkhornResult
}

// NewCoupler returns a Coupler of a valid spec.
func NewCoupler(s Spec) (*Coupler, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &Coupler{spec: s}, nil
}

// Spec returns the coupler's configuration.
func (c *Coupler) Spec() Spec { return c.spec }

// LastSinkhorn returns the report of the last Sinkhorn run of Pair (zero for the other
// methods); its F and G are valid until the next Pair.
func (c *Coupler) LastSinkhorn() SinkhornResult { return c.last }

// Pair chooses, for each of the n rows x1_i of x1 (n×d), the row src[i] of x0 (n×d) to
// pair it with; src (len n) is a permutation. Independent writes the identity and uses
// neither the points nor rng; OT writes the assignment minimizing Σ_i |x0_src(i) − x1_i|²;
// Sinkhorn runs SinkhornPlan with ε = Spec.Eps and the default tolerance and iteration
// bound on those squared distances and draws src by SamplePlan from rng. A Sinkhorn run
// that reaches DefaultMaxIter still yields a permutation (see LastSinkhorn).
func (c *Coupler) Pair(x0, x1 []float32, n, d int, rng *rand.Rand, src []int) error {
	if len(src) != n {
		return fmt.Errorf("coupling: pair: src has length %d, want %d", len(src), n)
	}
	if c.spec.Method == Independent {
		for i := range src {
			src[i] = i
		}
		return nil
	}
	c.cost = buf.Grow(c.cost, n*n)
	// Rows of the cost are the x1 points, columns the x0 points.
	if err := SqDist(x1, x0, n, n, d, c.cost, &c.ws); err != nil {
		return err
	}
	switch c.spec.Method {
	case OT:
		_, err := Assign(c.cost, n, src, &c.ws)
		return err
	case Sinkhorn:
		res, err := SinkhornPlan(c.cost, n, SinkhornOptions{Eps: c.spec.Eps}, &c.ws)
		if err != nil {
			return err
		}
		c.last = res
		return SamplePlan(c.cost, n, c.spec.Eps, res.G, rng, src, &c.ws)
	}
	return fmt.Errorf("coupling: unknown method %d", c.spec.Method)
}

// Permute writes dst[i] = src[idx[i]] for the rows of d values of src (len(idx)·d each;
// dst and src must not overlap).
func Permute(dst, src []float32, idx []int, d int) {
	for i, k := range idx {
		copy(dst[i*d:i*d+d], src[k*d:k*d+d])
	}
}
