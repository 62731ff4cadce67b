package sbi_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/interflow/flowbench/sbi"
)

// A training set, an observation and its reference posterior for one benchmark task.
func Example() {
	task, err := sbi.Lookup("gaussian_linear")
	if err != nil {
		panic(err)
	}
	theta, x := sbi.Simulations(task, 10000, 1) // training pairs (θ_i, x_i), row-major
	fmt.Println(len(theta)/task.ParamDim(), "simulations of", task.ParamDim(), "parameters and", len(x)/10000, "data values")

	_, xo, err := task.Observation(1)
	if err != nil {
		panic(err)
	}
	post, err := task.ReferencePosterior(rand.New(rand.NewPCG(1, 2)), xo, 20000)
	if err != nil {
		panic(err)
	}
	// The analytic posterior is N(x_o/2, 0.05·I): the sample mean of θ1 is within four
	// standard errors of x_o,1/2.
	var m float64
	for i := 0; i < len(post); i += task.ParamDim() {
		m += post[i] / 20000
	}
	fmt.Println("mean θ1 matches x_o,1/2:", math.Abs(m-xo[0]/2) < 4*math.Sqrt(0.05/20000))

	lp, err := task.(sbi.ExactPosterior).PosteriorLogProb(post[:task.ParamDim()], xo)
	if err != nil {
		panic(err)
	}
	fmt.Println("log-density of the first draw is finite:", !math.IsInf(lp[0], 0))

	_, err = sbi.Lookup("three_moons")
	fmt.Println(err)
	// Output:
	// 10000 simulations of 10 parameters and 10 data values
	// mean θ1 matches x_o,1/2: true
	// log-density of the first draw is finite: true
	// sbi: unknown task "three_moons" (known: gaussian_linear, gaussian_mixture, slcp, two_moons)
}
