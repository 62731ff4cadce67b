package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/interflow/flowbench/internal/figure"
)

// Every kind of plot runs through the CLI in every format: a PNG that decodes at the size
// --dpi and --size ask for, an SVG that parses as XML, a PDF with its header and trailer.
// (What each figure shows is checked against closed forms in internal/figure.)
func TestPlotEveryKindAndFormat(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.safetensors")
	mustRun(t, append([]string{"train", "--data", "8gaussians", "--out", model, "--steps", "40", "--log-every", "10", "--val-every", "10"}, tiny...)...)
	// A model of 4×4 images from an IDX file.
	var px []byte
	for i := range 40 * 16 {
		px = append(px, byte((i*37+i/16*11)%256))
	}
	idx := writeFile(t, dir, "img.idx", idxFile([]uint32{40, 4, 4}, px))
	imgModel := filepath.Join(dir, "img.safetensors")
	mustRun(t, append([]string{"train", "--data", idx, "--out", imgModel, "--steps", "20"}, tiny...)...)
	small := []string{"--n", "200", "--grid", "12", "--times", "0,1", "--rtols", "1e-2,1e-3"}
	for _, kind := range figure.KindNames() {
		if kind == figure.Classes.String() {
			continue // a label model's figure: TestConditionalCLI
		}
		m := model
		if kind == figure.Images.String() {
			m = imgModel
		}
		for _, ext := range []string{"png", "svg", "pdf"} {
			out := filepath.Join(dir, strings.ReplaceAll(kind, "+", "_")+"."+ext)
			args := append([]string{"plot", "--model", m, "--out", out, "--dpi", "50", "--size", "3x2"}, small...)
			if kind != figure.SamplesDensity.String() {
				args = append(args, "--kind", kind)
			}
			if kind == figure.Samples.String() {
				args = append(args, "--data", "8gaussians")
			}
			if kind == figure.Images.String() {
				args = append(args, "--data", idx)
			}
			r := mustRun(t, args...)
			if !strings.Contains(r.stdout, "format="+ext) && !strings.Contains(r.stdout, `"format":"`+ext) {
				t.Errorf("plot --kind %s: summary %q does not name the format", kind, r.stdout)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			switch ext {
			case "png":
				cfg, err := png.DecodeConfig(bytes.NewReader(b))
				if err != nil {
					t.Fatalf("%s: %v", out, err)
				}
				// panels of 3 in (150 px at 50 dpi), colour bars of 0.9 in (45 px); 2 in
				// (100 px) high under the figure's two-line title
				bars := (cfg.Width % 150) / 45
				if cfg.Height <= 100 || cfg.Height > 140 || cfg.Width < 150 || (cfg.Width-45*bars)%150 != 0 {
					t.Errorf("%s: %d×%d pixels, want panels of 150×100 (3×2 in at 50 dpi), colour bars of 45 and a title above", out, cfg.Width, cfg.Height)
				}
			case "svg":
				dec := xml.NewDecoder(bytes.NewReader(b))
				for {
					_, err := dec.Token()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						t.Fatalf("%s: not XML: %v", out, err)
					}
				}
				if !bytes.Contains(b, []byte("<svg")) {
					t.Errorf("%s: no <svg> element", out)
				}
			case "pdf":
				if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b[len(b)-64:], []byte("%%EOF")) {
					t.Errorf("%s: not a PDF", out)
				}
			}
		}
	}
	png := filepath.Join(dir, "p.png")
	for _, tc := range []struct {
		args []string
		frag string
	}{
		{[]string{"--scale", "cubic"}, "--scale"},
		{[]string{"--format", "gif"}, "--format"},
		{[]string{"--format", "svg"}, "not a .svg file"},
		{[]string{"--size", "4"}, "--size"},
		{[]string{"--size", "0.1x4"}, "width"},
		{[]string{"--dpi", "0"}, "--dpi"},
		{[]string{"--dpi", "5000"}, "dpi 5000"},
		{[]string{"--times", "0,2"}, "--times"},
		{[]string{"--rtols", "0"}, "--rtols"},
		{[]string{"--kind", "samples+density"}, "leave --kind out"},
	} {
		wantRejected(t, cli(t, append([]string{"plot", "--model", model, "--out", png}, tc.args...)...), 2, tc.frag)
	}
	r := cli(t, "plot", "--model", imgModel, "--out", png, "--kind", "density")
	wantRejected(t, r, 1, "2-D model")
	r = cli(t, "plot", "--model", model, "--out", png, "--kind", "images")
	wantRejected(t, r, 1, "square images")
	if _, err := os.Stat(png); err == nil {
		t.Error("a rejected plot wrote its output")
	}
}
