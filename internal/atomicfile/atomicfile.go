// Package atomicfile writes a file so that readers see either the old content or the whole new
// one: the content goes into a temporary file in the same folder, which is renamed over the final
// name only when writing succeeded. A failed or interrupted write leaves no truncated file.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write calls write with a temporary file beside path and, when it succeeds, gives the file mode
// perm and renames it to path. On error the temporary file is removed and path is untouched.
func Write(path string, perm os.FileMode, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("create a file next to %s (does the folder exist and is it writable?): %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("move the new content into %s: %w", path, err)
	}
	return nil
}
