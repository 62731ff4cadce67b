package gen

import (
	"context"
	"slices"
	"testing"

	"github.com/interflow/flowbench/interp"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/nn"
	"github.com/interflow/flowbench/solver"
)

// BaseNoise is the base draws Sample starts from, at any batch size: with a zero velocity
// field the samples are those draws exactly.
func TestBaseNoiseIsSampleStart(t *testing.T) {
	net, err := nn.NewZero(nn.Config{Dim: 3, Hidden: []int{4}, Act: kernels.SiLU})
	if err != nil {
		t.Fatal(err)
	}
	m := &Model{Net: net, Interp: interp.Trig{}}
	const n = 50
	want := BaseNoise(9, n, 3)
	for _, batch := range []int{0, 7, n} {
		res, err := m.Sample(context.Background(), n, SampleOptions{ODE: solver.Options{Method: solver.RK4, Steps: 3}, Seed: 9, Batch: batch})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.X, want) {
			t.Errorf("batch %d: samples of a zero field differ from BaseNoise(9, %d, 3)", batch, n)
		}
	}
	if slices.Equal(BaseNoise(10, n, 3), want) {
		t.Error("another seed gave the same draws")
	}
}
