package config

import "time"

// Defaults of the request log's body storage.
const (
	// DefaultBodyRetention is how long kept bodies live: 30 days.
	DefaultBodyRetention = 30 * 24 * time.Hour
	// DefaultMaxLoggedBodyBytes bounds each kept body; the rest is cut with a marker.
	DefaultMaxLoggedBodyBytes = 64 << 10
	// DefaultRollupRetention is how long hourly analytics rollups live: 400 days, so a
	// year can be compared with the one before.
	DefaultRollupRetention = 400 * 24 * time.Hour
)

// BodyModes are the values of logging.bodies and of the log_bodies team metadata and key
// tag: off keeps nothing, metadata keeps the shape of a request and its answer (message
// count, roles, sizes, tool names) without text, full keeps the text with secrets and PII
// redacted.
var BodyModes = map[string]bool{"off": true, "metadata": true, "full": true}

// Logging configures what the request log keeps beyond its metadata.
type Logging struct {
	// Bodies is the organization's default body mode: off (default), metadata or full. A
	// team's metadata or a key's tags override it with log_bodies: <mode>, the key first.
	Bodies string `yaml:"bodies"`
	// Retention is how long kept bodies live before they are deleted. Default 720h.
	Retention time.Duration `yaml:"retention"`
	// MaxBodyBytes bounds each kept request or response body. Default 64KiB.
	MaxBodyBytes ByteSize `yaml:"max_body_bytes"`
	// RollupRetention is how long the hourly analytics rollups are kept; they are small,
	// so far longer than the request log. Default 9600h (400 days).
	RollupRetention time.Duration `yaml:"rollup_retention"`
}

func (c *Config) loggingDefaults() {
	setDefault(&c.Logging.Bodies, "off")
	setDefault(&c.Logging.Retention, DefaultBodyRetention)
	setDefault(&c.Logging.MaxBodyBytes, DefaultMaxLoggedBodyBytes)
	setDefault(&c.Logging.RollupRetention, DefaultRollupRetention)
}

func (c *Config) validateLogging(src *Source, ps *Problems) {
	l := &c.Logging
	if !BodyModes[l.Bodies] {
		ps.Add(src, "logging.bodies", "must be off, metadata or full, not %q", l.Bodies)
	}
	if l.Retention < 0 {
		ps.Add(src, "logging.retention", "must not be negative")
	}
	if l.RollupRetention < 0 {
		ps.Add(src, "logging.rollup_retention", "must not be negative")
	}
	if l.MaxBodyBytes < 0 {
		ps.Add(src, "logging.max_body_bytes", "must not be negative")
	}
}
