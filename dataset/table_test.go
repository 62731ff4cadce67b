package dataset

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestStatsWelfordMatchesTwoPass(t *testing.T) {
	// Values with a large offset stress the one-pass update.
	n, d := 5000, 3
	x := SampleN(Moons{}, n*3/2, 4)[:n*d]
	for i := range x {
		x[i] = x[i]*float32(i%3+1) + 1000
	}
	tb := &Table{Source: "mem", N: n, D: d, Data: x}
	s, err := ComputeStats(tb, nil)
	if err != nil {
		t.Fatal(err)
	}
	for j := range d {
		var m, v float64
		for i := range n {
			m += float64(x[i*d+j])
		}
		m /= float64(n)
		for i := range n {
			v += (float64(x[i*d+j]) - m) * (float64(x[i*d+j]) - m)
		}
		sd := math.Sqrt(v / float64(n))
		if math.Abs(s.Mean[j]-m) > 1e-9*math.Abs(m) || math.Abs(s.Std[j]-sd) > 1e-9*sd {
			t.Errorf("column %d: Welford %v ± %v, two-pass %v ± %v", j, s.Mean[j], s.Std[j], m, sd)
		}
	}
	if s.N != int64(n) {
		t.Errorf("N = %d", s.N)
	}
	// Standardize gives mean 0, std 1; Unstandardize restores the data.
	y := append([]float32(nil), x...)
	s.Standardize(y)
	st, _ := ComputeStats(&Table{N: n, D: d, Data: y}, nil)
	for j := range d {
		if math.Abs(st.Mean[j]) > 1e-5 || math.Abs(st.Std[j]-1) > 1e-5 {
			t.Errorf("standardized column %d: mean %v std %v", j, st.Mean[j], st.Std[j])
		}
	}
	s.Unstandardize(y)
	for i := range x {
		if math.Abs(float64(y[i]-x[i])) > 1e-6*math.Abs(float64(x[i])) {
			t.Fatalf("round trip [%d]: %v vs %v", i, y[i], x[i])
		}
	}
	// LogScale is the log-determinant of the map to data units.
	want := math.Log(s.Std[0]) + math.Log(s.Std[1]) + math.Log(s.Std[2])
	if math.Abs(s.LogScale()-want) > 1e-12 {
		t.Errorf("LogScale %v, want %v", s.LogScale(), want)
	}
}

func TestScanStatsMatchesTable(t *testing.T) {
	n := 3000
	x := SampleN(Pinwheel{}, n, 2)
	var buf bytes.Buffer
	WriteCSV(&buf, x, n, 2, []string{"a", "b"})
	// Blank lines must not shift the row numbering of the streaming split.
	content := bytes.Replace(buf.Bytes(), []byte("\n"), []byte("\n\r\n"), 40)
	buf.Reset()
	buf.Write(content)
	p := writeTemp(t, "p.csv", buf.Bytes())
	sp, _ := NewSplit(9, 0.8, 0.1, 0.1)
	s1, sha, rows, err := ScanStats(p, &sp, PartTrain)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	if sha != hex.EncodeToString(sum[:]) || rows != int64(n) {
		t.Errorf("sha %s rows %d", sha, rows)
	}
	tb, _ := ReadTable(p)
	if tb.SHA256 != sha {
		t.Errorf("ReadTable sha %s", tb.SHA256)
	}
	train, err := sp.Take(tb, PartTrain)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := ComputeStats(train, nil)
	if fmt.Sprint(s1) != fmt.Sprint(s2) {
		t.Errorf("ScanStats %v\nComputeStats %v", s1, s2)
	}
}

func TestSplit(t *testing.T) {
	if _, err := NewSplit(1, 0.5, 0.5, 0.5); err == nil {
		t.Error("fractions summing to 1.5 accepted")
	}
	if _, err := NewSplit(1, -0.1, 0.6, 0.5); err == nil {
		t.Error("negative fraction accepted")
	}
	sp, _ := NewSplit(42, 0.8, 0.1, 0.1)
	// The permutation is a bijection of [0, n) and the part sizes are exact.
	for _, n := range []int64{1, 2, 3, 7, 10, 64, 65, 1000, 4097} {
		seen := make([]bool, n)
		perm := newPermutation(sp.Seed, n)
		for i := range n {
			x := perm.at(i)
			if x >= uint64(n) || seen[x] {
				t.Fatalf("n=%d: π(%d) = %d repeated or out of range", n, i, x)
			}
			seen[x] = true
		}
		var count [4]int64
		keep := sp.Keep(PartAll, n)
		for i := range n {
			count[sp.Part(i, n)]++
			if !keep.Keep(i) {
				t.Fatal("PartAll filter dropped a row")
			}
		}
		tr, va, te := sp.Sizes(n)
		if count[PartTrain] != tr || count[PartVal] != va || count[PartTest] != te || tr+va+te != n {
			t.Errorf("n=%d: parts %v, sizes %d/%d/%d", n, count[1:], tr, va, te)
		}
		if want := int64(math.Floor(0.8*float64(n) + 0.5)); tr != want {
			t.Errorf("n=%d: %d training rows, want %d", n, tr, want)
		}
	}
	// Another seed gives another assignment.
	sp2, _ := NewSplit(43, 0.8, 0.1, 0.1)
	same := 0
	for i := range int64(1000) {
		if sp.Part(i, 1000) == sp2.Part(i, 1000) {
			same++
		}
	}
	if same > 800 {
		t.Errorf("seeds 42 and 43 agree on %d of 1000 rows", same)
	}
	// The test rows are spread over the file, not a block.
	var first, last int64 = -1, -1
	for i := range int64(1000) {
		if sp.Part(i, 1000) == PartTest {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first > 100 || last < 900 {
		t.Errorf("test rows span only %d..%d of 1000", first, last)
	}
	// Take: the parts partition the table, in order.
	tb := TableFromSampler(Rings{}, 1000, 1)
	total := 0
	for _, p := range []SplitPart{PartTrain, PartVal, PartTest} {
		part, err := sp.Take(tb, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(part.Data) != part.N*part.D {
			t.Fatalf("%s: %d values for %d rows", p, len(part.Data), part.N)
		}
		total += part.N
	}
	all, _ := sp.Take(tb, PartAll)
	if total != tb.N || all.N != tb.N {
		t.Errorf("parts hold %d rows, all %d, table %d", total, all.N, tb.N)
	}
	one := &Table{Source: "one.csv", N: 1, D: 2, Data: []float32{1, 2}}
	tr, _ := NewSplit(0, 1, 0, 0)
	if _, err := tr.Take(one, PartTest); err == nil || !strings.Contains(err.Error(), "one.csv: the test split is empty") {
		t.Errorf("empty split: %v", err)
	}
	for _, s := range []string{"all", "train", "val", "test"} {
		p, err := ParseSplitPart(s)
		if err != nil || p.String() != s {
			t.Errorf("ParseSplitPart(%q) = %v, %v", s, p, err)
		}
	}
	if _, err := ParseSplitPart("dev"); err == nil {
		t.Error("ParseSplitPart(dev) accepted")
	}
}

func TestDequantize(t *testing.T) {
	x := make([]float32, 256*400)
	for i := range x {
		x[i] = float32(i % 256)
	}
	orig := append([]float32(nil), x...)
	Dequantize(ToyRNG(1, 0), x)
	var sum float64
	for i, v := range x {
		if !(v >= orig[i] && v < orig[i]+1) {
			t.Fatalf("value %v from %v outside [x, x+1)", v, orig[i])
		}
		sum += float64(v - orig[i])
	}
	if m := sum / float64(len(x)); math.Abs(m-0.5) > 5*math.Sqrt(1.0/12/float64(len(x))) {
		t.Errorf("mean noise %v, want 0.5", m)
	}
}

// TestReadTableMemory checks that reading a text file holds only the float32 values: the
// bytes allocated stay far below the file's size (so a file larger than twice the memory
// can be streamed through ScanStats and a file whose values fit can be read). The file is
// read once (as a pipe must be), into blocks copied once: at most twice the values.
func TestReadTableMemory(t *testing.T) {
	n := 200000
	if testing.Short() {
		n = 50000
	}
	x := SampleN(SwissRoll{}, n, 1)
	var buf bytes.Buffer
	WriteCSV(&buf, x, n, 2, nil)
	p := writeTemp(t, "big.csv", buf.Bytes())
	st, _ := os.Stat(p)
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	tb, err := ReadTable(p)
	runtime.ReadMemStats(&m1)
	if err != nil || tb.N != n {
		t.Fatal(err)
	}
	alloc := m1.TotalAlloc - m0.TotalAlloc
	values := uint64(n * 2 * 4)
	t.Logf("file %d bytes, values %d bytes, allocated %d bytes", st.Size(), values, alloc)
	if alloc > 2*values+values/8+1<<20 {
		t.Errorf("ReadTable allocated %d bytes for %d bytes of values", alloc, values)
	}
	runtime.ReadMemStats(&m0)
	if _, _, _, err := ScanStats(p, nil, PartAll); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&m1)
	if a := m1.TotalAlloc - m0.TotalAlloc; a > 1<<20 {
		t.Errorf("ScanStats allocated %d bytes for a %d-byte file", a, st.Size())
	}
}

func TestDataErrorFormat(t *testing.T) {
	e := &Error{File: "a.csv", Line: 3, Row: -1, Col: 2, Column: "y", Msg: "bad"}
	if e.Error() != `a.csv:3: column 2 ("y"): bad` {
		t.Error(e.Error())
	}
	e = &Error{File: "a.npy", Row: 7, Col: 1, Msg: "NaN"}
	if e.Error() != "a.npy: row 7: column 1: NaN" {
		t.Error(e.Error())
	}
}

func TestLoadDataFile(t *testing.T) {
	n := 2000
	x := SampleN(Circles{}, n, 1)
	var buf bytes.Buffer
	WriteNPY(&buf, x, n, 2)
	p := writeTemp(t, "c.npy", buf.Bytes())
	sp, _ := NewSplit(3, 0.7, 0.1, 0.2)
	f, err := LoadFile(p, sp)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	if f.Split.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("split SHA %s", f.Split.SHA256)
	}
	st, err := f.TrainStats(nil)
	if err != nil {
		t.Fatal(err)
	}
	train, _ := f.Part(PartTrain)
	want, _ := ComputeStats(train, nil)
	if fmt.Sprint(st) != fmt.Sprint(want) {
		t.Errorf("TrainStats %v, want %v", st, want)
	}
	z := st.Standardized(train)
	if z.Data[0] == train.Data[0] || len(z.Data) != len(train.Data) {
		t.Error("Standardized did not copy and map")
	}
	if err := f.Split.CheckFile(f.All); err != nil {
		t.Error(err)
	}
	other := &Table{Source: "other.npy", SHA256: "00"}
	if err := f.Split.CheckFile(other); err == nil || !strings.Contains(err.Error(), "other.npy") {
		t.Errorf("CheckFile(other) = %v", err)
	}
}

func TestDequantizedStats(t *testing.T) {
	// 8-bit data with a constant column: plain stats refuse it, dequantized stats match
	// the empirical statistics of dequantized draws.
	n := 200000
	raw := make([]float32, 2*n)
	rng := ToyRNG(1, 0)
	for i := range n {
		raw[2*i] = 0
		raw[2*i+1] = float32(rng.IntN(256))
	}
	p := writeTemp(t, "b-idx3-ubyte", idxFile(0x08, []uint32{uint32(n), 2}, func() []byte {
		b := make([]byte, len(raw))
		for i, v := range raw {
			b[i] = byte(v)
		}
		return b
	}()))
	sp, _ := NewSplit(1, 1, 0, 0)
	f, err := LoadFile(p, sp)
	if err != nil || !f.All.Bytes8 {
		t.Fatalf("%v", err)
	}
	plain := *f.All
	plain.Bytes8 = false
	if _, err := ComputeStats(&plain, nil); err == nil {
		t.Error("plain stats accepted a constant column")
	}
	if st, err := ComputeStats(f.All, nil); err != nil || st.Std[0] != math.Sqrt(1.0/12) {
		t.Errorf("ComputeStats of 8-bit data: %v, %v", st, err)
	}
	st, err := f.TrainStats(nil)
	if err != nil {
		t.Fatal(err)
	}
	dq := append([]float32(nil), raw...)
	Dequantize(ToyRNG(2, 0), dq)
	emp, _ := ComputeStats(&Table{N: n, D: 2, Data: dq}, nil)
	for j := range 2 {
		if math.Abs(st.Mean[j]-emp.Mean[j]) > 5*emp.Std[j]/math.Sqrt(float64(n)) ||
			math.Abs(st.Std[j]/emp.Std[j]-1) > 0.01 {
			t.Errorf("column %d: %v ± %v, empirical %v ± %v", j, st.Mean[j], st.Std[j], emp.Mean[j], emp.Std[j])
		}
	}
}

// TestRowReadersDoNotAllocate: after warm-up, reading a row costs no allocation.
func TestRowReadersDoNotAllocate(t *testing.T) {
	n := 3000
	x := SampleN(TwoSpirals{}, n, 1)
	var csv, npy bytes.Buffer
	WriteCSV(&csv, x, n, 2, []string{"a", "b"})
	WriteNPY(&npy, x, n, 2)
	idx := idxFile(0x08, []uint32{uint32(n), 2}, make([]byte, 2*n))
	for _, c := range []struct {
		name    string
		content []byte
	}{{"a.csv", csv.Bytes()}, {"a.npy", npy.Bytes()}, {"a-idx3-ubyte", idx}} {
		rr, err := openRowsFrom(c.name, bytes.NewReader(c.content), nil, int64(len(c.content)))
		if err != nil {
			t.Fatal(err)
		}
		row := make([]float32, 2)
		rr.Next(row)
		if a := testing.AllocsPerRun(1000, func() {
			if err := rr.Next(row); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%s: %v allocations per row", c.name, a)
		}
	}
	rng := ToyRNG(1, 1)
	buf := make([]float32, 512)
	for _, name := range ToyNames() {
		s, _ := NewToy(name)
		if a := testing.AllocsPerRun(50, func() { s.Sample(rng, buf) }); a != 0 {
			t.Errorf("%s.Sample: %v allocations", name, a)
		}
	}
	if a := testing.AllocsPerRun(50, func() { Dequantize(rng, buf) }); a != 0 {
		t.Errorf("Dequantize: %v allocations", a)
	}
}

// BenchmarkReadTable measures parsing throughput (bytes of file per second).
func BenchmarkReadTable(b *testing.B) {
	n := 100000
	x := SampleN(SwissRoll{}, n, 1)
	var csv, npy bytes.Buffer
	WriteCSV(&csv, x, n, 2, nil)
	WriteNPY(&npy, x, n, 2)
	for _, c := range []struct {
		name string
		data []byte
	}{{"format=csv", csv.Bytes()}, {"format=npy", npy.Bytes()}} {
		p := writeTemp(b, "bench."+strings.TrimPrefix(c.name, "format="), c.data)
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ReadTable(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// ScanStats with a split reads a text file twice (to count its rows), so it refuses a
// stream instead of splitting the rows a second read would not see.
func TestScanStatsRefusesSplitStream(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "rows.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	go func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.WriteString("1,2\n3,4\n5,7\n")
			f.Close()
		}
	}()
	sp := Split{Train: 0.8, Val: 0.1, Test: 0.1}
	_, _, _, err := ScanStats(fifo, &sp, PartTrain)
	if err == nil || !strings.Contains(err.Error(), "stream") {
		t.Fatalf("ScanStats(FIFO) with a split: %v", err)
	}
}

// TestTrainStatsConstant: a column whose training rows all hold one value is returned as
// constant, centred on that value, scaled by the spread of the training and validation rows
// (or ConstantStd when those are all equal too); the other columns get TrainStats' values,
// and TrainStats still refuses the file.
func TestTrainStatsConstant(t *testing.T) {
	sp, err := NewSplit(3, 0.75, 0.25, 0)
	if err != nil {
		t.Fatal(err)
	}
	keep := sp.Keep(PartTrain, 40)
	odd := 0 // the first validation row
	for keep.Keep(int64(odd)) {
		odd++
	}
	var b strings.Builder
	for i := range 40 {
		// column 2: 0.25 everywhere; column 3: 0.5 but for one validation row
		c3 := 0.5
		if i == odd {
			c3 = 4.5
		}
		fmt.Fprintf(&b, "%d,%g,0.25,%g\n", i, float64(i*i)/7, c3)
	}
	p := writeTemp(t, "c.csv", []byte(b.String()))
	f, err := LoadFile(p, sp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.TrainStats(nil); err == nil || !strings.Contains(err.Error(), "zero variance") {
		t.Fatalf("TrainStats: err %v, want zero variance", err)
	}
	val, err := f.Part(PartVal)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ComputeStats(&Table{Source: "x", N: 40, D: 2, Data: firstCols(f.All, 2)}, func(i int) bool { return keep.Keep(int64(i)) })
	if err != nil {
		t.Fatal(err)
	}
	for _, withVal := range []bool{true, false} {
		v := val
		if !withVal {
			v = nil
		}
		s, constant, err := f.TrainStatsConstant(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(constant, []int{2, 3}) {
			t.Fatalf("constant columns %v, want [2 3]", constant)
		}
		for j := range 2 {
			if s.Mean[j] != want.Mean[j] || s.Std[j] != want.Std[j] {
				t.Errorf("column %d: %v ± %v, TrainStats-like %v ± %v", j, s.Mean[j], s.Std[j], want.Mean[j], want.Std[j])
			}
		}
		if s.Mean[2] != float64(float32(0.25)) || s.Std[2] != ConstantStd {
			t.Errorf("column 2 (0.25 everywhere): %v ± %v, want 0.25 ± %v", s.Mean[2], s.Std[2], ConstantStd)
		}
		// column 3 over the 30 training rows and 10 validation rows: 39 × 0.5 and one 4.5.
		sd3 := ConstantStd
		if withVal {
			sd3 = 4 * math.Sqrt(39.0) / 40
		}
		if s.Mean[3] != 0.5 || math.Abs(s.Std[3]-sd3) > 1e-12 {
			t.Errorf("column 3 (with validation rows %v): %v ± %v, want 0.5 ± %v", withVal, s.Mean[3], s.Std[3], sd3)
		}
	}
}

// firstCols returns the first k columns of t's rows.
func firstCols(t *Table, k int) []float32 {
	out := make([]float32, 0, t.N*k)
	for i := range t.N {
		out = append(out, t.Data[i*t.D:i*t.D+k]...)
	}
	return out
}
