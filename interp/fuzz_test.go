package interp

import (
	"math"
	"testing"
)

// FuzzParse: Parse and ParseTimeSampler never panic; what they accept is a valid
// interpolant (Check passes, the name round-trips) or a sampler of times in [0, 1].
func FuzzParse(f *testing.F) {
	for _, s := range []string{"trig", "linear", "fourier:3", "linear+sqrt:1", "trig+sin:0.2",
		"uniform", "beta:1,0.7", "stratified", "antithetic", "beta:1e-3,1e3", "fourier:1024"} {
		f.Add(s, uint64(1))
	}
	f.Fuzz(func(t *testing.T, spec string, seed uint64) {
		if ip, err := Parse(spec); err == nil {
			if err := Check(ip); err != nil {
				t.Fatalf("Parse(%q) accepted an interpolant that fails Check: %v", spec, err)
			}
			if _, err := Parse(ip.Name()); err != nil && ip.Name() != "fourier" {
				t.Fatalf("Parse(%q).Name() = %q does not parse: %v", spec, ip.Name(), err)
			}
		}
		if s, err := ParseTimeSampler(spec, seed); err == nil {
			ts := make([]float64, 17)
			s.Fill(ts)
			for _, v := range ts {
				if !(v >= 0 && v <= 1) || math.IsNaN(v) {
					t.Fatalf("ParseTimeSampler(%q) drew %v", spec, v)
				}
			}
		}
	})
}
