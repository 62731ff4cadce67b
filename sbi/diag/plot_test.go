package diag

import (
	"bytes"
	"context"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkPNG encodes f, decodes the PNG and checks its size, and that at least minInk of its
// pixels are not background and some carry the color c (to a tolerance).
func checkPNG(t *testing.T, name string, f *Figure, w, h int, minInk float64, c color.NRGBA) {
	t.Helper()
	var buf bytes.Buffer
	if err := f.WritePNG(&buf); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("DIAG_FIGURES"); dir != "" { // to look at them
		_ = os.WriteFile(filepath.Join(dir, name+".png"), buf.Bytes(), 0o644)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("%s: the PNG does not decode: %v", name, err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Fatalf("%s: PNG is %d×%d, want %d×%d", name, b.Dx(), b.Dy(), w, h)
	}
	if b := f.Image().Bounds(); b.Dx() != w || b.Dy() != h {
		t.Fatalf("%s: image is %d×%d, want %d×%d", name, b.Dx(), b.Dy(), w, h)
	}
	ink, colored := 0, 0
	for y := range h {
		for x := range w {
			r, g, b, a := img.At(x, y).RGBA()
			if a>>8 != 255 {
				t.Fatalf("%s: pixel (%d, %d) has alpha %d, want an opaque image", name, x, y, a>>8)
			}
			if r>>8 < 250 || g>>8 < 250 || b>>8 < 250 {
				ink++
			}
			if near(r>>8, c.R) && near(g>>8, c.G) && near(b>>8, c.B) {
				colored++
			}
		}
	}
	if frac := float64(ink) / float64(w*h); frac < minInk {
		t.Errorf("%s: %.2f%% of the pixels drawn, want at least %.2f%%", name, 100*frac, 100*minInk)
	}
	if colored < 20 {
		t.Errorf("%s: %d pixels of color %v, want some", name, colored, c)
	}
}

func near(a uint32, b uint8) bool { return math.Abs(float64(a)-float64(b)) <= 40 }

// TestFigures renders each figure at a stated size and checks the PNGs.
func TestFigures(t *testing.T) {
	c := conjugate{d: 3, tau: 1, sigma: 0.5}
	rng := rand.New(rand.NewPCG(1, 1))
	model := make([]float64, 3000*3)
	ref := make([]float64, 2000*3)
	for i := range model {
		model[i] = rng.NormFloat64() * float64(1+i%3)
	}
	for i := range ref {
		ref[i] = 0.3 + rng.NormFloat64()*float64(1+i%3)
	}
	f, err := Corner(model, ref, 3, CornerOptions{FigureOptions: FigureOptions{Width: 700, Height: 650, Names: []string{"a", "b", "c"}}})
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, "corner", f, 700, 650, 0.05, modelColor)
	checkPNG(t, "corner-ref", f, 700, 650, 0.05, refColor)
	f, err = Corner(model, nil, 3, CornerOptions{Bins: 25})
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, "corner-model-only", f, 660, 660, 0.02, modelColor)
	f, err = Corner(model[:1000], ref[:800], 1, CornerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, "corner-1d", f, 480, 480, 0.005, refColor)

	sbc, err := SBC(context.Background(), 500, 3, 99, sbcPair(c, estimate{0, 1.2}, 99, 3), SBCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, err = RankHistograms(sbc, FigureOptions{Width: 900, Height: 400})
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, "ranks", f, 900, 400, 0.03, modelColor)

	theta, draws, lqt, lqd := coverageData(conjugate{d: 2, tau: 1, sigma: 0.5}, estimate{0, 1}, 300, 100, 5)
	hpd, err := HPDCoverage(lqt, lqd, 100, CoverageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tarp, err := TARP(theta, draws, 100, 2, TARPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, err = CoverageCurve([]*CoverageResult{hpd, tarp}, []string{"HPD", "TARP"}, FigureOptions{Width: 500, Height: 480})
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, "coverage", f, 500, 480, 0.03, refColor)
}

// TestFigureErrors checks that bad input is an error naming it.
func TestFigureErrors(t *testing.T) {
	good := []float64{0, 1, 2, 3, 4, 5}
	sbc, err := SBCFromRanks([]int{1, 2, 3, 4}, 4, 1, 9, SBCOptions{Bins: 2})
	if err != nil {
		t.Fatal(err)
	}
	cov, err := CoverageFromCredibility([]float64{0.1, 0.5, 0.7}, CoverageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bad := *cov
	bad.Empirical = append([]float64(nil), cov.Empirical...)
	bad.Empirical[3] = math.NaN()
	for _, c := range []struct {
		name, want string
		run        func() error
	}{
		{"corner dims", "model has 6 values, not a whole number of rows of width d = 4", func() error {
			_, err := Corner(good, nil, 4, CornerOptions{})
			return err
		}},
		{"corner ref dims", "reference has 5 values", func() error { _, err := Corner(good, good[:5], 2, CornerOptions{}); return err }},
		{"corner nan", "reference[row 1, column 0] = NaN", func() error {
			_, err := Corner(good, []float64{0, 1, math.NaN(), 1}, 2, CornerOptions{})
			return err
		}},
		{"corner inf", "model[row 0, column 1] = +Inf", func() error {
			_, err := Corner([]float64{0, math.Inf(1), 2, 3}, nil, 2, CornerOptions{})
			return err
		}},
		{"corner rows", "model has 1 rows, want at least 2", func() error { _, err := Corner(good[:2], nil, 2, CornerOptions{}); return err }},
		{"corner names", "1 Names for 2 dimensions", func() error {
			_, err := Corner(good, nil, 2, CornerOptions{FigureOptions: FigureOptions{Names: []string{"a"}}})
			return err
		}},
		{"corner size", "size 10×500 pixels", func() error {
			_, err := Corner(good, nil, 2, CornerOptions{FigureOptions: FigureOptions{Width: 10, Height: 500}})
			return err
		}},
		{"corner bins", "Bins = 1", func() error { _, err := Corner(good, nil, 2, CornerOptions{Bins: 1}); return err }},
		{"ranks nil", "res is nil", func() error { _, err := RankHistograms(nil, FigureOptions{}); return err }},
		{"ranks shape", "D = 2", func() error {
			s := *sbc
			s.D = 2
			_, err := RankHistograms(&s, FigureOptions{})
			return err
		}},
		{"ranks size", "size 9000×300", func() error { _, err := RankHistograms(sbc, FigureOptions{Width: 9000, Height: 300}); return err }},
		{"coverage none", "no results", func() error { _, err := CoverageCurve(nil, nil, FigureOptions{}); return err }},
		{"coverage labels", "2 labels for 1 results", func() error {
			_, err := CoverageCurve([]*CoverageResult{cov}, []string{"a", "b"}, FigureOptions{})
			return err
		}},
		{"coverage nan", "holds NaN at point 3", func() error {
			_, err := CoverageCurve([]*CoverageResult{cov, &bad}, nil, FigureOptions{})
			return err
		}},
		{"coverage nil", "results[0] is nil", func() error { _, err := CoverageCurve([]*CoverageResult{nil}, nil, FigureOptions{}); return err }},
	} {
		err := c.run()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
