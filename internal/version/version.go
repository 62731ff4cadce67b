// Package version reports the build of the running program from its embedded build
// information (runtime/debug.ReadBuildInfo): the module version, the VCS revision and
// whether the tree was modified, and the Go release, for `flowbench version` and for the
// provenance recorded in checkpoints.
package version

import (
	"runtime"
	"runtime/debug"
)

// Info is the build of the running program.
type Info struct {
	Module   string `json:"module"`             // main module path
	Version  string `json:"version"`            // module version ("(devel)" for a local build)
	Revision string `json:"revision,omitempty"` // VCS revision, when built from a checkout
	Time     string `json:"vcs_time,omitempty"` // commit time of Revision
	Modified bool   `json:"modified,omitempty"` // the checkout had uncommitted changes
	Go       string `json:"go"`                 // Go release that built it
}

// Get returns the build information (fields it cannot read are left empty).
func Get() Info {
	in := Info{Go: runtime.Version(), Version: "(unknown)"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return in
	}
	in.Module, in.Version = bi.Main.Path, bi.Main.Version
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Revision = s.Value
		case "vcs.time":
			in.Time = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		}
	}
	return in
}

// String is one line: "flowbench VERSION (REVISION[, modified]) GO".
func (in Info) String() string {
	s := "flowbench " + in.Version
	if in.Revision != "" {
		r := in.Revision
		if len(r) > 12 {
			r = r[:12]
		}
		if in.Modified {
			r += ", modified"
		}
		s += " (" + r + ")"
	}
	return s + " " + in.Go
}
