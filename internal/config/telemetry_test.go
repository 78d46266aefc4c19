package config

import (
	"strings"
	"testing"
)

func TestTelemetryIsOffByDefaultAndValidatedWithPaths(t *testing.T) {
	cfg, _, err := Parse([]byte("{}\n"), "t.yaml", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Telemetry.Enabled() || cfg.Telemetry.Ratio() != 1 {
		t.Errorf("default telemetry: enabled=%v ratio=%v, want off with ratio 1", cfg.Telemetry.Enabled(), cfg.Telemetry.Ratio())
	}
	in := "telemetry:\n  sample_ratio: 1.5\n  otlp:\n    endpoint: ftp://x\n    protocol: thrift\n"
	_, _, err = Parse([]byte(in), "t.yaml", env(nil))
	for _, path := range []string{"telemetry.sample_ratio", "telemetry.otlp.protocol", "telemetry.otlp.endpoint"} {
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("Parse(%q) = %v, want a problem at %s", in, err, path)
		}
	}
	cfg, _, err = Parse([]byte("telemetry:\n  otlp: {endpoint: 'collector:4317', protocol: grpc, headers: {x-key: s3cret}}\n"), "t.yaml", env(nil))
	if err != nil || !cfg.Telemetry.Enabled() || cfg.Telemetry.OTLP.Headers["x-key"].Reveal() != "s3cret" {
		t.Errorf("grpc exporter config: %+v, %v", cfg.Telemetry, err)
	}
	if strings.Contains(cfg.Telemetry.OTLP.Headers["x-key"].String(), "s3cret") {
		t.Errorf("an exporter header's value printed in clear")
	}
}
