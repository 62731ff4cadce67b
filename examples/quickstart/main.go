// Command quickstart trains a flow on a table held in memory, draws samples from it and
// evaluates log-densities of held-out rows: the program of the README's "Using the library" (a test checks
// that the README shows this file as it is, and that its answers are right).
package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/solver"
)

func main() {
	if err := run(os.Stdout, 1000); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run trains for steps optimizer steps and prints the sample mean and the test NLL.
func run(w io.Writer, steps int) error {
	ctx := context.Background()
	// Your table: 2,000 rows of a correlated 2-D Gaussian with mean (300, −10) and standard
	// deviations 50 and 5.4, in its own units. Train standardizes it and records the statistics in the model, so samples and
	// log-densities come back in these units.
	rng := rand.New(rand.NewPCG(1, 2))
	rows := make([][]float32, 2000)
	for i := range rows {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		rows[i] = []float32{float32(300 + 50*a), float32(-10 + 5*a + 2*b)}
	}
	data, err := gen.NewTrainData("mine", rows)
	if err != nil {
		return err
	}
	cfg := gen.DefaultTrainConfig(2)
	cfg.Net.Hidden = []int{64, 64}
	cfg.Steps, cfg.Batch = steps, 256
	model, err := gen.Train(ctx, cfg, data, gen.TrainOptions{})
	if err != nil {
		return err
	}

	res, err := model.Sample(ctx, 5000, gen.SampleOptions{ODE: solver.Options{Method: solver.RK4, Steps: 50}, Seed: 1})
	if err != nil {
		return err
	}
	var mx, my float64
	for i := range 5000 {
		mx += float64(res.X[2*i]) / 5000
		my += float64(res.X[2*i+1]) / 5000
	}
	// Log-densities of 1,000 new rows from the same distribution (held out from training):
	// their mean is minus the test NLL.
	test := make([]float32, 0, 2000)
	for range 1000 {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		test = append(test, float32(300+50*a), float32(-10+5*a+2*b))
	}
	logp, nfe, err := model.LogProb(ctx, test, gen.LikelihoodOptions{ODE: solver.Options{Method: solver.Dopri5, RTol: 1e-5, ATol: 1e-5}})
	if err != nil {
		return err
	}
	nll := 0.0
	for _, v := range logp {
		nll -= v / float64(len(logp))
	}
	fmt.Fprintf(w, "sample mean (%.3f, %.3f); test NLL %.4f nats (%d field evaluations)\n", mx, my, nll, nfe)
	return nil
}
