package nn

import (
	"fmt"
	"math"

	"github.com/interflow/flowbench/kernels"
)

// Adam is the Adam optimizer with optional decoupled weight decay (AdamW), updating a flat
// parameter slab in one fused pass per step.
type Adam struct {
	Beta1, Beta2, Eps float64 // moment decay rates and the denominator's ε
	WeightDecay       float64 // decoupled weight decay (0: plain Adam)
	Step              int64   // number of updates applied so far
	M, V              []float32
}

// NewAdam returns Adam for n parameters with PyTorch's defaults (β1 = 0.9, β2 = 0.999,
// ε = 1e-8, no weight decay) and zero moments.
func NewAdam(n int) *Adam {
	return &Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, M: make([]float32, n), V: make([]float32, n)}
}

// Validate reports whether the hyper-parameters and state are usable.
func (a *Adam) Validate(n int) error {
	switch {
	case !(a.Beta1 >= 0 && a.Beta1 < 1):
		return fmt.Errorf("adam: beta1 = %v not in [0, 1)", a.Beta1)
	case !(a.Beta2 >= 0 && a.Beta2 < 1):
		return fmt.Errorf("adam: beta2 = %v not in [0, 1)", a.Beta2)
	case !(a.Eps > 0) || math.IsInf(a.Eps, 0):
		return fmt.Errorf("adam: eps = %v not positive", a.Eps)
	case !(a.WeightDecay >= 0) || math.IsInf(a.WeightDecay, 0):
		return fmt.Errorf("adam: weight decay = %v not ≥ 0", a.WeightDecay)
	case a.Step < 0:
		return fmt.Errorf("adam: step = %d negative", a.Step)
	case len(a.M) != n || len(a.V) != n:
		return fmt.Errorf("adam: moments have %d and %d elements, want %d", len(a.M), len(a.V), n)
	}
	return nil
}

// Update applies one step with learning rate lr: the moments are updated from grad and
// params moves by −lr·(m̂/(sqrt(v̂)+ε) + wd·p), as torch.optim.AdamW (Adam when wd = 0).
func (a *Adam) Update(params, grad []float32, lr float64) {
	a.Step++
	c := kernels.AdamParams{
		LR:    float32(lr),
		Beta1: float32(a.Beta1),
		Beta2: float32(a.Beta2),
		Eps:   float32(a.Eps),
		WD:    float32(a.WeightDecay),
		BC1:   float32(1 - math.Pow(a.Beta1, float64(a.Step))),
		BC2:   float32(1 - math.Pow(a.Beta2, float64(a.Step))),
	}
	kernels.Adam(params, grad, a.M, a.V, &c)
}

// ClipGradNorm scales grad so that its Euclidean norm is at most maxNorm (when maxNorm > 0)
// and returns the norm before clipping.
func ClipGradNorm(grad []float32, maxNorm float64) float64 {
	norm := math.Sqrt(float64(kernels.SumSq(grad)))
	if maxNorm > 0 && norm > maxNorm {
		kernels.Scale(float32(maxNorm/(norm+1e-6)), grad)
	}
	return norm
}

// Schedule is a learning-rate schedule: an optional linear warm-up followed by a constant,
// step or cosine decay. Steps count from 0.
type Schedule struct {
	Kind   string  // "constant", "step" or "cosine"
	LR     float64 // base learning rate
	Warmup int     // steps of linear warm-up from LR/Warmup to LR (0: none)
	Every  int     // step: multiply by Gamma every Every steps after warm-up
	Gamma  float64 // step: decay factor
	Total  int     // cosine: steps (including warm-up) over which LR decays to MinLR
	MinLR  float64 // cosine: final learning rate
}

// Validate reports whether the schedule is usable, naming the bad field.
func (s Schedule) Validate() error {
	if !(s.LR > 0) || math.IsInf(s.LR, 0) {
		return fmt.Errorf("schedule: lr = %v not positive", s.LR)
	}
	if s.Warmup < 0 {
		return fmt.Errorf("schedule: warmup = %d negative", s.Warmup)
	}
	switch s.Kind {
	case "constant", "":
	case "step":
		if s.Every < 1 {
			return fmt.Errorf("schedule: step every = %d, want ≥ 1", s.Every)
		}
		if !(s.Gamma > 0 && s.Gamma <= 1) {
			return fmt.Errorf("schedule: gamma = %v not in (0, 1]", s.Gamma)
		}
	case "cosine":
		if s.Total <= s.Warmup {
			return fmt.Errorf("schedule: cosine total = %d, want > warmup %d", s.Total, s.Warmup)
		}
		if !(s.MinLR >= 0 && s.MinLR <= s.LR) {
			return fmt.Errorf("schedule: min lr = %v not in [0, lr]", s.MinLR)
		}
	default:
		return fmt.Errorf("schedule: unknown kind %q (want constant, step or cosine)", s.Kind)
	}
	return nil
}

// At returns the learning rate of step (0-based).
func (s Schedule) At(step int) float64 {
	if step < s.Warmup {
		return s.LR * float64(step+1) / float64(s.Warmup)
	}
	k := step - s.Warmup
	switch s.Kind {
	case "step":
		return s.LR * math.Pow(s.Gamma, float64(k/s.Every))
	case "cosine":
		n := s.Total - s.Warmup
		if k >= n {
			return s.MinLR
		}
		return s.MinLR + (s.LR-s.MinLR)*0.5*(1+math.Cos(math.Pi*float64(k)/float64(n)))
	}
	return s.LR
}

// EMA is an exponential moving average of a network's weights, itself a network.
type EMA struct {
	Decay float64 // weight of the old average per update, in [0, 1)
	Net   *MLP    // the averaged network
}

// NewEMA returns an EMA that starts at m's current weights.
func NewEMA(m *MLP, decay float64) *EMA { return &EMA{Decay: decay, Net: m.Clone()} }

// Update sets avg = Decay·avg + (1−Decay)·params of m.
func (e *EMA) Update(m *MLP) {
	p := e.Net.params
	kernels.Scale(float32(e.Decay), p)
	kernels.Axpy(float32(1-e.Decay), m.params, p)
}
