package dataset

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/interflow/flowbench/internal/quote"
)

// Error reports a problem in a data file, naming the file and, where they apply, the
// line (text formats, 1-based), the data row (binary formats, 0-based), the column (1-based)
// and its name.
type Error struct {
	File   string // path of the file
	Line   int    // 1-based line number in a text file, 0 if not applicable
	Row    int64  // 0-based data row in a binary file, -1 if not applicable
	Col    int    // 1-based column, 0 if not applicable
	Column string // column name from a header, "" if none
	Msg    string // what is wrong
}

// Error formats the error as "file[:line]: [row R: ][column C ("name"): ]message", the file
// name quoted when it holds a newline, a control or escape character (quote.Name).
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(quote.Name(e.File))
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Row >= 0 {
		fmt.Fprintf(&b, "row %d: ", e.Row)
	}
	if e.Col > 0 {
		fmt.Fprintf(&b, "column %d", e.Col)
		if e.Column != "" {
			fmt.Fprintf(&b, " (%q)", e.Column)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// fileErr returns a Error about the whole file.
func fileErr(file, format string, a ...any) *Error {
	return &Error{File: file, Row: -1, Msg: fmt.Sprintf(format, a...)}
}

// maxAbsValue is the largest magnitude accepted in a data file: beyond it the square of a
// value overflows float32 (√MaxFloat32 ≈ 1.8447e19), which would make variances, squared
// norms and losses infinite.
var maxAbsValue = math.Sqrt(math.MaxFloat32)

// tooLarge and tooSmall are the messages of a value (as written in the file) beyond
// float32's range: the bound is printed in full, so that a value just above it is not
// told to be at most a rounded bound it seems to meet.
func tooLarge(v string) string {
	return fmt.Sprintf("value %s is too large: its square overflows float32 (|x| must be at most %s)", v, strconv.FormatFloat(maxAbsValue, 'g', -1, 64))
}

func tooSmall(v string) string {
	return fmt.Sprintf("value %s is too small: it rounds to 0 in float32, whose smallest nonzero magnitude is %g (write 0 for a zero)", v, math.SmallestNonzeroFloat32)
}

// checkValue returns "" if v is acceptable, else what is wrong with it: NaN, ±Inf, a
// magnitude whose square overflows float32, or a nonzero value that float32 rounds to 0.
func checkValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN is not allowed"
	case math.IsInf(v, 0):
		return fmt.Sprintf("%v is not allowed", v)
	case math.Abs(v) > maxAbsValue:
		return tooLarge(strconv.FormatFloat(v, 'g', -1, 64))
	case v != 0 && float32(v) == 0:
		return tooSmall(strconv.FormatFloat(v, 'g', -1, 64))
	}
	return ""
}

// RowReader streams the rows of a data file, validating every value: each is finite and its
// square fits in float32. Readers are returned by OpenRows.
type RowReader interface {
	// Dim returns the number of columns.
	Dim() int
	// Rows returns the number of data rows when the file's header states it (.npy, IDX),
	// else -1.
	Rows() int64
	// Columns returns the column names from a header row, or nil.
	Columns() []string
	// Next reads the next row into dst (len Dim()) and returns io.EOF after the last row.
	// Any other error is a *Error naming the file and position.
	Next(dst []float32) error
	// SHA256 returns the hex SHA-256 of the whole file; it is valid once Next has
	// returned io.EOF.
	SHA256() string
	// Bytes8 reports whether the values are 8-bit integers 0..255 (IDX unsigned bytes),
	// to be dequantized before a density is fitted.
	Bytes8() bool
	// Close releases the file.
	Close() error
}

// Format names a data file format.
type Format string

// The data file formats OpenRows reads.
const (
	FormatCSV Format = "csv" // comma-separated text
	FormatTSV Format = "tsv" // tab-separated text
	FormatNPY Format = "npy" // NumPy .npy, float32 or float64, C order, 2-D
	FormatIDX Format = "idx" // IDX (MNIST) big-endian arrays
)

// DetectFormat returns the format of a data file from its name: .csv, .tsv/.tab, .npy,
// .idx or a name containing "-ubyte"/"idx" (a trailing .gz is looked through). Other names
// return "" and OpenRows sniffs the content.
func DetectFormat(path string) Format {
	base := strings.ToLower(filepath.Base(path))
	base = strings.TrimSuffix(base, ".gz")
	switch ext := filepath.Ext(base); ext {
	case ".csv":
		return FormatCSV
	case ".tsv", ".tab":
		return FormatTSV
	case ".npy":
		return FormatNPY
	case ".idx":
		return FormatIDX
	}
	if strings.Contains(base, "-ubyte") || strings.Contains(base, "idx1") || strings.Contains(base, "idx3") {
		return FormatIDX
	}
	return ""
}

// OpenRows opens a data file for streaming. The format comes from the name (DetectFormat)
// or, for other names, from the content: the .npy magic, gzip, an IDX magic, else text
// (tab-separated if the first line holds a tab, else comma-separated). Gzip-compressed
// files are decompressed on the fly. Header problems are reported here; value problems by
// Next.
//
// The path "-" reads standard input. Every reader reads its input exactly once, so a pipe
// or a FIFO gives the same rows as a file.
func OpenRows(path string) (RowReader, error) {
	if path == Stdin {
		return openRowsFrom(path, os.Stdin, nil, -1)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, quote.PathErr(path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, quote.PathErr(path, err)
	}
	if st.IsDir() {
		f.Close()
		return nil, fileErr(path, "is a directory, not a data file")
	}
	rr, err := openRowsFrom(path, f, f, st.Size())
	if err != nil {
		f.Close()
		return nil, err
	}
	return rr, nil
}

// openRowsFrom opens a RowReader over r, whose content has size bytes (-1 if unknown) and
// is named path in messages and for format detection; c (optional) is closed by Close.
func openRowsFrom(path string, r io.Reader, c io.Closer, size int64) (RowReader, error) {
	src, err := newSource(path, r, c, size)
	if err != nil {
		return nil, err
	}
	var rr RowReader
	switch fm := DetectFormat(path); fm {
	case FormatNPY:
		rr, err = newNPYReader(src)
	case FormatIDX:
		rr, err = newIDXReader(src)
	case FormatCSV:
		rr, err = newTextReader(src, ',')
	case FormatTSV:
		rr, err = newTextReader(src, '\t')
	default:
		head, _ := src.r.Peek(6)
		switch {
		case string(head) == npyMagic:
			rr, err = newNPYReader(src)
		case len(head) >= 4 && head[0] == 0 && head[1] == 0 && idxTypeSize(head[2]) > 0:
			rr, err = newIDXReader(src)
		default:
			rr, err = newTextReader(src, 0)
		}
	}
	if err != nil {
		if src.gz != nil {
			src.gz.Close()
		}
		return nil, err
	}
	return rr, nil
}

// Table is a data set held in memory: N rows of D float32 values, row-major.
type Table struct {
	Source  string    // file path or generator name
	SHA256  string    // hex SHA-256 of the file ("" for generated data)
	N, D    int       // rows and columns
	Data    []float32 // N·D values, row-major
	Columns []string  // column names from a header, or nil
	Bytes8  bool      // values are 8-bit integers 0..255 (dequantize before fitting)
}

// Row returns row i (a view into Data).
func (t *Table) Row(i int) []float32 { return t.Data[i*t.D : (i+1)*t.D : (i+1)*t.D] }

// ReadTable reads a whole data file (any format OpenRows reads) into memory in one pass,
// holding only the float32 values (no copy of the file's bytes). A file with no data rows
// is an error.
func ReadTable(path string) (*Table, error) {
	rr, err := OpenRows(path)
	if err != nil {
		return nil, err
	}
	defer rr.Close()
	return readTableFrom(rr, path, max(rr.Rows(), 0))
}

// ReadTableFrom is ReadTable over the content of r (read once, to its end), named name in
// messages and for format detection as OpenRows names a path (name "x.npy" reads .npy).
func ReadTableFrom(name string, r io.Reader) (*Table, error) {
	rr, err := openRowsFrom(name, r, nil, -1)
	if err != nil {
		return nil, err
	}
	defer rr.Close()
	return readTableFrom(rr, name, max(rr.Rows(), 0))
}

// Stdin is the path that names standard input to OpenRows, ReadTable and the CLI.
const Stdin = "-"

// maxReserve bounds the values reserved up front from a header's row count: a header can
// claim more rows than its file holds, so memory beyond this grows only with the rows read.
const maxReserve = 1 << 22

// readTableFrom reads every row of rr into a Table in one pass: into one allocation when a
// header gives the row count (at most maxReserve values up front: a header can lie),
// otherwise into blocks copied once into the final slice, so memory stays within twice the
// values read whatever the input (a pipe can be read only once).
func readTableFrom(rr RowReader, path string, rowsHint int64) (*Table, error) {
	d := rr.Dim()
	if rowsHint*int64(d) > math.MaxInt32*16 {
		return nil, fileErr(path, "%d rows × %d columns is too large to hold in memory", rowsHint, d)
	}
	blockRows := max(1, (1<<16)/d)
	if rowsHint > 0 {
		blockRows = max(1, min(int(rowsHint), maxReserve/d))
	}
	var blocks [][]float32
	cur := make([]float32, 0, blockRows*d)
	row := make([]float32, d)
	n := 0
	for {
		err := rr.Next(row)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(cur) == cap(cur) {
			blocks = append(blocks, cur)
			cur = make([]float32, 0, blockRows*d)
		}
		cur = append(cur, row...)
		n++
	}
	data := cur
	if len(blocks) > 0 {
		data = make([]float32, 0, n*d)
		for _, b := range blocks {
			data = append(data, b...)
		}
		data = append(data, cur...)
	}
	t := &Table{Source: path, SHA256: rr.SHA256(), N: n, D: d, Columns: rr.Columns(), Bytes8: rr.Bytes8()}
	t.Data = data[:len(data):len(data)]
	if t.N == 0 {
		return nil, fileErr(path, "no data rows")
	}
	return t, nil
}

// TableFromSampler draws n rows from s with SampleN(s, n, seed).
func TableFromSampler(s Sampler, n int, seed uint64) *Table {
	return &Table{Source: s.Name(), N: n, D: s.Dim(), Data: SampleN(s, n, seed)}
}

// Stats holds per-column standardization statistics, computed in one pass (Welford, in
// float64). Std is the population standard deviation (divisor N). It is stored in
// checkpoints so that a model's inputs and outputs can be mapped to data units.
type Stats struct {
	N    int64     `json:"n"`
	Mean []float64 `json:"mean"`
	Std  []float64 `json:"std"`
}

// StatsAccumulator accumulates Stats one row at a time (Welford's algorithm).
type StatsAccumulator struct {
	n    int64
	mean []float64
	m2   []float64
	min  []float64
	max  []float64
}

// NewStatsAccumulator returns an accumulator for rows of d columns.
func NewStatsAccumulator(d int) *StatsAccumulator {
	a := &StatsAccumulator{mean: make([]float64, d), m2: make([]float64, d), min: make([]float64, d), max: make([]float64, d)}
	for j := range d {
		a.min[j], a.max[j] = math.Inf(1), math.Inf(-1)
	}
	return a
}

// Add adds one row (len d).
func (a *StatsAccumulator) Add(row []float32) {
	a.n++
	inv := 1 / float64(a.n)
	for j, v := range row[:len(a.mean)] {
		x := float64(v)
		delta := x - a.mean[j]
		a.mean[j] += delta * inv
		a.m2[j] += delta * (x - a.mean[j])
		a.min[j] = min(a.min[j], x)
		a.max[j] = max(a.max[j], x)
	}
}

// Stats returns the statistics of the rows added so far.
func (a *StatsAccumulator) Stats() Stats {
	s := Stats{N: a.n, Mean: append([]float64(nil), a.mean...), Std: make([]float64, len(a.mean))}
	if a.n > 0 {
		for j, m2 := range a.m2 {
			s.Std[j] = math.Sqrt(max(m2, 0) / float64(a.n))
		}
	}
	return s
}

// Check returns an error naming source and the column if a column cannot be standardized:
// its values are all equal (zero variance), or their spread is below float32's resolution
// relative to their mean. columns (optional) names the columns.
func (a *StatsAccumulator) Check(source string, columns []string) error {
	s := a.Stats()
	if s.N == 0 {
		return fileErr(source, "no data rows")
	}
	return a.checkStd(source, columns, s)
}

// checkStd is Check against the statistics s of the accumulated rows.
func (a *StatsAccumulator) checkStd(source string, columns []string, s Stats) error {
	for j, sd := range s.Std {
		name := ""
		if j < len(columns) {
			name = columns[j]
		}
		switch {
		case a.max[j] == a.min[j]:
			return &Error{File: source, Row: -1, Col: j + 1, Column: name,
				Msg: fmt.Sprintf("zero variance (all %d values are %g): the column cannot be standardized; remove it", s.N, a.max[j])}
		case sd <= 1e-6*math.Abs(s.Mean[j]):
			return &Error{File: source, Row: -1, Col: j + 1, Column: name,
				Msg: fmt.Sprintf("variance too small to standardize in float32 (std %g around mean %g)", sd, s.Mean[j])}
		}
	}
	return nil
}

// IntegerColumns returns the columns of t whose every value is a whole number (counts,
// ratings, pixel values): as they are, their density has point masses, so training
// dequantizes them (DequantizeColumns). Every column of 8-bit data is one.
func (t *Table) IntegerColumns() []int {
	if t.N == 0 {
		return nil
	}
	whole := make([]bool, t.D)
	for j := range whole {
		whole[j] = true
	}
	for i, v := range t.Data {
		if j := i % t.D; whole[j] && float32(math.Trunc(float64(v))) != v {
			whole[j] = false
		}
	}
	var cols []int
	for j, w := range whole {
		if w {
			cols = append(cols, j)
		}
	}
	return cols
}

// DequantizeColumns adds independent U[0, 1) noise to columns cols of the rows x (d
// columns, data units), as Dequantize does to every value.
func DequantizeColumns(rng *rand.Rand, x []float32, d int, cols []int) {
	for r := 0; r+d <= len(x); r += d {
		for _, j := range cols {
			Dequantize(rng, x[r+j:r+j+1])
		}
	}
}

// DequantizedColumns returns s with columns cols replaced by the statistics of x + u,
// u ~ U[0, 1): mean + ½, variance + 1/12 (DequantizedStats on those columns).
func (s Stats) DequantizedColumns(cols []int) Stats {
	dq := DequantizedStats(s)
	out := Stats{N: s.N, Mean: append([]float64(nil), s.Mean...), Std: append([]float64(nil), s.Std...)}
	for _, j := range cols {
		out.Mean[j], out.Std[j] = dq.Mean[j], dq.Std[j]
	}
	return out
}

// ComputeStatsDequantized is ComputeStats for data whose columns cols are dequantized
// before use: their statistics are those of x + U[0, 1), so a constant integer column is
// no error. Every column of 8-bit data (t.Bytes8) is dequantized whatever cols says.
func ComputeStatsDequantized(t *Table, keep func(i int) bool, cols []int) (Stats, error) {
	s, _, err := computeStats(t, keep, cols, false)
	return s, err
}

// computeStats is ComputeStatsDequantized; with constOK a column whose kept rows all hold
// one value c (and that is not dequantized) is no error but is returned in constant, with
// Mean c and Std 1 (the caller sets its scale).
func computeStats(t *Table, keep func(i int) bool, cols []int, constOK bool) (Stats, []int, error) {
	if t.Bytes8 {
		cols = make([]int, t.D)
		for j := range cols {
			cols[j] = j
		}
	}
	a := NewStatsAccumulator(t.D)
	for i := range t.N {
		if keep == nil || keep(i) {
			a.Add(t.Row(i))
		}
	}
	if a.n == 0 {
		return Stats{}, nil, fileErr(t.Source, "no data rows")
	}
	for _, j := range cols {
		// A constant column has spread 1/12 once dequantized: let the check see a range.
		a.max[j] = max(a.max[j], a.min[j]+1)
	}
	s := a.Stats().DequantizedColumns(cols)
	var constant []int
	if constOK {
		for j := range t.D {
			if a.max[j] == a.min[j] {
				constant = append(constant, j)
				s.Mean[j], s.Std[j] = a.min[j], 1
				a.max[j] = a.min[j] + 1 // not an error: the check skips it
			}
		}
	}
	if err := a.checkStd(t.Source, t.Columns, s); err != nil {
		return Stats{}, nil, err
	}
	return s, constant, nil
}

// ConstantStd is the standard deviation of the component that models a column whose every
// training and validation value is one value c (File.TrainStatsConstant): (2π)^(-1/2), so
// that the density of N(c, ConstantStd²) at c is 1 and the column adds 0 nats to the NLL of
// a row holding c, as it does to a model that leaves it out (a point mass, the Gaussian
// baseline of scripts/quality) and as a constant integer column does once dequantized
// (uniform on [c, c+1)).
const ConstantStd = 0.3989422804014327

// ComputeStats returns the statistics of the rows of t for which keep(i) is true (all rows
// when keep is nil), or an error naming the file and column if a column cannot be
// standardized. For 8-bit data (t.Bytes8), which is always dequantized before use, they
// are the statistics of the dequantized values x + U[0, 1) (DequantizedStats), so a
// constant pixel (MNIST's border) is no error.
func ComputeStats(t *Table, keep func(i int) bool) (Stats, error) {
	return ComputeStatsDequantized(t, keep, nil)
}

// ScanStats computes the statistics of a data file in one streaming pass without holding it
// in memory, so files larger than memory work. With a split, only the rows of part p count
// (the split needs the number of rows: .npy and IDX headers give it; a regular text file's
// lines are counted first, without parsing, and a text stream with a split is an error). It also returns the file's SHA-256 and its number
// of rows. 8-bit data get the statistics of their dequantized values, as in ComputeStats.
func ScanStats(path string, split *Split, p SplitPart) (s Stats, sha string, rows int64, err error) {
	rr, err := OpenRows(path)
	if err != nil {
		return Stats{}, "", 0, err
	}
	defer rr.Close()
	var keep *RowFilter
	if split != nil && p != PartAll {
		n := rr.Rows()
		if n < 0 && !regularFile(path) {
			return Stats{}, "", 0, fileErr(path, "a split needs the number of rows, which a text stream (standard input, a pipe) gives only by being read twice: use ReadTable and ComputeStats")
		}
		if n < 0 {
			if n, err = countRows(path); err != nil {
				return Stats{}, "", 0, err
			}
		}
		keep = split.Keep(p, n)
	}
	a := NewStatsAccumulator(rr.Dim())
	row := make([]float32, rr.Dim())
	for ; ; rows++ {
		err := rr.Next(row)
		if err == io.EOF {
			break
		}
		if err != nil {
			return Stats{}, "", rows, err
		}
		if keep == nil || keep.Keep(rows) {
			a.Add(row)
		}
	}
	if rows == 0 {
		return Stats{}, "", 0, fileErr(path, "no data rows")
	}
	if rr.Bytes8() && a.n > 0 {
		return DequantizedStats(a.Stats()), rr.SHA256(), rows, nil
	}
	if err := a.Check(path, rr.Columns()); err != nil {
		return Stats{}, "", rows, err
	}
	return a.Stats(), rr.SHA256(), rows, nil
}

// regularFile reports whether path names a regular file (not standard input, a pipe or a
// device), which can be read a second time.
func regularFile(path string) bool {
	st, err := os.Stat(path)
	return path != Stdin && err == nil && st.Mode().IsRegular()
}

// countRows returns the number of data rows of a file, from its header (.npy, IDX) or by
// reading a text file's lines without parsing their values.
func countRows(path string) (int64, error) {
	rr, err := OpenRows(path)
	if err != nil {
		return 0, err
	}
	defer rr.Close()
	if n := rr.Rows(); n >= 0 {
		return n, nil
	}
	t := rr.(*textReader)
	n := int64(1) // the first data row, already read
	for {
		_, err := t.nextLine()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		n++
	}
}

// Standardize maps rows (len a multiple of len(s.Mean)) in place to (x − mean)/std.
func (s *Stats) Standardize(x []float32) {
	d := len(s.Mean)
	for i := 0; i+d <= len(x); i += d {
		for j := range d {
			x[i+j] = float32((float64(x[i+j]) - s.Mean[j]) / s.Std[j])
		}
	}
}

// Unstandardize maps standardized rows in place back to data units: x·std + mean.
func (s *Stats) Unstandardize(x []float32) {
	d := len(s.Mean)
	for i := 0; i+d <= len(x); i += d {
		for j := range d {
			x[i+j] = float32(float64(x[i+j])*s.Std[j] + s.Mean[j])
		}
	}
}

// LogScale returns Σ_j log std_j: the NLL of a point in data units is its NLL in
// standardized units plus LogScale (the log-determinant of the map to data units).
func (s *Stats) LogScale() float64 {
	var l float64
	for _, sd := range s.Std {
		l += math.Log(sd)
	}
	return l
}

// Dequantize adds independent U[0, 1) noise to every value, turning 8-bit integer data
// (0..255) into a continuous density on [0, 256)^D whose log-likelihood lower-bounds the
// discrete one (Theis et al. 2016). Draw fresh noise for every pass over the data.
func Dequantize(rng *rand.Rand, x []float32) {
	for i, v := range x {
		u := float32(float64(v) + rng.Float64())
		if u >= v+1 { // rounding reached the next integer: stay below it
			u = math.Nextafter32(v+1, v)
		}
		x[i] = u
	}
}
