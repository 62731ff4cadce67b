package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"

	"github.com/interflow/flowbench/dataset"
)

// Bulk bodies: POST /v1/log_prob or /v1/encode with Content-Type application/x-npy carries
// x as a 2-D float32 or float64 .npy array (rows × dimension, C order), and the other fields
// of LogProbRequest as query parameters (solver, rtol, atol, steps, hutchinson, seed; a
// shared context as context=c1,c2,… and labels=L, guidance=w). The answer is the same JSON.

// npyType is the media type of a .npy body.
const npyType = "application/x-npy"

// isNPY reports whether r's body is declared a .npy array.
func isNPY(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == npyType
}

// npyRequest decodes a .npy body and the query q into a LogProbRequest.
func npyRequest(body io.Reader, q url.Values) (*LogProbRequest, error) {
	req := &LogProbRequest{}
	for key, vs := range q {
		if len(vs) != 1 {
			return nil, badRequest("query: %s given %d times", key, len(vs))
		}
		v := vs[0]
		var err error
		switch key {
		case "solver":
			req.Solver = v
		case "rtol":
			req.RTol, err = strconv.ParseFloat(v, 64)
		case "atol":
			req.ATol, err = strconv.ParseFloat(v, 64)
		case "steps":
			req.Steps, err = strconv.Atoi(v)
		case "hutchinson":
			req.Hutchinson, err = strconv.Atoi(v)
		case "seed":
			req.Seed, err = strconv.ParseUint(v, 10, 64)
		case "guidance":
			req.Guidance, err = strconv.ParseFloat(v, 64)
		case "labels":
			var l int
			if l, err = strconv.Atoi(v); err == nil {
				req.Labels = json.RawMessage(strconv.Itoa(l))
			}
		case "context":
			req.Context = json.RawMessage("[" + v + "]")
			if !json.Valid(req.Context) {
				err = errors.New("want comma-separated numbers")
			}
		default:
			return nil, badRequest("query: unknown parameter %q", key)
		}
		if err != nil {
			return nil, badRequest("query: %s=%q: %v", key, v, err)
		}
	}
	er := &errReader{r: body}
	t, err := dataset.ReadTableFrom("body.npy", er)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(er.err, &mbe) {
			return nil, &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body: larger than the limit of %d bytes", mbe.Limit)}
		}
		return nil, badRequest("body: %v", err)
	}
	req.X = unflat(t.Data, t.D)
	return req, nil
}

// errReader reads r and keeps its first error (the dataset readers report a read error in
// words, so the body limit is recognized here).
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
}
