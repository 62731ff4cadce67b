// Package atomicfile writes files atomically: the destination holds either its previous
// content or the complete new content, never a partial one. gen (data and sample files) and
// nn (checkpoints) share it.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/interflow/flowbench/internal/quote"
)

// CheckPath reports whether path can be the destination of Write: its parent
// directory must exist and be a directory, and path itself must not be a directory. The
// error names the path (quote.Name) and what is wrong, so a CLI can report it before doing
// any work.
func CheckPath(path string) error {
	if path == "" {
		return errors.New("output path is empty")
	}
	dir := filepath.Dir(path)
	name := quote.Name(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s: parent directory %s does not exist", name, quote.Name(dir))
	case err != nil:
		return fmt.Errorf("%s: parent directory: %w", name, quote.PathErr(dir, err))
	case !st.IsDir():
		return fmt.Errorf("%s: parent %s is not a directory", name, quote.Name(dir))
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s: is a directory", name)
	} else if err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("%s: exists and is not a regular file (%s): refusing to replace it", name, kind(st.Mode()))
	}
	return nil
}

// kind names a file mode's type for messages.
func kind(m os.FileMode) string {
	switch {
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
}

// Target returns the file a write to path replaces: path itself, or the end of its chain
// of symbolic links when it is one (so that a link keeps pointing at the new content).
func Target(path string) string {
	if t, err := filepath.EvalSymlinks(path); err == nil {
		return t
	}
	return path
}

// SameFile reports whether paths a and b name the same existing file (by identity: links,
// other spellings of a path and hard links included).
func SameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// Write writes a file so that path holds either its previous content or the
// complete new content, never a partial one, even if the process is killed at any moment.
// write receives a buffered writer on a temporary file in path's directory; after write
// returns nil the data are flushed, fsynced, the file is renamed over path and the directory
// is fsynced. If write fails (or anything else does) the temporary file is removed, path is
// left untouched and the error is returned. A replaced file keeps its mode (a new one gets
// 0644); a symbolic link is written through (its target is replaced); a path that exists
// and is not a regular file (a device, a FIFO) is refused.
func Write(path string, write func(w io.Writer) error) error {
	return WriteThen(path, write, nil)
}

// WriteThen is Write with one more step before the rename: once the new content is
// complete and fsynced in its temporary file, then (when not nil) runs, and path is
// replaced only if then returns nil. A command passes the printing of its result as then,
// so that a failure there (a full or closed standard output) leaves the previous file in
// place. If then fails, the temporary file is removed and then's error is returned as it
// is.
func WriteThen(path string, write func(w io.Writer) error, then func() error) (err error) {
	if err := CheckPath(path); err != nil {
		return err
	}
	path = Target(path)
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return quote.PathErr(path, err)
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return quote.PathErr(path, err)
	}
	if err = f.Chmod(mode); err != nil {
		return quote.PathErr(path, err)
	}
	if err = f.Sync(); err != nil {
		return quote.PathErr(path, err)
	}
	closed = true
	if err = f.Close(); err != nil {
		return quote.PathErr(path, err)
	}
	if then != nil {
		if err = then(); err != nil {
			return err
		}
	}
	if err = os.Rename(tmp, path); err != nil {
		return quote.PathErr(path, err)
	}
	// Make the rename itself durable. Some file systems cannot sync a directory; the
	// rename has happened, so that failure is not reported.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
