package main

import (
	"os"
	"testing"
	"time"
)

func TestParseStatCPUSkipsCommandNameWithSpacesAndParens(t *testing.T) {
	// Fields 14 and 15 (utime, stime) are 150 and 50 ticks.
	stat := "4242 (evil) name (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 8 0 12345 0 0\n"
	got, err := parseStatCPU([]byte(stat), 100)
	if err != nil {
		t.Fatalf("parseStatCPU(%q): %v", stat, err)
	}
	if want := 2 * time.Second; got != want {
		t.Errorf("parseStatCPU(%q) = %v, want %v", stat, got, want)
	}
}

func TestParseStatCPURejectsTruncatedLine(t *testing.T) {
	for _, stat := range []string{"", "12 (x) S 1 2 3", "12 x S"} {
		if _, err := parseStatCPU([]byte(stat), 100); err == nil {
			t.Errorf("parseStatCPU(%q) succeeded, want an error", stat)
		}
	}
}

func TestParseStatusKB(t *testing.T) {
	status := "Name:\tload\nVmPeak:\t  20000 kB\nVmHWM:\t    1968 kB\nVmRSS:\t    1500 kB\n"
	got, err := parseStatusKB([]byte(status), "VmHWM")
	if err != nil || got != 1968<<10 {
		t.Errorf("parseStatusKB(VmHWM) = %d, %v; want %d, nil", got, err, 1968<<10)
	}
	if _, err := parseStatusKB([]byte(status), "VmSwap"); err == nil {
		t.Errorf("parseStatusKB(VmSwap) on a status without it succeeded, want an error")
	}
}

func TestProcReadersWorkOnOwnProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	pid := os.Getpid()
	// Burn a little CPU so the reading cannot legitimately be zero ticks.
	deadline := time.Now().Add(30 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	cpu, err := procCPU(pid, clockTicks())
	if err != nil {
		t.Fatalf("procCPU(self): %v", err)
	}
	if cpu <= 0 {
		t.Errorf("procCPU(self) = %v after busy work, want > 0", cpu)
	}
	peak, err := procPeakRSS(pid)
	if err != nil {
		t.Fatalf("procPeakRSS(self): %v", err)
	}
	if peak < 1<<20 {
		t.Errorf("procPeakRSS(self) = %d bytes, want at least 1 MiB for a Go test binary", peak)
	}
}

func TestClockTicksIsPositive(t *testing.T) {
	if got := clockTicks(); got <= 0 {
		t.Errorf("clockTicks() = %d, want > 0", got)
	}
}

func TestParseMachineBusySkipsIdleAndIOWait(t *testing.T) {
	// user nice system idle iowait irq softirq steal guest guest_nice
	stat := "cpu  100 20 30 9000 500 5 5 40 70 0\ncpu0 50 10 15 4500 250 2 3 20 35 0\n"
	got, err := parseMachineBusy([]byte(stat), 100)
	if err != nil {
		t.Fatalf("parseMachineBusy: %v", err)
	}
	if want := 2 * time.Second; got != want { // 100+20+30+5+5+40 = 200 ticks
		t.Errorf("parseMachineBusy(%q) = %v, want %v", stat, got, want)
	}
	if _, err := parseMachineBusy([]byte("intr 1 2 3\n"), 100); err == nil {
		t.Errorf("parseMachineBusy on a stat without a cpu line succeeded, want an error")
	}
}

func TestMachineBusyIsAtLeastOwnCPU(t *testing.T) {
	if _, err := os.Stat("/proc/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	ticks := clockTicks()
	busy, err := machineBusy(ticks)
	if err != nil {
		t.Fatalf("machineBusy: %v", err)
	}
	self, err := procCPU(os.Getpid(), ticks)
	if err != nil {
		t.Fatalf("procCPU(self): %v", err)
	}
	if busy < self {
		t.Errorf("machineBusy() = %v, less than this process alone (%v)", busy, self)
	}
}
