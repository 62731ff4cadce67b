package dataset

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// idxTypeSize returns the element size of an IDX type code, 0 if unknown.
func idxTypeSize(t byte) int {
	switch t {
	case 0x08, 0x09: // unsigned, signed byte
		return 1
	case 0x0B: // int16
		return 2
	case 0x0C, 0x0D: // int32, float32
		return 4
	case 0x0E: // float64
		return 8
	}
	return 0
}

// idxReader streams an IDX file (the format of MNIST and Fashion-MNIST): magic 0x00 0x00,
// a type code, the number of dimensions, that many big-endian uint32 sizes, then the data,
// big-endian. The first dimension is the row; the others are flattened into columns
// (28×28 images become rows of 784). Gzip-compressed files are read too.
type idxReader struct {
	src   *source
	typ   byte
	size  int
	n     int64
	d     int
	row   int64
	buf   []byte
	dims  []uint32
	bytes bool
}

func newIDXReader(src *source) (*idxReader, error) {
	p := src.path
	var m [4]byte
	if err := src.read(m[:]); err != nil {
		if err == io.EOF {
			return nil, fileErr(p, "empty file")
		}
		if err != io.ErrUnexpectedEOF {
			return nil, err
		}
		return nil, fileErr(p, "truncated in the IDX magic (%d bytes)", src.off)
	}
	if m[0] != 0 || m[1] != 0 || idxTypeSize(m[2]) == 0 || m[3] == 0 {
		return nil, fileErr(p, "not an IDX file: wrong magic %02x %02x %02x %02x (want 00 00, a type code 08/09/0b/0c/0d/0e, and 1 or more dimensions)", m[0], m[1], m[2], m[3])
	}
	r := &idxReader{src: src, typ: m[2], size: idxTypeSize(m[2]), bytes: m[2] == 0x08}
	r.dims = make([]uint32, m[3])
	for i := range r.dims {
		var b [4]byte
		if err := src.read(b[:]); err != nil {
			return nil, fileErr(p, "truncated in the header: %d dimensions announced, file ends in dimension %d", len(r.dims), i+1)
		}
		r.dims[i] = binary.BigEndian.Uint32(b[:])
	}
	r.n = int64(r.dims[0])
	d := int64(1)
	for _, v := range r.dims[1:] {
		d *= int64(v)
		if d > 1<<31 {
			return nil, fileErr(p, "dimensions %v are too large", r.dims)
		}
	}
	if r.n == 0 {
		return nil, fileErr(p, "no data rows: dimensions %v", r.dims)
	}
	if d == 0 {
		return nil, fileErr(p, "no columns: dimensions %v", r.dims)
	}
	r.d = int(d)
	need := r.n * d * int64(r.size)
	if src.size >= 0 {
		have := src.size - src.off
		if have < need {
			return nil, fileErr(p, "truncated: header claims dimensions %v (%d bytes of data) but the file holds %d bytes after the header", r.dims, need, have)
		}
		if have > need {
			return nil, fileErr(p, "%d unexpected bytes after the data of dimensions %v", have-need, r.dims)
		}
	}
	r.buf = make([]byte, r.d*r.size)
	return r, nil
}

func (r *idxReader) Dim() int          { return r.d }
func (r *idxReader) Rows() int64       { return r.n }
func (r *idxReader) Columns() []string { return nil }
func (r *idxReader) Bytes8() bool      { return r.bytes }
func (r *idxReader) SHA256() string    { return r.src.sha256() }
func (r *idxReader) Close() error      { return r.src.Close() }

// describe names the data's shape in errors: after its end, and as the header claims it.
func (r *idxReader) describe() (after, claims string) {
	return fmt.Sprintf("dimensions %v", r.dims), fmt.Sprintf("dimensions %v", r.dims)
}

func (r *idxReader) Next(dst []float32) error {
	if err := r.src.readRecord(r.buf, r.row, r.n, r.describe); err != nil {
		return err
	}
	b := r.buf
	for j := range r.d {
		var v float64
		switch r.typ {
		case 0x08:
			dst[j] = float32(b[j])
			continue
		case 0x09:
			dst[j] = float32(int8(b[j]))
			continue
		case 0x0B:
			dst[j] = float32(int16(binary.BigEndian.Uint16(b[2*j:])))
			continue
		case 0x0C:
			v = float64(int32(binary.BigEndian.Uint32(b[4*j:])))
		case 0x0D:
			v = float64(math.Float32frombits(binary.BigEndian.Uint32(b[4*j:])))
		case 0x0E:
			v = math.Float64frombits(binary.BigEndian.Uint64(b[8*j:]))
		}
		if msg := checkValue(v); msg != "" {
			return &Error{File: r.src.path, Row: r.row, Col: j + 1, Msg: msg}
		}
		dst[j] = float32(v)
	}
	r.row++
	return nil
}
