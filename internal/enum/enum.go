// Package enum is the one implementation of the project's small named enumerations (solver
// methods, divergence modes, split parts, activations, ...): the name of a value and the
// value of a name, with aliases and optional case folding. Each package keeps its own error
// messages. It knows nothing of the rest of the project.
package enum

import (
	"fmt"
	"strings"
)

// Names describes one enumeration of values 0, 1, ….
type Names struct {
	Type    string         // the Go type's name, for values without a name ("Method(7)")
	Names   []string       // Names[v] is the name of value v
	Aliases map[string]int // other accepted names
	Fold    bool           // names match without regard to case
	// Unknown and Want make Value's error: "<Unknown> %q (want <Want>)", with Want the
	// names joined by ", " when empty.
	Unknown, Want string
}

// String returns the name of v, or Type(v) for a value without one.
func String[T ~uint8](n *Names, v T) string {
	if int(v) < len(n.Names) {
		return n.Names[v]
	}
	return fmt.Sprintf("%s(%d)", n.Type, uint8(v))
}

// Parse returns the value named s and true, or false when no name or alias matches.
func Parse[T ~uint8](n *Names, s string) (T, bool) {
	if n.Fold {
		s = strings.ToLower(s)
	}
	for i, name := range n.Names {
		if name == s {
			return T(i), true
		}
	}
	if v, ok := n.Aliases[s]; ok {
		return T(v), true
	}
	return 0, false
}

// Value returns the value named s, or an error naming s and the accepted names.
func Value[T ~uint8](n *Names, s string) (T, error) {
	if v, ok := Parse[T](n, s); ok {
		return v, nil
	}
	want := n.Want
	if want == "" {
		want = n.List(", ")
	}
	return 0, fmt.Errorf("%s %q (want %s)", n.Unknown, s, want)
}

// List returns the names joined by sep ("a, b, c").
func (n *Names) List(sep string) string { return strings.Join(n.Names, sep) }
