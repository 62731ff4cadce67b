package buf

import "testing"

func TestGrow(t *testing.T) {
	s := Grow[float32](nil, 4)
	if len(s) != 4 || cap(s) != 4 {
		t.Fatalf("Grow(nil, 4): len %d cap %d", len(s), cap(s))
	}
	s[0] = 7
	r := Grow(s, 3)
	if len(r) != 3 || &r[0] != &s[0] || r[0] != 7 {
		t.Fatalf("Grow within capacity must reuse the array and keep its contents")
	}
	n := Grow(s, 9)
	if len(n) != 9 || &n[0] == &s[0] || n[0] != 0 {
		t.Fatalf("Grow past capacity must return a new zeroed array")
	}
	if z := Grow(s, 0); len(z) != 0 {
		t.Fatalf("Grow(s, 0): len %d", len(z))
	}
}
