// Package serve answers a model's log-densities, samples and encodings over HTTP (JSON),
// batched across requests and bounded at every door: `flowbench serve` wires it to flags.
//
// # Wire shape
//
//	POST /v1/log_prob  {"x": [[…], …], "solver"?, "rtol"?, "atol"?, "steps"?, "context"?, "labels"?, "guidance"?, "hutchinson"?, "seed"?}
//	                   → {"log_prob": […], "nfe": N}
//	POST /v1/encode    {"x": [[…], …], solver and context fields}  → {"z": [[…], …], "nfe": N}
//	POST /v1/sample    {"n": N, "seed": S, "with_log_prob"?, solver and context fields}
//	                   → {"x": [[…], …], "log_prob"?: […], "nfe": N}
//	GET  /v1/info      the model and the limits (Info)
//	GET  /healthz, /readyz (503 while shutting down), /metrics (Prometheus)
//
// /v1/log_prob and /v1/encode also take x as a .npy body (Content-Type application/x-npy)
// with the other fields in the query (npy.go).
//
// Every answer to a request is the bits of the same call made alone through the library:
// gen.Model.LogProb, Encode or Sample with the options the fields select and Batch 0 (the
// decoders build those options; batch.go says which requests may share a pass and why that
// keeps the bits). Errors are {"error": "…"}: 400 a malformed body or bad field, 401 a
// missing or wrong bearer token, 404/405 an unknown path or method, 413 a body or row
// count over the limits, 422 a request the model refuses (a context of the wrong shape,
// rows the solver cannot integrate), 429 the queue full (with Retry-After), 503 the
// request's deadline passed or the server is shutting down, 500 a fault of the server.
//
// # Bounds
//
// Config bounds the body size, the rows of a request, the requests admitted at once (the
// rest are refused at once with 429, so memory stays within about Queue × MaxBodyBytes ×
// a small factor for the decoded rows), the time of a request (its work stops when the
// deadline passes or the client goes away, and its slot frees), and the passes run at once
// (Workers). Serve shuts down gracefully when its context ends.
//
// # Concurrency
//
// A Server is safe for concurrent use (it is an http.Handler).
package serve
