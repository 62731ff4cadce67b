package dataset

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"github.com/interflow/flowbench/internal/quote"
)

// source is an open data file: a buffered reader over its (decompressed) content, with the
// SHA-256 of the raw file bytes accumulated as they are read.
type source struct {
	path string
	f    io.Reader // the raw file
	c    io.Closer // closes the file, or nil
	size int64     // raw file size; -1 when the content is compressed
	h    hash.Hash
	r    *bufio.Reader
	gz   *gzip.Reader
	off  int64 // bytes of content consumed (for messages)
}

func newSource(path string, f io.Reader, c io.Closer, size int64) (*source, error) {
	s := &source{path: path, f: f, c: c, size: size, h: sha256.New()}
	raw := bufio.NewReaderSize(io.TeeReader(f, s.h), 1<<16)
	if head, _ := raw.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		gz, err := gzip.NewReader(raw)
		if err != nil {
			return nil, fileErr(path, "bad gzip header: %v", err)
		}
		s.gz, s.size = gz, -1
		s.r = bufio.NewReaderSize(gz, 1<<16)
	} else {
		s.r = raw
	}
	return s, nil
}

// read fills p completely or returns an error (io.ErrUnexpectedEOF for a short read, io.EOF
// when nothing was left).
func (s *source) read(p []byte) error {
	n, err := io.ReadFull(s.r, p)
	s.off += int64(n)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return s.readErr(err)
	}
	return err
}

// readErr is the error of a failed read other than an end of data, naming the file.
func (s *source) readErr(err error) error {
	if s.gz != nil {
		return fileErr(s.path, "corrupt gzip data: %v", quote.Cause(err))
	}
	return fileErr(s.path, "read error: %v", quote.Cause(err))
}

// readRecord reads record row (of n) of a binary format into buf: after the last record
// it returns io.EOF, or an error if bytes follow the data; a short record is an error naming
// the row. describe names the shape in those errors (called only on an error).
func (s *source) readRecord(buf []byte, row, n int64, describe func() (after, claims string)) error {
	if row == n {
		if eof, err := s.atEOF(); err != nil {
			return err
		} else if !eof {
			after, _ := describe()
			return fileErr(s.path, "unexpected bytes after the data of %s", after)
		}
		return io.EOF
	}
	if err := s.read(buf); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			_, claims := describe()
			return &Error{File: s.path, Row: row, Msg: fmt.Sprintf("truncated: the data end in this row (header claims %s)", claims)}
		}
		return err
	}
	return nil
}

// atEOF reports whether the content is exhausted, returning any read error other than EOF.
func (s *source) atEOF() (bool, error) {
	_, err := s.r.Peek(1)
	if err == io.EOF {
		return true, nil
	}
	if err != nil {
		return false, s.readErr(err)
	}
	return false, nil
}

// sha256 returns the hex SHA-256 of the whole raw file, reading what was not yet read.
func (s *source) sha256() string {
	io.Copy(s.h, s.f)
	return hex.EncodeToString(s.h.Sum(nil))
}

func (s *source) Close() error {
	if s.gz != nil {
		s.gz.Close()
	}
	if s.c == nil {
		return nil
	}
	return s.c.Close()
}
