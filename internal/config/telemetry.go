package config

import (
	"net/url"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/secret"
)

// Telemetry configures OpenTelemetry tracing. Tracing is off until otlp.endpoint is set;
// incoming W3C traceparent headers are honoured either way, so the request log carries
// the caller's trace id.
type Telemetry struct {
	// ServiceName is the service.name resource attribute. Default "sluice".
	ServiceName string `yaml:"service_name"`
	// SampleRatio is the share of new traces recorded, 0 to 1; a sampled parent is always
	// followed. Default 1.
	SampleRatio *float64 `yaml:"sample_ratio"`
	OTLP        OTLP     `yaml:"otlp"`
}

// OTLP is where spans are exported.
type OTLP struct {
	// Endpoint is host:port, or a URL for http (e.g. http://collector:4318). Empty: no export.
	Endpoint string `yaml:"endpoint"`
	// Protocol is http (OTLP/HTTP protobuf, default) or grpc.
	Protocol string `yaml:"protocol"`
	// Headers are sent with every export, e.g. an API key of a tracing vendor.
	Headers map[string]secret.Secret `yaml:"headers"`
	// Insecure sends without TLS.
	Insecure bool `yaml:"insecure"`
	// Timeout bounds one export. Default 10s.
	Timeout time.Duration `yaml:"timeout"`
}

// Enabled reports whether spans are exported.
func (t Telemetry) Enabled() bool { return t.OTLP.Endpoint != "" }

// Ratio resolves the SampleRatio default.
func (t Telemetry) Ratio() float64 {
	if t.SampleRatio == nil {
		return 1
	}
	return *t.SampleRatio
}

func (t Telemetry) validate(src *Source, ps *Problems) {
	if r := t.SampleRatio; r != nil && (*r < 0 || *r > 1) {
		ps.Add(src, "telemetry.sample_ratio", "must be between 0 and 1")
	}
	o := t.OTLP
	switch o.Protocol {
	case "", "http", "grpc":
	default:
		ps.Add(src, "telemetry.otlp.protocol", "unknown protocol %q (known: http, grpc)", o.Protocol)
	}
	if o.Timeout < 0 {
		ps.Add(src, "telemetry.otlp.timeout", "must not be negative")
	}
	if strings.Contains(o.Endpoint, "://") {
		if u, err := url.Parse(o.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			ps.Add(src, "telemetry.otlp.endpoint", "must be host:port or an http(s) URL, got %q", o.Endpoint)
		}
	}
}
