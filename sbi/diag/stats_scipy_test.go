package diag

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os/exec"
	"testing"
)

// scipyStats evaluates, for the cases on stdin, scipy.stats.chisquare, scipy.stats.kstest
// against the uniform distribution (method "exact") and scipy.stats.kstwo.sf.
const scipyStats = `
import json, sys
import numpy as np
from scipy import stats
q = json.load(sys.stdin)
out = {"chi": [], "ks": [], "sf": []}
for c in q["chi"]:
    r = stats.chisquare(np.array(c["obs"]), np.array(c["exp"]), ddof=c["ddof"])
    out["chi"].append([float(r.statistic), float(r.pvalue)])
for u in q["ks"]:
    r = stats.kstest(np.array(u), "uniform", method="exact")
    out["ks"].append([float(r.statistic), float(r.pvalue)])
for n, x in q["sf"]:
    out["sf"].append(float(stats.kstwo.sf(x, n)))
print(json.dumps(out))
`

type chiCase struct {
	Obs  []float64 `json:"obs"`
	Exp  []float64 `json:"exp"`
	DDOF int       `json:"ddof"`
}

// TestStatsAgainstScipy checks ChiSquareTest, KSUniform and KolmogorovSF against SciPy on
// fixed inputs that reach every branch: chi-square p-values from near 1 down to 1e-200
// and up to 400 degrees of freedom; KS samples of 3 to 20,000 points, uniform and not; and
// the Kolmogorov tail on a grid of (n, x) across the Ruben–Gambino, Durbin, Miller and
// Pelz–Good regions.
func TestStatsAgainstScipy(t *testing.T) {
	needPython(t, "python3-scipy", "scipy", "numpy")
	rng := rand.New(rand.NewPCG(5, 6))
	var chi []chiCase
	for _, c := range []struct {
		bins int
		n    int
		tilt float64 // 0: counts from the expected distribution
		ddof int
	}{{2, 50, 0, 0}, {5, 100, 0, 0}, {10, 1000, 0.05, 0}, {20, 2000, 0.3, 0}, {20, 5000, 1, 2}, {50, 100000, 0.5, 0}, {401, 8000, 0, 0}, {401, 40000, 0.2, 1}} {
		exp := make([]float64, c.bins)
		p := make([]float64, c.bins)
		var sp float64
		for b := range p {
			p[b] = 1 + 0.5*math.Sin(float64(b))
			sp += p[b]
		}
		for b := range p {
			exp[b] = float64(c.n) * p[b] / sp
		}
		// Observed counts: n draws from p tilted towards the high bins by c.tilt.
		cum := make([]float64, c.bins)
		var acc float64
		for b := range p {
			acc += p[b] * (1 + c.tilt*float64(b)/float64(c.bins))
			cum[b] = acc
		}
		obs := make([]float64, c.bins)
		for range c.n {
			u := rng.Float64() * acc
			b := 0
			for b < c.bins-1 && cum[b] <= u {
				b++
			}
			obs[b]++
		}
		// Rescale the expected counts to the observed total, as chisquare requires.
		var so float64
		for _, v := range obs {
			so += v
		}
		for b := range exp {
			exp[b] *= so / float64(c.n)
		}
		chi = append(chi, chiCase{obs, exp, c.ddof})
	}
	var ks [][]float64
	for _, c := range []struct {
		n   int
		pow float64 // u = U^pow: 1 is uniform
	}{{3, 1}, {10, 1}, {10, 3}, {100, 1}, {100, 1.3}, {141, 1}, {500, 1}, {500, 1.2}, {2000, 1}, {2000, 1.1}, {20000, 1}, {20000, 1.03}} {
		u := make([]float64, c.n)
		for i := range u {
			u[i] = math.Pow(rng.Float64(), c.pow)
		}
		ks = append(ks, u)
	}
	var sf [][2]float64
	for _, n := range []int{1, 2, 5, 10, 50, 140, 141, 500, 1000, 10000, 150000} {
		for _, z := range []float64{0.3, 0.6, 0.8, 1.0, 1.2, 1.5, 2.0, 3.0, 5.0} {
			x := z / math.Sqrt(float64(n))
			if x < 1 {
				sf = append(sf, [2]float64{float64(n), x})
			}
		}
		for _, x := range []float64{0.7 / float64(n), 1 / float64(n), 0.55, 0.9} {
			sf = append(sf, [2]float64{float64(n), x})
		}
	}
	in, _ := json.Marshal(map[string]any{"chi": chi, "ks": ks, "sf": sf})
	cmd := exec.Command(python, "-c", scipyStats)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("scipy: %v\n%s", err, stderr.String())
	}
	var want struct {
		Chi [][2]float64 `json:"chi"`
		KS  [][2]float64 `json:"ks"`
		SF  []float64    `json:"sf"`
	}
	if err := json.Unmarshal(outb, &want); err != nil {
		t.Fatal(err)
	}
	// close: relative agreement to 1e-9, or 1e-12 absolute for probabilities near 0.
	close := func(got, want, rel float64) bool {
		return math.Abs(got-want) <= rel*math.Abs(want)+1e-300 || math.Abs(got-want) <= 1e-12
	}
	for k, c := range chi {
		stat, p, err := ChiSquareTest(c.Obs, c.Exp, c.DDOF)
		if err != nil {
			t.Fatalf("chi case %d: %v", k, err)
		}
		// p-values: relative 1e-9 down to the smallest (gonum's and Cephes' incomplete gamma
		// agree to about 1e-13 relative where both converge).
		if !close(stat, want.Chi[k][0], 1e-10) || math.Abs(p-want.Chi[k][1]) > 1e-9*want.Chi[k][1]+1e-300 {
			t.Errorf("chi case %d (%d bins): ours (%.12g, %.12g), scipy (%.12g, %.12g)", k, len(c.Obs), stat, p, want.Chi[k][0], want.Chi[k][1])
		}
		t.Logf("chi %d: %d bins, stat %.6g, p ours %.6g scipy %.6g", k, len(c.Obs), stat, p, want.Chi[k][1])
	}
	for k, u := range ks {
		d, p, err := KSUniform(u)
		if err != nil {
			t.Fatal(err)
		}
		if !close(d, want.KS[k][0], 1e-12) || !close(p, want.KS[k][1], 1e-7) {
			t.Errorf("ks case %d (n = %d): ours (%.12g, %.12g), scipy (%.12g, %.12g)", k, len(u), d, p, want.KS[k][0], want.KS[k][1])
		}
		t.Logf("ks %d: n %d, D %.5g, p ours %.8g scipy %.8g", k, len(u), d, p, want.KS[k][1])
	}
	// The Kolmogorov tail: where both compute the exact probability (Durbin here,
	// Pomeranz or Durbin there) they agree to rounding (1e-10 absolute, the Durbin
	// matrix's accuracy for 1 − CDF); on the approximations scipy also uses (Miller's
	// 2·P(D⁺ ≥ x) and Pelz–Good) to 1e-9 relative.
	for k, c := range sf {
		n, x := int(c[0]), c[1]
		got := KolmogorovSF(n, x)
		w := want.SF[k]
		if math.Abs(got-w) > 1e-10+1e-9*w {
			t.Errorf("KolmogorovSF(%d, %.6g) = %.15g, scipy kstwo.sf %.15g", n, x, got, w)
		}
	}
}
