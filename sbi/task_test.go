package sbi

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestLookupNames(t *testing.T) {
	names := Names()
	if want := []string{"gaussian_linear", "gaussian_mixture", "slcp", "two_moons"}; !slices.Equal(names, want) {
		t.Fatalf("Names() = %v, want %v", names, want)
	}
	for _, n := range names {
		task, err := Lookup(n)
		if err != nil || task.Name() != n {
			t.Errorf("Lookup(%q) = %v, %v", n, task, err)
		}
	}
	_, err := Lookup("three_moons")
	if !errors.Is(err, ErrUnknownTask) || !strings.Contains(err.Error(), `"three_moons"`) || !strings.Contains(err.Error(), "two_moons") {
		t.Errorf("Lookup(three_moons) error = %v", err)
	}
}

func TestShapesAndDeterminism(t *testing.T) {
	dims := map[string][2]int{"gaussian_linear": {10, 10}, "gaussian_mixture": {2, 2}, "slcp": {5, 8}, "two_moons": {2, 2}}
	for _, task := range tasks {
		d := dims[task.Name()]
		if task.ParamDim() != d[0] || task.DataDim() != d[1] {
			t.Errorf("%s: dims %d, %d, want %v", task.Name(), task.ParamDim(), task.DataDim(), d)
		}
		th, x := Simulations(task, 7, 3)
		th2, x2 := Simulations(task, 7, 3)
		th3, _ := Simulations(task, 7, 4)
		if len(th) != 7*d[0] || len(x) != 7*d[1] {
			t.Errorf("%s: Simulations shapes %d, %d", task.Name(), len(th), len(x))
		}
		if !slices.Equal(th, th2) || !slices.Equal(x, x2) || slices.Equal(th, th3) {
			t.Errorf("%s: Simulations is not a function of the seed alone", task.Name())
		}
		for i := range 7 {
			if lp := task.PriorLogProb(th[i*d[0] : (i+1)*d[0]]); math.IsInf(lp, 0) || math.IsNaN(lp) {
				t.Errorf("%s: prior draw with log-density %v", task.Name(), lp)
			}
			if ll := task.LogLikelihood(th[i*d[0]:(i+1)*d[0]], x[i*d[1]:(i+1)*d[1]]); math.IsInf(ll, 0) || math.IsNaN(ll) {
				t.Errorf("%s: simulation with log-likelihood %v", task.Name(), ll)
			}
		}
		for j := 1; j <= NumObservations; j++ {
			a, b, err := task.Observation(j)
			a2, b2, _ := task.Observation(j)
			if err != nil || len(a) != d[0] || len(b) != d[1] || !slices.Equal(a, a2) || !slices.Equal(b, b2) {
				t.Errorf("%s: Observation(%d) = %v, %v, %v", task.Name(), j, a, b, err)
			}
		}
		for _, j := range []int{0, 11, -1} {
			if _, _, err := task.Observation(j); err == nil {
				t.Errorf("%s: Observation(%d) did not fail", task.Name(), j)
			}
		}
		rng := rand.New(rand.NewPCG(1, 1))
		if _, err := task.ReferencePosterior(rng, make([]float64, d[1]+1), 3); err == nil {
			t.Errorf("%s: ReferencePosterior accepted a wrong-length x_o", task.Name())
		}
		_, xo, _ := task.Observation(1)
		if _, err := task.ReferencePosterior(rng, xo, -1); err == nil {
			t.Errorf("%s: ReferencePosterior accepted n = -1", task.Name())
		}
		bad := slices.Clone(xo)
		bad[0] = math.NaN()
		if _, err := task.ReferencePosterior(rng, bad, 1); err == nil {
			t.Errorf("%s: ReferencePosterior accepted a NaN x_o", task.Name())
		}
		post, err := task.ReferencePosterior(rng, xo, 0)
		if err != nil || len(post) != 0 {
			t.Errorf("%s: ReferencePosterior(n = 0) = %v, %v", task.Name(), post, err)
		}
		if ep, ok := task.(ExactPosterior); ok {
			if _, err := ep.PosteriorLogProb(make([]float64, d[0]+1), xo); err == nil {
				t.Errorf("%s: PosteriorLogProb accepted a ragged theta", task.Name())
			}
		}
	}
}

// TestNoPosteriorMass checks that observations no parameter can produce give
// ErrNoPosteriorMass instead of hanging or returning garbage.
func TestNoPosteriorMass(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	far := []float64{5, 5} // two_moons: x_o,0 ≤ 0.25 + 0.15 − |θ1+θ2|/√2 < 5 for every draw
	if _, err := (TwoMoons{}).ReferencePosterior(rng, far, 10); !errors.Is(err, ErrNoPosteriorMass) {
		t.Errorf("two_moons x_o = %v: error %v", far, err)
	}
	if _, err := (TwoMoons{}).PosteriorLogProb([]float64{0, 0}, far); !errors.Is(err, ErrNoPosteriorMass) {
		t.Errorf("two_moons x_o = %v: density error %v", far, err)
	}
	if _, err := (GaussianMixture{}).PosteriorLogProb([]float64{0, 0}, []float64{0, 500}); !errors.Is(err, ErrNoPosteriorMass) {
		t.Errorf("gaussian_mixture x_o = (0, 500): density error %v", err)
	}
}

func TestPanicsOnShape(t *testing.T) {
	for _, task := range tasks {
		for name, f := range map[string]func(){
			"Simulate":      func() { task.Simulate(rand.New(rand.NewPCG(1, 1)), make([]float64, task.ParamDim()+1)) },
			"LogLikelihood": func() { task.LogLikelihood(make([]float64, task.ParamDim()), make([]float64, task.DataDim()-1)) },
			"PriorLogProb":  func() { task.PriorLogProb(make([]float64, task.ParamDim()+1)) },
		} {
			func() {
				defer func() {
					if r := recover(); r == nil || !strings.Contains(r.(string), task.Name()) {
						t.Errorf("%s.%s: recover() = %v, want a panic naming the task", task.Name(), name, r)
					}
				}()
				f()
			}()
		}
	}
}

// TestPriors checks every prior's draws by KS against its documented marginal and its
// log-density against the documented formula.
func TestPriors(t *testing.T) {
	for _, task := range tasks {
		rng := rand.New(rand.NewPCG(2, 2))
		d := task.ParamDim()
		th := task.SamplePrior(rng, 4000)
		var cdf func(float64) float64
		var logp func([]float64) float64
		switch task.Name() {
		case "gaussian_linear":
			cdf = func(v float64) float64 { return normCDF(v / math.Sqrt(0.1)) }
			logp = func(v []float64) float64 {
				var s float64
				for _, x := range v {
					s += x * x
				}
				return -s/(2*0.1) - float64(d)/2*math.Log(2*math.Pi*0.1)
			}
		default:
			b := map[string]float64{"gaussian_mixture": 10, "two_moons": 1, "slcp": 3}[task.Name()]
			cdf = func(v float64) float64 { return min(max((v+b)/(2*b), 0), 1) }
			logp = func(v []float64) float64 {
				for _, x := range v {
					if math.Abs(x) > b {
						return math.Inf(-1)
					}
				}
				return -float64(d) * math.Log(2*b)
			}
		}
		for k := range d {
			if _, p := ks1(column(th, d, k), cdf); p < 1e-3 {
				t.Errorf("%s: prior θ%d fails KS, p = %.3g", task.Name(), k+1, p)
			}
		}
		for i := range 50 {
			v := slices.Clone(th[i*d : (i+1)*d])
			if i%5 == 0 {
				v[i%d] *= 40 // outside every box
			}
			if got, want := task.PriorLogProb(v), logp(v); !(got == want || math.Abs(got-want) < 1e-12*math.Abs(want)) {
				t.Errorf("%s: PriorLogProb(%v) = %v, want %v", task.Name(), v, got, want)
			}
		}
	}
}
