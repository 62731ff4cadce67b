package main

import (
	"errors"
	"strings"
	"testing"
)

func TestMustPositiveBounds(t *testing.T) {
	var ue *usageError
	for _, c := range []struct {
		name string
		v    int
		ok   bool
	}{
		{"batch", 0, false}, {"batch", -3, false}, {"batch", 4096, true}, {"batch", 1 << 20, true},
		{"batch", 1<<20 + 1, false}, {"n", 1 << 40, false}, {"grid", 100000, false}, {"width", 1 << 30, false},
		{"depth", 3, true}, {"other", 1 << 50, true},
	} {
		err := mustPositive("train", c.name, c.v)
		if (err == nil) != c.ok {
			t.Errorf("--%s %d: err = %v, want ok = %v", c.name, c.v, err, c.ok)
		}
		if err != nil && (!errors.As(err, &ue) || !strings.Contains(err.Error(), "--"+c.name)) {
			t.Errorf("--%s %d: error %q is not a usage error naming the flag", c.name, c.v, err)
		}
	}
}
