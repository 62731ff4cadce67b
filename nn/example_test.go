package nn_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/nn"
)

// A few training steps of the method's loss with Adam, then a checkpoint round trip.
func Example() {
	m, err := nn.New(nn.Config{Dim: 2, Hidden: []int{32, 32}, Act: kernels.SiLU}, 1)
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(2, 3))
	const B, d = 256, 2
	t := make([]float64, B)
	xt, dxt := make([]float32, B*d), make([]float32, B*d)
	grad := make([]float32, m.NumParams())
	opt := nn.NewAdam(m.NumParams())
	var first, last float64
	for step := 0; step < 200; step++ {
		// x0 ~ N(0, I), x1 = (2, 2) + small noise, the trigonometric interpolant.
		for i := range t {
			t[i] = rng.Float64()
			s, c := math.Sincos(math.Pi / 2 * t[i])
			for j := 0; j < d; j++ {
				x0, x1 := rng.NormFloat64(), 2+0.1*rng.NormFloat64()
				xt[i*d+j] = float32(c*x0 + s*x1)
				dxt[i*d+j] = float32(math.Pi / 2 * (c*x1 - s*x0))
			}
		}
		st := m.LossGrad(t, xt, dxt, grad, nil, nil)
		nn.ClipGradNorm(grad, 10)
		opt.Update(m.Params(), grad, 3e-3)
		if step == 0 {
			first = st.Loss
		}
		last = st.Loss
	}
	fmt.Println("loss decreased:", last < first/2)

	dir, _ := os.MkdirTemp("", "nn-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")
	if err := (&nn.Checkpoint{Net: m, Optim: opt}).Save(path); err != nil {
		panic(err)
	}
	ck, err := nn.LoadCheckpoint(path)
	if err != nil {
		panic(err)
	}
	x := []float32{0.5, -0.5}
	v1, v2 := make([]float32, 2), make([]float32, 2)
	m.Velocity(0.5, x, v1)
	ck.Net.Velocity(0.5, x, v2)
	fmt.Println("same velocity after reload:", v1[0] == v2[0] && v1[1] == v2[1], "adam step:", ck.Optim.Step)
	// Output:
	// loss decreased: true
	// same velocity after reload: true adam step: 200
}
