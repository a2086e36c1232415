package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
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
func WithBatchRows(n int) LoaderOption { return func(l *Loader) { l.batchRows = n } }

// WithRejects sets where rejected lines are written as JSON Lines (RejectRecord). Default: discarded.
func WithRejects(w io.Writer) LoaderOption { return func(l *Loader) { l.rejects = w } }

// WithProgress sets a function called at most once per interval with the file being read, its
// bytes read so far and size, and the running counts. Default: none.
func WithProgress(every time.Duration, fn func(file string, done, size int64, st Stats)) LoaderOption {
	return func(l *Loader) { l.every, l.progress = every, fn }
}

// NewLoader returns a Loader that validates with v and writes with w.
func NewLoader(v *Validator, w *Writer, opts ...LoaderOption) *Loader {
	l := &Loader{v: v, w: w, batchRows: DefaultBatchRows, rejects: io.Discard}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Load reads every file (see ExpandPaths) and returns the counts. Batches are inserted while the
// next one is being read. On error, the counts say what was acknowledged before it.
func (l *Loader) Load(ctx context.Context, paths []string) (Stats, error) {
	if l.batchRows < 1 {
		return Stats{}, rangeError("batch-rows", "WithBatchRows", l.batchRows, "at least 1")
	}
	if err := l.w.validate(); err != nil {
		return Stats{}, err
	}
	files, err := ExpandPaths(paths)
	if err != nil {
		return Stats{}, err
	}
	r := &loadRun{l: l, seen: NewSeen(0), enc: json.NewEncoder(l.rejects)}
	r.enc.SetEscapeHTML(false)
	r.startWriter(ctx)
	defer r.cancel()
	var readErr error
	for _, file := range files {
		if readErr = r.loadFile(file); readErr != nil {
			break
		}
	}
	if readErr == nil {
		readErr = r.flush()
	}
	close(r.full)
	r.wg.Wait()
	if r.writeErr == nil && readErr == nil {
		r.reportFinished(r.cur.files) // files with no rows after the last written batch
	}
	if r.writeErr != nil {
		return r.snapshot(), fmt.Errorf("backfill stopped: %w", r.writeErr)
	}
	if readErr != nil {
		return r.snapshot(), fmt.Errorf("backfill stopped: %w", readErr)
	}
	return r.snapshot(), nil
}

// loadRun is one Load: the reading side fills a batch while the writer inserts the previous one.
type loadRun struct {
	l        *Loader
	seen     *Seen
	enc      *json.Encoder // of the rejects file
	mu       sync.Mutex    // guards st: the writer counts Inserted
	st       Stats
	full     chan *loadBatch
	free     chan *loadBatch
	cur      *loadBatch
	wctx     context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	writeErr error      // read after wg.Wait
	progMu   sync.Mutex // progress is called from both sides
}

// loadBatch is a batch of rows and the files whose last rows it holds (or that ended while it
// was filled): their final progress is reported once it is acknowledged, so that the counts
// include them.
type loadBatch struct {
	rows  Batch
	files []finishedFile
}

type finishedFile struct {
	name string
	size int64
}

// startWriter starts the goroutine that inserts full batches.
func (r *loadRun) startWriter(ctx context.Context) {
	r.full, r.free = make(chan *loadBatch), make(chan *loadBatch, 2)
	for range 2 {
		b := new(loadBatch)
		b.rows.Reserve(r.l.batchRows, math.MaxInt) // batches are cut by rows only
		r.free <- b
	}
	r.wctx, r.cancel = context.WithCancel(ctx)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for b := range r.full {
			if r.writeErr == nil {
				if err := r.l.w.Write(r.wctx, &b.rows); err != nil {
					r.writeErr = err
					r.cancel()
				} else {
					r.mu.Lock()
					r.st.Inserted += int64(b.rows.Len())
					r.mu.Unlock()
					r.reportFinished(b.files)
				}
			}
			b.rows.Reset()
			b.files = b.files[:0]
			r.free <- b
		}
	}()
	r.cur = <-r.free
}

// flush hands the current batch to the writer and takes an empty one.
func (r *loadRun) flush() error {
	if r.cur.rows.Len() == 0 {
		return nil
	}
	r.full <- r.cur
	select {
	case r.cur = <-r.free:
		return nil
	case <-r.wctx.Done():
		r.cur = &loadBatch{}
		return r.wctx.Err()
	}
}

func (r *loadRun) snapshot() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st
}

func (r *loadRun) count(n *int64) {
	r.mu.Lock()
	*n++
	r.mu.Unlock()
}

func (r *loadRun) progress(file string, done, size int64) {
	r.progMu.Lock()
	defer r.progMu.Unlock()
	r.l.progress(file, done, size, r.snapshot())
}

// reportFinished gives the final progress of files whose rows are all acknowledged.
func (r *loadRun) reportFinished(files []finishedFile) {
	if r.l.progress == nil {
		return
	}
	for _, f := range files {
		r.progress(f.name, f.size, f.size)
	}
}

// loadFile reads one file into batches.
func (r *loadRun) loadFile(file string) error {
	r.mu.Lock()
	r.st.Files++
	r.mu.Unlock()
	var size int64
	if fi, err := os.Stat(file); err == nil {
		size = fi.Size()
	}
	last := time.Now()
	report := func(done int64) {
		if r.l.progress != nil && time.Since(last) >= r.l.every {
			last = time.Now()
			r.progress(file, done, size)
		}
	}
	rejectLine := func(line int, code, field, reason string, raw []byte) error {
		r.count(&r.st.Rejected)
		if err := r.enc.Encode(RejectRecord{File: file, Line: line, Code: code, Field: field, Reason: reason, Raw: string(raw)}); err != nil {
			return fmt.Errorf("write rejects file: %w", err)
		}
		return nil
	}
	var ev Event
	err := ScanFile(r.wctx, file, func(line int, data []byte) error {
		r.count(&r.st.Read)
		if err := r.l.v.decodeShared(data, &ev); err != nil { // ev is used only until fn returns
			rej := err.(*Rejection)
			return rejectLine(line, rej.Code, rej.Field, rej.Reason, data)
		}
		if r.seen.Add(ev.EventID) {
			r.count(&r.st.Duplicate)
			return nil
		}
		r.cur.rows.addLine(&ev, file, line)
		if r.cur.rows.Len() >= r.l.batchRows {
			return r.flush()
		}
		return nil
	}, func(line, _ int) error {
		r.count(&r.st.Read)
		return rejectLine(line, CodeTooLarge, "", fmt.Sprintf("line is over the limit of %d bytes (1 MiB)", MaxLineBytes), nil)
	}, report)
	if err != nil {
		return err
	}
	r.cur.files = append(r.cur.files, finishedFile{file, size})
	return nil
}
