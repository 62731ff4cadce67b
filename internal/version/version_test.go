package version

import (
	"runtime"
	"strings"
	"testing"
)

func TestGet(t *testing.T) {
	in := Get()
	if in.Go != runtime.Version() {
		t.Fatalf("Go = %q, want %q", in.Go, runtime.Version())
	}
	if in.Version == "" {
		t.Fatal("empty version")
	}
	s := Info{Version: "v1.2.3", Revision: "0123456789abcdef", Modified: true, Go: "go1.26"}.String()
	if s != "flowbench v1.2.3 (0123456789ab, modified) go1.26" {
		t.Fatalf("String() = %q", s)
	}
	if !strings.HasPrefix(in.String(), "flowbench ") {
		t.Fatalf("String() = %q", in.String())
	}
}
