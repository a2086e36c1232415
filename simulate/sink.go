package simulate

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cxstar/cxstar/ingest"
)

// Sink receives generated events. line is one JSON object without the trailing newline; key is
// the Kafka message key docs/events.md names for the kind (request_id, event_id or appeal_id).
// Both are only valid during the call.
type Sink interface {
	Write(kind ingest.Kind, key, line []byte) error
}

// FileName returns the JSON Lines file name the FileSink uses for a kind.
func FileName(kind ingest.Kind, gz bool) string {
	name := kind.Table() + ".jsonl"
	if gz {
		name += ".gz"
	}
	return name
}

// FileSink writes one JSON Lines file per kind (service_events.jsonl, ratings.jsonl,
// appeals.jsonl, optionally gzipped) into a directory.
type FileSink struct {
	files [4]*os.File
	gz    [4]*gzip.Writer
	buf   [4]*bufio.Writer
	paths []string
}

// NewFileSink creates (truncating) the three files in dir, creating dir when missing.
func NewFileSink(dir string, gz bool) (*FileSink, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory %s: %w", dir, err)
	}
	s := &FileSink{}
	for _, k := range []ingest.Kind{ingest.KindService, ingest.KindRating, ingest.KindAppeal} {
		p := filepath.Join(dir, FileName(k, gz))
		f, err := os.Create(p)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("create %s (is the directory writable?): %w", p, err)
		}
		s.files[k], s.paths = f, append(s.paths, p)
		var w io.Writer = f
		if gz {
			s.gz[k], _ = gzip.NewWriterLevel(f, gzip.BestSpeed)
			w = s.gz[k]
		}
		s.buf[k] = bufio.NewWriterSize(w, 1<<20)
	}
	return s, nil
}

// Write appends line and a newline to the kind's file.
func (s *FileSink) Write(kind ingest.Kind, _, line []byte) error {
	w := s.buf[kind]
	if _, err := w.Write(line); err != nil {
		return err
	}
	return w.WriteByte('\n')
}

// Paths returns the files written, in kind order.
func (s *FileSink) Paths() []string { return s.paths }

// Close flushes and closes every file; the first error wins.
func (s *FileSink) Close() error {
	var errs []error
	for k := range s.files {
		if s.buf[k] != nil {
			errs = append(errs, s.buf[k].Flush())
		}
		if s.gz[k] != nil {
			errs = append(errs, s.gz[k].Close())
		}
		if s.files[k] != nil {
			errs = append(errs, s.files[k].Close())
		}
	}
	s.files, s.buf, s.gz = [4]*os.File{}, [4]*bufio.Writer{}, [4]*gzip.Writer{}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("write simulated files: %w", err)
	}
	return nil
}

// Discard is a Sink that drops everything (for benchmarks of the generator itself).
var Discard Sink = discard{}

type discard struct{}

func (discard) Write(ingest.Kind, []byte, []byte) error { return nil }

// SinkFunc adapts a function to the Sink interface.
type SinkFunc func(kind ingest.Kind, key, line []byte) error

// Write calls f.
func (f SinkFunc) Write(kind ingest.Kind, key, line []byte) error { return f(kind, key, line) }
