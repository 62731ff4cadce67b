package dataset

import (
	"bytes"
	"compress/gzip"
	"errors"
	"math"
	"slices"
	"testing"
)

// The seed corpora in testdata/fuzz/Fuzz{CSV,NPY,IDX} hold every NumPy-written fixture of
// testdata/npy, the CSV/TSV cases of the table tests (BOM, CRLF, quotes, NaN, ragged, header
// only) and IDX files of every element type, truncated and with bad magic; the f.Add seeds
// below add a few more. Run one target at a time, e.g.
// go test -run '^$' -fuzz '^FuzzNPY$' -fuzztime 30s ./gen

// fuzzRead parses content as a file of that name, in memory, and checks the result: an
// error is a *Error (or a gzip error wrapped in one); a table is non-empty, its values
// finite with squares that fit float32, and a second streaming pass agrees.
func fuzzRead(t *testing.T, name string, content []byte) *Table {
	rr, err := openRowsFrom(name, bytes.NewReader(content), nil, int64(len(content)))
	if err != nil {
		checkFuzzErr(t, err)
		return nil
	}
	hint := rr.Rows()
	if hint < 0 {
		hint = int64(bytes.Count(content, []byte{'\n'})) + 1
	}
	if hint > 1<<16 {
		hint = 1 << 16
	}
	tb, err := readTableFrom(rr, name, hint)
	rr.Close()
	if err != nil {
		checkFuzzErr(t, err)
		return nil
	}
	if tb.N < 1 || tb.D < 1 || len(tb.Data) != tb.N*tb.D {
		t.Fatalf("table %d×%d with %d values", tb.N, tb.D, len(tb.Data))
	}
	for _, v := range tb.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v*v), 0) {
			t.Fatalf("value %v accepted", v)
		}
	}
	a := NewStatsAccumulator(tb.D)
	for i := range tb.N {
		a.Add(tb.Row(i))
	}
	s := a.Stats()
	for j := range tb.D {
		if math.IsNaN(s.Mean[j]) || math.IsInf(s.Std[j], 0) {
			t.Fatalf("stats column %d: %v ± %v", j, s.Mean[j], s.Std[j])
		}
	}
	return tb
}

func checkFuzzErr(t *testing.T, err error) {
	var de *Error
	if !errors.As(err, &de) {
		t.Fatalf("error %T %v is not a *Error", err, err)
	}
	if de.File == "" || de.Msg == "" {
		t.Fatalf("error without file or message: %+v", de)
	}
}

func FuzzCSV(f *testing.F) {
	for _, s := range []string{
		"1,2\n3,4\n", "x,y\r\n1,2\r\n", "\xef\xbb\xbfa\tb\n1\t2\n", "a,b\n", "", "1,2\n3\n",
		"1,NaN\n", "1,2e19\n", "\"a\",\"b\"\n\"1\",\"2\"\n", "1e400\n", "  \n1\n\n2\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, content []byte, tsv bool) {
		name := "fuzz.csv"
		if tsv {
			name = "fuzz.txt" // sniffed: TSV when the first line holds a tab
		}
		tb := fuzzRead(t, name, content)
		if tb == nil || tsv {
			return
		}
		// What was read writes back and reads again to the same values.
		var buf bytes.Buffer
		WriteCSV(&buf, tb.Data, tb.N, tb.D, nil)
		back := fuzzRead(t, "back.csv", buf.Bytes())
		if back == nil || !slices.Equal(back.Data, tb.Data) {
			t.Fatalf("CSV round trip changed %v", tb.Data)
		}
	})
}

func FuzzNPY(f *testing.F) {
	var buf bytes.Buffer
	WriteNPY(&buf, []float32{1, 2, 3, 4, 5, 6}, 3, 2)
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:buf.Len()-3])
	f.Add([]byte("\x93NUMPY\x01\x00\x10\x00{'descr': '<f8'}"))
	f.Fuzz(func(t *testing.T, content []byte) {
		tb := fuzzRead(t, "fuzz.npy", content)
		if tb == nil {
			return
		}
		var out bytes.Buffer
		WriteNPY(&out, tb.Data, tb.N, tb.D)
		back := fuzzRead(t, "back.npy", out.Bytes())
		if back == nil || !slices.Equal(back.Data, tb.Data) {
			t.Fatalf("NPY round trip changed %v", tb.Data)
		}
	})
}

func FuzzIDX(f *testing.F) {
	f.Add(idxFile(0x08, []uint32{2, 2, 2}, []byte{0, 1, 2, 3, 4, 5, 6, 255}))
	f.Add(idxFile(0x0D, []uint32{1, 1}, []byte{0x7f, 0xc0, 0, 0}))
	f.Add(idxFile(0x0E, []uint32{1, 1}, []byte{0x3f, 0xf0, 0, 0, 0, 0, 0, 0}))
	f.Add(idxFile(0x0B, []uint32{2}, []byte{0xff, 0xfe, 1, 0}))
	f.Add([]byte{0, 0, 8, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, content []byte) {
		tb := fuzzRead(t, "fuzz-idx3-ubyte", content)
		if tb != nil && tb.Bytes8 {
			for _, v := range tb.Data {
				if v < 0 || v > 255 || v != float32(int(v)) {
					t.Fatalf("byte value %v", v)
				}
			}
		}
	})
}

// FuzzGzip reads fuzzed content gzip-compressed (whole, or with its compressed stream cut)
// under every format's name: the gzip paths of all readers. An error must be a *Error, a
// table must pass fuzzRead's checks, and a cut stream must never read as more rows than
// the whole one.
func FuzzGzip(f *testing.F) {
	f.Add([]byte("x,y\n1,2\n3,4\n"), uint8(0), uint16(0))
	f.Add([]byte("1\t2\n3\t4\n"), uint8(1), uint16(5))
	f.Add(append([]byte(npyMagic), 1, 0, 70, 0), uint8(2), uint16(0))
	f.Add([]byte{0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4}, uint8(3), uint16(3))
	names := []string{"x.csv", "x.tsv", "x.npy", "x.idx", "x"}
	f.Fuzz(func(t *testing.T, content []byte, kind uint8, cut uint16) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(content)
		zw.Close()
		z := buf.Bytes()
		name := names[int(kind)%len(names)]
		whole := fuzzRead(t, name, z)
		if cut > 0 && int(cut) < len(z) {
			part := fuzzRead(t, name, z[:len(z)-int(cut)])
			if part != nil && whole != nil && part.N > whole.N {
				t.Fatalf("a cut gzip stream read %d rows, the whole one %d", part.N, whole.N)
			}
		}
	})
}
