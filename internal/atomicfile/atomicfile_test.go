package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.csv")
	if err := Write(p, func(w io.Writer) error {
		_, err := io.WriteString(w, "first\n")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// A failing writer leaves the previous content and no temporary file.
	boom := errors.New("boom")
	err := Write(p, func(w io.Writer) error {
		io.WriteString(w, strings.Repeat("partial", 1<<15))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	got, _ := os.ReadFile(p)
	if string(got) != "first\n" {
		t.Fatalf("content after failed write = %q", got)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("directory holds %d entries after failed write, want 1", len(ents))
	}
	if err := Write(p, func(w io.Writer) error {
		_, err := io.WriteString(w, "second\n")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(p)
	if string(got) != "second\n" {
		t.Fatalf("content = %q", got)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
}

func TestCheckOutputPath(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "file")
	os.WriteFile(reg, []byte("x"), 0o644)
	cases := []struct {
		path, want string
	}{
		{filepath.Join(dir, "ok.npy"), ""},
		{filepath.Join(dir, "missing", "x.csv"), "does not exist"},
		{filepath.Join(reg, "x.csv"), "not a directory"},
		{dir, "is a directory"},
		{"", "empty"},
	}
	for _, c := range cases {
		err := CheckPath(c.path)
		if c.want == "" {
			if err != nil {
				t.Errorf("%q: %v", c.path, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want error containing %q", c.path, err, c.want)
		}
		if err := Write(c.path, func(io.Writer) error { return nil }); err == nil {
			t.Errorf("Write(%q) succeeded", c.path)
		}
	}
}

// TestWriteKeepsWhatItShould checks the output rules: a replaced file keeps its mode, a
// symbolic link is written through and stays a link, and a FIFO or a device is refused and
// left as it was.
func TestWriteKeepsWhatItShould(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ro.csv")
	os.WriteFile(p, []byte("old\n"), 0o400)
	if err := Write(p, func(w io.Writer) error { _, err := io.WriteString(w, "new\n"); return err }); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o400 {
		t.Fatalf("mode %v after replacing a 0400 file", st.Mode().Perm())
	}
	target := filepath.Join(dir, "target.csv")
	os.WriteFile(target, []byte("old\n"), 0o640)
	link := filepath.Join(dir, "link.csv")
	if err := os.Symlink(target, link); err != nil {
		t.Skip(err)
	}
	if err := Write(link, func(w io.Writer) error { _, err := io.WriteString(w, "new\n"); return err }); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat(link); st.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the symbolic link became a regular file")
	}
	if b, _ := os.ReadFile(target); string(b) != "new\n" {
		t.Fatalf("target holds %q", b)
	}
	fifo := filepath.Join(dir, "out.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	err := Write(fifo, func(w io.Writer) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "FIFO") {
		t.Fatalf("writing over a FIFO: err = %v", err)
	}
	if st, _ := os.Lstat(fifo); st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatal("the FIFO was replaced")
	}
	if err := Write("/dev/null", func(w io.Writer) error { return nil }); err == nil || !strings.Contains(err.Error(), "character device") {
		t.Fatalf("writing over /dev/null: err = %v", err)
	}
	if !SameFile(link, target) || SameFile(p, target) {
		t.Fatal("SameFile")
	}
}

// TestWriteThen checks that the step run before the rename decides: when it fails, the
// previous file keeps its bytes and no temporary file is left; when it succeeds, the new
// content is in place.
func TestWriteThen(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "prev.csv")
	os.WriteFile(p, []byte("old\n"), 0o644)
	full := errors.New("stdout: no space left on device")
	ran := false
	err := WriteThen(p, func(w io.Writer) error { _, err := io.WriteString(w, "new\n"); return err }, func() error {
		ran = true
		if b, _ := os.ReadFile(p); string(b) != "old\n" {
			t.Errorf("the file was replaced before the last step: %q", b)
		}
		return full
	})
	if !errors.Is(err, full) || !ran {
		t.Fatalf("err = %v (ran %v), want the last step's error", err, ran)
	}
	if b, _ := os.ReadFile(p); string(b) != "old\n" {
		t.Fatalf("after a failed last step the file holds %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("%d entries left in the directory, want 1", len(ents))
	}
	if err := WriteThen(p, func(w io.Writer) error { _, err := io.WriteString(w, "new\n"); return err }, func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new\n" {
		t.Fatalf("the file holds %q", b)
	}
}

// A name with a newline or an escape character is quoted in errors.
func TestErrorsQuoteNames(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "no\ndir\x1b[2J", "x.csv")
	err := CheckPath(bad)
	if err == nil || strings.ContainsAny(err.Error(), "\n\x1b") || !strings.Contains(err.Error(), `\n`) {
		t.Fatalf("err = %q", err)
	}
}
