package config

import "time"

// Batch API defaults.
const (
	// DefaultBatchMaxFileBytes bounds an uploaded file. OpenAI allows 200 MB per batch input
	// file; files live in the store, so Sluice's default is half that.
	DefaultBatchMaxFileBytes = 100 << 20
	DefaultBatchPollInterval = 30 * time.Second
	// DefaultBatchLocalConcurrency is how many lines of one batch Sluice runs at once itself,
	// for targets whose provider has no batch API.
	DefaultBatchLocalConcurrency = 4
	// DefaultBatchRetention is how long uploaded and produced files are kept: 30 days, as
	// OpenAI keeps batch output files.
	DefaultBatchRetention = 30 * 24 * time.Hour
)

// Batch configures the Batch API (/v1/files and /v1/batches) and the worker that drives
// batches.
type Batch struct {
	// Enabled serves /v1/files and /v1/batches and runs the worker. Default true.
	Enabled *bool `yaml:"enabled"`
	// MaxFileBytes bounds an uploaded file. Default 100MiB.
	MaxFileBytes ByteSize `yaml:"max_file_bytes"`
	// PollInterval is how often the worker looks for batches and polls providers' batch
	// jobs. Default 30s.
	PollInterval time.Duration `yaml:"poll_interval"`
	// LocalConcurrency is how many lines of a batch run at once when Sluice executes them
	// itself. Default 4.
	LocalConcurrency int `yaml:"local_concurrency"`
	// Retention is how long files (inputs and outputs) are kept. Default 720h.
	Retention time.Duration `yaml:"retention"`
	// Native says, per provider name, whether to use the provider's own batch API. By
	// default Anthropic-format providers, OpenAI itself (api.openai.com) and the Gemini API
	// (generativelanguage.googleapis.com) do; other OpenAI-compatible and Gemini-format
	// servers, Azure (which needs Global-Batch deployments, so is opt-in) and Bedrock (whose
	// batch inference reads and writes S3 buckets) run lines through Sluice.
	Native map[string]bool `yaml:"native"`
}

// On resolves the Enabled default.
func (b Batch) On() bool { return b.Enabled == nil || *b.Enabled }

func (c *Config) batchDefaults() {
	b := &c.Batch
	setDefault(&b.MaxFileBytes, DefaultBatchMaxFileBytes)
	setDefault(&b.PollInterval, DefaultBatchPollInterval)
	setDefault(&b.LocalConcurrency, DefaultBatchLocalConcurrency)
	setDefault(&b.Retention, DefaultBatchRetention)
}

func (c *Config) validateBatch(src *Source, ps *Problems) {
	b := &c.Batch
	if b.MaxFileBytes < 0 {
		ps.Add(src, "batch.max_file_bytes", "must not be negative")
	}
	if b.PollInterval < 0 {
		ps.Add(src, "batch.poll_interval", "must not be negative")
	}
	if b.LocalConcurrency < 0 {
		ps.Add(src, "batch.local_concurrency", "must not be negative")
	}
	if b.Retention < 0 {
		ps.Add(src, "batch.retention", "must not be negative")
	}
	for _, name := range sortedKeys(b.Native) {
		if _, ok := c.Providers[name]; !ok {
			ps.Add(src, "batch.native."+name, "unknown provider %q", name)
		}
	}
}
