package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// MaxLineBytes is the longest JSON line accepted from a file (a 64 KiB reply text fits many times).
const MaxLineBytes = 1 << 20

// ExpandPaths turns files and directories into a sorted list of files: a directory contributes
// every *.jsonl, *.ndjson, *.json file below it, also with a .gz suffix.
func ExpandPaths(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", p, err)
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() && isEventFile(path) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", p, err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("directory %s holds no .jsonl, .ndjson or .json files (optionally .gz)", p)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

func isEventFile(path string) bool {
	name := strings.TrimSuffix(path, ".gz")
	for _, ext := range []string{".jsonl", ".ndjson", ".json"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// LineFunc receives one non-empty line of a file (1-based line number). data is only valid
// during the call.
type LineFunc func(line int, data []byte) error

// ScanFile calls fn for every non-empty line of a JSON Lines file, decompressing .gz files.
// A line longer than MaxLineBytes is passed as an error to tooLong and skipped. read, when not
// nil, receives the number of file bytes consumed so far (for progress on long files).
func ScanFile(ctx context.Context, path string, fn LineFunc, tooLong func(line int, size int) error, read func(int64)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	var src io.Reader = f
	if read != nil {
		src = &countingReader{r: f, report: read}
	}
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(src)
		if err != nil {
			return fmt.Errorf("open %s as gzip: %w", path, err)
		}
		defer gz.Close()
		src = gz
	}
	br := bufio.NewReaderSize(src, 256<<10)
	var long []byte
	for line := 1; ; line++ {
		if line%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		data, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long[:0], data...)
			for err == bufio.ErrBufferFull && len(long) <= MaxLineBytes {
				data, err = br.ReadSlice('\n')
				long = append(long, data...)
			}
			for err == bufio.ErrBufferFull { // over the limit: skip the rest of the line
				_, err = br.ReadSlice('\n')
			}
			if len(long) > MaxLineBytes {
				if e := tooLong(line, len(long)); e != nil {
					return e
				}
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return fmt.Errorf("read %s line %d: %w", path, line, err)
				}
				continue
			}
			data = long
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("read %s line %d: %w", path, line, err)
		}
		if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 {
			if e := fn(line, trimmed); e != nil {
				return e
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

type countingReader struct {
	r      io.Reader
	n      int64
	report func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.report(c.n)
	return n, err
}
