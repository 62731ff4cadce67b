package diag

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/interflow/flowbench/kernels"
)

// refLoss is sklearn's MLPClassifier loss for a binary target in float64, written from its
// definition (_backprop with binary_log_loss, no clipping needed at these sizes): ReLU
// hidden layers, a logistic output, the mean log-loss plus (α/2m)·Σ||W||². params has the
// network's layout (every W row-major fan_in×fan_out, then every b).
func refLoss(sizes []int, params []float64, alpha float64, x []float64, y []float64) float64 {
	m := len(y)
	nl := len(sizes) - 1
	var ws, bs [][]float64
	o := 0
	for l := range nl {
		ws = append(ws, params[o:o+sizes[l]*sizes[l+1]])
		o += sizes[l] * sizes[l+1]
	}
	for l := range nl {
		bs = append(bs, params[o:o+sizes[l+1]])
		o += sizes[l+1]
	}
	var loss float64
	for i := range m {
		a := x[i*sizes[0] : (i+1)*sizes[0]]
		for l := range nl {
			z := make([]float64, sizes[l+1])
			for j := range z {
				z[j] = bs[l][j]
				for k := range sizes[l] {
					z[j] += a[k] * ws[l][k*sizes[l+1]+j]
				}
				if l < nl-1 {
					z[j] = math.Max(z[j], 0)
				}
			}
			a = z
		}
		p := 1 / (1 + math.Exp(-a[0]))
		loss -= y[i]*math.Log(p) + (1-y[i])*math.Log(1-p)
	}
	loss /= float64(m)
	var sq float64
	for _, w := range ws {
		for _, v := range w {
			sq += v * v
		}
	}
	return loss + 0.5*alpha*sq/float64(m)
}

// TestBackpropAgainstReference checks the kernels-based loss and gradient against the
// float64 definition: the loss directly, the gradient by central differences of it.
func TestBackpropAgainstReference(t *testing.T) {
	for _, tier := range kernels.Tiers() {
		t.Run(tier, func(t *testing.T) {
			defer func(old string) { _ = kernels.SetImpl(old) }(kernels.Impl())
			if err := kernels.SetImpl(tier); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				d      int
				hidden []int
				m      int
			}{{3, []int{5, 4}, 7}, {2, []int{20, 20}, 33}, {10, []int{100, 100}, 40}} {
				rng := rand.New(rand.NewPCG(3, uint64(c.d)))
				s := mlpSettings{hidden: c.hidden, alpha: 0.3}
				net := newMLP(c.d, s, c.m, rng)
				x := make([]float32, c.m*c.d)
				y := make([]float32, c.m)
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				for i := range y {
					y[i] = float32(rng.IntN(2))
				}
				loss := net.backprop(c.m, x, y)
				p64 := make([]float64, len(net.params))
				for i, v := range net.params {
					p64[i] = float64(v)
				}
				x64 := make([]float64, len(x))
				for i, v := range x {
					x64[i] = float64(v)
				}
				y64 := make([]float64, len(y))
				for i, v := range y {
					y64[i] = float64(v)
				}
				ref := refLoss(net.sizes, p64, s.alpha, x64, y64)
				if math.Abs(loss-ref) > 1e-5*math.Abs(ref) {
					t.Errorf("d=%d: loss %.9g, float64 reference %.9g", c.d, loss, ref)
				}
				// Central differences on a sample of parameters (all for the small nets).
				var gmax float64
				for _, g := range net.grads {
					gmax = math.Max(gmax, math.Abs(float64(g)))
				}
				step := max(1, len(p64)/80)
				checked := 0
				for i := 0; i < len(p64); i += step {
					h := 1e-6
					old := p64[i]
					p64[i] = old + h
					up := refLoss(net.sizes, p64, s.alpha, x64, y64)
					p64[i] = old - h
					down := refLoss(net.sizes, p64, s.alpha, x64, y64)
					p64[i] = old
					fd := (up - down) / (2 * h)
					// float32 gradient: a few ulps of the largest gradient entry; the
					// difference quotient: about 1e-9.
					if g := float64(net.grads[i]); math.Abs(g-fd) > 1e-5*gmax+1e-8 {
						t.Errorf("d=%d: gradient[%d] = %.7g, central difference %.7g", c.d, i, g, fd)
					}
					checked++
				}
				t.Logf("d=%d hidden=%v: loss %.6g (ref %.6g), %d gradient entries checked", c.d, c.hidden, loss, ref, checked)
			}
		})
	}
}

// TestAdamIsSklearns checks two steps of the fused Adam update against sklearn's
// AdamOptimizer formula evaluated in float64:
//
//	m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²
//	p −= lr·sqrt(1−β2^t)/(1−β1^t) · m/(sqrt(v) + ε)
//
// with β rounded to float32, as kernels.Adam takes them (float32(0.999) is 0.999 + 1.3e-8,
// so 1−β2 is 1.3e-5 smaller, relatively, than sklearn's: a difference far below the spread
// of training over seeds, but 50 times the float32 rounding this test otherwise allows).
func TestAdamIsSklearns(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	s := mlpSettings{hidden: []int{6}, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8}
	net := newMLP(3, s, 4, rng)
	n := len(net.params)
	p := make([]float64, n)
	for i, v := range net.params {
		p[i] = float64(v)
	}
	m, v := make([]float64, n), make([]float64, n)
	b1, b2 := float64(float32(s.beta1)), float64(float32(s.beta2))
	for step := 1; step <= 2; step++ {
		for i := range net.grads {
			// Include gradients tiny enough that ε matters.
			g := rng.NormFloat64() * math.Pow(10, -float64(rng.IntN(9)))
			net.grads[i] = float32(g)
		}
		net.adamStep()
		lrt := s.lr * math.Sqrt(1-math.Pow(s.beta2, float64(step))) / (1 - math.Pow(s.beta1, float64(step)))
		for i := range p {
			g := float64(net.grads[i])
			m[i] = b1*m[i] + (1-b1)*g
			v[i] = b2*v[i] + (1-b2)*g*g
			p[i] -= lrt * m[i] / (math.Sqrt(v[i]) + s.eps)
		}
		for i := range p {
			// The update is about lr; float32 keeps it to a few 1e-8 of p plus 1e-6 of lr.
			if d := math.Abs(float64(net.params[i]) - p[i]); d > 2e-7*math.Abs(p[i])+1e-6*s.lr {
				t.Fatalf("step %d, parameter %d: %.9g, sklearn's formula %.9g", step, i, net.params[i], p[i])
			}
		}
	}
}

// TestPlateauIsSklearns checks the stopping rule on loss sequences worked out by hand from
// sklearn's _update_no_improvement_count (tol 1e-4, n_iter_no_change 10).
func TestPlateauIsSklearns(t *testing.T) {
	run := func(losses []float64) int {
		p := plateau{best: math.Inf(1), tol: 1e-4, patience: 10}
		for i, l := range losses {
			if p.done(l) {
				return i + 1
			}
		}
		return 0
	}
	flat := []float64{1}
	for range 20 {
		flat = append(flat, 0.99995) // above best − tol every time: the count reaches 11 at epoch 12
	}
	if got := run(flat); got != 12 {
		t.Errorf("flat losses: stopped after epoch %d, want 12", got)
	}
	var falling []float64
	for i := range 100 {
		falling = append(falling, 1-2e-4*float64(i)) // improves by 2e-4 > tol each epoch
	}
	if got := run(falling); got != 0 {
		t.Errorf("losses falling by 2e-4: stopped after epoch %d, want never", got)
	}
	// A sudden improvement resets the count: 1, ten flat epochs (count 10), a drop of
	// 1e-3 (count 0), then eleven more flat epochs: stop at epoch 1 + 10 + 1 + 11 = 23.
	seq := []float64{1}
	for range 10 {
		seq = append(seq, 1)
	}
	seq = append(seq, 0.999)
	for range 15 {
		seq = append(seq, 0.999)
	}
	if got := run(seq); got != 23 {
		t.Errorf("reset sequence: stopped after epoch %d, want 23", got)
	}
}
