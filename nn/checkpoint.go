package nn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/interflow/flowbench/internal/atomicfile"
	"github.com/interflow/flowbench/internal/quote"
)

// FormatVersion is the checkpoint schema version written to the `format_version` metadata.
const FormatVersion = "1"

// MaxHeaderBytes bounds the JSON header of a checkpoint.
const MaxHeaderBytes = 64 << 20

// Reserved metadata keys, written by Encode; Checkpoint.Meta may not use them, except
// created_by, which it may set (Encode writes "flowbench/nn" otherwise).
const (
	MetaFormatVersion = "format_version"
	MetaConfig        = "config"
	MetaOptim         = "optim"
	MetaEMA           = "ema"
	MetaCreatedBy     = "created_by"
)

// Tensor is an extra named tensor of a checkpoint: exactly one of F32, F64 or I64 holds
// its elements (row-major), whose count is the product of Shape.
type Tensor struct {
	Shape []int
	F32   []float32
	F64   []float64
	I64   []int64
}

// Checkpoint is everything a training run saves: the network, optionally its EMA and the
// optimizer state, extra tensors (data statistics, interpolant and base parameters, ...)
// and metadata strings (train_state, history, ...). It is stored as safetensors:
//
//   - net.{2i}.weight (out, in) and net.{2i}.bias (out), float32, named as PyTorch's
//     nn.Sequential(Linear, act, ..., Linear) saves them, so PyTorch can load them;
//   - ema.net.{2i}.* for the EMA weights, optim.m.net.{2i}.* and optim.v.net.{2i}.* for
//     Adam's moments;
//   - Tensors under their own names (not starting with net., ema. or optim.);
//   - __metadata__: format_version, config (the network's Config as JSON merged with
//     ConfigExtra), optim (Adam's hyper-parameters and step), ema (its decay), created_by,
//     and Meta.
type Checkpoint struct {
	Net         *MLP                       // required
	EMA         *EMA                       // optional; same configuration as Net
	Optim       *Adam                      // optional; moments of len Net.NumParams()
	ConfigExtra map[string]json.RawMessage // extra keys of the config JSON (interpolant, ...)
	Tensors     map[string]Tensor          // extra tensors
	Meta        map[string]string          // extra metadata (train_state, ...)
}

// netName returns the PyTorch name of linear layer i's weight or bias.
func netName(prefix string, i int, bias bool) string {
	if bias {
		return prefix + "net." + strconv.Itoa(2*i) + ".bias"
	}
	return prefix + "net." + strconv.Itoa(2*i) + ".weight"
}

type adamMeta struct {
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	Eps         float64 `json:"eps"`
	WeightDecay float64 `json:"weight_decay"`
	Step        int64   `json:"step"`
}

type emaMeta struct {
	Decay float64 `json:"decay"`
}

// stEntry is one tensor to write.
type stEntry struct {
	name  string
	dtype string
	shape []int
	data  []byte
}

func f32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// le64Bytes returns the little-endian bytes of the 64-bit words bits(v[i]).
func le64Bytes[T any](v []T, bits func(T) uint64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], bits(x))
	}
	return b
}

// netEntries returns the layers of a slab in PyTorch layout (weights transposed to out×in).
func netEntries(prefix string, cfg Config, slab []float32) []stEntry {
	var es []stEntry
	for i, l := range LayerViews(cfg, slab) {
		t := make([]float32, l.In*l.Out)
		for r := 0; r < l.In; r++ {
			for c := 0; c < l.Out; c++ {
				t[c*l.In+r] = l.W[r*l.Out+c]
			}
		}
		es = append(es,
			stEntry{netName(prefix, i, false), "F32", []int{l.Out, l.In}, f32Bytes(t)},
			stEntry{netName(prefix, i, true), "F32", []int{l.Out}, f32Bytes(l.B)})
	}
	return es
}

// Encode returns the checkpoint in safetensors format.
func (c *Checkpoint) Encode() ([]byte, error) {
	if c.Net == nil {
		return nil, errors.New("checkpoint: no network")
	}
	cfg := c.Net.cfg
	meta := map[string]string{}
	for k, v := range c.Meta {
		switch k {
		case MetaFormatVersion, MetaConfig, MetaOptim, MetaEMA:
			return nil, fmt.Errorf("checkpoint: metadata key %q is reserved", k)
		}
		meta[k] = v
	}
	meta[MetaFormatVersion] = FormatVersion
	if _, ok := meta[MetaCreatedBy]; !ok {
		meta[MetaCreatedBy] = "flowbench/nn"
	}
	cj, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	if len(c.ConfigExtra) > 0 {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(cj, &obj); err != nil {
			return nil, err
		}
		for k, v := range c.ConfigExtra {
			if slices.Contains(nnConfigKeys, k) {
				return nil, fmt.Errorf("checkpoint: config key %q is reserved for the network", k)
			}
			if !json.Valid(v) {
				return nil, fmt.Errorf("checkpoint: config key %q is not valid JSON", k)
			}
			obj[k] = v
		}
		if cj, err = json.Marshal(obj); err != nil {
			return nil, err
		}
	}
	meta[MetaConfig] = string(cj)
	es := netEntries("", cfg, c.Net.params)
	if c.EMA != nil {
		if !sameConfig(c.EMA.Net.cfg, cfg) {
			return nil, errors.New("checkpoint: EMA configuration differs from the network's")
		}
		b, _ := json.Marshal(emaMeta{c.EMA.Decay})
		meta[MetaEMA] = string(b)
		es = append(es, netEntries("ema.", cfg, c.EMA.Net.params)...)
	}
	if o := c.Optim; o != nil {
		if err := o.Validate(len(c.Net.params)); err != nil {
			return nil, fmt.Errorf("checkpoint: %w", err)
		}
		b, _ := json.Marshal(adamMeta{o.Beta1, o.Beta2, o.Eps, o.WeightDecay, o.Step})
		meta[MetaOptim] = string(b)
		es = append(es, netEntries("optim.m.", cfg, o.M)...)
		es = append(es, netEntries("optim.v.", cfg, o.V)...)
	}
	for name, t := range c.Tensors {
		if reservedName(name) {
			return nil, fmt.Errorf("checkpoint: tensor name %q uses a reserved prefix (net., ema., optim.)", name)
		}
		if name == "" || name == "__metadata__" {
			return nil, fmt.Errorf("checkpoint: invalid tensor name %q", name)
		}
		e := stEntry{name: name, shape: t.Shape}
		n := 1
		for _, s := range t.Shape {
			if s < 0 {
				return nil, fmt.Errorf("checkpoint: tensor %q has negative shape %v", name, t.Shape)
			}
			n *= s
		}
		set := 0
		take := func(dtype string, count int, data []byte) error {
			set++
			e.dtype, e.data = dtype, data
			if count != n {
				return fmt.Errorf("checkpoint: tensor %q has %d elements, shape %v needs %d", name, count, t.Shape, n)
			}
			return nil
		}
		var terr error
		if t.F32 != nil {
			terr = take("F32", len(t.F32), f32Bytes(t.F32))
		}
		if terr == nil && t.F64 != nil {
			terr = take("F64", len(t.F64), le64Bytes(t.F64, math.Float64bits))
		}
		if terr == nil && t.I64 != nil {
			terr = take("I64", len(t.I64), le64Bytes(t.I64, func(x int64) uint64 { return uint64(x) }))
		}
		if terr != nil {
			return nil, terr
		}
		if set != 1 {
			if set == 0 && n == 0 {
				e.dtype = "F32"
			} else {
				return nil, fmt.Errorf("checkpoint: tensor %q must have exactly one of F32, F64, I64 set", name)
			}
		}
		es = append(es, e)
	}
	slices.SortFunc(es, func(a, b stEntry) int { return strings.Compare(a.name, b.name) })
	// Header: metadata first, then tensors in name order, offsets in that order.
	var h bytes.Buffer
	h.WriteString(`{"__metadata__":`)
	mb, err := json.Marshal(meta) // map keys are sorted: deterministic
	if err != nil {
		return nil, err
	}
	h.Write(mb)
	off := 0
	for _, e := range es {
		nb, _ := json.Marshal(e.name)
		sb, _ := json.Marshal(e.shape)
		if e.shape == nil {
			sb = []byte("[]")
		}
		fmt.Fprintf(&h, `,%s:{"dtype":"%s","shape":%s,"data_offsets":[%d,%d]}`, nb, e.dtype, sb, off, off+len(e.data))
		off += len(e.data)
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	out := make([]byte, 8, 8+h.Len()+off)
	binary.LittleEndian.PutUint64(out, uint64(h.Len()))
	out = append(out, h.Bytes()...)
	for _, e := range es {
		out = append(out, e.data...)
	}
	return out, nil
}

func reservedName(name string) bool {
	return strings.HasPrefix(name, "net.") || strings.HasPrefix(name, "ema.") || strings.HasPrefix(name, "optim.")
}

// Save writes the checkpoint to path atomically: to a temporary file in the same
// directory, synced, then renamed over path.
func (c *Checkpoint) Save(path string) error {
	b, err := c.Encode()
	if err != nil {
		return fmt.Errorf("%s: %w", quote.Name(path), err)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// MaxCheckpointBytes bounds the size of a checkpoint file LoadCheckpoint reads (8 GiB: far
// above the largest network the configuration limits allow in practice).
const MaxCheckpointBytes = 8 << 30

// LoadCheckpoint reads and validates a checkpoint file written by Save (or by the PyTorch
// side of scripts/torch_safetensors.py). Errors name the file and what is wrong.
//
// The file must be a regular file of at most MaxCheckpointBytes, checked before it is read:
// a device (/dev/zero) or a huge file is refused instead of exhausting memory.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	name := quote.Name(path)
	// Stat before opening: opening a FIFO would wait for a writer.
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (a device, a FIFO or a directory): not a checkpoint", name)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, quote.PathErr(path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	switch {
	case err != nil:
		return nil, quote.PathErr(path, err)
	case !st.Mode().IsRegular():
		return nil, fmt.Errorf("%s: not a regular file (a device, a FIFO or a directory): not a checkpoint", name)
	case st.Size() > MaxCheckpointBytes:
		return nil, fmt.Errorf("%s: %d bytes, more than a checkpoint may hold (%d)", name, st.Size(), int64(MaxCheckpointBytes))
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxCheckpointBytes+1))
	if err != nil {
		return nil, quote.PathErr(path, err)
	}
	if int64(len(b)) > MaxCheckpointBytes {
		return nil, fmt.Errorf("%s: more than %d bytes: not a checkpoint", name, int64(MaxCheckpointBytes))
	}
	c, err := DecodeCheckpoint(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// stTensor is a tensor entry of a safetensors header.
type stTensor struct {
	Dtype   string  `json:"dtype"`
	Shape   []int64 `json:"shape"`
	Offsets []int64 `json:"data_offsets"`
	data    []byte
}

var dtypeSize = map[string]int64{"F32": 4, "F64": 8, "I64": 8}

// parseSafetensors splits a safetensors file into its metadata and tensors, validating the
// framing: header size, JSON (no duplicate keys, no unknown fields), dtypes, shapes and byte
// ranges that exactly tile the data section.
func parseSafetensors(b []byte) (map[string]string, map[string]*stTensor, error) {
	if len(b) < 8 {
		return nil, nil, fmt.Errorf("checkpoint: %d bytes, too short for a safetensors header", len(b))
	}
	hn := binary.LittleEndian.Uint64(b)
	if hn > MaxHeaderBytes || hn > uint64(len(b)-8) {
		return nil, nil, fmt.Errorf("checkpoint: header length %d exceeds the file (%d bytes) or the limit %d", hn, len(b), MaxHeaderBytes)
	}
	hdr, data := b[8:8+hn], b[8+hn:]
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, nil, fmt.Errorf("checkpoint: header is not a JSON object")
	}
	meta := map[string]string{}
	haveMeta := false
	tensors := map[string]*stTensor{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("checkpoint: header JSON: %w", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, nil, fmt.Errorf("checkpoint: header JSON: key expected")
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("checkpoint: header JSON at %q: %w", key, err)
		}
		if key == "__metadata__" {
			if haveMeta {
				return nil, nil, fmt.Errorf("checkpoint: duplicate __metadata__")
			}
			haveMeta = true
			if err := json.Unmarshal(raw, &meta); err != nil {
				return nil, nil, fmt.Errorf("checkpoint: __metadata__ is not a string→string map: %w", err)
			}
			continue
		}
		if _, dup := tensors[key]; dup {
			return nil, nil, fmt.Errorf("checkpoint: duplicate tensor %q", key)
		}
		t := new(stTensor)
		td := json.NewDecoder(bytes.NewReader(raw))
		td.DisallowUnknownFields()
		if err := td.Decode(t); err != nil {
			return nil, nil, fmt.Errorf("checkpoint: tensor %q: %w", key, err)
		}
		size, ok := dtypeSize[t.Dtype]
		if !ok {
			return nil, nil, fmt.Errorf("checkpoint: tensor %q has unsupported dtype %q (want F32, F64 or I64)", key, t.Dtype)
		}
		if t.Shape == nil {
			return nil, nil, fmt.Errorf("checkpoint: tensor %q has no shape", key)
		}
		n := int64(1)
		for _, s := range t.Shape {
			if s < 0 || s > int64(len(data)) {
				return nil, nil, fmt.Errorf("checkpoint: tensor %q has invalid shape %v", key, t.Shape)
			}
			if s != 0 && n > int64(len(data))/s {
				n = int64(len(data)) + 1 // too large; caught below
			} else {
				n *= s
			}
		}
		if len(t.Offsets) != 2 {
			return nil, nil, fmt.Errorf("checkpoint: tensor %q: data_offsets must have 2 entries", key)
		}
		lo, hi := t.Offsets[0], t.Offsets[1]
		if lo < 0 || hi < lo || hi > int64(len(data)) {
			return nil, nil, fmt.Errorf("checkpoint: tensor %q: data_offsets [%d, %d] outside the %d data bytes", key, lo, hi, len(data))
		}
		if n > int64(len(data)) || hi-lo != n*size {
			return nil, nil, fmt.Errorf("checkpoint: tensor %q: %d bytes for shape %v of %s", key, hi-lo, t.Shape, t.Dtype)
		}
		t.data = data[lo:hi]
		tensors[key] = t
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, nil, fmt.Errorf("checkpoint: header JSON: %w", err)
	}
	if len(bytes.TrimSpace(hdr[dec.InputOffset():])) != 0 {
		return nil, nil, fmt.Errorf("checkpoint: trailing bytes after the header JSON")
	}
	// The byte ranges must tile the data section exactly: no holes, no overlaps.
	ts := make([]*stTensor, 0, len(tensors))
	for _, t := range tensors {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b *stTensor) int {
		if a.Offsets[0] != b.Offsets[0] {
			return int(min(max(a.Offsets[0]-b.Offsets[0], -1), 1))
		}
		return int(min(max(a.Offsets[1]-b.Offsets[1], -1), 1))
	})
	pos := int64(0)
	for _, t := range ts {
		if t.Offsets[0] != pos {
			return nil, nil, fmt.Errorf("checkpoint: tensor data ranges overlap or leave a hole at byte %d", pos)
		}
		pos = t.Offsets[1]
	}
	if pos != int64(len(data)) {
		return nil, nil, fmt.Errorf("checkpoint: %d data bytes but tensors cover %d", len(data), pos)
	}
	return meta, tensors, nil
}

// DecodeCheckpoint parses and validates a checkpoint from its bytes. It never panics: a
// corrupt or hostile input gives an error naming what is wrong.
func DecodeCheckpoint(b []byte) (*Checkpoint, error) {
	meta, tensors, err := parseSafetensors(b)
	if err != nil {
		return nil, err
	}
	if v, ok := meta[MetaFormatVersion]; !ok {
		return nil, errors.New("checkpoint: metadata lacks format_version")
	} else if v != FormatVersion {
		return nil, fmt.Errorf("checkpoint: format_version %q not supported (want %q)", v, FormatVersion)
	}
	cs, ok := meta[MetaConfig]
	if !ok {
		return nil, errors.New("checkpoint: metadata lacks config")
	}
	var cfg Config
	if err := json.Unmarshal([]byte(cs), &cfg); err != nil {
		return nil, fmt.Errorf("checkpoint: metadata config: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("checkpoint: metadata %w", err)
	}
	if need := 4 * int64(cfg.NumParams()); need > int64(len(b)) {
		return nil, fmt.Errorf("checkpoint: config needs %d parameters but the file has only %d bytes", cfg.NumParams(), len(b))
	}
	var extra map[string]json.RawMessage
	if err := json.Unmarshal([]byte(cs), &extra); err != nil {
		return nil, fmt.Errorf("checkpoint: metadata config: %w", err)
	}
	for _, k := range nnConfigKeys {
		delete(extra, k)
	}
	c := &Checkpoint{ConfigExtra: extra, Tensors: map[string]Tensor{}, Meta: map[string]string{}}
	if len(extra) == 0 {
		c.ConfigExtra = nil
	}
	if c.Net, err = readNet("", cfg, tensors, true); err != nil {
		return nil, err
	}
	ema, err := readNet("ema.", cfg, tensors, false)
	if err != nil {
		return nil, err
	}
	if es, ok := meta[MetaEMA]; ok || ema != nil {
		if ema == nil {
			return nil, errors.New("checkpoint: metadata ema present but no ema.net.* tensors")
		}
		em := emaMeta{Decay: 0.999}
		if ok {
			if err := strictJSON(es, &em); err != nil {
				return nil, fmt.Errorf("checkpoint: metadata ema: %w", err)
			}
		}
		if !(em.Decay >= 0 && em.Decay < 1) {
			return nil, fmt.Errorf("checkpoint: metadata ema: decay %v not in [0, 1)", em.Decay)
		}
		c.EMA = &EMA{Decay: em.Decay, Net: ema}
	}
	mom, err := readNet("optim.m.", cfg, tensors, false)
	if err != nil {
		return nil, err
	}
	vel, err := readNet("optim.v.", cfg, tensors, false)
	if err != nil {
		return nil, err
	}
	if ostr, ok := meta[MetaOptim]; ok || mom != nil || vel != nil {
		if mom == nil || vel == nil || !ok {
			return nil, errors.New("checkpoint: optimizer state needs optim.m.net.*, optim.v.net.* and metadata optim together")
		}
		var am adamMeta
		if err := strictJSON(ostr, &am); err != nil {
			return nil, fmt.Errorf("checkpoint: metadata optim: %w", err)
		}
		a := &Adam{Beta1: am.Beta1, Beta2: am.Beta2, Eps: am.Eps, WeightDecay: am.WeightDecay, Step: am.Step, M: mom.params, V: vel.params}
		if err := a.Validate(len(mom.params)); err != nil {
			return nil, fmt.Errorf("checkpoint: metadata optim: %w", err)
		}
		for i, v := range a.V {
			if v < 0 {
				return nil, fmt.Errorf("checkpoint: optim.v has negative element %d", i)
			}
		}
		c.Optim = a
	}
	for name, t := range tensors {
		if t == nil { // consumed by readNet
			continue
		}
		if reservedName(name) {
			return nil, fmt.Errorf("checkpoint: unexpected tensor %q", name)
		}
		shape := make([]int, len(t.Shape))
		for i, s := range t.Shape {
			shape[i] = int(s)
		}
		x := Tensor{Shape: shape}
		switch t.Dtype {
		case "F32":
			x.F32 = f32From(t.data)
		case "F64":
			x.F64 = make([]float64, len(t.data)/8)
			for i := range x.F64 {
				x.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(t.data[8*i:]))
			}
		case "I64":
			x.I64 = make([]int64, len(t.data)/8)
			for i := range x.I64 {
				x.I64[i] = int64(binary.LittleEndian.Uint64(t.data[8*i:]))
			}
		}
		c.Tensors[name] = x
	}
	for k, v := range meta {
		switch k {
		case MetaFormatVersion, MetaConfig, MetaOptim, MetaEMA:
		default:
			c.Meta[k] = v
		}
	}
	return c, nil
}

func strictJSON(s string, v any) error {
	d := json.NewDecoder(strings.NewReader(s))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data")
	}
	return nil
}

func f32From(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// readNet reads the layers prefix+net.{2i}.{weight,bias} into a new MLP, marking the
// tensors consumed (nil) in the map. With required false and none present it returns nil.
// Any other prefix+"net." tensor is an error.
func readNet(prefix string, cfg Config, tensors map[string]*stTensor, required bool) (*MLP, error) {
	present := false
	for name := range tensors {
		if strings.HasPrefix(name, prefix+"net.") {
			present = true
			break
		}
	}
	if !present && !required {
		return nil, nil
	}
	m, err := NewZero(cfg)
	if err != nil {
		return nil, err
	}
	for i, l := range m.layers {
		for _, bias := range []bool{false, true} {
			name := netName(prefix, i, bias)
			t, ok := tensors[name]
			if !ok || t == nil {
				return nil, fmt.Errorf("checkpoint: missing tensor %q", name)
			}
			want := []int64{int64(l.Out), int64(l.In)}
			if bias {
				want = want[:1]
			}
			if t.Dtype != "F32" || !slices.Equal(t.Shape, want) {
				return nil, fmt.Errorf("checkpoint: tensor %q is %s %v, config needs F32 %v", name, t.Dtype, t.Shape, want)
			}
			v := f32From(t.data)
			for j, x := range v {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					return nil, fmt.Errorf("checkpoint: tensor %q element %d is %v", name, j, x)
				}
			}
			if bias {
				copy(l.B, v)
			} else {
				for o := 0; o < l.Out; o++ {
					for r := 0; r < l.In; r++ {
						l.W[r*l.Out+o] = v[o*l.In+r]
					}
				}
			}
			tensors[name] = nil
		}
	}
	for name, t := range tensors {
		if t != nil && strings.HasPrefix(name, prefix+"net.") {
			return nil, fmt.Errorf("checkpoint: unexpected tensor %q (config has %d layers)", name, cfg.NumLayers())
		}
	}
	return m, nil
}
