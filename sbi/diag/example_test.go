package diag_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/interflow/flowbench/sbi/diag"
)

// Example checks a posterior estimate of the model θ ~ N(0, 1), x | θ ~ N(θ, 0.5²), whose
// exact posterior is N(0.8x, 0.2): an estimate that is 30% too narrow fails simulation-based
// calibration and under-covers, while C2ST against exact posterior draws for one
// observation sees the difference too.
func Example() {
	const postVar = 0.2 // 1/(1/1 + 1/0.25)
	sd := math.Sqrt(postVar)
	narrow := 0.7 * sd
	const n, l = 1000, 99
	rng := rand.New(rand.NewPCG(1, 2))

	// SBC: pair i draws θ from the prior, x from the simulator, and L posterior draws.
	res, err := diag.SBC(context.Background(), n, 1, l, func(i int, theta, draws []float64) error {
		theta[0] = rng.NormFloat64()
		x := theta[0] + 0.5*rng.NormFloat64()
		for k := range draws {
			draws[k] = 0.8*x + narrow*rng.NormFloat64()
		}
		return nil
	}, diag.SBCOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("SBC rejects uniform ranks at 1%%: %v\n", res.Dims[0].ChiSquareP < 0.01)

	// HPD coverage from the estimate's log-densities.
	logq := func(v, mean float64) float64 { z := (v - mean) / narrow; return -0.5 * z * z }
	lqTrue := make([]float64, n)
	lqDraws := make([]float64, n*l)
	for i := range n {
		theta := rng.NormFloat64()
		mean := 0.8 * (theta + 0.5*rng.NormFloat64())
		lqTrue[i] = logq(theta, mean)
		for k := range l {
			lqDraws[i*l+k] = logq(mean+narrow*rng.NormFloat64(), mean)
		}
	}
	cov, err := diag.HPDCoverage(lqTrue, lqDraws, l, diag.CoverageOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("coverage of the 95%% region below 0.9: %v\n", cov.Coverage[2] < 0.9)

	// C2ST between exact posterior draws for x = 1 and the estimate's.
	ref := make([]float64, 1000)
	est := make([]float64, 1000)
	for k := range ref {
		ref[k] = 0.8 + sd*rng.NormFloat64()
		est[k] = 0.8 + narrow*rng.NormFloat64()
	}
	acc, err := diag.C2ST(context.Background(), ref, est, 1, diag.C2STOptions{Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("C2ST accuracy above 0.53: %v\n", acc > 0.53)
	// Output:
	// SBC rejects uniform ranks at 1%: true
	// coverage of the 95% region below 0.9: true
	// C2ST accuracy above 0.53: true
}
