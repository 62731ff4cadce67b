package diag

import (
	"context"
	"math"
	"strings"
	"testing"
)

// TestC2STThreadsAndSeeds checks that the accuracy does not depend on the thread count,
// that the seed matters, and that the folds partition the rows as KFold does (2003 rows
// over five folds: three of 401 and two of 400).
func TestC2STThreadsAndSeeds(t *testing.T) {
	x, y := shiftedGaussians(1000, 2, 1, 7)
	y = append(y, 0.5, 0.5, 1, 1, 2, 2) // 1003 rows of y
	opt := C2STOptions{Seed: 4, MaxIter: 30}
	var res []*C2STResult
	for _, th := range []int{1, 2, 5} {
		opt.Threads = th
		r, err := C2STDetail(context.Background(), x, y, 2, opt)
		if err != nil {
			t.Fatal(err)
		}
		res = append(res, r)
	}
	for k, r := range res[1:] {
		for f := range r.Folds {
			if r.Folds[f] != res[0].Folds[f] {
				t.Errorf("threads run %d, fold %d: %+v, with one thread %+v", k+1, f, r.Folds[f], res[0].Folds[f])
			}
		}
	}
	sizes := []int{}
	var mean float64
	for _, f := range res[0].Folds {
		sizes = append(sizes, f.Test)
		mean += f.Accuracy / 5
		if f.Epochs < 1 || f.Epochs > 30 {
			t.Errorf("fold ran %d epochs, want 1..30 (MaxIter)", f.Epochs)
		}
	}
	if want := []int{401, 401, 401, 400, 400}; !equalInts(sizes, want) {
		t.Errorf("fold sizes %v, want %v", sizes, want)
	}
	if math.Abs(mean-res[0].Accuracy) > 1e-15 {
		t.Errorf("accuracy %v is not the mean of the folds' %v", res[0].Accuracy, mean)
	}
	opt.Seed = 5
	r, err := C2STDetail(context.Background(), x, y, 2, opt)
	if err != nil {
		t.Fatal(err)
	}
	if r.Folds[0] == res[0].Folds[0] {
		t.Errorf("seeds 4 and 5 give the same first fold %+v", r.Folds[0])
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestC2STZScore checks that the test is invariant to an affine change of units applied to
// both sets when z-scoring is on (sbibm's default): the classifier then sees the same
// standardized inputs, up to rounding.
func TestC2STZScore(t *testing.T) {
	x, y := shiftedGaussians(400, 2, 1.5, 3)
	opt := C2STOptions{Seed: 2, MaxIter: 40}
	a, err := C2ST(context.Background(), x, y, 2, opt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range x {
		x[i] = 1000 + 1e3*x[i]
		y[i] = 1000 + 1e3*y[i]
	}
	b, err := C2ST(context.Background(), x, y, 2, opt)
	if err != nil {
		t.Fatal(err)
	}
	// Rounding can flip a borderline prediction or two: 2/800 of accuracy.
	if math.Abs(a-b) > 0.0026 {
		t.Errorf("accuracy %.4f in the original units, %.4f after x → 1000 + 1000x", a, b)
	}
	if a < 0.7 {
		t.Errorf("accuracy %.4f for a shift of 1.5 standard deviations, want about 0.77", a)
	}
}

// TestC2STErrors checks that bad input is an error naming it, and cancellation.
func TestC2STErrors(t *testing.T) {
	ctx := context.Background()
	x, y := shiftedGaussians(20, 2, 1, 1)
	constCol := append([]float64(nil), x...)
	for i := 0; i < len(constCol); i += 2 {
		constCol[i] = 3
	}
	nan := append([]float64(nil), y...)
	nan[5] = math.NaN()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, c := range []struct {
		name, want string
		run        func() error
	}{
		{"d", "dimension d = 0", func() error { _, err := C2ST(ctx, x, y, 0, C2STOptions{}); return err }},
		{"rows", "y has 39 values, not a whole number of rows of width d = 2", func() error { _, err := C2ST(ctx, x, y[:39], 2, C2STOptions{}); return err }},
		{"few", "x has 3 rows, want at least 5", func() error { _, err := C2ST(ctx, x[:6], y, 2, C2STOptions{}); return err }},
		{"nan", "y[row 2, column 1] = NaN", func() error { _, err := C2ST(ctx, x, nan, 2, C2STOptions{}); return err }},
		{"constant", "column 0 of x has standard deviation 0", func() error { _, err := C2ST(ctx, constCol, y, 2, C2STOptions{}); return err }},
		{"folds", "Folds = 1", func() error { _, err := C2ST(ctx, x, y, 2, C2STOptions{Folds: 1}); return err }},
		{"hidden", "Hidden[1] = 0", func() error { _, err := C2ST(ctx, x, y, 2, C2STOptions{Hidden: []int{4, 0}}); return err }},
		{"threads", "Threads = -1", func() error { _, err := C2ST(ctx, x, y, 2, C2STOptions{Threads: -1}); return err }},
		{"overflow", "beyond float32 range", func() error {
			yy := append([]float64(nil), y...)
			yy[0] = 1e300
			_, err := C2ST(ctx, x, yy, 2, C2STOptions{})
			return err
		}},
		{"cancelled", "context canceled", func() error { _, err := C2ST(cancelled, x, y, 2, C2STOptions{}); return err }},
	} {
		err := c.run()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
