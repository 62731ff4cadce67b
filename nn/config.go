package nn

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/interflow/flowbench/internal/enum"
	"github.com/interflow/flowbench/kernels"
)

// TimeFeatures selects how the time t enters the network.
type TimeFeatures uint8

const (
	// TimeConcat appends t as the last input: the input is [x, t] (width d+1), as the paper
	// and the PyTorch reference do.
	TimeConcat TimeFeatures = iota
	// TimeFourier appends 2K Fourier features of t: for k = 1..K, cos(kπt) then sin(kπt)
	// (width d+2K, K = Config.Fourier).
	TimeFourier
)

var timeFeatureNames = enum.Names{Type: "TimeFeatures", Names: []string{"concat", "fourier"},
	Aliases: map[string]int{"": int(TimeConcat)}, Fold: true, Unknown: "unknown time features", Want: "concat or fourier"}

// String returns "concat" or "fourier".
func (f TimeFeatures) String() string { return enum.String(&timeFeatureNames, f) }

// ParseTimeFeatures returns the TimeFeatures named "concat" (or "") or "fourier".
func ParseTimeFeatures(s string) (TimeFeatures, error) {
	return enum.Value[TimeFeatures](&timeFeatureNames, s)
}

// Limits on a configuration, so that a hostile checkpoint cannot ask for absurd memory.
const (
	MaxDim     = 1 << 16 // largest data dimension
	MaxWidth   = 1 << 16 // largest hidden width
	MaxLayers  = 64      // most hidden layers
	MaxFourier = 1 << 10 // most Fourier frequencies
	MaxContext = 1 << 16 // most continuous context columns
	MaxClasses = 1 << 16 // most class labels
	MaxParams  = 1 << 30 // most parameters in all
)

// Config describes an MLP velocity field v(t, x) or, with a context, v(t, x, c): input
// [x, context, time features] → Hidden[0] → ... → Hidden[L-1] → Dim, with Act after every
// hidden layer and none after the last.
//
// The context is ContextWidth() values per row, in this column order of the first layer's
// input: the Context continuous columns, then, when Classes > 0, a one-hot code of the class
// label over Classes+1 columns, the last of which is the null label ∅ used by
// classifier-free guidance. A one-hot code through the first Linear is exactly a learned
// embedding of the label (one row of W0 per label) added to the first pre-activation, so
// the PyTorch layout is one nn.Linear over [x, context, t] as in the reference's
// CondVelocityMLP (its xdim is Context).
type Config struct {
	Dim     int          // data dimension d (input and output)
	Hidden  []int        // hidden widths, one per hidden layer (may be empty: one linear map)
	Act     kernels.Act  // activation after each hidden layer
	Time    TimeFeatures // how t enters
	Fourier int          // number of frequencies K when Time == TimeFourier (≥ 1); else 0
	Context int          // continuous context columns (0: none)
	Classes int          // class labels (0: none); the one-hot code has Classes+1 columns
}

// InputDim returns the width of the first layer's input: d + ContextWidth() plus 1 time
// feature for concat or 2K for Fourier.
func (c Config) InputDim() int {
	if c.Time == TimeFourier {
		return c.Dim + c.ContextWidth() + 2*c.Fourier
	}
	return c.Dim + c.ContextWidth() + 1
}

// ContextWidth returns the number of context values per row: Context, plus Classes+1
// one-hot columns when Classes > 0. It is 0 for an unconditional network.
func (c Config) ContextWidth() int {
	if c.Classes > 0 {
		return c.Context + c.Classes + 1
	}
	return c.Context
}

// Conditional reports whether the network takes a context.
func (c Config) Conditional() bool { return c.ContextWidth() > 0 }

// EncodeContext writes one row of context into dst (len ContextWidth()): the continuous
// values cont (len Context) and, when Classes > 0, the one-hot code of label, where
// label = Classes (or any negative value) selects the null label ∅.
func (c Config) EncodeContext(dst, cont []float32, label int) {
	if len(dst) != c.ContextWidth() || len(cont) != c.Context {
		panic(fmt.Sprintf("nn: EncodeContext: len(dst) = %d, len(cont) = %d, want %d and %d", len(dst), len(cont), c.ContextWidth(), c.Context))
	}
	copy(dst, cont)
	if c.Classes == 0 {
		return
	}
	hot := dst[c.Context:]
	clear(hot)
	if label < 0 || label > c.Classes {
		label = c.Classes
	}
	hot[label] = 1
}

// timeWidth returns the number of time features (1 or 2K).
func (c Config) timeWidth() int { return c.InputDim() - c.Dim - c.ContextWidth() }

// NumLayers returns the number of linear layers, len(Hidden)+1.
func (c Config) NumLayers() int { return len(c.Hidden) + 1 }

// LayerShape returns the (fan_in, fan_out) of linear layer i.
func (c Config) LayerShape(i int) (in, out int) {
	in, out = c.InputDim(), c.Dim
	if i > 0 {
		in = c.Hidden[i-1]
	}
	if i < len(c.Hidden) {
		out = c.Hidden[i]
	}
	return in, out
}

// NumParams returns the number of parameters, Σ (fan_in+1)·fan_out.
func (c Config) NumParams() int {
	n := 0
	for i := 0; i < c.NumLayers(); i++ {
		in, out := c.LayerShape(i)
		n += (in + 1) * out
	}
	return n
}

// FLOPsPerRow returns 2·Σ fan_in·fan_out: the multiply-add FLOPs of one forward row.
func (c Config) FLOPsPerRow() float64 {
	s := 0.0
	for i := 0; i < c.NumLayers(); i++ {
		in, out := c.LayerShape(i)
		s += 2 * float64(in) * float64(out)
	}
	return s
}

// Validate reports whether the configuration is usable, naming the bad field.
func (c Config) Validate() error {
	if c.Dim < 1 || c.Dim > MaxDim {
		return fmt.Errorf("config: dim %d out of range [1, %d]", c.Dim, MaxDim)
	}
	if len(c.Hidden) > MaxLayers {
		return fmt.Errorf("config: %d hidden layers, at most %d", len(c.Hidden), MaxLayers)
	}
	for i, w := range c.Hidden {
		if w < 1 || w > MaxWidth {
			return fmt.Errorf("config: hidden[%d] = %d out of range [1, %d]", i, w, MaxWidth)
		}
	}
	if c.Act == kernels.Identity || c.Act > kernels.ELU {
		return fmt.Errorf("config: activation %v not supported (want relu, silu, tanh, softplus, gelu or elu)", c.Act)
	}
	switch c.Time {
	case TimeConcat:
		if c.Fourier != 0 {
			return fmt.Errorf("config: fourier = %d with concat time features (want 0)", c.Fourier)
		}
	case TimeFourier:
		if c.Fourier < 1 || c.Fourier > MaxFourier {
			return fmt.Errorf("config: fourier = %d out of range [1, %d]", c.Fourier, MaxFourier)
		}
	default:
		return fmt.Errorf("config: unknown time features %d", c.Time)
	}
	if c.Context < 0 || c.Context > MaxContext {
		return fmt.Errorf("config: context = %d out of range [0, %d]", c.Context, MaxContext)
	}
	if c.Classes < 0 || c.Classes > MaxClasses {
		return fmt.Errorf("config: classes = %d out of range [0, %d]", c.Classes, MaxClasses)
	}
	// Count parameters in float64 so that the check itself cannot overflow.
	n := 0.0
	for i := 0; i < c.NumLayers(); i++ {
		in, out := c.LayerShape(i)
		n += float64(in+1) * float64(out)
	}
	if n > MaxParams {
		return fmt.Errorf("config: %.0f parameters, at most %d", n, MaxParams)
	}
	return nil
}

// configJSON is the JSON form of Config (the `config` checkpoint metadata, merged with the
// caller's extra keys). Width and depth are written when all hidden widths are equal, as the
// PyTorch reference's VelocityMLP(dim, width, depth, act) names them; on reading they are used
// only when hidden is absent.
type configJSON struct {
	Dim     int    `json:"dim"`
	Hidden  []int  `json:"hidden"`
	Width   *int   `json:"width,omitempty"`
	Depth   *int   `json:"depth,omitempty"`
	Act     string `json:"act"`
	Time    string `json:"time"`
	Fourier int    `json:"fourier"`
	Context int    `json:"context,omitempty"`
	XDim    int    `json:"xdim,omitempty"`
	Classes int    `json:"classes,omitempty"`
}

// nnConfigKeys are the keys of the config JSON that nn owns.
var nnConfigKeys = []string{"dim", "hidden", "width", "depth", "act", "time", "fourier", "context", "xdim", "classes"}

// MarshalJSON encodes the configuration as {"dim", "hidden", "act", "time", "fourier"} (plus
// "width" and "depth" when the hidden widths are equal, and "context", "xdim" (the
// PyTorch reference's name for it) and "classes" when non-zero).
func (c Config) MarshalJSON() ([]byte, error) {
	j := configJSON{Dim: c.Dim, Hidden: c.Hidden, Act: c.Act.String(), Time: c.Time.String(), Fourier: c.Fourier,
		Context: c.Context, XDim: c.Context, Classes: c.Classes}
	if j.Hidden == nil {
		j.Hidden = []int{}
	}
	if len(c.Hidden) > 0 {
		same := true
		for _, w := range c.Hidden {
			same = same && w == c.Hidden[0]
		}
		if same {
			w, d := c.Hidden[0], len(c.Hidden)
			j.Width, j.Depth = &w, &d
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes a configuration written by MarshalJSON or by the PyTorch reference
// ({"dim", "width", "depth", "act"}, plus "xdim" for its conditional network). It does not
// validate; call Validate.
func (c *Config) UnmarshalJSON(b []byte) error {
	var j configJSON
	j.Dim = -1
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.Dim == -1 {
		return fmt.Errorf("config: missing dim")
	}
	hidden := j.Hidden
	if hidden == nil {
		if j.Width == nil || j.Depth == nil {
			return fmt.Errorf("config: missing hidden (or width and depth)")
		}
		if *j.Depth < 0 || *j.Depth > MaxLayers {
			return fmt.Errorf("config: depth %d out of range [0, %d]", *j.Depth, MaxLayers)
		}
		hidden = make([]int, *j.Depth)
		for i := range hidden {
			hidden[i] = *j.Width
		}
	}
	act, err := kernels.ParseAct(j.Act)
	if err != nil {
		return fmt.Errorf("config: act: %w", err)
	}
	tf, err := ParseTimeFeatures(j.Time)
	if err != nil {
		return fmt.Errorf("config: time: %w", err)
	}
	if j.Context != 0 && j.XDim != 0 && j.Context != j.XDim {
		return fmt.Errorf("config: context = %d but xdim = %d", j.Context, j.XDim)
	}
	ctx := j.Context
	if ctx == 0 {
		ctx = j.XDim
	}
	*c = Config{Dim: j.Dim, Hidden: hidden, Act: act, Time: tf, Fourier: j.Fourier, Context: ctx, Classes: j.Classes}
	return nil
}

// timeFeatures writes the time features of t into f (len timeWidth) and, when df is
// non-nil, their derivatives with respect to t.
func (c *Config) timeFeatures(t float64, f []float32, df []float64) {
	if c.Time != TimeFourier {
		f[0] = float32(t)
		if df != nil {
			df[0] = 1
		}
		return
	}
	for k := 1; k <= c.Fourier; k++ {
		w := float64(k) * math.Pi
		s, co := math.Sincos(w * t)
		f[2*k-2], f[2*k-1] = float32(co), float32(s)
		if df != nil {
			df[2*k-2], df[2*k-1] = -w*s, w*co
		}
	}
}
