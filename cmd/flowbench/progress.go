package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// bar is a progress line drawn on stderr only when stderr is a terminal; a nil *bar is
// valid and does nothing. Its clock starts when it is made (when the work starts, not at
// the first unit done), and it redraws itself every barTick, so the elapsed time shows
// from the first second even while no unit has finished. Its methods may be called from
// any goroutine.
type bar struct {
	mu           sync.Mutex
	w            io.Writer
	desc         string
	units, total int
	start        time.Time
	now          func() time.Time
	open         bool // the total is unknown: count and clock only
	width        int  // characters of the last line drawn
	stop         chan struct{}
	finished     bool
}

// barTick is the interval of a bar's redraws.
const barTick = 250 * time.Millisecond

// newBar returns a progress bar of total units (0: a count of units of unknown total) on
// stderr when stderr is a terminal and quiet is false; otherwise nil.
func newBar(stderr io.Writer, quiet bool, total int, desc string) *bar {
	f, ok := stderr.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	b := newBarClock(stderr, total, desc, time.Now)
	go b.tick(time.NewTicker(barTick))
	return b
}

// newBarClock returns a bar on w that reads the time from now and draws only when told
// (set, draw): the bar of newBar without its terminal check and its redraws.
func newBarClock(w io.Writer, total int, desc string, now func() time.Time) *bar {
	return &bar{w: w, desc: desc, total: max(total, 1), open: total <= 0, now: now, start: now(), stop: make(chan struct{})}
}

func (b *bar) tick(t *time.Ticker) {
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.draw()
		}
	}
}

// set shows n units done.
func (b *bar) set(n int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.units = max(n, 0)
	if !b.open {
		b.units = min(b.units, b.total)
	}
	b.mu.Unlock()
	b.draw()
}

// setTotal shows n units done out of total (a total learned as the work goes).
func (b *bar) setTotal(n, total int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.total, b.open = max(total, 1), false
	b.mu.Unlock()
	b.set(n)
}

// draw writes the current line over the previous one.
func (b *bar) draw() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	s := b.line(b.now())
	pad := max(0, b.width-len([]rune(s)))
	fmt.Fprint(b.w, "\r"+s+strings.Repeat(" ", pad))
	b.width = len([]rune(s))
}

// line returns the bar's text at time now: what, the fraction done, a bar of 24 cells,
// the count, the rate, the time elapsed since the bar was made and the time left at the
// rate so far (… before the first unit is done).
func (b *bar) line(now time.Time) string {
	el := now.Sub(b.start)
	if b.open {
		return fmt.Sprintf("%s: %d done, elapsed %s", b.desc, b.units, clock(el))
	}
	frac := float64(b.units) / float64(b.total)
	const cells = 24
	full := int(frac * cells)
	eta, rate := "…", "…"
	if b.units > 0 && el > 0 {
		r := float64(b.units) / el.Seconds()
		rate = fmt.Sprintf("%.3g/s", r)
		eta = clock(time.Duration(float64(b.total-b.units) / r * float64(time.Second)))
	}
	return fmt.Sprintf("%s %3.0f%% [%s%s] %d/%d %s elapsed %s ETA %s", b.desc, 100*frac, strings.Repeat("█", full), strings.Repeat("░", cells-full),
		b.units, b.total, rate, clock(el), eta)
}

// clock writes a duration as 12s, 3m04s or 1h02m.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	default:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
}

// clear erases the bar, so that a line printed next does not run into it (the bar is
// drawn again at its next update).
func (b *bar) clear() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.width > 0 && !b.finished {
		fmt.Fprint(b.w, "\r"+strings.Repeat(" ", b.width)+"\r")
		b.width = 0
	}
}

// done stops the bar and erases it; later calls do nothing.
func (b *bar) done() {
	if b == nil {
		return
	}
	b.clear()
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.finished {
		b.finished = true
		close(b.stop)
	}
}

// barWriter is a writer of lines that clears the bar before each write and counts the
// lines written as the bar's units (bench's records: a run done per line).
type barWriter struct {
	w     io.Writer
	b     *bar
	lines int
}

// Write writes p after clearing the bar, then shows the lines written so far.
func (bw *barWriter) Write(p []byte) (int, error) {
	bw.b.clear()
	n, err := bw.w.Write(p)
	bw.lines += strings.Count(string(p[:n]), "\n")
	bw.b.set(bw.lines)
	return n, err
}
