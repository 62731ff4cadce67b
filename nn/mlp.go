package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Layer is a view of one linear layer's parameters inside a flat slab: W is In×Out,
// row-major (the forward pass is the NN product X·W), B has Out elements.
type Layer struct {
	In, Out int
	W, B    []float32
}

// MLP is the velocity network v(t, x). Its parameters live in one contiguous slab
// (Params), layer by layer, each layer's W (In×Out, row-major) followed by its bias.
//
// An MLP owns a workspace that its passes reuse, so that after the first call of a given
// batch size no pass allocates. An MLP is therefore not safe for concurrent use; Fork
// returns another MLP that shares the parameters but has its own workspace.
type MLP struct {
	cfg    Config
	params []float32
	layers []Layer
	ws     *workspace
	wsw    []*workspace // chunk workspaces of RunTasks workers 1, 2, … (chunks.go)
	run    chunkRun     // the scalar-t pass in progress (chunks.go)
	// chunked LossGrad (chunks.go): the pass, gradient partials of chunks 1, 2, … and the
	// loss sums of every chunk
	trun     trainRun
	gpart    [][]float32
	lossPart [][3]float64
	ctx      []float32 // the context (context.go): one shared row, one per batch row, or none
}

// New returns an MLP with the given configuration, initialized as PyTorch's nn.Linear
// default: every weight and bias uniform in ±1/sqrt(fan_in), drawn layer by layer (weights
// in the (out, in) order PyTorch stores them, then biases) from PCG(seed, 0).
func New(cfg Config, seed uint64) (*MLP, error) {
	m, err := NewZero(cfg)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	for _, l := range m.layers {
		bound := 1 / math.Sqrt(float64(l.In))
		for o := 0; o < l.Out; o++ {
			for i := 0; i < l.In; i++ {
				l.W[i*l.Out+o] = float32((2*rng.Float64() - 1) * bound)
			}
		}
		for o := range l.B {
			l.B[o] = float32((2*rng.Float64() - 1) * bound)
		}
	}
	return m, nil
}

// NewZero returns an MLP with the given configuration and all parameters zero.
func NewZero(cfg Config) (*MLP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Hidden = append([]int(nil), cfg.Hidden...)
	m := &MLP{cfg: cfg, params: make([]float32, cfg.NumParams()), ws: &workspace{}}
	m.layers = LayerViews(cfg, m.params)
	return m, nil
}

// LayerViews returns per-layer views of a slab laid out like MLP.Params (parameters,
// gradients, optimizer moments). It panics if the slab has the wrong length.
func LayerViews(cfg Config, slab []float32) []Layer {
	if len(slab) != cfg.NumParams() {
		panic(fmt.Sprintf("nn: slab has %d elements, config needs %d", len(slab), cfg.NumParams()))
	}
	ls := make([]Layer, cfg.NumLayers())
	off := 0
	for i := range ls {
		in, out := cfg.LayerShape(i)
		ls[i] = Layer{In: in, Out: out, W: slab[off : off+in*out : off+in*out]}
		off += in * out
		ls[i].B = slab[off : off+out : off+out]
		off += out
	}
	return ls
}

// Config returns the network's configuration (a copy).
func (m *MLP) Config() Config {
	c := m.cfg
	c.Hidden = append([]int(nil), c.Hidden...)
	return c
}

// Dim returns d, the dimension of a point.
func (m *MLP) Dim() int { return m.cfg.Dim }

// Params returns the parameter slab (not a copy): writes change the network.
func (m *MLP) Params() []float32 { return m.params }

// NumParams returns len(Params()).
func (m *MLP) NumParams() int { return len(m.params) }

// Layers returns views of each linear layer's parameters (not copies).
func (m *MLP) Layers() []Layer { return m.layers }

// Fork returns an MLP that shares this one's parameters but has its own workspace, for use
// on another goroutine.
func (m *MLP) Fork() *MLP {
	return &MLP{cfg: m.cfg, params: m.params, layers: m.layers, ws: &workspace{}}
}

// Clone returns an independent copy of the network (parameters copied, new workspace).
func (m *MLP) Clone() *MLP {
	c, _ := NewZero(m.cfg)
	copy(c.params, m.params)
	return c
}

// CopyFrom copies src's parameters into m; the configurations must be equal.
func (m *MLP) CopyFrom(src *MLP) error {
	if !sameConfig(m.cfg, src.cfg) {
		return fmt.Errorf("nn: CopyFrom: configurations differ")
	}
	copy(m.params, src.params)
	return nil
}

func sameConfig(a, b Config) bool {
	if a.Dim != b.Dim || a.Act != b.Act || a.Time != b.Time || a.Fourier != b.Fourier || a.Context != b.Context || a.Classes != b.Classes || len(a.Hidden) != len(b.Hidden) {
		return false
	}
	for i := range a.Hidden {
		if a.Hidden[i] != b.Hidden[i] {
			return false
		}
	}
	return true
}
