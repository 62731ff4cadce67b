package dataset

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// The files in testdata/npy were written by NumPy 1.24 (np.save, np.lib.format.write_array)
// and cut or patched for the broken cases; see the table below.

func TestNPYAccepted(t *testing.T) {
	want := []float32{1.5, -2.25, 3, 4, 5.5, -6.125}
	for _, f := range []string{"f4.npy", "f8.npy", "v2.npy", "v3.npy"} {
		t.Run(f, func(t *testing.T) {
			tb, err := ReadTable(filepath.Join("testdata", "npy", f))
			if err != nil {
				t.Fatal(err)
			}
			if tb.N != 2 || tb.D != 3 || !slices.Equal(tb.Data, want) {
				t.Fatalf("got %d×%d %v", tb.N, tb.D, tb.Data)
			}
		})
	}
}

func TestNPYRejected(t *testing.T) {
	cases := []struct {
		file  string
		frags []string
	}{
		{"badmagic.npy", []string{"badmagic.npy", "wrong magic"}},
		{"short.npy", []string{"wrong magic"}},
		{"i8.npy", []string{"integer dtype \"<i8\"", "not supported"}},
		{"u1.npy", []string{"integer dtype \"|u1\""}},
		{"bool.npy", []string{"boolean dtype"}},
		{"c8.npy", []string{"complex dtype \"<c8\""}},
		{"f2.npy", []string{"unsupported dtype \"<f2\""}},
		{"be_f4.npy", []string{"big-endian dtype \">f4\""}},
		{"be_f8.npy", []string{"big-endian dtype \">f8\""}},
		{"struct.npy", []string{"structured dtypes are not supported"}},
		{"f4_fortran.npy", []string{"Fortran-order"}},
		{"1d.npy", []string{"shape (4,) (1-D), want 2-D"}},
		{"3d.npy", []string{"shape (2, 2, 2) (3-D), want 2-D"}},
		{"0d.npy", []string{"shape () (0-D), want 2-D"}},
		{"empty.npy", []string{"no data rows"}},
		{"truncated.npy", []string{"truncated", "shape (2, 3)", "24 bytes of data", "holds 20 bytes"}},
		{"header_only.npy", []string{"truncated", "holds 0 bytes"}},
		{"claims_more.npy", []string{"truncated", "shape (9, 3)", "108 bytes of data", "holds 24 bytes"}},
		{"trailing.npy", []string{"4 unexpected bytes after the data"}},
		{"hlen_big.npy", []string{"header length 65535 is larger than the file"}},
		{"nan.npy", []string{"row 1: column 1: NaN is not allowed"}},
		{"inf.npy", []string{"row 1: column 2: -Inf is not allowed"}},
		{"big_f8.npy", []string{"row 1: column 2", "square overflows float32"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			_, err := ReadTable(filepath.Join("testdata", "npy", c.file))
			wantDataError(t, err, c.frags...)
		})
	}
}

func TestNPYHeaderParser(t *testing.T) {
	bad := []string{
		"", "{", "{}", "{'descr': '<f4'}", "{'descr': '<f4', 'fortran_order': False}",
		"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1, 2)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), 'extra': 1}",
		"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1, 2)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (1 2)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 2)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (1)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2)} junk",
		"{'descr': '<f4, 'fortran_order': False, 'shape': (1, 2)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 2)}",
	}
	for _, h := range bad {
		if _, _, _, err := parseNPYHeader(h); err == nil {
			t.Errorf("accepted %q", h)
		}
	}
	d, f, s, err := parseNPYHeader("{\"descr\":\"<f8\",\"shape\":(3,4,),\"fortran_order\":False}   \n")
	if err != nil || d != "<f8" || f || !slices.Equal(s, []int64{3, 4}) {
		t.Errorf("got %q %v %v %v", d, f, s, err)
	}
}

func TestWriteNPYMatchesNumPy(t *testing.T) {
	// np.save of the same float32 array gives these exact bytes.
	want, err := os.ReadFile(filepath.Join("testdata", "npy", "f4.npy"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteNPY(&buf, []float32{1.5, -2.25, 3, 4, 5.5, -6.125}, 2, 3); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("WriteNPY differs from np.save:\n got %q\nwant %q", buf.Bytes(), want)
	}
	// Round trip of a larger array whose header needs a different padding.
	data := SampleN(Moons{}, 12345, 1)
	buf.Reset()
	WriteNPY(&buf, data, 12345, 2)
	if buf.Len()-len(data)*4 != 128 {
		t.Errorf("header %d bytes, want 128", buf.Len()-len(data)*4)
	}
	p := writeTemp(t, "m.npy", buf.Bytes())
	tb, err := ReadTable(p)
	if err != nil || !slices.Equal(tb.Data, data) {
		t.Fatalf("round trip: %v", err)
	}
}

// TestWriteNPYLoadsInNumPy checks that NumPy reads what WriteNPY writes (skipped without
// python3 and numpy).
func TestWriteNPYLoadsInNumPy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Python")
	}
	py := "/usr/bin/python3" // the system Python, where Debian's python3-numpy lives
	if exec.Command(py, "-c", "import numpy").Run() != nil {
		t.Skip("python3 with numpy not available")
	}
	var buf bytes.Buffer
	WriteNPY(&buf, []float32{1, 2, 3, 4.5, 5, 6}, 3, 2)
	p := writeTemp(t, "x.npy", buf.Bytes())
	out, err := exec.Command(py, "-c", "import numpy as np, sys; a = np.load(sys.argv[1]); print(a.dtype, a.shape, a.flags['C_CONTIGUOUS'], a.sum())", p).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got := string(bytes.TrimSpace(out)); got != "float32 (3, 2) True 21.5" {
		t.Fatalf("numpy read %q", got)
	}
}

// TestWrite64 checks that WriteNPY64 and WriteCSV64 write float64 values that read back
// (through the readers, as float32) and that the CSV keeps every float64 digit.
func TestWrite64(t *testing.T) {
	// -2.5e-30 has float64 digits float32 lacks (a value that float32 would round to 0,
	// such as -2.5e-300, is refused by the readers: TestNPYValueRange).
	v := []float64{1.0000000001, -2.5e-30, 3, math.Pi}
	dir := t.TempDir()
	var nb, cb bytes.Buffer
	if err := WriteNPY64(&nb, v, 2, 2); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSV64(&cb, v, 4, 1, []string{"logp"}); err != nil {
		t.Fatal(err)
	}
	if want := "logp\n1.0000000001\n-2.5e-30\n3\n3.141592653589793\n"; cb.String() != want {
		t.Fatalf("CSV %q, want %q", cb.String(), want)
	}
	p := filepath.Join(dir, "v.npy")
	os.WriteFile(p, nb.Bytes(), 0o644)
	tab, err := ReadTable(p)
	if err != nil {
		t.Fatal(err)
	}
	if tab.N != 2 || tab.D != 2 {
		t.Fatalf("shape %d×%d", tab.N, tab.D)
	}
	for i, x := range tab.Data {
		if x != float32(v[i]) {
			t.Fatalf("value %d: %v, want %v", i, x, float32(v[i]))
		}
	}
}

// An '<f8' value that float32 rounds to 0, or whose square overflows float32, is refused
// naming its row and column, with the value as stored.
func TestNPYValueRange(t *testing.T) {
	for _, c := range []struct {
		v     float64
		frags []string
	}{
		{1e-50, []string{"row 1: column 2", "value 1e-50 is too small"}},
		{-1.8446744e19, []string{"row 1: column 2", "value -1.8446744e+19 is too large", "at most 1.844674352395373e+19"}},
	} {
		var b bytes.Buffer
		if err := WriteNPY64(&b, []float64{1, 2, 3, c.v}, 2, 2); err != nil {
			t.Fatal(err)
		}
		p := writeTemp(t, "v.npy", b.Bytes())
		_, err := ReadTable(p)
		wantDataError(t, err, c.frags...)
	}
	// A float32 subnormal is representable and read as it is.
	var b bytes.Buffer
	WriteNPY64(&b, []float64{1, 2, 3, 1e-40}, 2, 2)
	if tb, err := ReadTable(writeTemp(t, "s.npy", b.Bytes())); err != nil || tb.Data[3] != float32(1e-40) {
		t.Fatalf("subnormal: %v", err)
	}
}
