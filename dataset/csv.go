package dataset

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unsafe"

	"github.com/interflow/flowbench/internal/quote"
)

// maxLineBytes bounds one line of a text data file.
const maxLineBytes = 64 << 20

// textReader streams a CSV or TSV file: an optional UTF-8 byte-order mark, an optional
// header row (detected: a first row with no numeric field), LF or CRLF line endings, blank
// lines ignored, fields trimmed of spaces and of one pair of double quotes. Files of other
// names are sniffed: tab-separated if the first line holds a tab, else comma-separated if
// it holds a comma, else separated by runs of spaces.
type textReader struct {
	src     *source
	sc      *bufio.Scanner
	delim   byte
	d       int
	cols    []string
	line    int    // number of the line last read
	pending []byte // first data line, when the file has no header
	pendLn  int
	fields  [][]byte
	done    bool
	readErr error // the first read error other than io.EOF (readErrTo)
}

// readErrTo is a reader that records its first error other than io.EOF in *err.
type readErrTo struct {
	r   io.Reader
	err *error
}

func (r readErrTo) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && *r.err == nil {
		*r.err = err
	}
	return n, err
}

// splitLines is bufio.ScanLines, except that the unterminated end of the content before a
// read error (the partial last line of a cut gzip stream) is not a line: the error is
// returned instead, so the cut is reported, not a ragged row.
func (t *textReader) splitLines(data []byte, atEOF bool) (int, []byte, error) {
	adv, tok, err := bufio.ScanLines(data, atEOF)
	if atEOF && t.readErr != nil && adv == len(data) && len(data) > 0 && data[len(data)-1] != '\n' {
		return 0, nil, t.readErr
	}
	return adv, tok, err
}

// MaxColumns is the most columns a data file may have: the largest dimension of a model
// (nn.MaxDim). A text file's first line is checked against it before it is split, so a
// huge line is rejected at once.
const MaxColumns = 1 << 16

func newTextReader(src *source, delim byte) (*textReader, error) {
	t := &textReader{src: src, delim: delim}
	t.sc = bufio.NewScanner(readErrTo{src.r, &t.readErr})
	t.sc.Split(t.splitLines)
	t.sc.Buffer(make([]byte, 0, 1<<16), maxLineBytes)
	first, err := t.nextLine()
	if err == io.EOF {
		return nil, fileErr(src.path, "empty file: no header and no data rows")
	}
	if err != nil {
		return nil, err
	}
	if t.delim == 0 {
		switch {
		case bytes.IndexByte(first, '\t') >= 0:
			t.delim = '\t'
		case bytes.IndexByte(first, ',') >= 0:
			t.delim = ','
		default:
			t.delim = ' ' // runs of spaces
		}
	}
	if t.delim != ' ' {
		if n := bytes.Count(first, []byte{t.delim}) + 1; n > MaxColumns {
			return nil, &Error{File: src.path, Line: t.line, Row: -1,
				Msg: fmt.Sprintf("%d columns, more than the %d a model can have", n, MaxColumns)}
		}
	}
	t.fields = splitFields(t.fields[:0], first, t.delim)
	t.d = len(t.fields)
	if t.d > MaxColumns {
		return nil, &Error{File: src.path, Line: t.line, Row: -1,
			Msg: fmt.Sprintf("%d columns, more than the %d a model can have", t.d, MaxColumns)}
	}
	// The first row is a header when none of its fields is a number; a row mixing numbers
	// and other text is data (and its bad field is reported), not a header.
	header := false
	for _, f := range t.fields {
		if len(f) == 0 {
			continue
		}
		if _, err := strconv.ParseFloat(string(f), 64); err == nil || errors.Is(err, strconv.ErrRange) {
			header = false
			break
		}
		header = true
	}
	if header {
		t.cols = make([]string, t.d)
		for j, f := range t.fields {
			t.cols[j] = string(f)
		}
		next, err := t.nextLine()
		if err == io.EOF {
			return nil, &Error{File: src.path, Line: t.line, Row: -1,
				Msg: fmt.Sprintf("header only (%d columns), no data rows", t.d)}
		}
		if err != nil {
			return nil, err
		}
		t.pending, t.pendLn = next, t.line
	} else {
		t.pending, t.pendLn = first, t.line
	}
	return t, nil
}

// nextLine returns the next non-blank line (without its line ending), io.EOF at the end.
func (t *textReader) nextLine() ([]byte, error) {
	for t.sc.Scan() {
		t.line++
		b := t.sc.Bytes()
		if t.line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		return b, nil
	}
	if err := t.sc.Err(); err != nil {
		return nil, t.scanErr(err)
	}
	return nil, io.EOF
}

// scanErr is the error of the scanner's failure err at the next line.
func (t *textReader) scanErr(err error) error {
	if errors.Is(err, bufio.ErrTooLong) {
		return &Error{File: t.src.path, Line: t.line + 1, Row: -1, Msg: fmt.Sprintf("line longer than %d MiB", maxLineBytes>>20)}
	}
	var de *Error
	if errors.As(err, &de) {
		return err
	}
	msg := quote.Cause(err).Error()
	if t.src.gz != nil {
		msg = "corrupt gzip data: " + msg
		if errors.Is(err, io.ErrUnexpectedEOF) {
			msg = "truncated gzip stream (corrupt gzip data: unexpected EOF)"
		}
	}
	return &Error{File: t.src.path, Line: t.line + 1, Row: -1, Msg: msg}
}

// splitFields splits line at delim, trimming spaces and one pair of surrounding quotes.
// Delimiter ' ' splits at runs of spaces and tabs. Quoted fields cannot hold the delimiter.
func splitFields(dst [][]byte, line []byte, delim byte) [][]byte {
	if delim == ' ' {
		for {
			line = bytes.TrimLeft(line, " \t")
			if len(line) == 0 {
				return dst
			}
			i := bytes.IndexAny(line, " \t")
			if i < 0 {
				i = len(line)
			}
			f := line[:i]
			if len(f) >= 2 && f[0] == '"' && f[len(f)-1] == '"' {
				f = f[1 : len(f)-1]
			}
			dst = append(dst, f)
			line = line[i:]
		}
	}
	for {
		i := bytes.IndexByte(line, delim)
		f := line
		if i >= 0 {
			f = line[:i]
		}
		f = bytes.TrimSpace(f)
		if len(f) >= 2 && f[0] == '"' && f[len(f)-1] == '"' {
			f = bytes.TrimSpace(f[1 : len(f)-1])
		}
		dst = append(dst, f)
		if i < 0 {
			return dst
		}
		line = line[i+1:]
	}
}

func (t *textReader) Dim() int          { return t.d }
func (t *textReader) Rows() int64       { return -1 }
func (t *textReader) Columns() []string { return t.cols }
func (t *textReader) Bytes8() bool      { return false }
func (t *textReader) SHA256() string    { return t.src.sha256() }
func (t *textReader) Close() error      { return t.src.Close() }

func (t *textReader) Next(dst []float32) error {
	if t.done {
		return io.EOF
	}
	line, ln := t.pending, t.pendLn
	if line != nil {
		t.pending = nil
	} else {
		var err error
		line, err = t.nextLine()
		if err == io.EOF {
			t.done = true
			return io.EOF
		}
		if err != nil {
			return err
		}
		ln = t.line
	}
	t.fields = splitFields(t.fields[:0], line, t.delim)
	if len(t.fields) != t.d {
		what := "the first row"
		if t.cols != nil {
			what = "the header"
		}
		return &Error{File: t.src.path, Line: ln, Row: -1,
			Msg: fmt.Sprintf("ragged row: %d fields, want %d as in %s", len(t.fields), t.d, what)}
	}
	for j, f := range t.fields {
		if err := t.parse(f, ln, j, &dst[j]); err != nil {
			return err
		}
	}
	return nil
}

func (t *textReader) parse(f []byte, ln, j int, out *float32) error {
	bad := func(format string, a ...any) error {
		e := &Error{File: t.src.path, Line: ln, Row: -1, Col: j + 1, Msg: fmt.Sprintf(format, a...)}
		if t.cols != nil {
			e.Column = t.cols[j]
		}
		return e
	}
	if len(f) == 0 {
		return bad("empty field")
	}
	// No copy: strconv.ParseFloat does not retain its argument (its errors hold a
	// clone), and s is not used after f's buffer is reused (messages copy it).
	s := unsafe.String(&f[0], len(f))
	if !decimalSyntax(f) {
		return bad("non-numeric value %q (want a decimal number such as -1.5e3)", truncate(s, 40))
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return bad("non-numeric value %q", truncate(s, 40))
	}
	switch {
	case err != nil: // syntactically a number, beyond float64's range
		return bad("%s", tooLarge(truncate(s, 40)))
	case v == 0 && bytes.ContainsAny(mantissa(f), "123456789"): // below float64's range
		return bad("%s", tooSmall(truncate(s, 40)))
	}
	if msg := checkValue(v); msg != "" {
		return bad("%s", msg)
	}
	*out = float32(v)
	return nil
}

// mantissa returns the part of a decimal number before its exponent.
func mantissa(f []byte) []byte {
	if i := bytes.IndexAny(f, "eE"); i >= 0 {
		return f[:i]
	}
	return f
}

// truncate shortens s to at most n bytes for messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// WriteCSV writes n rows of d values (row-major) as comma-separated text with an optional
// header (nil for none), each value in the shortest form that reads back to the same
// float32.
func WriteCSV(w io.Writer, data []float32, n, d int, header []string) error {
	return writeCSV(w, data, n, d, header, 32)
}

// WriteCSV64 is WriteCSV for float64 values, each in the shortest form that reads back to
// the same float64.
func WriteCSV64(w io.Writer, data []float64, n, d int, header []string) error {
	return writeCSV(w, data, n, d, header, 64)
}

func writeCSV[T float32 | float64](w io.Writer, data []T, n, d int, header []string, bits int) error {
	if len(data) < n*d {
		panic(fmt.Sprintf("dataset.WriteCSV: %d values for %d×%d", len(data), n, d))
	}
	bw := bufio.NewWriter(w)
	if header != nil {
		if len(header) != d {
			return fmt.Errorf("WriteCSV: %d header names for %d columns", len(header), d)
		}
		bw.WriteString(strings.Join(header, ","))
		bw.WriteByte('\n')
	}
	buf := make([]byte, 0, 32)
	for i := range n {
		for j := range d {
			if j > 0 {
				bw.WriteByte(',')
			}
			buf = strconv.AppendFloat(buf[:0], float64(data[i*d+j]), 'g', -1, bits)
			bw.Write(buf)
		}
		if err := bw.WriteByte('\n'); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// decimalSyntax reports whether f is a decimal number as CSV writers produce it: an
// optional sign, digits with at most one point, and an optional exponent. Go's literal
// forms that strconv also accepts (hex floats such as 0x1p3, digit separators such as
// 1_000) are refused, and so are "inf" and "nan", rejected later with their own message.
func decimalSyntax(f []byte) bool {
	i := 0
	if i < len(f) && (f[i] == '+' || f[i] == '-') {
		i++
	}
	if l := strings.ToLower(string(f[i:])); l == "inf" || l == "infinity" || l == "nan" {
		return true // reported as non-finite by checkValue
	}
	digits, point := 0, false
	for ; i < len(f); i++ {
		switch c := f[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !point:
			point = true
		default:
			goto exp
		}
	}
exp:
	if digits == 0 {
		return false
	}
	if i == len(f) {
		return true
	}
	if f[i] != 'e' && f[i] != 'E' {
		return false
	}
	i++
	if i < len(f) && (f[i] == '+' || f[i] == '-') {
		i++
	}
	start := i
	for ; i < len(f) && f[i] >= '0' && f[i] <= '9'; i++ {
	}
	return i > start && i == len(f)
}
