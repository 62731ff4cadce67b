package interp

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
)

func fourierTest() *Fourier {
	f := NewFourier(3)
	copy(f.Alpha, []float64{0.3, -0.2, 0.05})
	copy(f.Beta, []float64{-0.1, 0.25, 0.07})
	return f
}

func affineTest(t *testing.T) *Affine {
	// a = (1 − t)², b = t(2 − t)... b(1) = 1; derivatives by hand.
	ip, err := NewAffine("quad",
		func(t float64) float64 { return (1 - t) * (1 - t) },
		func(t float64) float64 { return t * (2 - t) },
		func(t float64) float64 { return -2 * (1 - t) },
		func(t float64) float64 { return 2 - 2*t })
	if err != nil {
		t.Fatal(err)
	}
	return ip
}

func allInterps(t *testing.T) []Interpolant {
	return []Interpolant{Trig{}, Linear{}, fourierTest(), affineTest(t),
		Noisy{Base: Trig{}, Noise: SqrtNoise{Scale: 1}}, Noisy{Base: Linear{}, Noise: SinNoise{Scale: 0.5}}}
}

// TestEndpointsAndDerivatives: a(0)=1, a(1)=0, b(0)=0, b(1)=1, γ(0)=γ(1)=0, and every
// derivative matches a central difference (computed here, not by Check).
func TestEndpointsAndDerivatives(t *testing.T) {
	for _, ip := range allInterps(t) {
		a0, b0, _, _ := ip.Coeffs(0)
		a1, b1, _, _ := ip.Coeffs(1)
		if math.Abs(a0-1) > 1e-15 || math.Abs(b0) > 1e-15 || math.Abs(a1) > 1e-15 || math.Abs(b1-1) > 1e-15 {
			t.Errorf("%s: a(0)=%g b(0)=%g a(1)=%g b(1)=%g", ip.Name(), a0, b0, a1, b1)
		}
		const h = 1e-6
		for _, tt := range []float64{0.01, 0.2, 0.5, 0.73, 0.99} {
			ap, bp, _, _ := ip.Coeffs(tt + h)
			am, bm, _, _ := ip.Coeffs(tt - h)
			_, _, da, db := ip.Coeffs(tt)
			if math.Abs((ap-am)/(2*h)-da) > 1e-7 || math.Abs((bp-bm)/(2*h)-db) > 1e-7 {
				t.Errorf("%s t=%v: ȧ=%g ḃ=%g, differences %g %g", ip.Name(), tt, da, db, (ap-am)/(2*h), (bp-bm)/(2*h))
			}
			if n, ok := ip.(Noisy); ok {
				gp, _ := n.Gamma(tt + h)
				gm, _ := n.Gamma(tt - h)
				_, dg := n.Gamma(tt)
				if math.Abs((gp-gm)/(2*h)-dg) > 1e-6*max(1, math.Abs(dg)) {
					t.Errorf("%s t=%v: γ̇=%g, difference %g", ip.Name(), tt, dg, (gp-gm)/(2*h))
				}
				// Marginal: ã = sqrt(a² + γ²) and its derivative.
				ma, mb, mda, mdb := Marginal(ip, tt)
				a, b, _, _ := ip.Coeffs(tt)
				g, _ := n.Gamma(tt)
				mp, _, _, _ := Marginal(ip, tt+h)
				mm, _, _, _ := Marginal(ip, tt-h)
				if math.Abs(ma-math.Hypot(a, g)) > 1e-15 || mb != b || mdb != db || math.Abs((mp-mm)/(2*h)-mda) > 1e-6 {
					t.Errorf("%s t=%v: Marginal %g %g %g %g", ip.Name(), tt, ma, mb, mda, mdb)
				}
			}
		}
		if n, ok := ip.(Noisy); ok {
			g0, _ := n.Gamma(0)
			g1, _ := n.Gamma(1)
			if g0 != 0 || math.Abs(g1) > 1e-15 {
				t.Errorf("%s: γ(0)=%g γ(1)=%g", ip.Name(), g0, g1)
			}
		}
		if err := Check(ip); err != nil {
			t.Errorf("Check(%s): %v", ip.Name(), err)
		}
	}
}

func TestNewAffineRejects(t *testing.T) {
	one := func(float64) float64 { return 1 }
	zero := func(float64) float64 { return 0 }
	id := func(t float64) float64 { return t }
	lin := func(t float64) float64 { return 1 - t }
	neg := func(float64) float64 { return -1 }
	for _, c := range []struct {
		name         string
		a, b, da, db func(float64) float64
		want         string
	}{
		{"a0", one, id, zero, one, "a(1)"},
		{"b0", lin, one, neg, zero, "b(0)"},
		{"da", lin, id, zero, one, "da("},
		{"db", lin, id, neg, neg, "db("},
		{"nan", lin, func(t float64) float64 { return t / (t - 0.5) * (t - 0.5) }, neg, one, "not finite"},
		{"nil", lin, nil, neg, one, "must all be given"},
	} {
		_, err := NewAffine(c.name, c.a, c.b, c.da, c.db)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// TestFourierGrad: Grad matches finite differences of a nonlinear loss of (a, b, ȧ, ḃ)
// with respect to every coefficient.
func TestFourierGrad(t *testing.T) {
	f := fourierTest()
	loss := func(tt float64) float64 {
		a, b, da, db := f.Coeffs(tt)
		return a*a*b + math.Sin(da) + db*db*a + 0.3*b*da
	}
	for _, tt := range []float64{0.1, 0.45, 0.8} {
		a, b, da, db := f.Coeffs(tt)
		ga, gb := 2*a*b+db*db, a*a+0.3*da
		gda, gdb := math.Cos(da)+0.3*b, 2*db*a
		gAlpha, gBeta := make([]float64, 3), make([]float64, 3)
		f.Grad(tt, ga, gb, gda, gdb, gAlpha, gBeta)
		const h = 1e-6
		for _, p := range []struct {
			name string
			c, g []float64
		}{{"alpha", f.Alpha, gAlpha}, {"beta", f.Beta, gBeta}} {
			for m := range p.c {
				old := p.c[m]
				p.c[m] = old + h
				lp := loss(tt)
				p.c[m] = old - h
				lm := loss(tt)
				p.c[m] = old
				fd := (lp - lm) / (2 * h)
				if math.Abs(fd-p.g[m]) > 1e-6*max(1, math.Abs(fd)) {
					t.Errorf("t=%v d/d%s[%d]: Grad %g, finite difference %g", tt, p.name, m, p.g[m], fd)
				}
			}
		}
	}
}

func TestBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const rows, d = 37, 3
	ts := make([]float64, rows)
	x0, x1, z := make([]float32, rows*d), make([]float32, rows*d), make([]float32, rows*d)
	for i := range ts {
		ts[i] = rng.Float64()
	}
	for i := range x0 {
		x0[i], x1[i], z[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	xt, dxt := make([]float32, rows*d), make([]float32, rows*d)
	for _, ip := range allInterps(t) {
		n, noisy := ip.(Noisy)
		if noisy {
			BatchNoise(ip, d, ts, x0, x1, z, xt, dxt)
		} else {
			Batch(ip, d, ts, x0, x1, xt, dxt)
		}
		for i, tt := range ts {
			a, b, da, db := ip.Coeffs(tt)
			var g, dg float64
			if noisy {
				g, dg = n.Gamma(tt)
			}
			for j := 0; j < d; j++ {
				k := i*d + j
				w := a*float64(x0[k]) + b*float64(x1[k]) + g*float64(z[k])
				dw := da*float64(x0[k]) + db*float64(x1[k]) + dg*float64(z[k])
				if math.Abs(float64(xt[k])-w) > 1e-5*(1+math.Abs(w)) || math.Abs(float64(dxt[k])-dw) > 1e-5*(1+math.Abs(dw)) {
					t.Fatalf("%s row %d: got %v %v, want %v %v", ip.Name(), i, xt[k], dxt[k], w, dw)
				}
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Batch on a Noisy interpolant did not panic")
		}
	}()
	Batch(Noisy{Base: Trig{}, Noise: SinNoise{1}}, d, ts, x0, x1, xt, dxt)
}

func TestParse(t *testing.T) {
	for spec, name := range map[string]string{"trig": "trig", "linear": "linear", "fourier:4": "fourier",
		"linear+sqrt:1": "linear+sqrt", "trig+sin:0.3": "trig+sin", "fourier": "fourier"} {
		ip, err := Parse(spec)
		if err != nil || ip.Name() != name {
			t.Errorf("Parse(%q) = %v, %v", spec, ip, err)
		}
	}
	if ip, _ := Parse("fourier:4"); len(ip.(*Fourier).Alpha) != 4 {
		t.Error("fourier:4 does not have 4 coefficients")
	}
	for _, spec := range []string{"", "cubic", "trig:2", "fourier:-1", "fourier:x", "linear+foo", "linear+sqrt:-1", "linear+sqrt:inf"} {
		if _, err := Parse(spec); err == nil {
			t.Errorf("Parse(%q): no error", spec)
		}
	}
}

// ksStat returns the Kolmogorov–Smirnov distance between the sample and the CDF.
func ksStat(xs []float64, cdf func(float64) float64) float64 {
	s := slices.Clone(xs)
	sort.Float64s(s)
	n := float64(len(s))
	d := 0.0
	for i, x := range s {
		c := cdf(x)
		d = max(d, math.Abs(c-float64(i)/n), math.Abs(c-float64(i+1)/n))
	}
	return d
}

func TestTimeSamplers(t *testing.T) {
	const n = 20000
	ks := 1.95 / math.Sqrt(n) // 0.1% critical value
	fill := func(s TimeSampler) []float64 {
		ts := make([]float64, n)
		s.Fill(ts)
		for _, v := range ts {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("%s: time %v outside [0, 1]", s.Name(), v)
			}
		}
		return ts
	}
	uni := func(x float64) float64 { return x }
	for _, spec := range []string{"uniform", "stratified", "antithetic", "beta:1,0.7", "beta:2,5", "beta:0.5,0.5"} {
		s1, err := ParseTimeSampler(spec, 7)
		if err != nil {
			t.Fatal(err)
		}
		s2, _ := ParseTimeSampler(spec, 7)
		s3, _ := ParseTimeSampler(spec, 8)
		a, b, c := fill(s1), fill(s2), fill(s3)
		if !slices.Equal(a, b) || slices.Equal(a, c) {
			t.Errorf("%s: same seed equal %v, other seed equal %v", spec, slices.Equal(a, b), slices.Equal(a, c))
		}
		if s1.Name() != spec {
			t.Errorf("Name() = %q, want %q", s1.Name(), spec)
		}
		switch spec {
		case "uniform", "antithetic":
			if d := ksStat(a, uni); d > ks {
				t.Errorf("%s: KS distance %.4f to U[0,1]", spec, d)
			}
		case "stratified":
			for i, v := range a {
				if v < float64(i)/n || v >= float64(i+1)/n {
					t.Fatalf("stratified: t[%d] = %v outside its stratum", i, v)
				}
			}
		case "beta:1,0.7": // CDF 1 − (1 − x)^0.7
			if d := ksStat(a, func(x float64) float64 { return 1 - math.Pow(1-x, 0.7) }); d > ks {
				t.Errorf("%s: KS distance %.4f", spec, d)
			}
		case "beta:0.5,0.5": // arcsine law, CDF (2/π)·asin(√x)
			if d := ksStat(a, func(x float64) float64 { return 2 / math.Pi * math.Asin(math.Sqrt(x)) }); d > ks {
				t.Errorf("%s: KS distance %.4f", spec, d)
			}
		case "beta:2,5": // mean 2/7, variance 10/392
			m, v := 0.0, 0.0
			for _, x := range a {
				m += x
			}
			m /= n
			for _, x := range a {
				v += (x - m) * (x - m)
			}
			v /= n - 1
			if math.Abs(m-2.0/7) > 4*math.Sqrt(10.0/392/n) || math.Abs(v-10.0/392) > 0.05*10/392 {
				t.Errorf("beta(2,5): mean %.4f variance %.5f", m, v)
			}
		}
		if spec == "antithetic" {
			for i := 0; i+1 < n; i += 2 {
				if a[i]+a[i+1] != 1 {
					t.Fatalf("antithetic pair %d: %v + %v ≠ 1", i, a[i], a[i+1])
				}
			}
		}
	}
	for _, spec := range []string{"", "normal", "beta", "beta:1", "beta:0,1", "beta:1,-2", "beta:a,b", "uniform:3"} {
		if _, err := ParseTimeSampler(spec, 1); err == nil {
			t.Errorf("ParseTimeSampler(%q): no error", spec)
		}
	}
}

// TestSpecRoundTrip checks that Parse(Spec(ip)) gives back the same kind and shape for every
// interpolant Parse knows, and that Spec(Parse(s)) == s for canonical strings.
func TestSpecRoundTrip(t *testing.T) {
	for _, s := range []string{"trig", "linear", "fourier:0", "fourier:3", "linear+sqrt:0.5", "trig+sin:2", "fourier:2+sqrt:1"} {
		ip, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if got := Spec(ip); got != s {
			t.Errorf("Spec(Parse(%q)) = %q", s, got)
		}
		back, err := Parse(Spec(ip))
		if err != nil {
			t.Fatalf("Parse(Spec(%q)): %v", s, err)
		}
		for _, tt := range []float64{0, 0.3, 0.77, 1} {
			a0, b0, da0, db0 := ip.Coeffs(tt)
			a1, b1, da1, db1 := back.Coeffs(tt)
			if a0 != a1 || b0 != b1 || da0 != da1 || db0 != db1 {
				t.Errorf("%q: coefficients at t=%g differ after the round trip", s, tt)
			}
		}
	}
	aff, err := NewAffine("mine", func(t float64) float64 { return 1 - t }, func(t float64) float64 { return t },
		func(float64) float64 { return -1 }, func(float64) float64 { return 1 })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(Spec(aff)); err == nil {
		t.Errorf("Parse(Spec(affine)) succeeded; an Affine has no configuration string")
	}
}

// TestTimeDistRoundTrip checks ParseTimeDist against Name and that a parsed distribution's
// sampler draws the same times as ParseTimeSampler's.
func TestTimeDistRoundTrip(t *testing.T) {
	for _, s := range []string{"uniform", "beta:1,0.7", "stratified", "antithetic", "grid:4"} {
		d, err := ParseTimeDist(s)
		if err != nil {
			t.Fatalf("ParseTimeDist(%q): %v", s, err)
		}
		if d.Name() != s {
			t.Errorf("ParseTimeDist(%q).Name() = %q", s, d.Name())
		}
		a, _ := d.NewSampler(9)
		b, _ := ParseTimeSampler(s, 9)
		ta, tb := make([]float64, 16), make([]float64, 16)
		a.Fill(ta)
		b.Fill(tb)
		for i := range ta {
			if ta[i] != tb[i] {
				t.Fatalf("%q: sampler draws differ at %d", s, i)
			}
		}
	}
	for _, bad := range []string{"beta:0,1", "beta:1", "uniform:2", "gauss", "grid", "grid:0", "grid:1.5", "grid:-2", "grid:70000"} {
		if _, err := ParseTimeDist(bad); err == nil {
			t.Errorf("ParseTimeDist(%q) accepted", bad)
		}
	}
}

// TestGridTimes: grid:K draws only the K Euler times j/K, each about equally often.
func TestGridTimes(t *testing.T) {
	for _, k := range []int{1, 2, 4, 7} {
		s, err := NewGrid(k, 3)
		if err != nil {
			t.Fatal(err)
		}
		ts := make([]float64, 7000)
		s.Fill(ts)
		count := make([]int, k)
		for _, v := range ts {
			j := int(math.Round(v * float64(k)))
			if j < 0 || j >= k || v != float64(j)/float64(k) {
				t.Fatalf("grid:%d drew %v, not a point j/%d with j < %d", k, v, k, k)
			}
			count[j]++
		}
		// Each point has probability 1/K; 5 standard deviations of the binomial count.
		want := float64(len(ts)) / float64(k)
		sd := math.Sqrt(want * (1 - 1/float64(k)))
		for j, c := range count {
			if math.Abs(float64(c)-want) > 5*sd+1e-9 {
				t.Errorf("grid:%d: point %d/%d drawn %d times, want about %.0f", k, j, k, c, want)
			}
		}
	}
}
