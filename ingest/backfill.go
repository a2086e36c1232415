package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Stats counts what a load did. Read = Inserted + Duplicate + Rejected.
type Stats struct {
	Files     int   // files read
	Read      int64 // non-empty lines read
	Inserted  int64 // valid events sent to ClickHouse and acknowledged
	Duplicate int64 // valid events whose event_id came earlier in the same run (not sent again)
	Rejected  int64 // lines refused by validation (written to the rejects file)
}

// RejectRecord is one line of the rejects file.
type RejectRecord struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Code   string `json:"code"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
	Raw    string `json:"raw"`
}

// Loader reads JSON Lines files through the Validator into ClickHouse through the Writer — the
// same validation and insert path as the Kafka consumer.
type Loader struct {
	v         *Validator
	w         *Writer
	batchRows int
	rejects   io.Writer
	progress  func(file string, done, size int64, st Stats)
	every     time.Duration
}

// LoaderOption configures a Loader.
type LoaderOption func(*Loader)

// WithBatchRows sets how many events go into one insert. Default: 50,000.
func WithBatchRows(n int) LoaderOption { return func(l *Loader) { l.batchRows = max(1, n) } }

// WithRejects sets where rejected lines are written as JSON Lines (RejectRecord). Default: discarded.
func WithRejects(w io.Writer) LoaderOption { return func(l *Loader) { l.rejects = w } }

// WithProgress sets a function called at most once per interval with the file being read, its
// bytes read so far and size, and the running counts. Default: none.
func WithProgress(every time.Duration, fn func(file string, done, size int64, st Stats)) LoaderOption {
	return func(l *Loader) { l.every, l.progress = every, fn }
}

// NewLoader returns a Loader that validates with v and writes with w.
func NewLoader(v *Validator, w *Writer, opts ...LoaderOption) *Loader {
	l := &Loader{v: v, w: w, batchRows: 50_000, rejects: io.Discard}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Load reads every file (see ExpandPaths) and returns the counts. Batches are inserted while the
// next one is being read. On error, the counts say what was acknowledged before it.
func (l *Loader) Load(ctx context.Context, paths []string) (Stats, error) {
	var st Stats
	files, err := ExpandPaths(paths)
	if err != nil {
		return st, err
	}
	seen := NewSeen(0)
	enc := json.NewEncoder(l.rejects)
	enc.SetEscapeHTML(false)

	// Two batches: one is filled while the other is written.
	full := make(chan *Batch)
	free := make(chan *Batch, 2)
	free <- new(Batch)
	free <- new(Batch)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		writeErr error
	)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for b := range full {
			if writeErr == nil {
				if err := l.w.Write(wctx, b); err != nil {
					mu.Lock()
					writeErr = err
					mu.Unlock()
					cancel()
				} else {
					mu.Lock()
					st.Inserted += int64(b.Len())
					mu.Unlock()
				}
			}
			b.Reset()
			free <- b
		}
	}()
	cur := <-free
	flush := func() error {
		if cur.Len() == 0 {
			return nil
		}
		full <- cur
		select {
		case cur = <-free:
			return nil
		case <-wctx.Done():
			return wctx.Err()
		}
	}
	snapshot := func() Stats {
		mu.Lock()
		defer mu.Unlock()
		return st
	}

	var ev Event
	var readErr error
	for _, file := range files {
		st.Files++
		var size int64
		if fi, err := os.Stat(file); err == nil {
			size = fi.Size()
		}
		var done int64
		last := time.Now()
		report := func(n int64) {
			done = n
			if l.progress != nil && time.Since(last) >= l.every {
				last = time.Now()
				l.progress(file, done, size, snapshot())
			}
		}
		rejectLine := func(line int, code, field, reason string, raw []byte) error {
			mu.Lock()
			st.Rejected++
			mu.Unlock()
			if err := enc.Encode(RejectRecord{File: file, Line: line, Code: code, Field: field, Reason: reason, Raw: string(raw)}); err != nil {
				return fmt.Errorf("write rejects file: %w", err)
			}
			return nil
		}
		readErr = ScanFile(wctx, file, func(line int, data []byte) error {
			mu.Lock()
			st.Read++
			mu.Unlock()
			if err := l.v.Decode(data, &ev); err != nil {
				r := err.(*Rejection)
				return rejectLine(line, r.Code, r.Field, r.Reason, data)
			}
			if seen.Add(ev.EventID) {
				mu.Lock()
				st.Duplicate++
				mu.Unlock()
				return nil
			}
			cur.Add(&ev, file+":"+itoa(line))
			if cur.Len() >= l.batchRows {
				return flush()
			}
			return nil
		}, func(line, size int) error {
			mu.Lock()
			st.Read++
			mu.Unlock()
			return rejectLine(line, CodeTooLarge, "", fmt.Sprintf("line is %d bytes; the limit is %d", size, MaxLineBytes), nil)
		}, report)
		if readErr != nil {
			break
		}
		if l.progress != nil {
			l.progress(file, size, size, snapshot())
		}
	}
	if readErr == nil {
		readErr = flush()
	}
	close(full)
	wg.Wait()
	if writeErr != nil {
		return snapshot(), fmt.Errorf("backfill stopped: %w", writeErr)
	}
	if readErr != nil {
		return snapshot(), fmt.Errorf("backfill stopped: %w", readErr)
	}
	return snapshot(), nil
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}
