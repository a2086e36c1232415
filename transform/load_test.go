package transform

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/cxstar/cxstar/internal/testkit/chdbtest"
)

// TestRunAll checks the worker pool of the assessment's queries: at most width jobs at once, one
// at a time in order, every job run once, and the first error stops the jobs not yet started.
func TestRunAll(t *testing.T) {
	errBoom := errors.New("boom")
	for _, tc := range []struct {
		name      string
		jobs      int
		width     int
		fail      int // the job that fails (-1: none)
		wantPeak  int // the most jobs in flight at once
		wantRun   []int
		wantError error
	}{
		{"one after the other", 5, 1, -1, 1, []int{0, 1, 2, 3, 4}, nil},
		{"two at once", 6, 2, -1, 2, []int{0, 1, 2, 3, 4, 5}, nil},
		{"wider than the jobs", 3, 8, -1, 3, []int{0, 1, 2}, nil},
		{"width 0 is 1", 3, 0, -1, 1, []int{0, 1, 2}, nil},
		{"an error stops the rest", 5, 1, 2, 1, []int{0, 1, 2}, errBoom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				inFlight, peak atomic.Int32
				mu             sync.Mutex
				ran            []int
			)
			jobs := make([]func(context.Context) error, tc.jobs)
			for i := range jobs {
				jobs[i] = func(ctx context.Context) error {
					n := inFlight.Add(1)
					defer inFlight.Add(-1)
					for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
					}
					mu.Lock()
					ran = append(ran, i)
					mu.Unlock()
					time.Sleep(20 * time.Millisecond) // long enough for the other workers to take jobs
					if i == tc.fail {
						return fmt.Errorf("job %d: %w", i, errBoom)
					}
					return nil
				}
			}
			err := runAll(context.Background(), jobs, tc.width)
			if !errors.Is(err, tc.wantError) || (tc.wantError == nil) != (err == nil) {
				t.Fatalf("runAll: %v, want %v", err, tc.wantError)
			}
			if int(peak.Load()) != tc.wantPeak {
				t.Errorf("%d jobs at once, want %d", peak.Load(), tc.wantPeak)
			}
			if tc.width > 1 {
				slices.Sort(ran) // jobs at once start in order but may reach ran in any
			}
			if !slices.Equal(ran, tc.wantRun) {
				t.Errorf("ran jobs %v, want %v", ran, tc.wantRun)
			}
		})
	}
	// A failure among jobs at once is what runAll returns, not the cancellation it caused in the others.
	t.Run("the failure, not the cancellation", func(t *testing.T) {
		jobs := []func(context.Context) error{
			func(ctx context.Context) error { <-ctx.Done(); return fmt.Errorf("waiting job: %w", ctx.Err()) },
			func(context.Context) error { return errBoom },
		}
		if err := runAll(context.Background(), jobs, 2); !errors.Is(err, errBoom) {
			t.Fatalf("runAll: %v, want %v", err, errBoom)
		}
	})
	// A context cancelled before the run starts no job and is reported.
	t.Run("cancelled before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		started := false
		err := runAll(ctx, []func(context.Context) error{func(context.Context) error { started = true; return nil }}, 1)
		if !errors.Is(err, context.Canceled) || started {
			t.Fatalf("runAll on a cancelled context: %v, job started %v; want context.Canceled and none", err, started)
		}
	})
}

func TestThreads(t *testing.T) {
	for v, want := range map[string]int{"1": 1, "2": 2, "auto(16)": 16, "'auto(4)'": 4, "": 1, "0": 1, "auto": 1, "x": 1} {
		if got := threads(v); got != want {
			t.Errorf("threads(%q) = %d, want %d", v, got, want)
		}
	}
}

// TestServerThreads reads max_threads: on the 18.16 server a session setting of 3, on the
// current engine (run by the tests with --max_threads=2) what its getSetting returns, 2.
func TestServerThreads(t *testing.T) {
	ctx := context.Background()
	engines := chdbtest.Both(t)
	t.Run(engines[0].Name, func(t *testing.T) {
		n, err := ServerThreads(clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_threads": 3})), engines[0].Conn)
		if err != nil || n != 3 {
			t.Fatalf("ServerThreads with the session's max_threads 3: %d, %v", n, err)
		}
	})
	t.Run(engines[1].Name, func(t *testing.T) {
		var want uint64
		if err := engines[1].Conn.QueryRow(ctx, "SELECT toUInt64(getSetting('max_threads'))").Scan(&want); err != nil {
			t.Fatal(err)
		}
		n, err := ServerThreads(ctx, engines[1].Conn)
		if err != nil || uint64(n) != want || n != 2 {
			t.Fatalf("ServerThreads: %d, %v; want getSetting's %d, and 2 (--max_threads=2)", n, err, want)
		}
	})
}
