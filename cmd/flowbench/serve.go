package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/interflow/flowbench/serve"
)

// The serve subcommand: flags and wiring of package serve.

func init() {
	register(&command{name: "serve", summary: "answer log-densities, samples and encodings over HTTP", run: runServe, signalOK: true})
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const cmd = "serve"
	fs := newFlags(cmd, "--model MODEL [--addr 127.0.0.1:8080] [flags]", stdout)
	model := fs.String("model", "", "model checkpoint")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (port 0: a free port); loopback unless given otherwise")
	threads := fs.Int("threads", 0, "kernel worker threads (0 = all cores); answers do not depend on it")
	maxBody := fs.Int64("max-body", serve.DefaultMaxBodyBytes, "largest request body in bytes (413 above)")
	maxRows := fs.Int("max-rows", serve.DefaultMaxRows, "most rows (or samples) of one request (413 above)")
	workers := fs.Int("workers", 0, "passes run at once (0: one per core)")
	queue := fs.Int("queue", 0, "requests admitted at once, waiting or running; more are answered 429 with Retry-After (0: 32 per worker)")
	batchRows := fs.Int("batch-rows", serve.DefaultBatchRows, "row budget of a pass coalescing concurrent requests")
	window := fs.Duration("batch-window", serve.DefaultBatchWindow, "how long a request waits for others to join its pass (0: joins only while every worker is busy)")
	timeout := fs.Duration("timeout", serve.DefaultTimeout, "deadline of one request (503 past it; its work stops)")
	drain := fs.Duration("drain", serve.DefaultDrain, "on SIGTERM/SIGINT, time given to requests in flight before they are cancelled")
	tokenFile := fs.String("token-file", "", "file holding a bearer token every /v1 and /metrics request must carry")
	cert := fs.String("tls-cert", "", "TLS certificate (PEM); with --tls-key, serve HTTPS")
	key := fs.String("tls-key", "", "TLS private key (PEM)")
	addHelpNotes(fs, "The first line on stdout is \"listening on ADDR\". Endpoints: POST /v1/log_prob, /v1/encode, /v1/sample;\nGET /v1/info, /healthz, /readyz, /metrics (README, \"Serving\"). SIGTERM or SIGINT drains and exits 0.\n")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    int64
	}{{"max-body", *maxBody}, {"max-rows", int64(*maxRows)}, {"batch-rows", int64(*batchRows)}} {
		if f.v < 1 {
			return usagef("%s: --%s must be ≥ 1, got %d", cmd, f.name, f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"workers", *workers}, {"queue", *queue}, {"threads", *threads}} {
		if f.v < 0 {
			return usagef("%s: --%s must be ≥ 0, got %d", cmd, f.name, f.v)
		}
	}
	if *window < 0 || *timeout <= 0 || *drain <= 0 {
		return usagef("%s: --batch-window must be ≥ 0 and --timeout, --drain > 0", cmd)
	}
	if (*cert == "") != (*key == "") {
		return usagef("%s: --tls-cert and --tls-key go together", cmd)
	}
	token := ""
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return usagef("%s: --token-file: %v", cmd, err)
		}
		if token = strings.TrimSpace(string(b)); token == "" || strings.ContainsAny(token, " \t\r\n") {
			return usagef("%s: --token-file %q: want one token (no spaces) on one line", cmd, *tokenFile)
		}
	}
	common := &genCommon{threads: threads}
	m, err := common.loadModel(cmd, *model)
	if err != nil {
		return err
	}
	srv, err := serve.New(m, serve.Config{MaxBodyBytes: *maxBody, MaxRows: *maxRows, Workers: *workers, Queue: *queue,
		BatchRows: *batchRows, BatchWindow: *window, Timeout: *timeout, Token: token})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		srv.Close()
		return fmt.Errorf("%s: --addr: %w", cmd, err)
	}
	if _, err := fmt.Fprintf(stdout, "listening on %s\n", ln.Addr()); err != nil {
		ln.Close()
		srv.Close()
		return err
	}
	if err := srv.Serve(ctx, ln, serve.ServeOptions{CertFile: *cert, KeyFile: *key, Drain: *drain}); err != nil {
		return err
	}
	fmt.Fprintln(stderr, "flowbench serve: shut down")
	return nil
}
