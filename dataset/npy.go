package dataset

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// npyMagic opens every .npy file.
const npyMagic = "\x93NUMPY"

// maxNPYHeader bounds the header dictionary of a .npy file.
const maxNPYHeader = 1 << 20

// npyReader streams a 2-D little-endian float32 or float64 C-order .npy array. The header
// is parsed strictly (a Python dict literal with exactly the keys descr, fortran_order and
// shape); versions 1.0, 2.0 and 3.0 are read.
type npyReader struct {
	src      *source
	n        int64
	d        int
	itemSize int
	row      int64
	buf      []byte
}

func newNPYReader(src *source) (*npyReader, error) {
	p := src.path
	var pre [8]byte
	if err := src.read(pre[:]); err != nil || string(pre[:6]) != npyMagic {
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return nil, err
		}
		return nil, fileErr(p, "not a .npy file: wrong magic %q (want \"\\x93NUMPY\")", pre[:int(min(src.off, 6))])
	}
	major, minor := pre[6], pre[7]
	var hlen int64
	switch major {
	case 1:
		var b [2]byte
		if err := src.read(b[:]); err != nil {
			return nil, fileErr(p, "truncated in the .npy preamble")
		}
		hlen = int64(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if err := src.read(b[:]); err != nil {
			return nil, fileErr(p, "truncated in the .npy preamble")
		}
		hlen = int64(binary.LittleEndian.Uint32(b[:]))
	default:
		return nil, fileErr(p, "unsupported .npy format version %d.%d (want 1.0, 2.0 or 3.0)", major, minor)
	}
	if src.size >= 0 && src.off+hlen > src.size {
		return nil, fileErr(p, "header length %d is larger than the file (%d bytes after the preamble)", hlen, src.size-src.off)
	}
	if hlen > maxNPYHeader {
		return nil, fileErr(p, "header length %d is implausibly large (limit %d)", hlen, maxNPYHeader)
	}
	hdr := make([]byte, hlen)
	if err := src.read(hdr); err != nil {
		return nil, fileErr(p, "truncated in the header (%d bytes announced)", hlen)
	}
	descr, fortran, shape, err := parseNPYHeader(string(hdr))
	if err != nil {
		return nil, fileErr(p, "malformed header %q: %v", truncate(strings.TrimSpace(string(hdr)), 120), err)
	}
	r := &npyReader{src: src}
	if r.itemSize, err = npyItemSize(descr); err != nil {
		return nil, fileErr(p, "%v", err)
	}
	if fortran {
		return nil, fileErr(p, "Fortran-order arrays are not supported: save a C-order array (numpy.ascontiguousarray)")
	}
	if len(shape) != 2 {
		return nil, fileErr(p, "array has shape %s (%d-D), want 2-D (rows, columns)", fmtShape(shape), len(shape))
	}
	if shape[0] == 0 {
		return nil, fileErr(p, "no data rows: shape %s", fmtShape(shape))
	}
	if shape[1] == 0 {
		return nil, fileErr(p, "no columns: shape %s", fmtShape(shape))
	}
	const limit = 1 << 50
	if shape[0] > limit || shape[1] > limit || shape[0] > limit/shape[1] {
		return nil, fileErr(p, "shape %s is too large", fmtShape(shape))
	}
	r.n, r.d = shape[0], int(shape[1])
	need := r.n * int64(r.d) * int64(r.itemSize)
	if src.size >= 0 {
		have := src.size - src.off
		if have < need {
			return nil, fileErr(p, "truncated: header claims shape %s of %s (%d bytes of data) but the file holds %d bytes after the header",
				fmtShape(shape), descr, need, have)
		}
		if have > need {
			return nil, fileErr(p, "%d unexpected bytes after the data of shape %s", have-need, fmtShape(shape))
		}
	}
	r.buf = make([]byte, r.d*r.itemSize)
	return r, nil
}

// npyItemSize checks a dtype descriptor and returns its item size (4 or 8).
func npyItemSize(descr string) (int, error) {
	switch descr {
	case "<f4":
		return 4, nil
	case "<f8":
		return 8, nil
	}
	if len(descr) < 2 {
		return 0, fmt.Errorf("unsupported dtype %q: want little-endian float32 '<f4' or float64 '<f8'", descr)
	}
	order, kind := descr[0], descr[1]
	if order != '<' && order != '>' && order != '|' && order != '=' {
		order, kind = '=', descr[0]
	}
	switch {
	case kind == 'f' && order == '>':
		return 0, fmt.Errorf("big-endian dtype %q is not supported: convert to little-endian float32 ('<f4')", descr)
	case kind == 'i' || kind == 'u':
		return 0, fmt.Errorf("integer dtype %q is not supported: convert to float32 ('<f4')", descr)
	case kind == 'b' || kind == '?':
		return 0, fmt.Errorf("boolean dtype %q is not supported: convert to float32 ('<f4')", descr)
	case kind == 'c':
		return 0, fmt.Errorf("complex dtype %q is not supported: want real float32 ('<f4') or float64 ('<f8')", descr)
	}
	return 0, fmt.Errorf("unsupported dtype %q: want little-endian float32 '<f4' or float64 '<f8'", descr)
}

func fmtShape(s []int64) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.FormatInt(v, 10)
	}
	if len(s) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// parseNPYHeader parses the header dict literal strictly.
func parseNPYHeader(h string) (descr string, fortran bool, shape []int64, err error) {
	ps := &pyLit{s: h}
	ps.space()
	if !ps.eat('{') {
		return "", false, nil, fmt.Errorf("want '{' at offset %d", ps.i)
	}
	seen := map[string]bool{}
	for {
		ps.space()
		if ps.eat('}') {
			break
		}
		key, err := ps.str()
		if err != nil {
			return "", false, nil, err
		}
		if seen[key] {
			return "", false, nil, fmt.Errorf("key %q repeated", key)
		}
		seen[key] = true
		ps.space()
		if !ps.eat(':') {
			return "", false, nil, fmt.Errorf("want ':' after key %q", key)
		}
		ps.space()
		switch key {
		case "descr":
			if ps.peek() == '[' {
				return "", false, nil, fmt.Errorf("structured dtypes are not supported: want float32 ('<f4') or float64 ('<f8')")
			}
			if descr, err = ps.str(); err != nil {
				return "", false, nil, fmt.Errorf("descr: %v", err)
			}
		case "fortran_order":
			switch {
			case strings.HasPrefix(ps.s[ps.i:], "True"):
				fortran, ps.i = true, ps.i+4
			case strings.HasPrefix(ps.s[ps.i:], "False"):
				fortran, ps.i = false, ps.i+5
			default:
				return "", false, nil, fmt.Errorf("fortran_order: want True or False at offset %d", ps.i)
			}
		case "shape":
			if shape, err = ps.tuple(); err != nil {
				return "", false, nil, fmt.Errorf("shape: %v", err)
			}
		default:
			return "", false, nil, fmt.Errorf("unknown key %q", key)
		}
		ps.space()
		if ps.eat(',') {
			continue
		}
		ps.space()
		if ps.eat('}') {
			break
		}
		return "", false, nil, fmt.Errorf("want ',' or '}' at offset %d", ps.i)
	}
	if rest := strings.TrimRight(ps.s[ps.i:], " \n"); rest != "" {
		return "", false, nil, fmt.Errorf("unexpected %q after the dict", truncate(rest, 20))
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return "", false, nil, fmt.Errorf("missing key %q", k)
		}
	}
	return descr, fortran, shape, nil
}

// pyLit is a cursor over a Python literal.
type pyLit struct {
	s string
	i int
}

func (p *pyLit) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *pyLit) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *pyLit) eat(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

// str reads a quoted string without escapes.
func (p *pyLit) str() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", fmt.Errorf("want a quoted string at offset %d", p.i)
	}
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", fmt.Errorf("unterminated string at offset %d", p.i)
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.IndexByte(v, '\\') >= 0 {
		return "", fmt.Errorf("escapes are not supported in %q", v)
	}
	p.i += end + 2
	return v, nil
}

// tuple reads a tuple of non-negative integers: (), (n,), (n, m), ...
func (p *pyLit) tuple() ([]int64, error) {
	if !p.eat('(') {
		return nil, fmt.Errorf("want '(' at offset %d", p.i)
	}
	out := []int64{}
	for {
		p.space()
		if p.eat(')') {
			return out, nil
		}
		j := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if j == p.i {
			return nil, fmt.Errorf("want a non-negative integer at offset %d", p.i)
		}
		v, err := strconv.ParseInt(p.s[j:p.i], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("dimension %q: %v", p.s[j:p.i], err)
		}
		p.eat('L')
		out = append(out, v)
		p.space()
		if p.eat(',') {
			continue
		}
		p.space()
		if p.eat(')') {
			if len(out) == 1 {
				return nil, fmt.Errorf("one-element tuple needs a trailing comma")
			}
			return out, nil
		}
		return nil, fmt.Errorf("want ',' or ')' at offset %d", p.i)
	}
}

func (r *npyReader) Dim() int          { return r.d }
func (r *npyReader) Rows() int64       { return r.n }
func (r *npyReader) Columns() []string { return nil }
func (r *npyReader) Bytes8() bool      { return false }
func (r *npyReader) SHA256() string    { return r.src.sha256() }
func (r *npyReader) Close() error      { return r.src.Close() }

// describe names the data's shape in errors: after its end, and as the header claims it.
func (r *npyReader) describe() (after, claims string) {
	return fmt.Sprintf("%d rows", r.n), fmt.Sprintf("%d rows × %d columns", r.n, r.d)
}

func (r *npyReader) Next(dst []float32) error {
	if err := r.src.readRecord(r.buf, r.row, r.n, r.describe); err != nil {
		return err
	}
	for j := range r.d {
		var v float64
		if r.itemSize == 4 {
			v = float64(math.Float32frombits(binary.LittleEndian.Uint32(r.buf[4*j:])))
		} else {
			v = math.Float64frombits(binary.LittleEndian.Uint64(r.buf[8*j:]))
		}
		if msg := checkValue(v); msg != "" {
			return &Error{File: r.src.path, Row: r.row, Col: j + 1, Msg: msg}
		}
		dst[j] = float32(v)
	}
	r.row++
	return nil
}

// WriteNPY writes n rows of d float32 values (row-major) as a version 1.0 .npy file of dtype
// '<f4', C order, shape (n, d); the header is padded so the data start at a multiple of 64
// bytes, as NumPy does.
func WriteNPY(w io.Writer, data []float32, n, d int) error { return writeNPY(w, data, n, d) }

// WriteNPY64 is WriteNPY for float64 values (dtype '<f8').
func WriteNPY64(w io.Writer, data []float64, n, d int) error { return writeNPY(w, data, n, d) }

// NPYHeader returns the bytes WriteNPY (size 4) or WriteNPY64 (size 8) writes before the
// data of n rows of d values: the magic, the version, the header length and the padded
// header dictionary.
func NPYHeader(n, d, size int) ([]byte, error) {
	dict := fmt.Sprintf("{'descr': '<f%d', 'fortran_order': False, 'shape': (%d, %d), }", size, n, d)
	total := len(npyMagic) + 4 + len(dict) + 1
	pad := (64 - total%64) % 64
	hdr := dict + strings.Repeat(" ", pad) + "\n"
	if len(hdr) > math.MaxUint16 {
		return nil, fmt.Errorf("WriteNPY: header of %d bytes too long", len(hdr))
	}
	b := append([]byte(npyMagic), 1, 0, byte(len(hdr)), byte(len(hdr)>>8))
	return append(b, hdr...), nil
}

func writeNPY[T float32 | float64](w io.Writer, data []T, n, d int) error {
	if len(data) < n*d {
		panic(fmt.Sprintf("dataset.WriteNPY: %d values for %d×%d", len(data), n, d))
	}
	var zero T
	size := int(unsafe.Sizeof(zero))
	hdr, err := NPYHeader(n, d, size)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.Write(hdr)
	var b [8]byte
	for _, v := range data[:n*d] {
		if size == 4 {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(float32(v)))
		} else {
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(float64(v)))
		}
		if _, err := bw.Write(b[:size]); err != nil {
			return err
		}
	}
	return bw.Flush()
}
