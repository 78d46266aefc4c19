package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat.
// Go's standard library has no sysconf, so ask getconf once; every Linux
// build in practice uses 100.
func clockTicks() int64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err != nil {
		return 100
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil || n <= 0 {
		return 100
	}
	return n
}

// procCPU returns the user+system CPU time that process pid (all its
// threads) has used so far.
func procCPU(pid int, ticks int64) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(b, ticks)
}

// parseStatCPU reads utime and stime (fields 14 and 15) from the contents of
// /proc/PID/stat. The second field is the command name in parentheses and
// may itself contain spaces and ')', so fields are counted from the last ')'.
func parseStatCPU(stat []byte, ticks int64) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("proc stat: no ')' after the command name")
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return 0, fmt.Errorf("proc stat: %d fields after the command name, want at least 13", len(f))
	}
	utime, err := strconv.ParseInt(f[11], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("proc stat: utime: %w", err)
	}
	stime, err := strconv.ParseInt(f[12], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("proc stat: stime: %w", err)
	}
	return time.Duration((utime + stime) * int64(time.Second) / ticks), nil
}

// procPeakRSS returns VmHWM, the highest resident set size of process pid
// since it started or since resetPeakRSS, in bytes.
func procPeakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseStatusKB(b, "VmHWM")
}

// parseStatusKB returns the value of a "Key:   123 kB" line of
// /proc/PID/status, in bytes.
func parseStatusKB(status []byte, key string) (int64, error) {
	for line := range bytes.Lines(status) {
		name, rest, ok := bytes.Cut(line, []byte(":"))
		if !ok || string(name) != key {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("proc status: %s: unexpected value %q", key, rest)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("proc status: %s: %w", key, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("proc status: no %s line", key)
}

// resetPeakRSS sets VmHWM back to the current RSS (Linux 4.0+, writing 5 to
// clear_refs), so the peak read after a run belongs to that run alone rather
// than to the whole life of the process. It may be refused in some sandboxes;
// the caller then reports the lifetime peak and says so.
func resetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// selfCPU is the load generator's own CPU time, for context: on a machine
// whose cores are shared, it is CPU the servers did not get.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineBusy returns the CPU time all CPUs of the machine have spent busy
// (or stolen by the hypervisor) since boot, from the first line of
// /proc/stat. Subtracting the benchmark's own processes leaves what others
// used: on a shared machine that is the first thing to check when a run
// looks wrong.
func machineBusy(ticks int64) (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return parseMachineBusy(b, ticks)
}

// parseMachineBusy sums user, nice, system, irq, softirq and steal of the
// aggregate "cpu" line; guest time is already inside user and nice.
func parseMachineBusy(stat []byte, ticks int64) (time.Duration, error) {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("proc stat: first line %q is not the aggregate cpu line", line)
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system [idle iowait] irq softirq steal
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("proc stat: cpu field %d: %w", i, err)
		}
		busy += v
	}
	return time.Duration(busy * int64(time.Second) / ticks), nil
}
