package nn

import (
	"fmt"
	"math"

	"github.com/interflow/flowbench/kernels"
)

// Adam's default hyper-parameters, PyTorch's: NewAdam's and AdamStep64's.
const (
	AdamBeta1 = 0.9   // decay rate of the first moment
	AdamBeta2 = 0.999 // decay rate of the second moment
	AdamEps   = 1e-8  // ε of the update's denominator
)

// Adam is the Adam optimizer with optional decoupled weight decay (AdamW), updating a flat
// float32 parameter slab in one fused pass per step (AdamStep64 is its update for float64
// parameters).
type Adam struct {
	Beta1, Beta2, Eps float64 // moment decay rates and the denominator's ε
	WeightDecay       float64 // decoupled weight decay (0: plain Adam)
	Step              int64   // number of updates applied so far
	M, V              []float32
}

// NewAdam returns Adam for n parameters with PyTorch's defaults (β1 = 0.9, β2 = 0.999,
// ε = 1e-8, no weight decay) and zero moments.
func NewAdam(n int) *Adam {
	return &Adam{Beta1: AdamBeta1, Beta2: AdamBeta2, Eps: AdamEps, M: make([]float32, n), V: make([]float32, n)}
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
	bc1, bc2 := adamBias(a.Beta1, a.Beta2, a.Step)
	c := kernels.AdamParams{
		LR:    float32(lr),
		Beta1: float32(a.Beta1),
		Beta2: float32(a.Beta2),
		Eps:   float32(a.Eps),
		WD:    float32(a.WeightDecay),
		BC1:   float32(bc1),
		BC2:   float32(bc2),
	}
	kernels.Adam(params, grad, a.M, a.V, &c)
}

// AdamStep64 applies Adam update number t (≥ 1) with NewAdam's defaults (β1 = AdamBeta1,
// β2 = AdamBeta2, ε = AdamEps, no weight decay) and learning rate lr to parameters held in
// float64: the vectors params, with gradients grads, whose moments lie one after another in
// m and v (those of params[0] first). It is Adam's update in float64, for a few small
// vectors (gen's max–min ascent of the interpolant's and the learned base's parameters);
// each element computes, in this order,
//
//	m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g·g,  p ← p − lr·(m/(1−β1ᵗ))/(sqrt(v/(1−β2ᵗ)) + ε)
//
// with 1−β1 and 1−β2 the float64 values of the constants (0.1 and 0.001).
func AdamStep64(params, grads [][]float64, m, v []float64, t int64, lr float64) {
	const b1, b2, eps = AdamBeta1, AdamBeta2, AdamEps
	bc1, bc2 := adamBias(b1, b2, t)
	k := 0
	for j, g := range grads {
		p := params[j][:len(g)]
		for i, gi := range g {
			m[k] = b1*m[k] + (1-b1)*gi
			v[k] = b2*v[k] + (1-b2)*gi*gi
			p[i] -= lr * (m[k] / bc1) / (math.Sqrt(v[k]/bc2) + eps)
			k++
		}
	}
}

// adamBias returns Adam's bias corrections 1 − β1ᵗ and 1 − β2ᵗ of step t.
func adamBias(beta1, beta2 float64, t int64) (bc1, bc2 float64) {
	return 1 - math.Pow(beta1, float64(t)), 1 - math.Pow(beta2, float64(t))
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
