package dataset

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// writeTemp writes content to a file of that name in a new temporary directory.
func writeTemp(t testing.TB, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTextAccepted(t *testing.T) {
	want := []float32{1, 2.5, -3, 4e-3, 5, 6}
	cases := []struct {
		name, file, content string
		cols                []string
	}{
		{"plain", "a.csv", "1,2.5\n-3,4e-3\n5,6\n", nil},
		{"no final newline", "a.csv", "1,2.5\n-3,4e-3\n5,6", nil},
		{"header", "a.csv", "x,y\n1,2.5\n-3,4e-3\n5,6\n", []string{"x", "y"}},
		{"quoted header", "a.csv", "\"x\", \"y\"\n1,2.5\n-3,4e-3\n5,6\n", []string{"x", "y"}},
		{"CRLF", "a.csv", "x,y\r\n1,2.5\r\n-3,4e-3\r\n5,6\r\n", []string{"x", "y"}},
		{"BOM", "a.csv", "\xef\xbb\xbfx,y\n1,2.5\n-3,4e-3\n5,6\n", []string{"x", "y"}},
		{"BOM no header", "a.csv", "\xef\xbb\xbf1,2.5\n-3,4e-3\n5,6\n", nil},
		{"TSV", "a.tsv", "x\ty\n1\t2.5\n-3\t4e-3\n5\t6\n", []string{"x", "y"}},
		{"TSV sniffed", "a.txt", "1\t2.5\n-3\t4e-3\n5\t6\n", nil},
		{"CSV sniffed", "a.dat", "1,2.5\n-3,4e-3\n5,6\n", nil},
		{"spaces and blank lines", "a.csv", "\n x , y \n\n 1 , 2.5\n-3,4e-3\n\n5,6\n\n", []string{"x", "y"}},
		{"CR-LF with BOM and TSV", "a.tsv", "\xef\xbb\xbf1\t2.5\r\n-3\t4e-3\r\n5\t6\r\n", nil},
		{"space-separated sniffed", "a.txt", "  1  2.5\n-3 4e-3 \n5\t 6\n", nil},
		{"space-separated header", "a.dat", "x y\n1 2.5\n-3 4e-3\n5 6\n", []string{"x", "y"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeTemp(t, c.file, []byte(c.content))
			tb, err := ReadTable(p)
			if err != nil {
				t.Fatal(err)
			}
			if tb.N != 3 || tb.D != 2 || !slices.Equal(tb.Data, want) {
				t.Fatalf("got %d×%d %v", tb.N, tb.D, tb.Data)
			}
			if !slices.Equal(tb.Columns, c.cols) {
				t.Errorf("columns %q, want %q", tb.Columns, c.cols)
			}
			if len(tb.SHA256) != 64 {
				t.Errorf("SHA256 %q", tb.SHA256)
			}
		})
	}
}

func TestTextSingleRowAndGzip(t *testing.T) {
	p := writeTemp(t, "one.csv", []byte("0.5,1e19,-1e-30\n"))
	tb, err := ReadTable(p)
	if err != nil || tb.N != 1 || tb.D != 3 {
		t.Fatalf("%v %+v", err, tb)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("a,b\n1,2\n3,4\n"))
	zw.Close()
	p = writeTemp(t, "z.csv.gz", buf.Bytes())
	tb, err = ReadTable(p)
	if err != nil || !slices.Equal(tb.Data, []float32{1, 2, 3, 4}) {
		t.Fatalf("%v %+v", err, tb)
	}
}

// wantDataError checks that err is a *Error whose message holds every fragment.
func wantDataError(t *testing.T, err error, frags ...string) {
	t.Helper()
	var de *Error
	if !errors.As(err, &de) {
		t.Fatalf("got %T %v, want *Error", err, err)
	}
	for _, f := range frags {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q lacks %q", err, f)
		}
	}
}

func TestTextRejected(t *testing.T) {
	cases := []struct {
		name, content string
		frags         []string
	}{
		{"empty", "", []string{"bad.csv", "empty file"}},
		{"blank lines only", "\n\r\n  \n", []string{"empty file"}},
		{"BOM only", "\xef\xbb\xbf", []string{"empty file"}},
		{"header only", "x,y\n", []string{"bad.csv:1", "header only"}},
		{"header only blank after", "x,y\n\n\n", []string{"header only"}},
		{"non-numeric", "x,y\n1,2\n3,abc\n", []string{"bad.csv:3", `column 2 ("y")`, `non-numeric value "abc"`}},
		{"non-numeric no header", "1,2\n3,4\n5,six\n", []string{"bad.csv:3", "column 2:", "non-numeric"}},
		{"typo in the first row is no header", "1,tw0\n3,4\n", []string{"bad.csv:1", "column 2:", `non-numeric value "tw0"`}},
		{"empty field", "1,2\n3,\n", []string{"bad.csv:2", "column 2", "empty field"}},
		{"NaN", "x,y\n1,NaN\n", []string{"bad.csv:2", `column 2 ("y")`, "NaN"}},
		{"nan lower", "1,2\nnan,3\n", []string{"bad.csv:2", "column 1", "NaN"}},
		{"Inf", "1,2\n3,-Inf\n", []string{"bad.csv:2", "column 2", "-Inf is not allowed"}},
		{"infinity", "1,2\ninfinity,1\n", []string{"bad.csv:2", "column 1", "+Inf is not allowed"}},
		{"ragged short", "x,y,z\n1,2,3\n4,5\n", []string{"bad.csv:3", "ragged row: 2 fields, want 3 as in the header"}},
		{"ragged long", "1,2\n3,4,5\n", []string{"bad.csv:2", "ragged row: 3 fields, want 2 as in the first row"}},
		{"square overflows", "1,2\n3,2e19\n", []string{"bad.csv:2", "column 2", "square overflows float32"}},
		{"beyond float64", "1,2\n1e400,2\n", []string{"bad.csv:2", "column 1", "too large"}},
		{"negative square overflows", "1,2\n3,-1.9e19\n", []string{"column 2", "square overflows"}},
		// Just above the bound, which is printed in full (not as 1.845e+19, which the value
		// would seem to meet).
		{"just above the bound", "1,2\n3,1.8446744e+19\n", []string{"column 2", "value 1.8446744e+19 is too large", "at most 1.844674352395373e+19"}},
		// A nonzero value that float32 rounds to 0 is no zero: refused, not read as 0 (and
		// later called "all 0").
		{"underflows float32", "1e-50,2\n2e-50,3\n", []string{"bad.csv:1", "column 1", "value 1e-50 is too small", "rounds to 0 in float32"}},
		{"below float64", "1,2\n-1e-400,2\n", []string{"bad.csv:2", "column 1", "value -1e-400 is too small"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeTemp(t, "bad.csv", []byte(c.content))
			_, err := ReadTable(p)
			wantDataError(t, err, c.frags...)
			_, _, _, err2 := ScanStats(p, nil, PartAll)
			if err2 == nil || err2.Error() != err.Error() {
				t.Errorf("ScanStats: %v, ReadTable: %v", err2, err)
			}
		})
	}
}

func TestZeroVarianceColumn(t *testing.T) {
	p := writeTemp(t, "z.csv", []byte("a,b,c\n1,5,3\n2,5,4\n3,5,5\n"))
	_, _, _, err := ScanStats(p, nil, PartAll)
	wantDataError(t, err, "z.csv", `column 2 ("b")`, "zero variance")
	tb, err := ReadTable(p) // reading is fine; standardizing is not
	if err != nil {
		t.Fatal(err)
	}
	_, err = ComputeStats(tb, nil)
	wantDataError(t, err, "z.csv", `column 2 ("b")`, "zero variance")
	// A spread below float32 resolution around a large mean cannot be standardized either.
	p = writeTemp(t, "z2.csv", []byte("1e6,1\n1000000.0625,2\n"))
	_, _, _, err = ScanStats(p, nil, PartAll)
	wantDataError(t, err, "column 1", "variance too small")
}

func TestWriteCSVRoundTrip(t *testing.T) {
	data := []float32{1, -2.5, float32(math.Pi), 1e-30, 3.4e18, float32(math.SmallestNonzeroFloat32)}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, data, 3, 2, []string{"u", "v"}); err != nil {
		t.Fatal(err)
	}
	p := writeTemp(t, "rt.csv", buf.Bytes())
	tb, err := ReadTable(p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tb.Data, data) || !slices.Equal(tb.Columns, []string{"u", "v"}) {
		t.Fatalf("round trip: %v %v", tb.Data, tb.Columns)
	}
}

// TestCSVDecimalOnly checks that Go literal syntax that no CSV writer produces is refused
// while every ordinary decimal form is read.
func TestCSVDecimalOnly(t *testing.T) {
	for _, ok := range []string{"1", "-1.5", "+.5", "5.", "1e3", "1.5E-7", "-0", "007"} {
		if !decimalSyntax([]byte(ok)) {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"0x1p3", "1_000", "0b101", ".", "e5", "1e", "1e+", "1.2.3", "--1", "1e5x", "0o17"} {
		if decimalSyntax([]byte(bad)) {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestCSVTooManyColumns checks that a first line with more columns than a model can have is
// rejected before it is split.
func TestCSVTooManyColumns(t *testing.T) {
	line := strings.Repeat("1,", MaxColumns) + "1\n"
	p := writeTemp(t, "wide.csv", []byte(line+line))
	if _, err := ReadTable(p); err == nil || !strings.Contains(err.Error(), "more than the 65536") {
		t.Fatalf("err = %v", err)
	}
}

// TestErrorsQuoteNames reads hostile file names (a newline, a terminal escape) through every
// reader and its errors: the name is quoted, so the message stays one line and sends no
// escape sequence; a plain name is printed as it is.
func TestErrorsQuoteNames(t *testing.T) {
	dir := t.TempDir()
	hostile := "two\nlines\x1b[2J"
	var npy bytes.Buffer
	WriteNPY64(&npy, []float64{1, math.NaN()}, 1, 2)
	for _, c := range []struct {
		ext     string
		content []byte // nil: no file
	}{
		{".csv", []byte("1,2\n3,x\n")},
		{".tsv", []byte("")},
		{".npy", npy.Bytes()},
		{".idx", []byte{0, 0, 8, 1, 0, 0, 0, 9, 1}},
		{".csv", nil},
	} {
		p := filepath.Join(dir, hostile+c.ext)
		if c.content != nil {
			os.WriteFile(p, c.content, 0o644)
		}
		_, err := ReadTable(p)
		if err == nil {
			t.Fatalf("%q: no error", p)
		}
		if msg := err.Error(); strings.ContainsAny(msg, "\n\x1b") || !strings.Contains(msg, strconv.Quote(p)) {
			t.Errorf("%s: error %q does not quote the name", c.ext, msg)
		}
		os.Remove(p)
	}
	if _, err := ReadTable(filepath.Join(dir, "plain.csv")); err == nil || !strings.HasPrefix(err.Error(), filepath.Join(dir, "plain.csv")+": ") {
		t.Errorf("a plain name: %v", err)
	}
}

// A gzipped text file cut inside its compressed stream is reported as cut, at the line where
// the data end, not as a ragged row made of the partial last line.
func TestCutGzipText(t *testing.T) {
	var raw bytes.Buffer
	for i := range 3000 {
		fmt.Fprintf(&raw, "%d,%d\n", i, i*i%7)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(raw.Bytes())
	zw.Close()
	p := writeTemp(t, "cut.csv.gz", z.Bytes()[:z.Len()/2])
	_, err := ReadTable(p)
	wantDataError(t, err, "cut.csv.gz:", "truncated gzip stream")
	if strings.Contains(err.Error(), "ragged") {
		t.Fatalf("a cut stream reported as a bad row: %v", err)
	}
}
