package dataset

import (
	"math"
	"testing"
)

func TestGMM64Registered(t *testing.T) {
	s, err := NewToy("gmm64")
	if err != nil {
		t.Fatal(err)
	}
	if s.Dim() != 64 {
		t.Fatalf("gmm64 has dimension %d, want 64", s.Dim())
	}
	d, ok := s.(Density)
	if !ok {
		t.Fatal("gmm64 has no exact log-density")
	}
	x := SampleN(s, 4, 1)
	for i := 0; i < 4; i++ {
		if lp := d.LogProb(x[i*64 : i*64+64]); math.IsNaN(lp) || math.IsInf(lp, 0) {
			t.Fatalf("LogProb of a draw = %v", lp)
		}
	}
}
