package ingest

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestSettingsOutOfRangeAreRefused: a setting out of range is refused with a message naming its
// flag and option, not clamped; the defaults pass.
func TestSettingsOutOfRangeAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string // "" = accepted
	}{
		{"consumer defaults", CheckConsumer(), ""},
		{"writer defaults", CheckWriter(), ""},
		{"no messages", CheckConsumer(WithFlush(0, 1<<20, time.Second)), "--batch-rows (WithFlush) is 0; it must be at least 1"},
		{"no bytes", CheckConsumer(WithFlush(10, 0, time.Second)), "--batch-bytes (WithFlush) is 0"},
		{"no wait", CheckConsumer(WithFlush(10, 10, 0)), "--batch-wait (WithFlush) is 0s"},
		{"tiny buffer", CheckConsumer(WithMaxBuffer(1)), "--max-buffer-bytes (WithMaxBuffer) is 1"},
		{"negative window", CheckConsumer(WithDedupeWindow(-1)), "--dedupe-window (WithDedupeWindow) is -1"},
		{"short session", CheckConsumer(WithSessionTimeout(10 * time.Millisecond)), "--session-timeout (WithSessionTimeout) is 10ms; it must be at least 1s"},
		{"buffer bounds the batch", CheckConsumer(WithMaxBuffer(64<<10), WithFlush(10, 1<<30, time.Second)), ""},
		{"retry max below min", CheckWriter(WithBackoff(2*time.Second, time.Second)), "--retry-max (WithBackoff) is 1s; it must be at least --retry-min (2s)"},
		{"negative attempts", CheckWriter(WithMaxAttempts(-1)), "--attempts (WithMaxAttempts) is -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			switch {
			case tc.want == "" && tc.err != nil:
				t.Fatalf("refused: %v", tc.err)
			case tc.want != "" && (tc.err == nil || !strings.Contains(tc.err.Error(), tc.want)):
				t.Fatalf("got %v, want %q", tc.err, tc.want)
			}
		})
	}
	_, err := NewLoader(NewValidator(), NewWriter(nil), WithBatchRows(0)).Load(context.Background(), []string{t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "--batch-rows (WithBatchRows) is 0") {
		t.Errorf("Load with 0 batch rows: %v", err)
	}
}
