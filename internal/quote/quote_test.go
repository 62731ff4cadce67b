package quote

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"
	"unicode"
)

func TestName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"data.csv", "data.csv"},
		{"/tmp/a b/données.csv", "/tmp/a b/données.csv"},
		{"", `""`},
		{"two\nlines.csv", `"two\nlines.csv"`},
		{"red\x1b[31m.csv", `"red\x1b[31m.csv"`},
		{"tab\there", `"tab\there"`},
		{"rtl\u202ecsv.exe", `"rtl\u202ecsv.exe"`},
		{"bad\xffutf8", `"bad\xffutf8"`},
		{`say "hi".csv`, `"say \"hi\".csv"`},
		{`back\slash`, `"back\\slash"`},
	} {
		if got := Name(c.in); got != c.want {
			t.Errorf("Name(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`a.csv:3: column 2 ("x"): bad`, `a.csv:3: column 2 ("x"): bad`},
		{"open a\nb: no such file", `open a\nb: no such file`},
		{"x\x1b[2Jy\r\tz", `x\x1b[2Jy\r\tz`},
		{"bad\xffbyte", `bad\xffbyte`},
		{"é ≤ 1e-3 — ok", "é ≤ 1e-3 — ok"},
	} {
		got := Line(c.in)
		if got != c.want {
			t.Errorf("Line(%q) = %q, want %q", c.in, got, c.want)
		}
		for _, r := range got {
			if !unicode.IsPrint(r) {
				t.Errorf("Line(%q) keeps %U", c.in, r)
			}
		}
	}
}

func TestPathErr(t *testing.T) {
	_, err := os.Open("/nonexistent/x\ny.csv")
	e := PathErr("/nonexistent/x\ny.csv", err)
	if got, want := e.Error(), `"/nonexistent/x\ny.csv": no such file or directory`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if !errors.Is(e, fs.ErrNotExist) {
		t.Error("the cause is not wrapped")
	}
	le := &os.LinkError{Op: "rename", Old: "/d/.o.tmp-1", New: "/d/o", Err: syscall.ENOSPC}
	if e := PathErr("/d/o", le); e.Error() != "/d/o: no space left on device" || !errors.Is(e, syscall.ENOSPC) {
		t.Errorf("link error: %v", e)
	}
	if e := PathErr("f", errors.New("boom")); e.Error() != "f: boom" {
		t.Errorf("plain error: %v", e)
	}
	if strings.Contains(PathErr("a\x1bb", errors.New("x")).Error(), "\x1b") {
		t.Error("escape passed through")
	}
}
