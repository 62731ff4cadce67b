package metrics_test

import (
	"fmt"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/metrics"
)

// Compare two sample sets: a toy's draws against draws with a different seed, and against
// another toy.
func ExampleCompare() {
	a := dataset.SampleN(dataset.EightGaussians{}, 1000, 1)
	b := dataset.SampleN(dataset.EightGaussians{}, 1000, 2)
	c := dataset.SampleN(dataset.Checkerboard{}, 1000, 3)
	same := metrics.Compare(a, b, 2, 0, 0)
	diff := metrics.Compare(a, c, 2, 0, 0)
	fmt.Println(same.Energy < diff.Energy, same.MMD < diff.MMD, same.SW2 < diff.SW2)
	// Output:
	// true true true
}
