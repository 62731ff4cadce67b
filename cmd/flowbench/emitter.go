package main

import "github.com/interflow/flowbench/internal/emit"

// emitter prints results (emit.Printer: JSON or key=value lines, finite numbers only).
type emitter = emit.Printer
