package main

import (
	"context"
	"io"

	"github.com/interflow/flowbench/internal/version"
)

func init() {
	register(&command{name: "version", summary: "print the version, VCS revision and Go release of this build", run: runVersion})
}

func runVersion(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("version", "[--json]", stdout)
	js := fs.Bool("json", false, "print JSON")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	in := version.Get()
	e := &emitter{W: stdout, JSON: *js}
	if !*js {
		_, err := io.WriteString(stdout, in.String()+"\n")
		return err
	}
	return e.Emit("version", in.Version, "module", in.Module, "revision", in.Revision, "modified", in.Modified, "go", in.Go)
}
