package enum

import "testing"

func TestNames(t *testing.T) {
	n := &Names{Type: "Kind", Names: []string{"alpha", "beta"}, Aliases: map[string]int{"b": 1}, Fold: true}
	for s, want := range map[string]uint8{"alpha": 0, "BETA": 1, "b": 1, "B": 1} {
		if v, ok := Parse[uint8](n, s); !ok || v != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", s, v, ok, want)
		}
	}
	if _, ok := Parse[uint8](n, "gamma"); ok {
		t.Error("Parse(gamma) succeeded")
	}
	exact := &Names{Type: "Kind", Names: []string{"alpha"}}
	if _, ok := Parse[uint8](exact, "ALPHA"); ok {
		t.Error("Parse without Fold matched another case")
	}
	if String(n, uint8(1)) != "beta" || String(n, uint8(9)) != "Kind(9)" {
		t.Errorf("String: %q, %q", String(n, uint8(1)), String(n, uint8(9)))
	}
	n.Unknown = "unknown kind"
	if _, err := Value[uint8](n, "x"); err == nil || err.Error() != `unknown kind "x" (want alpha, beta)` {
		t.Errorf("Value error: %v", err)
	}
	if v, err := Value[uint8](n, "b"); err != nil || v != 1 {
		t.Errorf("Value(b) = %d, %v", v, err)
	}
	if n.List(", ") != "alpha, beta" {
		t.Errorf("List: %q", n.List(", "))
	}
}
