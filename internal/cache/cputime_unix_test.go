//go:build unix

package cache

import (
	"syscall"
	"time"
)

// cpuTime is the process's CPU time so far. On a shared machine wall time per op swings
// with the neighbours' load; CPU time per op (reported as cpu-ns/op) much less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
