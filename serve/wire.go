package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"

	"github.com/interflow/flowbench/gen"
	"github.com/interflow/flowbench/solver"
)

// The wire shape: the JSON bodies of the /v1 endpoints and their decoding into library
// calls. Every decoder reads one JSON object, refuses unknown fields and trailing data, and
// checks shapes and values against the model before any work, so a bad body is a 4xx
// naming the field at fault and never a panic (FuzzDecode).

// SolverFields are the ODE solver options of a request; zero fields take the endpoint's
// defaults (those of the matching CLI subcommand: dopri5, rtol = atol = 1e-7 for
// log-densities and 1e-5 for samples and encodings, 100 steps of a fixed-step method).
type SolverFields struct {
	Solver string  `json:"solver,omitempty"` // euler, midpoint, heun, rk4, dopri5, bosh3
	RTol   float64 `json:"rtol,omitempty"`   // relative tolerance of an adaptive method
	ATol   float64 `json:"atol,omitempty"`   // absolute tolerance of an adaptive method
	Steps  int     `json:"steps,omitempty"`  // steps of a fixed-step method
}

// ContextFields are the context of a request to a conditional model: "context" is one row
// of continuous context values shared by every row ([c1, c2, …]) or one per row
// ([[…], …]); "labels" is one class label shared by every row (an integer) or one per row
// (an array; −1 is the null label); "guidance" is the classifier-free guidance weight.
type ContextFields struct {
	Context  json.RawMessage `json:"context,omitempty"`
	Labels   json.RawMessage `json:"labels,omitempty"`
	Guidance float64         `json:"guidance,omitempty"`
}

// LogProbRequest is the body of POST /v1/log_prob (and of /v1/encode, which ignores
// Hutchinson and Seed).
type LogProbRequest struct {
	X [][]float32 `json:"x"` // rows in data units
	SolverFields
	ContextFields
	// Hutchinson K ≥ 1 averages K Hutchinson estimates (0: exact divergence up to 64
	// dimensions, one probe above), seeded by Seed (gen.LikelihoodOptions).
	Hutchinson int    `json:"hutchinson,omitempty"`
	Seed       uint64 `json:"seed,omitempty"`
}

// LogProbResponse is the answer of /v1/log_prob: log p(x) in nats (data units) in row
// order, and the field evaluations of the solve.
type LogProbResponse struct {
	LogProb []float64 `json:"log_prob"`
	NFE     int       `json:"nfe"`
}

// EncodeResponse is the answer of /v1/encode: the base point of every row.
type EncodeResponse struct {
	Z   [][]float32 `json:"z"`
	NFE int         `json:"nfe"`
}

// SampleRequest is the body of POST /v1/sample.
type SampleRequest struct {
	N    int    `json:"n"`    // samples drawn
	Seed uint64 `json:"seed"` // seed of the base draws: the same seed gives the same samples
	// WithLogProb also returns each sample's log-density (tolerances default to 1e-7).
	WithLogProb bool `json:"with_log_prob,omitempty"`
	SolverFields
	ContextFields
}

// SampleResponse is the answer of /v1/sample.
type SampleResponse struct {
	X       [][]float32 `json:"x"`
	LogProb []float64   `json:"log_prob,omitempty"`
	NFE     int         `json:"nfe"`
}

// ErrorResponse is the body of every error answer.
type ErrorResponse struct {
	Error string `json:"error"`
}

// httpError is an error with the status that answers it.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, a ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, a...)}
}

// decodeJSON reads one JSON object from r into v: unknown fields, trailing data, a body
// over the size limit (413) and malformed JSON (400) are errors.
func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body: larger than the limit of %d bytes", mbe.Limit)}
		}
		if errors.Is(err, io.EOF) {
			return badRequest("body: empty (want a JSON object)")
		}
		return badRequest("body: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body: larger than the limit of %d bytes", mbe.Limit)}
		}
		return badRequest("body: data after the JSON object")
	}
	return nil
}

// flatRows checks rows (field name what) against dimension d and the row limit and returns
// them flat, row-major.
func flatRows(what string, rows [][]float32, d, maxRows int) ([]float32, error) {
	if len(rows) == 0 {
		return nil, badRequest("%s: missing or empty (want an array of rows of %d values)", what, d)
	}
	if len(rows) > maxRows {
		return nil, &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("%s: %d rows is more than the limit of %d per request", what, len(rows), maxRows)}
	}
	x := make([]float32, 0, len(rows)*d)
	for i, r := range rows {
		if len(r) != d {
			return nil, badRequest("%s: row %d has %d values, want %d", what, i, len(r), d)
		}
		for j, v := range r {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, badRequest("%s: row %d column %d is %v", what, i, j, v)
			}
		}
		x = append(x, r...)
	}
	return x, nil
}

// unflat splits n×d values into rows.
func unflat(x []float32, d int) [][]float32 {
	rows := make([][]float32, len(x)/d)
	for i := range rows {
		rows[i] = x[i*d : (i+1)*d : (i+1)*d]
	}
	return rows
}

// options returns the solver options of f with the endpoint's default tolerance tol.
func (f *SolverFields) options(tol float64) (solver.Options, error) {
	o := solver.Options{Method: solver.Dopri5, Steps: 100, RTol: tol, ATol: tol}
	if f.Solver != "" {
		m, err := solver.ParseMethod(f.Solver)
		if err != nil {
			return o, badRequest("solver: %v", err)
		}
		o.Method = m
	}
	switch {
	case f.Steps < 0:
		return o, badRequest("steps: %d: want ≥ 1", f.Steps)
	case f.Steps > maxSteps:
		return o, badRequest("steps: %d: want at most %d", f.Steps, maxSteps)
	case !(f.RTol >= 0) || math.IsInf(f.RTol, 0):
		return o, badRequest("rtol: %v: want a finite value > 0", f.RTol)
	case !(f.ATol >= 0) || math.IsInf(f.ATol, 0):
		return o, badRequest("atol: %v: want a finite value > 0", f.ATol)
	}
	if f.Steps > 0 {
		o.Steps = f.Steps
	}
	if f.RTol > 0 {
		o.RTol = f.RTol
	}
	if f.ATol > 0 {
		o.ATol = f.ATol
	}
	if err := o.Validate(); err != nil {
		return o, badRequest("solver options: %v", err)
	}
	return o, nil
}

// maxSteps bounds the steps of a fixed-step request (the deadline bounds adaptive ones).
const maxSteps = 100_000

// condition decodes the context fields for a request of n rows to model m: nil for an
// unconditional model given none. Shapes are checked by the library (gen.Condition).
func (f *ContextFields) condition(m *gen.Model, n int) (*gen.Condition, error) {
	nc := m.Net.Config()
	given := len(f.Context) > 0 || len(f.Labels) > 0 || f.Guidance != 0
	if !nc.Conditional() {
		if given {
			return nil, badRequest("context: the model is unconditional: context, labels and guidance apply to conditional models")
		}
		return nil, nil
	}
	if !(f.Guidance >= 0) || math.IsInf(f.Guidance, 0) {
		return nil, badRequest("guidance: %v: want a finite value ≥ 0", f.Guidance)
	}
	c := &gen.Condition{Guidance: f.Guidance}
	if len(f.Context) > 0 {
		var err error
		if c.Values, err = contextValues(f.Context, nc.Context, n); err != nil {
			return nil, err
		}
	}
	if len(f.Labels) > 0 {
		var one int
		if err := json.Unmarshal(f.Labels, &one); err == nil {
			c.Labels = []int{one}
		} else if err := json.Unmarshal(f.Labels, &c.Labels); err != nil {
			return nil, badRequest("labels: want an integer or an array of integers")
		} else if len(c.Labels) == 0 {
			return nil, badRequest("labels: empty array")
		}
		for i, l := range c.Labels {
			if l < -1 || l >= nc.Classes {
				return nil, badRequest("labels: entry %d is %d: want −1 (null) or a label in [0, %d)", i, l, nc.Classes)
			}
		}
	}
	if len(c.Values) == 0 && len(c.Labels) == 0 {
		return nil, badRequest("context: the model is conditional: give context and/or labels")
	}
	return c, nil
}

// contextValues decodes "context": one row of cw values (shared) or rows of cw values, flat.
func contextValues(raw json.RawMessage, cw, n int) ([]float32, error) {
	if cw == 0 {
		return nil, badRequest("context: the model takes no continuous context (give labels)")
	}
	var rows [][]float32
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) > 0 && t[0] == '[' && bytes.HasPrefix(bytes.TrimLeft(t[1:], " \t\r\n"), []byte("[")) {
		if err := json.Unmarshal(raw, &rows); err != nil {
			return nil, badRequest("context: %v", err)
		}
		if len(rows) != n {
			return nil, badRequest("context: %d rows for %d rows of x (want one, shared, or one per row)", len(rows), n)
		}
	} else {
		var one []float32
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, badRequest("context: want an array of %d values or an array of rows", cw)
		}
		rows = [][]float32{one}
	}
	return flatRows("context", rows, cw, math.MaxInt)
}
