package gen

import (
	"io"

	"github.com/interflow/flowbench/internal/atomicfile"
)

// CheckOutputPath reports whether path can be the destination of WriteFileAtomic: its parent
// directory must exist and be a directory, and path itself must not be a directory. The
// error names the path and what is wrong, so a CLI can report it before doing any work.
func CheckOutputPath(path string) error { return atomicfile.CheckPath(path) }

// WriteFileAtomic writes a file so that path holds either its previous content or the
// complete new content, never a partial one, even if the process is killed at any moment.
// write receives a buffered writer on a temporary file in path's directory; after write
// returns nil the data are flushed, fsynced, the file is renamed over path and the directory
// is fsynced. If write fails (or anything else does) the temporary file is removed, path is
// left untouched and the error is returned. The new file has mode 0644.
func WriteFileAtomic(path string, write func(w io.Writer) error) error {
	return atomicfile.Write(path, write)
}
