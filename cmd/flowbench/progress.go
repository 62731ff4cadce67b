package main

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// bar is a progress bar drawn only when stderr is a terminal; a nil *bar is valid and does
// nothing.
type bar struct{ pb *progressbar.ProgressBar }

// newBar returns a progress bar of max units on stderr when stderr is a terminal and quiet
// is false; otherwise nil.
func newBar(stderr io.Writer, quiet bool, max int, desc string) *bar {
	f, ok := stderr.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &bar{progressbar.NewOptions(max,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30),
	)}
}

// set shows n units done.
func (b *bar) set(n int) {
	if b != nil {
		b.pb.Set(n)
	}
}

// clear erases the bar, so that a line printed next does not run into it.
func (b *bar) clear() {
	if b != nil {
		b.pb.Clear()
	}
}

// done finishes the bar and erases it.
func (b *bar) done() {
	if b != nil {
		b.pb.Finish()
		b.pb.Clear()
	}
}
