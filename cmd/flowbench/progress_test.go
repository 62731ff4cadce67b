package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// The bar's clock starts when it is made, not at the first unit done; its rate and ETA
// are those of the units done over the time since then.
func TestBarClock(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	var w bytes.Buffer
	b := newBarClock(&w, 100, "nll", func() time.Time { return now })
	now = t0.Add(10 * time.Second) // the first chunk takes 10 s
	if got := b.line(now); !strings.Contains(got, "0/100") || !strings.Contains(got, "elapsed 10s") || !strings.Contains(got, "ETA …") {
		t.Errorf("before any unit: %q, want 0/100, elapsed 10s and an unknown ETA", got)
	}
	b.set(25)
	// 25 units in 10 s: 2.5/s, 75 left → 30 s.
	if got := b.line(now); !strings.Contains(got, " 25%") || !strings.Contains(got, "25/100 2.5/s elapsed 10s ETA 30s") {
		t.Errorf("after 25 units in 10 s: %q", got)
	}
	now = t0.Add(200 * time.Second)
	b.setTotal(50, 400)
	if got := b.line(now); !strings.Contains(got, "50/400 0.25/s elapsed 3m20s ETA 23m20s") {
		t.Errorf("after 50 of 400 in 200 s: %q", got)
	}
	b.set(1000) // clamped to the total
	if got := b.line(now); !strings.Contains(got, "100%") || !strings.Contains(got, "400/400") || !strings.Contains(got, "ETA 0s") {
		t.Errorf("done: %q", got)
	}
	b.draw()
	if !strings.HasPrefix(w.String(), "\rnll") {
		t.Errorf("drawn %q, want a line that starts with a carriage return", w.String())
	}
	b.done()
	b.done() // twice is harmless
	n := w.Len()
	b.set(3)
	if w.Len() != n {
		t.Error("a finished bar drew again")
	}
	if !strings.HasSuffix(w.String(), "\r") {
		t.Errorf("done did not erase the line: %q", w.String())
	}
	var nilBar *bar
	nilBar.set(1)
	nilBar.setTotal(1, 2)
	nilBar.clear()
	nilBar.done()
}

func TestClockFormat(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0s", 59 * time.Second: "59s", 61 * time.Second: "1m01s", 3725 * time.Second: "1h02m"} {
		if got := clock(d); got != want {
			t.Errorf("clock(%v) = %q, want %q", d, got, want)
		}
	}
}

// A bar of unknown total counts and keeps the clock; a barWriter clears it before each
// line and counts the lines.
func TestOpenBarAndWriter(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	var term, out bytes.Buffer
	b := newBarClock(&term, 0, "bench kernels", func() time.Time { return now })
	now = t0.Add(65 * time.Second)
	w := &barWriter{w: &out, b: b}
	w.Write([]byte("run 1\nrun 2\n"))
	if got := b.line(now); got != "bench kernels: 2 done, elapsed 1m05s" {
		t.Errorf("open bar: %q", got)
	}
	if out.String() != "run 1\nrun 2\n" {
		t.Errorf("the writer passed on %q", out.String())
	}
	if !strings.Contains(term.String(), "2 done") {
		t.Errorf("the bar was not redrawn after the lines: %q", term.String())
	}
	var nw barWriter
	nw.w = &out
	nw.Write([]byte("x\n")) // a nil bar (off a terminal) passes the lines on
	if !strings.HasSuffix(out.String(), "x\n") {
		t.Error("a writer with no bar lost a line")
	}
}
