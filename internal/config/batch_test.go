package config

import (
	"strings"
	"testing"
	"time"
)

func TestBatchDefaultsAndValidation(t *testing.T) {
	noEnv := func(string) (string, bool) { return "", false }
	cfg, _, err := Parse([]byte("providers:\n  p: {type: openai, base_url: http://x}\n"), "b.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	b := cfg.Batch
	if !b.On() || b.MaxFileBytes != 100<<20 || b.PollInterval != 30*time.Second || b.LocalConcurrency != 4 || b.Retention != 720*time.Hour {
		t.Errorf("batch defaults = %+v, want on, 100MiB, 30s, 4, 720h", b)
	}
	_, _, err = Parse([]byte(`
providers:
  p: {type: openai, base_url: http://x}
batch:
  enabled: false
  max_file_bytes: 1MB
  poll_interval: -1s
  local_concurrency: -2
  native: {p: true, nope: true}
`), "b.yaml", noEnv)
	for _, want := range []string{"batch.poll_interval: must not be negative", "batch.local_concurrency: must not be negative",
		`batch.native.nope: unknown provider "nope"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse = %v, want a problem %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "batch.native.p") {
		t.Errorf("Parse = %v: a declared provider was refused", err)
	}
}
