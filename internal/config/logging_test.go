package config

import (
	"strings"
	"testing"
	"time"
)

func TestLoggingKeepsNoBodiesByDefaultAndValidatesWithPaths(t *testing.T) {
	cfg, _, err := Parse([]byte("{}\n"), "t.yaml", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if l := cfg.Logging; l.Bodies != "off" || l.Retention != DefaultBodyRetention || l.MaxBodyBytes != DefaultMaxLoggedBodyBytes {
		t.Errorf("default logging = %+v, want off, 720h, 64KiB", l)
	}
	cfg, _, err = Parse([]byte("logging: {bodies: full, retention: 24h, max_body_bytes: 8KiB}\n"), "t.yaml", env(nil))
	if err != nil || cfg.Logging.Bodies != "full" || cfg.Logging.Retention != 24*time.Hour || cfg.Logging.MaxBodyBytes != 8<<10 {
		t.Errorf("Parse(full, 24h, 8KiB) = %+v, %v", cfg.Logging, err)
	}
	in := "logging:\n  bodies: everything\n  retention: -1h\n"
	_, _, err = Parse([]byte(in), "t.yaml", env(nil))
	for _, path := range []string{"logging.bodies", "logging.retention"} {
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("Parse(%q) = %v, want a problem at %s", in, err, path)
		}
	}
	if _, _, err = Parse([]byte("logging: {bodeis: full}\n"), "t.yaml", env(nil)); err == nil {
		t.Errorf("an unknown logging field was accepted")
	}
}

func TestRollupRetentionDefaultsTo400DaysAndRejectsNegative(t *testing.T) {
	cfg, _, err := Parse([]byte("{}\n"), "t.yaml", env(nil))
	if err != nil || cfg.Logging.RollupRetention != DefaultRollupRetention {
		t.Fatalf("default logging.rollup_retention = %v, %v; want %v", cfg.Logging.RollupRetention, err, DefaultRollupRetention)
	}
	cfg, _, err = Parse([]byte("logging: {rollup_retention: 17520h}\n"), "t.yaml", env(nil))
	if err != nil || cfg.Logging.RollupRetention != 17520*time.Hour {
		t.Errorf("Parse(rollup_retention: 17520h) = %v, %v", cfg.Logging.RollupRetention, err)
	}
	if _, _, err = Parse([]byte("logging: {rollup_retention: -1h}\n"), "t.yaml", env(nil)); err == nil ||
		!strings.Contains(err.Error(), "logging.rollup_retention") {
		t.Errorf("Parse(rollup_retention: -1h) = %v, want a problem at logging.rollup_retention", err)
	}
}
