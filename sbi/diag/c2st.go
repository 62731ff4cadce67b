package diag

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/interflow/flowbench/kernels"
)

// C2STOptions are the settings of C2ST. The zero value is sbibm's c2st: five shuffled
// folds, inputs z-scored by the reference samples, and a classifier with two hidden layers
// of 10·d ReLU units trained like scikit-learn's MLPClassifier defaults.
type C2STOptions struct {
	// Seed seeds the fold split, the weight initialization and the batch order.
	// The same seed gives the same accuracy for any Threads.
	Seed uint64
	// Threads is the number of folds trained at once (0: kernels.Threads()).
	Threads int
	// Folds is the number of cross-validation folds (0: 5, sbibm's n_folds).
	Folds int
	// MaxIter caps the training epochs of each fold (0: 10000, sbibm's max_iter;
	// some ports of it use 1000). Training normally stops earlier, on the loss.
	MaxIter int
	// Hidden are the widths of the hidden layers (nil: two of 10·d).
	Hidden []int
	// NoZScore turns off the standardization of both sets by the mean and standard
	// deviation (n−1 denominator, as torch.std) of the reference samples x.
	NoZScore bool
}

// C2STResult is the outcome of C2ST with what each fold's training did.
type C2STResult struct {
	Accuracy float64    // mean held-out accuracy over the folds (0.5: indistinguishable)
	Folds    []C2STFold // per fold, in fold order
}

// C2STFold is one cross-validation fold of C2ST.
type C2STFold struct {
	Test     int     // held-out rows
	Accuracy float64 // held-out accuracy
	Epochs   int     // training epochs run (sklearn's n_iter_)
	Loss     float64 // mean training loss of the last epoch (sklearn's loss_)
}

// C2ST returns the classifier two-sample test accuracy of sbibm (Lueckmann et al. 2021,
// sbibm/metrics/c2st.py) between the reference samples x and the samples y, both flat
// row-major with d columns: 0.5 means a classifier cannot tell them apart, 1 that it always
// can. See C2STDetail for the procedure.
func C2ST(ctx context.Context, x, y []float64, d int, opt C2STOptions) (float64, error) {
	r, err := C2STDetail(ctx, x, y, d, opt)
	if err != nil {
		return 0, err
	}
	return r.Accuracy, nil
}

// C2STDetail runs C2ST and reports every fold. The procedure is sbibm's:
//
//   - both sets are z-scored by the column means and standard deviations (n−1) of x;
//   - the rows of x (label 0) and y (label 1) are pooled and split into Folds folds after a
//     random permutation (sklearn's KFold(shuffle=True): the first n mod Folds folds hold
//     one row more);
//   - for each fold a fresh MLPClassifier(hidden_layer_sizes=(10·d, 10·d), activation
//     relu, solver adam) is trained on the other folds with sklearn's defaults: learning
//     rate 1e-3, β = (0.9, 0.999), ε = 1e-8, batches of min(200, n), L2 penalty α = 1e-4
//     added to the mean log-loss as (α/2n_batch)·Σ||W||², Glorot-uniform initialization
//     of weights and biases (bound sqrt(6/(fan_in+fan_out))), shuffled batches every
//     epoch, and a stop once the epoch's training loss has not improved on the best by
//     1e-4 for more than 10 epochs in a row;
//   - the score is the mean over folds of the held-out accuracy.
//
// The network runs in float32 on the kernels package (GemmBiasAct forward, Gemm and
// ActBackward backward, the fused Adam update). The random streams are this package's, not
// numpy's, so the accuracy matches scikit-learn's to within the spread over seeds, not
// bit for bit. Folds train in parallel, each on its own seeded stream, so the result does
// not depend on Threads. x and y may have different numbers of rows, each at least Folds;
// every value must be finite and no column of x constant. ctx is checked every epoch.
func C2STDetail(ctx context.Context, x, y []float64, d int, opt C2STOptions) (*C2STResult, error) {
	folds := opt.Folds
	if folds == 0 {
		folds = 5
	}
	if folds < 2 {
		return nil, fmt.Errorf("diag: C2ST: Folds = %d, want ≥ 2", opt.Folds)
	}
	if opt.MaxIter < 0 || opt.Threads < 0 {
		return nil, fmt.Errorf("diag: C2ST: MaxIter = %d and Threads = %d, want ≥ 0", opt.MaxIter, opt.Threads)
	}
	nx, err := checkRows("C2ST", "x", x, d, max(folds, 2))
	if err != nil {
		return nil, err
	}
	ny, err := checkRows("C2ST", "y", y, d, folds)
	if err != nil {
		return nil, err
	}
	hidden := opt.Hidden
	if hidden == nil {
		hidden = []int{10 * d, 10 * d}
	}
	for i, h := range hidden {
		if h < 1 {
			return nil, fmt.Errorf("diag: C2ST: Hidden[%d] = %d, want ≥ 1", i, h)
		}
	}
	maxIter := opt.MaxIter
	if maxIter == 0 {
		maxIter = 10000
	}

	n := nx + ny
	data := make([]float32, n*d)
	label := make([]float32, n)
	if err := standardize(data, x, y, d, !opt.NoZScore); err != nil {
		return nil, err
	}
	for i := nx; i < n; i++ {
		label[i] = 1
	}

	// KFold(shuffle=True): permute, then cut into folds of n/folds rows, the first
	// n%folds folds one row longer.
	perm := rand.New(rand.NewPCG(opt.Seed, 0x6b666f6c64)).Perm(n)
	bounds := make([]int, folds+1)
	for f := range folds {
		size := n / folds
		if f < n%folds {
			size++
		}
		bounds[f+1] = bounds[f] + size
	}
	testOf := make([]int, n) // fold of each row
	for f := range folds {
		for _, r := range perm[bounds[f]:bounds[f+1]] {
			testOf[r] = f
		}
	}
	for f := range folds {
		var c [2]int
		for r := range n {
			if testOf[r] != f {
				c[int(label[r])]++
			}
		}
		if c[0] == 0 || c[1] == 0 {
			return nil, fmt.Errorf("diag: C2ST: the training rows of fold %d hold only one of x (%d rows) and y (%d rows); give each more rows", f, nx, ny)
		}
	}

	s := mlpSettings{
		hidden: hidden, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, alpha: 1e-4,
		tol: 1e-4, nIterNoChange: 10, maxIter: maxIter,
	}
	job := &c2stJob{ctx: ctx, d: d, s: s, seed: opt.Seed, data: data, label: label, testOf: testOf,
		res: make([]C2STFold, folds), errs: make([]error, folds)}
	threads := opt.Threads
	if threads == 0 {
		threads = kernels.Threads()
	}
	kernels.RunTasks(folds, threads, job)
	out := &C2STResult{Folds: job.res}
	for f, e := range job.errs {
		if e != nil {
			return nil, fmt.Errorf("diag: C2ST: fold %d: %w", f, e)
		}
		out.Accuracy += job.res[f].Accuracy
	}
	out.Accuracy /= float64(folds)
	return out, nil
}

// standardize writes x's rows then y's into dst as float32, z-scored by x's column means
// and standard deviations (n−1 denominator) when z is set.
func standardize(dst []float32, x, y []float64, d int, z bool) error {
	nx := len(x) / d
	mean := make([]float64, d)
	scale := make([]float64, d)
	for j := range d {
		scale[j] = 1
	}
	if z {
		for i := range nx {
			for j := range d {
				mean[j] += x[i*d+j]
			}
		}
		for j := range d {
			mean[j] /= float64(nx)
		}
		for j := range d {
			var ss float64
			for i := range nx {
				e := x[i*d+j] - mean[j]
				ss += e * e
			}
			sd := math.Sqrt(ss / float64(nx-1))
			if !(sd > 0) || math.IsInf(sd, 0) {
				return fmt.Errorf("diag: C2ST: column %d of x has standard deviation %v; z-scoring needs a finite, positive one", j, sd)
			}
			scale[j] = 1 / sd
		}
	}
	put := func(name string, a []float64, off int) error {
		for i, v := range a {
			f := float32((v - mean[i%d]) * scale[i%d])
			if math.IsInf(float64(f), 0) {
				return fmt.Errorf("diag: C2ST: %s[row %d, column %d] = %v is beyond float32 range after z-scoring", name, i/d, i%d, v)
			}
			dst[off+i] = f
		}
		return nil
	}
	if err := put("x", x, 0); err != nil {
		return err
	}
	return put("y", y, len(x))
}

// c2stJob trains and scores the folds of one C2ST, one fold per task.
type c2stJob struct {
	ctx    context.Context
	d      int
	s      mlpSettings
	seed   uint64
	data   []float32 // pooled, standardized rows
	label  []float32
	testOf []int
	res    []C2STFold
	errs   []error
}

// RunTask trains on every fold but f and scores fold f.
func (j *c2stJob) RunTask(_, f int) {
	d := j.d
	var trX, teX, trY, teY []float32
	for r, tf := range j.testOf {
		row := j.data[r*d : (r+1)*d]
		if tf == f {
			teX, teY = append(teX, row...), append(teY, j.label[r])
		} else {
			trX, trY = append(trX, row...), append(trY, j.label[r])
		}
	}
	s := j.s
	s.batch = min(200, len(trY))
	rng := rand.New(rand.NewPCG(j.seed, uint64(f)+1))
	net := newMLP(d, s, s.batch, rng)
	fr, err := net.fit(j.ctx, trX, trY, rng)
	if err != nil {
		j.errs[f] = err
		return
	}
	j.res[f] = C2STFold{
		Test:     len(teY),
		Accuracy: float64(net.correct(teX, teY)) / float64(len(teY)),
		Epochs:   fr.epochs,
		Loss:     fr.loss,
	}
}
