package gen_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/solver"
)

// Train a flow on your own points, draw samples and evaluate log-densities.
func Example() {
	// Your data: 2000 points of a correlated 2-D Gaussian, as [][]float32.
	rng := rand.New(rand.NewPCG(1, 2))
	rows := make([][]float32, 2000)
	for i := range rows {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		rows[i] = []float32{float32(3 + a), float32(-1 + 0.5*a + 0.2*b)}
	}
	// Train standardizes the rows (the model works in standardized units) and records the
	// statistics, so sampling and likelihood come back in data units.
	data, err := gen.NewTrainData("mine", rows)
	if err != nil {
		panic(err)
	}

	cfg := gen.DefaultTrainConfig(2)
	cfg.Net.Hidden = []int{64, 64}
	cfg.Steps, cfg.Batch, cfg.Seed = 200, 256, 7
	model, err := gen.Train(context.Background(), cfg, data, gen.TrainOptions{})
	if err != nil {
		panic(err)
	}

	ode := solver.Options{Method: solver.RK4, Steps: 20}
	res, err := model.Sample(context.Background(), 5000, gen.SampleOptions{ODE: ode, Seed: 1})
	if err != nil {
		panic(err)
	}
	var mean [2]float64
	for i := range 5000 {
		mean[0] += float64(res.X[2*i]) / 5000
		mean[1] += float64(res.X[2*i+1]) / 5000
	}
	fmt.Printf("sample mean ≈ (%.0f, %.0f)\n", mean[0], mean[1])

	// Log-densities (nats, data units) of two points: the mode is far more likely.
	logp, _, err := model.LogProb(context.Background(), []float32{3, -1, 8, 4}, gen.LikelihoodOptions{ODE: ode})
	if err != nil {
		panic(err)
	}
	fmt.Println("mode more likely than a far point:", logp[0] > logp[1]+10)
	// Output:
	// sample mean ≈ (3, -1)
	// mode more likely than a far point: true
}

// Use the compute kernels directly: C = A·B for row-major float32 matrices.
func Example_kernels() {
	a := []float32{1, 2, 3, 4, 5, 6} // 2×3
	b := []float32{1, 0, 0, 1, 1, 1} // 3×2
	c := make([]float32, 4)          // 2×2
	kernels.Gemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2)
	fmt.Println(c)
	// Output: [4 5 10 11]
}
