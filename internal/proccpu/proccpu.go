// Package proccpu reads the CPU time the current process has used. On shared cores the CPU a
// piece of work takes is steadier than its wall time, so the benchmarks report both.
package proccpu

import (
	"syscall"
	"time"
)

// Used is the user + system CPU time this process has used so far, or 0 when the system does
// not say (getrusage failed).
func Used() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
