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
)

// CheckPath reports whether path can be the destination of Write: its parent
// directory must exist and be a directory, and path itself must not be a directory. The
// error names the path and what is wrong, so a CLI can report it before doing any work.
func CheckPath(path string) error {
	if path == "" {
		return errors.New("output path is empty")
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s: parent directory %s does not exist", path, dir)
	case err != nil:
		return fmt.Errorf("%s: parent directory: %w", path, err)
	case !st.IsDir():
		return fmt.Errorf("%s: parent %s is not a directory", path, dir)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s: is a directory", path)
	}
	return nil
}

// Write writes a file so that path holds either its previous content or the
// complete new content, never a partial one, even if the process is killed at any moment.
// write receives a buffered writer on a temporary file in path's directory; after write
// returns nil the data are flushed, fsynced, the file is renamed over path and the directory
// is fsynced. If write fails (or anything else does) the temporary file is removed, path is
// left untouched and the error is returned. The new file has mode 0644.
func Write(path string, write func(w io.Writer) error) (err error) {
	if err := CheckPath(path); err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// Make the rename itself durable. Some file systems cannot sync a directory; the
	// rename has happened, so that failure is not reported.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
