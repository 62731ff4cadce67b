//go:build tools

package asm

// Pins Avo (v0.6.0) and a golang.org/x/tools recent enough for Go 1.26 in go.mod.
import (
	_ "github.com/mmcloughlin/avo/build"
	_ "golang.org/x/tools/go/packages"
)
