package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Builders of the files the CLI tests give the binary (data files, .npy, IDX, edited
// safetensors checkpoints) and checks that a run left files alone.

// fileState is the content and modification time of a file, to check that a failed run did
// not touch it.
type fileState struct {
	path  string
	data  []byte
	mtime time.Time
}

// oldTime is the modification time given to pre-existing files, far from any run's clock.
var oldTime = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

// sentinel writes a recognizable pre-existing file at path (mtime oldTime) and returns its
// state.
func sentinel(t *testing.T, path string) fileState {
	t.Helper()
	if err := os.WriteFile(path, []byte("pre-existing "+filepath.Base(path)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return snapshot(t, path)
}

// snapshot records path's content, after setting its mtime to oldTime.
func snapshot(t *testing.T, path string) fileState {
	t.Helper()
	if err := os.Chtimes(path, oldTime, oldTime); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fileState{path, b, oldTime}
}

// untouched fails the test unless the file still has the recorded bytes and mtime.
func (s fileState) untouched(t *testing.T) {
	t.Helper()
	st, err := os.Stat(s.path)
	if err != nil {
		t.Fatalf("%s was removed: %v", s.path, err)
	}
	b, err := os.ReadFile(s.path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, s.data) {
		t.Fatalf("%s was modified (%d bytes, had %d)", s.path, len(b), len(s.data))
	}
	if !st.ModTime().Equal(s.mtime) {
		t.Fatalf("%s: mtime changed from %v to %v", s.path, s.mtime, st.ModTime())
	}
}

// tempFiles returns the names of temporary files left in dir: the atomic writers'
// (.NAME.tmp-*) and any other name with ".tmp" in it.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		if strings.Contains(e.Name(), ".tmp") {
			names = append(names, e.Name())
		}
	}
	return names
}

// writeFile writes b to dir/name and returns the path.
func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// le32 returns the little-endian float32 bytes of vs.
func le32(vs ...float64) []byte {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(v)))
	}
	return b
}

// le64 returns the little-endian float64 bytes of vs.
func le64(vs ...float64) []byte {
	b := make([]byte, 8*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	return b
}

// npyFile builds a version 1.0 .npy file from a header dictionary literal (padded as NumPy
// pads it) and raw data bytes.
func npyFile(dict string, data []byte) []byte {
	h := dict + " "
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	b = append(b, h...)
	return append(b, data...)
}

// npyDict returns a .npy header dictionary.
func npyDict(descr string, fortran bool, shape string) string {
	f := "False"
	if fortran {
		f = "True"
	}
	return fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, f, shape)
}

// idxFile builds an IDX file of unsigned bytes with the given dimensions and data.
func idxFile(dims []uint32, data []byte) []byte {
	b := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

// stTensor is one tensor of a safetensors file being edited.
type stTensor struct {
	Dtype string  `json:"dtype"`
	Shape []int64 `json:"shape"`
	data  []byte
}

// stFile is a safetensors file opened for editing by the tests: metadata and tensors,
// re-encoded by bytes. It is written independently of nn's encoder.
type stFile struct {
	meta    map[string]string
	tensors map[string]*stTensor
}

// readST parses a safetensors file.
func readST(t *testing.T, path string) *stFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(b)
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &hdr); err != nil {
		t.Fatal(err)
	}
	data := b[8+n:]
	f := &stFile{meta: map[string]string{}, tensors: map[string]*stTensor{}}
	for k, raw := range hdr {
		if k == "__metadata__" {
			if err := json.Unmarshal(raw, &f.meta); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var e struct {
			stTensor
			Off [2]int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		e.stTensor.data = data[e.Off[0]:e.Off[1]]
		f.tensors[k] = &e.stTensor
	}
	return f
}

// bytes encodes the file: header JSON (tensors in name order), padded to 8 bytes, then the
// data.
func (f *stFile) bytes() []byte {
	var h bytes.Buffer
	mb, _ := json.Marshal(f.meta)
	fmt.Fprintf(&h, `{"__metadata__":%s`, mb)
	var data []byte
	names := make([]string, 0, len(f.tensors))
	for k := range f.tensors {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		e := f.tensors[k]
		nb, _ := json.Marshal(k)
		sb, _ := json.Marshal(e.Shape)
		fmt.Fprintf(&h, `,%s:{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}`, nb, e.Dtype, sb, len(data), len(data)+len(e.data))
		data = append(data, e.data...)
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	b := binary.LittleEndian.AppendUint64(nil, uint64(h.Len()))
	b = append(b, h.Bytes()...)
	return append(b, data...)
}

// clone returns a deep copy of the file.
func (f *stFile) clone() *stFile {
	g := &stFile{meta: map[string]string{}, tensors: map[string]*stTensor{}}
	for k, v := range f.meta {
		g.meta[k] = v
	}
	for k, v := range f.tensors {
		c := *v
		c.Shape = slices.Clone(v.Shape)
		c.data = slices.Clone(v.data)
		g.tensors[k] = &c
	}
	return g
}
