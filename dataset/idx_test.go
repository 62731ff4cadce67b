package dataset

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// idxFile builds an IDX file: 00 00 type ndim, big-endian uint32 dims, then payload.
func idxFile(typ byte, dims []uint32, payload []byte) []byte {
	b := []byte{0, 0, typ, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, payload...)
}

func TestIDXAccepted(t *testing.T) {
	img := idxFile(0x08, []uint32{2, 2, 3}, []byte{0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255})
	p := writeTemp(t, "train-images-idx3-ubyte", img)
	tb, err := ReadTable(p)
	if err != nil {
		t.Fatal(err)
	}
	if tb.N != 2 || tb.D != 6 || !tb.Bytes8 || !slices.Equal(tb.Data, []float32{0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255}) {
		t.Fatalf("got %+v", tb)
	}
	// The same, gzipped, sniffed by content under a neutral name.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(img)
	zw.Close()
	tz, err := ReadTable(writeTemp(t, "images.bin", buf.Bytes()))
	if err != nil || !slices.Equal(tz.Data, tb.Data) {
		t.Fatalf("gzip: %v", err)
	}
	// Labels: 1-D gives one column.
	tl, err := ReadTable(writeTemp(t, "l.idx", idxFile(0x08, []uint32{3}, []byte{7, 8, 9})))
	if err != nil || tl.N != 3 || tl.D != 1 {
		t.Fatalf("labels: %v %+v", err, tl)
	}
	// Other element types, big-endian.
	f := binary.BigEndian.AppendUint32(nil, math.Float32bits(-1.5))
	f = binary.BigEndian.AppendUint32(f, math.Float32bits(2))
	tf, err := ReadTable(writeTemp(t, "f.idx", idxFile(0x0D, []uint32{1, 2}, f)))
	if err != nil || tf.Bytes8 || !slices.Equal(tf.Data, []float32{-1.5, 2}) {
		t.Fatalf("float32: %v %+v", err, tf)
	}
	s := binary.BigEndian.AppendUint16(nil, 0xfffe) // −2
	s = binary.BigEndian.AppendUint16(s, 300)
	ts, err := ReadTable(writeTemp(t, "s.idx", idxFile(0x0B, []uint32{2, 1}, s)))
	if err != nil || !slices.Equal(ts.Data, []float32{-2, 300}) {
		t.Fatalf("int16: %v %+v", err, ts)
	}
}

func TestIDXRejected(t *testing.T) {
	good := idxFile(0x08, []uint32{2, 3}, []byte{1, 2, 3, 4, 5, 6})
	nan := binary.BigEndian.AppendUint64(nil, math.Float64bits(math.NaN()))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(good[:len(good)-2])
	zw.Close()
	cases := []struct {
		name    string
		content []byte
		frags   []string
	}{
		{"empty", nil, []string{"empty file"}},
		{"wrong magic", append([]byte{1, 0, 8, 2}, good[4:]...), []string{"not an IDX file: wrong magic 01 00 08 02"}},
		{"unknown type", append([]byte{0, 0, 7, 2}, good[4:]...), []string{"wrong magic 00 00 07 02"}},
		{"zero dims", []byte{0, 0, 8, 0}, []string{"wrong magic"}},
		{"short magic", []byte{0, 0}, []string{"truncated in the IDX magic"}},
		{"truncated dims", good[:9], []string{"truncated in the header: 2 dimensions announced, file ends in dimension 2"}},
		{"truncated data", good[:len(good)-1], []string{"truncated", "dimensions [2 3]", "6 bytes of data", "holds 5 bytes"}},
		{"claims more", idxFile(0x08, []uint32{60000, 784}, []byte{1, 2, 3}), []string{"truncated", "[60000 784]"}},
		{"trailing", append(slices.Clone(good), 9), []string{"1 unexpected bytes after the data"}},
		{"no rows", idxFile(0x08, []uint32{0, 3}, nil), []string{"no data rows"}},
		{"NaN", idxFile(0x0E, []uint32{1, 1}, nan), []string{"row 0: column 1: NaN"}},
		{"truncated gzip", gz.Bytes(), []string{"row 1: truncated"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadTable(writeTemp(t, "bad-idx3-ubyte", c.content))
			wantDataError(t, err, append(c.frags, "bad-idx3-ubyte")...)
		})
	}
}

// TestFashionMNIST reads the real files of Debian's dataset-fashion-mnist when installed:
// 60 000 + 10 000 images of 28×28 bytes, and labels with exactly 6 000 (train) and 1 000
// (test) per class.
func TestFashionMNIST(t *testing.T) {
	dir := "/usr/share/datasets/fashion-mnist"
	if _, err := os.Stat(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz")); err != nil {
		t.Skip("dataset-fashion-mnist not installed")
	}
	for _, c := range []struct {
		prefix string
		n      int
	}{{"t10k", 10000}, {"train", 60000}} {
		if testing.Short() && c.prefix == "train" {
			continue
		}
		lab, err := ReadTable(filepath.Join(dir, c.prefix+"-labels-idx1-ubyte.gz"))
		if err != nil {
			t.Fatal(err)
		}
		if lab.N != c.n || lab.D != 1 {
			t.Fatalf("%s labels %d×%d", c.prefix, lab.N, lab.D)
		}
		var count [10]int
		for _, v := range lab.Data {
			count[int(v)]++
		}
		for k, n := range count {
			if n != c.n/10 {
				t.Errorf("%s: class %d has %d labels, want %d", c.prefix, k, n, c.n/10)
			}
		}
		img, err := ReadTable(filepath.Join(dir, c.prefix+"-images-idx3-ubyte.gz"))
		if err != nil {
			t.Fatal(err)
		}
		if img.N != c.n || img.D != 784 || !img.Bytes8 {
			t.Fatalf("%s images %d×%d bytes8=%v", c.prefix, img.N, img.D, img.Bytes8)
		}
		lo, hi := slices.Min(img.Data), slices.Max(img.Data)
		if lo != 0 || hi != 255 {
			t.Errorf("%s pixel range [%v, %v]", c.prefix, lo, hi)
		}
		// 8-bit data are standardized with the statistics of the dequantized values
		// (variance ≥ 1/12, so even a constant pixel would do).
		st, err := ComputeStats(img, nil)
		if err != nil {
			t.Fatal(err)
		}
		for j, sd := range st.Std {
			if sd < math.Sqrt(1.0/12) {
				t.Fatalf("pixel %d: std %v below the dequantization noise's", j, sd)
			}
		}
	}
}
