package nn

import (
	"math"
	"math/rand/v2"

	"github.com/interflow/flowbench/kernels"
)

// This file holds an independent float64 reference of the network, written directly from
// the definitions (no kernels, no workspaces), against which the passes are tested.

var allActs = []kernels.Act{kernels.ReLU, kernels.SiLU, kernels.Tanh, kernels.Softplus, kernels.GELU, kernels.ELU}

func act64(a kernels.Act, x float64) float64 {
	switch a {
	case kernels.ReLU:
		return math.Max(x, 0)
	case kernels.SiLU:
		return x / (1 + math.Exp(-x))
	case kernels.Tanh:
		return math.Tanh(x)
	case kernels.Softplus:
		return math.Log1p(math.Exp(x))
	case kernels.GELU:
		return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	case kernels.ELU:
		if x > 0 {
			return x
		}
		return math.Expm1(x)
	}
	panic("act64")
}

// features64 returns the time features of t in float64.
func features64(c Config, t float64) []float64 {
	if c.Time == TimeConcat {
		return []float64{t}
	}
	var f []float64
	for k := 1; k <= c.Fourier; k++ {
		f = append(f, math.Cos(float64(k)*math.Pi*t), math.Sin(float64(k)*math.Pi*t))
	}
	return f
}

// ref64 evaluates v(t, x) for one row with parameters p (a float64 copy of the slab).
func ref64(c Config, p []float64, t float64, x []float64) []float64 {
	h := append(append([]float64(nil), x...), features64(c, t)...)
	off := 0
	for i := 0; i < c.NumLayers(); i++ {
		in, out := c.LayerShape(i)
		w, b := p[off:off+in*out], p[off+in*out:off+in*out+out]
		off += (in + 1) * out
		z := make([]float64, out)
		for o := range z {
			s := b[o]
			for r := 0; r < in; r++ {
				s += h[r] * w[r*out+o]
			}
			if i < c.NumLayers()-1 {
				s = act64(c.Act, s)
			}
			z[o] = s
		}
		h = z
	}
	return h
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
