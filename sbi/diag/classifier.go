package diag

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/interflow/flowbench/kernels"
)

// mlpSettings are the training settings of the classifier, scikit-learn's MLPClassifier
// defaults unless C2STOptions says otherwise.
type mlpSettings struct {
	hidden        []int   // widths of the ReLU layers
	lr            float64 // learning_rate_init
	beta1, beta2  float64 // Adam's moment decays
	eps           float64 // Adam's epsilon
	alpha         float64 // L2 penalty
	tol           float64 // minimum improvement of the training loss
	nIterNoChange int     // epochs without improvement before stopping
	maxIter       int     // epochs at most
	batch         int     // rows per step (min(200, n) in sklearn's "auto")
}

// float32Eps is numpy.finfo(float32).eps, the clip sklearn's binary log-loss applies to
// float32 probabilities.
const float32Eps = 1.1920929e-07

// mlp is a fully connected binary classifier: ReLU hidden layers and one logistic output,
// trained with Adam on the mean binary log-loss plus sklearn's L2 term, in float32 on the
// kernels package. Layer l maps width sizes[l] to sizes[l+1]; W[l] is sizes[l]×sizes[l+1]
// row-major (sklearn's coefs_[l] layout), so a layer is Z = A·W + b.
type mlp struct {
	sizes []int
	s     mlpSettings

	params, grads, m, v []float32 // every weight, then every bias, in one slice each
	w, b, gw, gb        [][]float32

	// Per-batch workspace: z[l] and a[l] are the pre-activation and activation of layer
	// l+1 (a[last] is the logit), dz[l] its gradient; rows is the capacity in rows.
	rows   int
	z, a   [][]float32
	dz     [][]float32
	xb, yb []float32
	step   int // Adam steps taken
}

// newMLP returns a network for d inputs, initialized as sklearn's _init_coef does for ReLU
// networks: every weight and bias uniform on ±sqrt(6/(fan_in+fan_out)), drawn in float64
// and rounded to float32.
func newMLP(d int, s mlpSettings, rows int, rng *rand.Rand) *mlp {
	sizes := append(append([]int{d}, s.hidden...), 1)
	nl := len(sizes) - 1
	nw, nb := 0, 0
	for l := range nl {
		nw += sizes[l] * sizes[l+1]
		nb += sizes[l+1]
	}
	n := &mlp{sizes: sizes, s: s, rows: rows}
	n.params = make([]float32, nw+nb)
	n.grads = make([]float32, nw+nb)
	n.m = make([]float32, nw+nb)
	n.v = make([]float32, nw+nb)
	ow, ob := 0, nw
	for l := range nl {
		fi, fo := sizes[l], sizes[l+1]
		n.w = append(n.w, n.params[ow:ow+fi*fo])
		n.gw = append(n.gw, n.grads[ow:ow+fi*fo])
		n.b = append(n.b, n.params[ob:ob+fo])
		n.gb = append(n.gb, n.grads[ob:ob+fo])
		bound := math.Sqrt(6 / float64(fi+fo))
		for i := range n.w[l] {
			n.w[l][i] = float32(bound * (2*rng.Float64() - 1))
		}
		for i := range n.b[l] {
			n.b[l][i] = float32(bound * (2*rng.Float64() - 1))
		}
		ow += fi * fo
		ob += fo
		n.z = append(n.z, make([]float32, rows*fo))
		n.a = append(n.a, make([]float32, rows*fo))
		n.dz = append(n.dz, make([]float32, rows*fo))
	}
	n.xb = make([]float32, rows*d)
	n.yb = make([]float32, rows)
	return n
}

// forward runs the network on the m rows of x (m ≤ n.rows); the logits land in n.a[last].
func (n *mlp) forward(m int, x []float32) {
	in := x
	last := len(n.w) - 1
	for l := range n.w {
		k, o := n.sizes[l], n.sizes[l+1]
		if l < last {
			kernels.GemmBiasAct(m, o, k, in, k, n.w[l], o, n.b[l], kernels.ReLU, n.z[l], o, n.a[l], o)
		} else {
			kernels.GemmBiasAct(m, o, k, in, k, n.w[l], o, n.b[l], kernels.Identity, nil, 0, n.a[l], o)
		}
		in = n.a[l]
	}
}

// logistic is sklearn's expit evaluated for a float32 logit and rounded to float32.
func logistic(z float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(z))))
}

// backprop computes the gradients of sklearn's batch loss
//
//	L = −(1/m)·Σ_i [y_i·log p_i + (1−y_i)·log(1−p_i)] + (α/2m)·Σ_l ||W_l||²
//
// for the m rows of x with targets y, into n.grads, and returns L (p clipped to
// [ε, 1−ε] in the log as sklearn's binary_log_loss does; the gradient uses p − y, as
// sklearn's backprop does).
func (n *mlp) backprop(m int, x, y []float32) float64 {
	n.forward(m, x)
	last := len(n.w) - 1
	logit := n.a[last]
	dOut := n.dz[last]
	var loss float64
	inv := 1 / float32(m)
	for i := range m {
		p := logistic(logit[i])
		pc := min(max(p, float32Eps), 1-float32Eps)
		if y[i] != 0 {
			loss -= math.Log(float64(pc))
		} else {
			loss -= math.Log(float64(1 - pc))
		}
		dOut[i] = (p - y[i]) * inv
	}
	loss /= float64(m)
	var sq float64
	for l := range n.w {
		sq += float64(kernels.SumSq(n.w[l]))
	}
	loss += 0.5 * n.s.alpha * sq / float64(m)

	reg := float32(n.s.alpha / float64(m))
	for l := last; l >= 0; l-- {
		k, o := n.sizes[l], n.sizes[l+1]
		in := x
		if l > 0 {
			in = n.a[l-1]
		}
		dz := n.dz[l]
		// gW = inᵀ·dZ + (α/m)·W; gb = column sums of dZ (for hidden layers ActBackward
		// of the layer above already wrote them).
		kernels.Gemm(true, false, k, o, m, 1, in, k, dz, o, 0, n.gw[l], o)
		kernels.Axpy(reg, n.w[l], n.gw[l])
		if l == last {
			kernels.ColSums(m, o, dz, o, n.gb[l])
		}
		if l > 0 {
			// dA = dZ·Wᵀ, then dZ_below = dA ⊙ relu'(Z_below), with its bias gradient.
			da := n.dz[l-1]
			kernels.Gemm(false, true, m, k, o, 1, dz, o, n.w[l], o, 0, da, k)
			clear(n.gb[l-1])
			kernels.ActBackward(kernels.ReLU, m, k, da, k, n.z[l-1], k, da, k, n.gb[l-1])
		}
	}
	return loss
}

// adamStep applies sklearn's AdamOptimizer update to every parameter:
//
//	lr_t = lr·sqrt(1−β2^t)/(1−β1^t);  p −= lr_t·m/(sqrt(v) + ε)
//
// through kernels.Adam, whose update is lr·(m/BC1)/(sqrt(v/BC2) + ε'): the two agree
// exactly with ε' = ε/sqrt(BC2).
func (n *mlp) adamStep() {
	n.step++
	t := float64(n.step)
	bc1 := 1 - math.Pow(n.s.beta1, t)
	bc2 := 1 - math.Pow(n.s.beta2, t)
	kernels.Adam(n.params, n.grads, n.m, n.v, &kernels.AdamParams{
		LR: float32(n.s.lr), Beta1: float32(n.s.beta1), Beta2: float32(n.s.beta2),
		Eps: float32(n.s.eps / math.Sqrt(bc2)), BC1: float32(bc1), BC2: float32(bc2),
	})
}

// fitResult is what a training run reports.
type fitResult struct {
	epochs int     // epochs run (sklearn's n_iter_)
	loss   float64 // the last epoch's mean training loss (sklearn's loss_)
}

// fit trains on the n rows of x (n×d float32) with 0/1 targets y, as sklearn's
// _fit_stochastic does with shuffle=True and no early stopping: each epoch visits the rows
// in a fresh random order in batches of s.batch (the last one shorter), the epoch's loss is
// the row-weighted mean of the batch losses, and training stops once the loss has failed to
// fall below best − tol for more than nIterNoChange epochs in a row, or after maxIter.
func (n *mlp) fit(ctx context.Context, x, y []float32, rng *rand.Rand) (fitResult, error) {
	d := n.sizes[0]
	rows := len(y)
	idx := make([]int, rows)
	for i := range idx {
		idx[i] = i
	}
	stop := plateau{best: math.Inf(1), tol: n.s.tol, patience: n.s.nIterNoChange}
	var res fitResult
	for it := 0; it < n.s.maxIter; it++ {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		rng.Shuffle(rows, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		var acc float64
		for lo := 0; lo < rows; lo += n.s.batch {
			hi := min(lo+n.s.batch, rows)
			m := hi - lo
			for r, src := range idx[lo:hi] {
				copy(n.xb[r*d:(r+1)*d], x[src*d:(src+1)*d])
				n.yb[r] = y[src]
			}
			acc += n.backprop(m, n.xb, n.yb) * float64(m)
			n.adamStep()
		}
		res.epochs++
		res.loss = acc / float64(rows)
		if stop.done(res.loss) {
			break
		}
	}
	return res, nil
}

// correct returns how many of the n rows of x (n×d) the network classifies as y says:
// class 1 where the logistic output exceeds 1/2, as sklearn's predict does.
func (n *mlp) correct(x, y []float32) int {
	d := n.sizes[0]
	last := len(n.w) - 1
	c := 0
	for lo := 0; lo < len(y); lo += n.rows {
		hi := min(lo+n.rows, len(y))
		n.forward(hi-lo, x[lo*d:hi*d])
		for i, z := range n.a[last][:hi-lo] {
			pred := float32(0)
			if logistic(z) > 0.5 {
				pred = 1
			}
			if pred == y[lo+i] {
				c++
			}
		}
	}
	return c
}

// plateau is sklearn's stopping rule on the training loss (_update_no_improvement_count
// without early stopping, then the check in _fit_stochastic).
type plateau struct {
	best     float64 // lowest loss so far (starts at +Inf)
	count    int     // epochs in a row without an improvement of tol on best
	tol      float64
	patience int // n_iter_no_change
}

// done records an epoch's loss and reports whether training stops: once more than patience
// epochs in a row have had a loss above best − tol.
func (p *plateau) done(loss float64) bool {
	if loss > p.best-p.tol {
		p.count++
	} else {
		p.count = 0
	}
	p.best = min(p.best, loss)
	return p.count > p.patience
}
