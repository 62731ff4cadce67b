// Package quote makes file names and messages safe to print: a name that holds a newline,
// a control or escape character (or a quote or backslash, which would make it ambiguous) is
// printed in Go's quoted form, so that a hostile name can neither forge a second output line
// nor send a terminal escape sequence. dataset, nn, gen, atomicfile and the CLI share it; it
// imports only the standard library.
package quote

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Name returns name as a message should print it: unchanged when it is not empty and
// every rune is printable (unicode.IsPrint: letters, marks, numbers, punctuation, symbols
// and the ASCII space) other than '"' and '\\', else strconv.Quote(name).
func Name(name string) string {
	if plain(name) {
		return name
	}
	return strconv.Quote(name)
}

// plain reports whether Name prints s unquoted.
func plain(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return false // invalid UTF-8
			}
		}
		if r == '"' || r == '\\' || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// Line returns msg with every rune that is not printable (newlines, tabs, control and escape
// characters, format characters such as U+202E, invalid UTF-8 bytes) replaced by its Go
// escape (\n, \x1b, \u202e, …): the result prints as one line and moves no cursor. Printable
// text, quoted names included, is left as it is.
func Line(msg string) string {
	if lineSafe(msg) {
		return msg
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(msg); i += w {
		r, size := utf8.DecodeRuneInString(msg[i:])
		w = size
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, msg[i])
		case unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}

// lineSafe reports whether Line leaves msg as it is.
func lineSafe(msg string) bool {
	for i, r := range msg {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(msg[i:]); size == 1 {
				return false
			}
		}
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// PathErr returns err about the file path as "NAME: cause", NAME printed by Name and cause
// being Cause(err); the result wraps err's cause, so errors.Is still finds fs.ErrNotExist,
// syscall.ENOSPC and the like.
func PathErr(path string, err error) error {
	return fmt.Errorf("%s: %w", Name(path), Cause(err))
}

// Cause returns the cause of an *fs.PathError or *os.LinkError in err's chain (whose own
// message repeats the path unquoted, or names a temporary file), else err itself.
func Cause(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}
