package dataset

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// TestReadTableFrom reads a .npy and a CSV content from readers (the format chosen by the
// name, as for a path) and gets the rows written; an empty reader is an error naming it.
func TestReadTableFrom(t *testing.T) {
	x := []float32{1, -2.5, 3, 4e-7, 5, 6}
	var b bytes.Buffer
	if err := WriteNPY(&b, x, 3, 2); err != nil {
		t.Fatal(err)
	}
	tb, err := ReadTableFrom("body.npy", &b)
	if err != nil || tb.N != 3 || tb.D != 2 || !slices.Equal(tb.Data, x) {
		t.Fatalf("npy: %+v, %v", tb, err)
	}
	tb, err = ReadTableFrom("body.csv", strings.NewReader("a,b\n1,-2.5\n3,4e-7\n5,6\n"))
	if err != nil || tb.N != 3 || !slices.Equal(tb.Data, x) || !slices.Equal(tb.Columns, []string{"a", "b"}) {
		t.Fatalf("csv: %+v, %v", tb, err)
	}
	if _, err := ReadTableFrom("body.npy", strings.NewReader("")); err == nil || !strings.Contains(err.Error(), "body.npy") {
		t.Fatalf("empty: %v, want an error naming the body", err)
	}
}
