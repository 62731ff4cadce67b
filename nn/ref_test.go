package nn

import (
	"math"
	"math/rand/v2"

	"github.com/interflow/flowbench/kernels"
	"github.com/interflow/flowbench/nn/nntest"
)

// This file holds the tests' helpers and their view of the independent float64 reference
// of the network (nntest).

var allActs = []kernels.Act{kernels.ReLU, kernels.SiLU, kernels.Tanh, kernels.Softplus, kernels.GELU, kernels.ELU}

// refNet is the network of c in the float64 reference (nntest, written directly from the
// definitions: no kernels, no workspaces), against which the passes are tested.
func refNet(c Config) nntest.Net {
	f := nntest.ConcatTime
	if c.Time == TimeFourier {
		f = nntest.FourierTime(c.Fourier)
	}
	return nntest.Net{Shape: c, Act: c.Act, Features: f}
}

// ref64 evaluates v(t, x) for one row with parameters p (a float64 copy of the slab).
func ref64(c Config, p []float64, t float64, x []float64) []float64 {
	return refNet(c).Eval(p, t, x)
}

func to64(v []float32) []float64 {
	o := make([]float64, len(v))
	for i, x := range v {
		o[i] = float64(x)
	}
	return o
}

func to32(v []float64) []float32 {
	o := make([]float32, len(v))
	for i, x := range v {
		o[i] = float32(x)
	}
	return o
}

func randVec(rng *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64() * scale)
	}
	return v
}

// testConfigs are small networks covering every activation, both time features, one and
// several hidden layers and the linear case.
func testConfigs() []Config {
	var cs []Config
	for _, a := range allActs {
		cs = append(cs, Config{Dim: 3, Hidden: []int{7, 5}, Act: a})
	}
	cs = append(cs,
		Config{Dim: 2, Hidden: []int{9}, Act: kernels.SiLU, Time: TimeFourier, Fourier: 3},
		Config{Dim: 4, Hidden: []int{6, 8, 5}, Act: kernels.Tanh},
		Config{Dim: 2, Hidden: nil, Act: kernels.SiLU},
		Config{Dim: 1, Hidden: []int{4}, Act: kernels.GELU, Time: TimeFourier, Fourier: 1},
	)
	return cs
}

func cfgName(c Config) string {
	s := c.Act.String() + "/" + c.Time.String()
	for _, h := range c.Hidden {
		s += "-" + itoa(h)
	}
	return s + "/d" + itoa(c.Dim)
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// close reports |got-want| <= tol·(1+|want|).
func closeTo(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*(1+math.Abs(want))
}
