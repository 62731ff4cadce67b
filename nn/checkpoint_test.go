package nn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/interflow/flowbench/kernels"
)

func fullCheckpoint(t testing.TB) *Checkpoint {
	c := Config{Dim: 3, Hidden: []int{5, 4}, Act: kernels.Softplus, Time: TimeFourier, Fourier: 2}
	m, err := New(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEMA(m, 0.995)
	for i := range e.Net.Params() {
		e.Net.Params()[i] *= 0.5
	}
	o := NewAdam(m.NumParams())
	o.WeightDecay, o.Step = 0.01, 42
	for i := range o.M {
		o.M[i], o.V[i] = float32(i)*0.25-3, float32(i)*0.125
	}
	return &Checkpoint{
		Net: m, EMA: e, Optim: o,
		ConfigExtra: map[string]json.RawMessage{"interpolant": json.RawMessage(`"trig"`), "split_seed": json.RawMessage(`7`)},
		Tensors: map[string]Tensor{
			"data.mean":  {Shape: []int{3}, F64: []float64{1.5, -2, math.Pi}},
			"data.std":   {Shape: []int{1, 3}, F32: []float32{1, 2, 3}},
			"rng.state":  {Shape: []int{2}, I64: []int64{-1, math.MaxInt64}},
			"empty":      {Shape: []int{0, 4}},
			"scalar.f32": {Shape: []int{}, F32: []float32{-0.0}},
		},
		Meta: map[string]string{"train_state": `{"step":42}`, "history": "[]"},
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	ck := fullCheckpoint(t)
	path := filepath.Join(t.TempDir(), "ck.safetensors")
	if err := ck.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	bits := func(a, b []float32, what string) {
		if len(a) != len(b) {
			t.Fatalf("%s: %d vs %d elements", what, len(a), len(b))
		}
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("%s[%d]: %v vs %v", what, i, a[i], b[i])
			}
		}
	}
	if !sameConfig(got.Net.cfg, ck.Net.cfg) {
		t.Fatalf("config %+v, want %+v", got.Net.cfg, ck.Net.cfg)
	}
	bits(got.Net.Params(), ck.Net.Params(), "net")
	bits(got.EMA.Net.Params(), ck.EMA.Net.Params(), "ema")
	bits(got.Optim.M, ck.Optim.M, "optim.m")
	bits(got.Optim.V, ck.Optim.V, "optim.v")
	if got.EMA.Decay != 0.995 || got.Optim.Step != 42 || got.Optim.WeightDecay != 0.01 || got.Optim.Beta2 != 0.999 {
		t.Fatalf("hyper-parameters: ema %v, optim %+v", got.EMA.Decay, *got.Optim)
	}
	if string(got.ConfigExtra["interpolant"]) != `"trig"` || string(got.ConfigExtra["split_seed"]) != "7" || len(got.ConfigExtra) != 2 {
		t.Fatalf("config extra %v", got.ConfigExtra)
	}
	if got.Meta["train_state"] != `{"step":42}` || got.Meta["history"] != "[]" || got.Meta[MetaCreatedBy] == "" {
		t.Fatalf("meta %v", got.Meta)
	}
	for name, want := range ck.Tensors {
		g, ok := got.Tensors[name]
		if !ok {
			t.Fatalf("missing tensor %q", name)
		}
		if len(g.Shape) != len(want.Shape) {
			t.Fatalf("%s shape %v, want %v", name, g.Shape, want.Shape)
		}
		bits(g.F32, want.F32, name)
		for i := range want.F64 {
			if math.Float64bits(g.F64[i]) != math.Float64bits(want.F64[i]) {
				t.Fatalf("%s[%d]", name, i)
			}
		}
		for i := range want.I64 {
			if g.I64[i] != want.I64[i] {
				t.Fatalf("%s[%d]", name, i)
			}
		}
	}
	// Deterministic encoding: encode(decode(x)) == x.
	a, _ := os.ReadFile(path)
	got.Meta[MetaCreatedBy] = "flowbench/nn"
	b, err := got.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("re-encoding a loaded checkpoint changed its bytes")
	}
	// The loaded network computes the same bits.
	x := []float32{0.1, -0.2, 0.3, 1, 2, 3}
	o1, o2 := make([]float32, 6), make([]float32, 6)
	ck.Net.Velocity(0.4, x, o1)
	got.Net.Velocity(0.4, x, o2)
	bits(o1, o2, "velocity")
	// No temporary files left behind.
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Fatalf("directory holds %d entries after Save", len(ents))
	}
}

// The layout is PyTorch's: weight (out, in) at net.{2i}.weight.
func TestCheckpointPyTorchLayout(t *testing.T) {
	c := Config{Dim: 2, Hidden: []int{3}, Act: kernels.ReLU}
	m, _ := New(c, 3)
	b, err := (&Checkpoint{Net: m}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	meta, ts, err := parseSafetensors(b)
	if err != nil {
		t.Fatal(err)
	}
	w := ts["net.0.weight"]
	if w.Dtype != "F32" || len(w.Shape) != 2 || w.Shape[0] != 3 || w.Shape[1] != 3 {
		t.Fatalf("net.0.weight %+v", w)
	}
	l0 := m.Layers()[0]
	// element (out=1, in=2) is W[2, 1] in our In×Out layout.
	if got := f32From(w.data)[1*3+2]; got != l0.W[2*3+1] {
		t.Fatalf("transpose: %v, want %v", got, l0.W[2*3+1])
	}
	if s := ts["net.2.weight"].Shape; s[0] != 2 || s[1] != 3 {
		t.Fatalf("net.2.weight shape %v", s)
	}
	if meta[MetaFormatVersion] != FormatVersion {
		t.Fatalf("meta %v", meta)
	}
	var cj map[string]any
	if err := json.Unmarshal([]byte(meta[MetaConfig]), &cj); err != nil || cj["act"] != "relu" || cj["width"] != 3.0 || cj["depth"] != 1.0 {
		t.Fatalf("config %s (%v)", meta[MetaConfig], err)
	}
	if len(b)%8 != 0 && (8+binary.LittleEndian.Uint64(b))%8 != 0 {
		t.Fatal("header not padded to 8 bytes")
	}
}

// header builds a safetensors file from a header string and data.
func header(h string, data []byte) []byte {
	b := make([]byte, 8, 8+len(h)+len(data))
	binary.LittleEndian.PutUint64(b, uint64(len(h)))
	return append(append(b, h...), data...)
}

func TestCheckpointRejectsCorrupt(t *testing.T) {
	good, err := fullCheckpoint(t).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeCheckpoint(good); err != nil {
		t.Fatal(err)
	}
	// Every truncation is rejected.
	for n := 0; n < len(good); n++ {
		if _, err := DecodeCheckpoint(good[:n]); err == nil {
			t.Fatalf("truncated to %d bytes: no error", n)
		}
	}
	// Appended bytes are rejected (the data section must be tiled exactly).
	if _, err := DecodeCheckpoint(append(append([]byte(nil), good...), 0, 0, 0, 0)); err == nil {
		t.Fatal("trailing data: no error")
	}
	cfg := `{"dim":1,"hidden":[],"act":"silu","time":"concat","fourier":0}`
	meta := `"__metadata__":{"format_version":"1","config":` + strconvQuote(cfg) + `}`
	w := `"net.0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}`
	bias := `"net.0.bias":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}`
	data := make([]byte, 12)
	if _, err := DecodeCheckpoint(header("{"+meta+","+w+","+bias+"}", data)); err != nil {
		t.Fatalf("minimal valid file: %v", err)
	}
	nan := append([]byte(nil), data...)
	binary.LittleEndian.PutUint32(nan[4:], math.Float32bits(float32(math.NaN())))
	cases := map[string][]byte{
		"huge header length": func() []byte {
			b := header("{}", nil)
			binary.LittleEndian.PutUint64(b, math.MaxUint64)
			return b
		}(),
		"not json":          header("{"+meta+",", data),
		"array header":      header("[]", nil),
		"duplicate tensor":  header("{"+meta+","+w+","+w+","+bias+"}", data),
		"duplicate meta":    header("{"+meta+","+meta+","+w+","+bias+"}", data),
		"unknown field":     header("{"+meta+`,"net.0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8],"x":1},`+bias+"}", data),
		"bad dtype":         header("{"+meta+`,"net.0.weight":{"dtype":"F16","shape":[1,4],"data_offsets":[0,8]},`+bias+"}", data),
		"shape mismatch":    header("{"+meta+`,"net.0.weight":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]},`+bias+"}", data),
		"size mismatch":     header("{"+meta+`,"net.0.weight":{"dtype":"F32","shape":[1,3],"data_offsets":[0,8]},`+bias+"}", data),
		"negative shape":    header("{"+meta+`,"net.0.weight":{"dtype":"F32","shape":[-1,-2],"data_offsets":[0,8]},`+bias+"}", data),
		"overflow shape":    header("{"+meta+`,"net.0.weight":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]},`+bias+"}", data),
		"offsets outside":   header("{"+meta+`,"net.0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[8,16]},`+bias+"}", data),
		"overlap":           header("{"+meta+`,"net.0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[4,12]},`+bias+"}", data),
		"one offset":        header("{"+meta+`,"net.0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0]},`+bias+"}", data),
		"missing bias":      header("{"+meta+","+w+"}", data[:8]),
		"extra layer":       header("{"+meta+","+w+","+bias+`,"net.2.bias":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}`, make([]byte, 16)),
		"nan weight":        header("{"+meta+","+w+","+bias+"}", nan),
		"no metadata":       header("{"+w+","+bias+"}", data),
		"wrong version":     header(`{"__metadata__":{"format_version":"9","config":`+strconvQuote(cfg)+`},`+w+","+bias+"}", data),
		"no config":         header(`{"__metadata__":{"format_version":"1"},`+w+","+bias+"}", data),
		"bad config json":   header(`{"__metadata__":{"format_version":"1","config":"{"},`+w+","+bias+"}", data),
		"bad act":           header(`{"__metadata__":{"format_version":"1","config":`+strconvQuote(strings.Replace(cfg, "silu", "swish", 1))+`},`+w+","+bias+"}", data),
		"huge config":       header(`{"__metadata__":{"format_version":"1","config":`+strconvQuote(`{"dim":60000,"hidden":[60000],"act":"silu"}`)+`},`+w+","+bias+"}", data),
		"non-string meta":   header(`{"__metadata__":{"format_version":1,"config":`+strconvQuote(cfg)+`},`+w+","+bias+"}", data),
		"optim without m/v": header(`{"__metadata__":{"format_version":"1","optim":"{}","config":`+strconvQuote(cfg)+`},`+w+","+bias+"}", data),
		"ema without net":   header(`{"__metadata__":{"format_version":"1","ema":"{\"decay\":0.9}","config":`+strconvQuote(cfg)+`},`+w+","+bias+"}", data),
		"reserved prefix":   header("{"+meta+","+w+","+bias+`,"optim.x":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}`, make([]byte, 16)),
		"trailing junk":     header("{"+meta+","+w+","+bias+"}x", data),
	}
	for name, b := range cases {
		ck, err := DecodeCheckpoint(b)
		if err == nil {
			t.Errorf("%s: no error (got %+v)", name, ck)
			continue
		}
		if !strings.HasPrefix(err.Error(), "checkpoint: ") {
			t.Errorf("%s: error %q does not say it is about the checkpoint", name, err)
		}
	}
	// A file error names the file.
	bad := filepath.Join(t.TempDir(), "bad.safetensors")
	os.WriteFile(bad, cases["nan weight"], 0o644)
	if _, err := LoadCheckpoint(bad); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "net.0.weight") {
		t.Fatalf("error %v does not name the file and tensor", err)
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestCheckpointEncodeRejectsBadInput(t *testing.T) {
	ck := fullCheckpoint(t)
	ck.Meta["config"] = "x"
	if _, err := ck.Encode(); err == nil {
		t.Error("reserved meta key: no error")
	}
	ck = fullCheckpoint(t)
	ck.Tensors["net.9.weight"] = Tensor{Shape: []int{1}, F32: []float32{1}}
	if _, err := ck.Encode(); err == nil {
		t.Error("reserved tensor prefix: no error")
	}
	ck = fullCheckpoint(t)
	ck.Tensors["x"] = Tensor{Shape: []int{2}, F32: []float32{1}}
	if _, err := ck.Encode(); err == nil {
		t.Error("shape/length mismatch: no error")
	}
	ck = fullCheckpoint(t)
	ck.ConfigExtra["dim"] = json.RawMessage("3")
	if _, err := ck.Encode(); err == nil {
		t.Error("config key collision: no error")
	}
	if err := fullCheckpoint(t).Save(filepath.Join(t.TempDir(), "no", "such", "dir", "x")); err == nil {
		t.Error("save into a missing directory: no error")
	}
}

func FuzzLoadCheckpoint(f *testing.F) {
	good, err := fullCheckpoint(f).Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	m, _ := New(Config{Dim: 1, Hidden: []int{2}, Act: kernels.Tanh}, 0)
	small, _ := (&Checkpoint{Net: m}).Encode()
	f.Add(small)
	f.Add([]byte{})
	f.Add(header("{}", nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		ck, err := DecodeCheckpoint(b)
		if err != nil {
			return
		}
		// Whatever loads must re-encode and load again to the same parameters.
		b2, err := ck.Encode()
		if err != nil {
			t.Fatalf("loaded checkpoint does not re-encode: %v", err)
		}
		ck2, err := DecodeCheckpoint(b2)
		if err != nil {
			t.Fatalf("re-encoded checkpoint does not load: %v", err)
		}
		for i, v := range ck.Net.Params() {
			if math.Float32bits(v) != math.Float32bits(ck2.Net.Params()[i]) {
				t.Fatal("round trip changed the parameters")
			}
		}
	})
}

// TestWriteFuzzCorpus regenerates the seed corpus of FuzzLoadCheckpoint under
// testdata/fuzz when FLOWBENCH_WRITE_CORPUS=1.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("FLOWBENCH_WRITE_CORPUS") != "1" {
		t.Skip("set FLOWBENCH_WRITE_CORPUS=1 to regenerate testdata/fuzz/FuzzLoadCheckpoint")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzLoadCheckpoint")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	good, _ := fullCheckpoint(t).Encode()
	m, _ := New(Config{Dim: 2, Hidden: []int{3}, Act: kernels.ELU}, 0)
	small, _ := (&Checkpoint{Net: m}).Encode()
	flip := append([]byte(nil), small...)
	flip[len(flip)/2] ^= 0x40
	seeds := map[string][]byte{
		"full": good, "small": small, "truncated": small[:len(small)-3], "flipped": flip,
		"header-only": header(`{"__metadata__":{"format_version":"1"}}`, nil),
	}
	for name, b := range seeds {
		s := "go test fuzz v1\n[]byte(" + strconvQuoteGo(b) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// strconvQuoteGo quotes b as a Go string literal.
func strconvQuoteGo(b []byte) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, c := range b {
		switch {
		case c == '"' || c == '\\':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			sb.WriteByte(c)
		default:
			sb.WriteString(`\x`)
			sb.WriteByte("0123456789abcdef"[c>>4])
			sb.WriteByte("0123456789abcdef"[c&15])
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

// TestLoadCheckpointRefusesNonRegular checks that a device or a directory is refused before
// anything is read (reading /dev/zero would grow without bound).
func TestLoadCheckpointRefusesNonRegular(t *testing.T) {
	for _, p := range []string{"/dev/zero", t.TempDir()} {
		if _, err := LoadCheckpoint(p); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("LoadCheckpoint(%s): err = %v", p, err)
		}
	}
}
