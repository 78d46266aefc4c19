package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseFlagsDefaults(t *testing.T) {
	c, err := parseFlags(nil)
	if err != nil {
		t.Fatalf("parseFlags(nil): %v", err)
	}
	if got := c.rates; len(got) != 4 || got[0] != 500 || got[3] != 5000 {
		t.Errorf("default rates = %v, want [500 1000 2000 5000]", got)
	}
	if c.duration != 10*time.Second || c.warmup != 2*time.Second || c.concurrency != 256 {
		t.Errorf("defaults: duration %v warmup %v concurrency %d", c.duration, c.warmup, c.concurrency)
	}
	if strings.Join(c.modes, ",") != "nonstream,stream" {
		t.Errorf("default modes = %v", c.modes)
	}
}

func TestParseFlagsQuickYieldsToExplicitFlags(t *testing.T) {
	c, err := parseFlags([]string{"--quick", "--duration", "3s"})
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	if len(c.rates) != 1 || c.rates[0] != 200 {
		t.Errorf("--quick rates = %v, want [200]", c.rates)
	}
	if c.duration != 3*time.Second {
		t.Errorf("--quick --duration 3s: duration = %v, want 3s", c.duration)
	}
}

func TestParseFlagsReportsEveryProblem(t *testing.T) {
	_, err := parseFlags([]string{"--rates", "10,x", "--modes", "bogus", "--duration", "0s", "--sluice", "/bin/true"})
	if err == nil {
		t.Fatal("parseFlags with bad values succeeded")
	}
	for _, want := range []string{"--rates", "--modes", "--duration", "--mockllm"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("parseFlags error %q does not mention %s", err, want)
		}
	}
}
