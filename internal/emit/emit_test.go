package emit

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestEmit(t *testing.T) {
	var b bytes.Buffer
	p := &Printer{W: &b}
	if err := p.Summary("nll", "data", "a\nb\x1b[2J.csv", "n", 3, "nll", 1.25, "note", "one two"); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "summary=nll data=\"a\\nb\\x1b[2J.csv\" n=3 nll=1.25 note=one two\n"; got != want {
		t.Errorf("text %q, want %q", got, want)
	}
	b.Reset()
	p.JSON = true
	if err := p.Emit("step", 1, "loss", 0.5, "name", "x\ny"); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), `{"step":1,"loss":0.5,"name":"x\ny"}`+"\n"; got != want {
		t.Errorf("JSON %q, want %q", got, want)
	}
}

// A record with a non-finite number is refused, naming the field, and nothing is printed:
// in both forms.
func TestEmitRefusesNonFinite(t *testing.T) {
	for _, js := range []bool{false, true} {
		for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			var b bytes.Buffer
			err := (&Printer{W: &b, JSON: js}).Summary("eval", "n", 2, "energy", v)
			if err == nil || !strings.Contains(err.Error(), "energy is") || b.Len() != 0 {
				t.Errorf("json %v, %v: err %v, printed %q", js, v, err, b.String())
			}
		}
	}
}

func TestAddNote(t *testing.T) {
	kv := AddNote([]any{"n", 1}, "first")
	kv = AddNote(kv, "second")
	if len(kv) != 4 || kv[3] != "first; second" {
		t.Fatalf("%v", kv)
	}
}
