package proccpu

import (
	"testing"
	"time"
)

// TestUsedGrowsWithWork: busy work raises Used by 20 ms well within 10 s of wall time (a Used
// stuck at 0 or not counting this thread's CPU never gets there).
func TestUsedGrowsWithWork(t *testing.T) {
	before := Used()
	if before <= 0 {
		t.Fatalf("Used() = %v before any work; want the CPU of the process so far", before)
	}
	x := 0
	for deadline := time.Now().Add(10 * time.Second); Used()-before < 20*time.Millisecond; {
		if time.Now().After(deadline) {
			t.Fatalf("Used() grew by %v in 10 s of busy work (x=%d); want at least 20 ms", Used()-before, x)
		}
		for i := range 100_000 {
			x += i
		}
	}
}
