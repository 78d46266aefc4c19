// Package config defines Sluice's YAML configuration: its typed structs, loading with
// environment expansion, defaults, and validation that reports every problem at once with its
// path and line. It knows nothing of providers' behaviour; turning a Config into the runtime
// snapshot is the router's Compile. Imported by app, router and cmd.
package config

import (
	"time"

	"github.com/sluicehq/sluice/internal/pricing"

	"github.com/sluicehq/sluice/internal/secret"
)

// Config is the whole configuration file.
type Config struct {
	Server    Server              `yaml:"server"`
	Providers map[string]Provider `yaml:"providers"`
	Models    []Model             `yaml:"models"`
	Routing   Routing             `yaml:"routing"`
	Rules     []Rule              `yaml:"rules"`
	Auth      Auth                `yaml:"auth"`
	Store     Store               `yaml:"store"`
	Pricing   Pricing             `yaml:"pricing"`
	Cache     Cache               `yaml:"cache"`
	Budgets   []Budget            `yaml:"budgets"`
	// RateLimits are Sluice's own limits on callers, enforced in memory on every request.
	RateLimits RateLimits `yaml:"rate_limits"`
	Responses  Responses  `yaml:"responses"`
	// Guardrails is content policy on input and output (guardrails.go).
	Guardrails Guardrails `yaml:"guardrails"`
	Telemetry  Telemetry  `yaml:"telemetry"`
	// Logging is what the request log keeps of prompts and answers (logging.go).
	Logging Logging `yaml:"logging"`
	// Batch is the Batch API: /v1/files, /v1/batches and their worker (batch.go).
	Batch Batch `yaml:"batch"`
	// Cluster is the optional NATS control plane between nodes (cluster.go).
	Cluster Cluster `yaml:"cluster"`
}

// Pricing adjusts the price catalog shipped with the binary, without a release.
type Pricing struct {
	// File is a price file in the catalog's own format (YAML or JSON); its models replace the
	// shipped entries of the same name.
	File string `yaml:"file"`
	// Rates are custom rates: per provider account or format, per model or glob, with
	// discounts or GPU-hour prices for self-hosted models. The most specific wins.
	Rates []pricing.Rate `yaml:"rates"`
}

// Auth configures who may call the gateway.
type Auth struct {
	// Required refuses requests without a valid key or token. Default true; --demo defaults
	// it to false.
	Required *bool `yaml:"required"`
	// MasterKey authenticates as an organization admin: the credential that creates the
	// first teams and keys. Keep it in the environment: ${SLUICE_MASTER_KEY}.
	MasterKey secret.Secret `yaml:"master_key"`
	// KeyPepper, kept outside the database, keys the hash of virtual keys.
	KeyPepper secret.Secret `yaml:"key_pepper"`
	// CredentialsKey encrypts provider credentials stored through the admin API (AES-256-GCM):
	// 32 bytes, base64-encoded.
	CredentialsKey secret.Secret `yaml:"credentials_key"`
	OIDC           *OIDC         `yaml:"oidc"`
}

// OIDC accepts bearer JWTs from an OpenID Connect issuer.
type OIDC struct {
	Issuer      string   `yaml:"issuer"`
	Audience    []string `yaml:"audience"`
	JWKSURL     string   `yaml:"jwks_url"`
	GroupsClaim string   `yaml:"groups_claim"`
	RoleClaim   string   `yaml:"role_claim"`
	// GroupTeams maps IdP groups to team names; GroupRoles maps groups or role claims to
	// roles (admin, team_admin, member, viewer).
	GroupTeams map[string]string `yaml:"group_teams"`
	GroupRoles map[string]string `yaml:"group_roles"`
}

// Store says where identity and governance data live.
type Store struct {
	// Driver is sqlite (default: one file, zero setup) or postgres (shared by many nodes).
	Driver string `yaml:"driver"`
	// Path is the SQLite file. Default sluice.db.
	Path string `yaml:"path"`
	// DSN is the PostgreSQL connection string.
	DSN secret.Secret `yaml:"dsn"`
	// SyncInterval is how often a node checks the store for changes made elsewhere. Default 1s.
	SyncInterval time.Duration `yaml:"sync_interval"`
}

// AuthRequired resolves the Required default.
func (a Auth) AuthRequired() bool { return a.Required == nil || *a.Required }

// Server configures the HTTP listener.
type Server struct {
	// Listen is the address to listen on, default ":8080".
	Listen string `yaml:"listen"`
	// MaxBodyBytes caps request bodies; larger ones get a 413. Default 4 MiB.
	MaxBodyBytes ByteSize `yaml:"max_body_bytes"`
	// MaxUploadBytes caps multipart uploads (audio transcriptions); larger ones get a 413.
	// Default 25 MiB, OpenAI's own limit on audio files.
	MaxUploadBytes ByteSize `yaml:"max_upload_bytes"`
	// ReadHeaderTimeout bounds slow-header clients. Default 10s.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	// IdleTimeout closes idle keep-alive connections. Default 120s.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// ShutdownTimeout is how long SIGTERM waits for in-flight requests and streams. Default 30s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// Provider is one upstream account: a wire format (Type), where it is, and how to authenticate.
type Provider struct {
	// Type is the wire format: "openai" covers every OpenAI-compatible server. It defaults to
	// the provider's name when that is a known preset (openai, groq, mistral, ollama, ...).
	Type string `yaml:"type"`
	// BaseURL defaults to the preset's URL, e.g. https://api.openai.com/v1.
	BaseURL string        `yaml:"base_url"`
	APIKey  secret.Secret `yaml:"api_key"`
	// Credential names a credential stored (encrypted) through the admin API for this
	// provider; it supplies the API key, so no secret sits in the file.
	Credential string `yaml:"credential"`
	// Headers are added to every upstream request (e.g. OpenAI-Organization).
	Headers map[string]string `yaml:"headers"`
	// Timeout bounds one upstream request from send to last byte. Default 10m.
	Timeout time.Duration `yaml:"timeout"`
	// ConnectTimeout bounds TCP connect plus TLS handshake. Default 10s.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// MaxIdleConnsPerHost sizes the keep-alive pool. Default 256.
	MaxIdleConnsPerHost int `yaml:"max_idle_conns_per_host"`
	// Models are advertised by GET /v1/models as "<provider>/<model>". Any model of the
	// provider can be called as provider/model whether listed or not.
	Models []string `yaml:"models"`
	// ResponsesAPI is how POST /v1/responses reaches this provider: native (the request is
	// sent as is to {base_url}/responses) or translate (to a chat request). Default native for
	// the openai preset, translate otherwise (responses.go).
	ResponsesAPI string `yaml:"responses_api"`

	// APIVersion is Azure OpenAI's api-version query parameter.
	APIVersion string `yaml:"api_version"`
	// AzureADToken, for Azure OpenAI, authenticates with an Entra ID bearer token instead of
	// the api-key header.
	AzureADToken secret.Secret `yaml:"azure_ad_token"`
	// Region is the AWS region of Bedrock; base_url defaults to its bedrock-runtime endpoint.
	Region string `yaml:"region"`
	// AWS credentials for Bedrock's SigV4 signing.
	AWSAccessKeyID     secret.Secret `yaml:"aws_access_key_id"`
	AWSSecretAccessKey secret.Secret `yaml:"aws_secret_access_key"`
	AWSSessionToken    secret.Secret `yaml:"aws_session_token"`
}

// Model is a public model name (alias) and the upstream targets that serve it.
type Model struct {
	Name string `yaml:"name"`
	// Strategy orders a tier's targets: weighted (default), round_robin, least_latency
	// (lowest moving average of latency, or of time to first token for streams) or least_busy
	// (fewest requests in flight).
	Strategy string   `yaml:"strategy"`
	Targets  []Target `yaml:"targets"`
	// Fallbacks are other models tried, in order, when every target of this one failed with
	// a retryable error.
	Fallbacks []string `yaml:"fallbacks"`
	// MaxAttempts bounds upstream attempts per request, fallbacks included. Default 3.
	MaxAttempts int `yaml:"max_attempts"`
	// Timeout is the total deadline of a request across all attempts; 0 means each target's
	// provider timeout only. The x-sluice-timeout header overrides it per request.
	Timeout time.Duration `yaml:"timeout"`
	// TTFTTimeout bounds, per attempt, the wait for a stream's first chunk; a target that
	// misses it counts as failed and the next is tried. 0 means no bound of its own.
	TTFTTimeout time.Duration `yaml:"ttft_timeout"`
	// IdleTimeout ends a stream that sends nothing for this long once it has started, with an
	// error event (a stalled provider must not hold a client forever). Default 30s.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
}

// Rule sends matching requests to another model. Rules are checked in order; the first whose
// conditions all hold applies.
type Rule struct {
	Name  string    `yaml:"name"`
	Match RuleMatch `yaml:"match"`
	// Model is the model name (alias or provider/model) the request is sent to.
	Model string `yaml:"model"`
}

// RuleMatch lists a rule's conditions; empty ones always hold.
type RuleMatch struct {
	// Models are requested model names, any of which matches.
	Models []string `yaml:"models"`
	// Headers must all be present with exactly these values.
	Headers map[string]string `yaml:"headers"`
	// MinPromptTokens matches requests whose prompt is estimated (4 characters per token)
	// at this size or more, e.g. to send long documents to a long-context model.
	MinPromptTokens int `yaml:"min_prompt_tokens"`
	// Teams are team names, any of which matches the caller's team; KeyTags must all be set
	// on the caller's key with these values (e.g. {tier: premium}).
	Teams   []string          `yaml:"teams"`
	KeyTags map[string]string `yaml:"key_tags"`
}

// Target is one provider model serving an alias.
type Target struct {
	Provider string `yaml:"provider"`
	Model    string `yaml:"model"`
	// Weight is the share of traffic for weighted choice. Default 1.
	Weight int `yaml:"weight"`
	// Priority is the tier: tier 1 (default) is used first; tier 2 only when every tier-1
	// target failed or is cooling down; and so on.
	Priority int `yaml:"priority"`
	// API is which OpenAI API chat-shaped requests use with this target: chat or responses.
	// Default: responses for the models only the Responses API serves (o3-pro, gpt-5-codex,
	// ...), chat otherwise. Only targets of openai-format providers may set it.
	API string `yaml:"api"`
}

// Routing holds the reliability settings shared by all models.
type Routing struct {
	// A target that fails CooldownFailures times within CooldownWindow is taken out of
	// rotation for CooldownDuration, then tried again. Defaults 3, 30s, 30s.
	CooldownFailures int           `yaml:"cooldown_failures"`
	CooldownWindow   time.Duration `yaml:"cooldown_window"`
	CooldownDuration time.Duration `yaml:"cooldown_duration"`
	// RetryBackoff is the first wait before retrying a target already tried in this request;
	// it doubles per retry with jitter, up to MaxRetryBackoff. A provider's retry-after wins
	// when longer. Defaults 200ms and 5s.
	RetryBackoff    time.Duration `yaml:"retry_backoff"`
	MaxRetryBackoff time.Duration `yaml:"max_retry_backoff"`
	// QuotaWait is how long a request may wait for a provider quota to reset when every
	// target reported its own rate limit exhausted; QuotaMaxWaiters bounds how many wait.
	// Defaults 2s and 256.
	QuotaWait       time.Duration `yaml:"quota_wait"`
	QuotaMaxWaiters int           `yaml:"quota_max_waiters"`
}

// Defaults for fields left empty.
const (
	DefaultListen              = ":8080"
	DefaultMaxBodyBytes        = 4 << 20
	DefaultMaxUploadBytes      = 25 << 20
	DefaultReadHeaderTimeout   = 10 * time.Second
	DefaultIdleTimeout         = 120 * time.Second
	DefaultShutdownTimeout     = 30 * time.Second
	DefaultProviderTimeout     = 10 * time.Minute
	DefaultConnectTimeout      = 10 * time.Second
	DefaultMaxIdleConnsPerHost = 256
	DefaultStorePath           = "sluice.db"
	DefaultStreamIdleTimeout   = 30 * time.Second
)

// ApplyDefaults fills empty fields in place.
func (c *Config) ApplyDefaults() {
	s := &c.Server
	setDefault(&s.Listen, DefaultListen)
	setDefault(&s.MaxBodyBytes, DefaultMaxBodyBytes)
	setDefault(&s.MaxUploadBytes, DefaultMaxUploadBytes)
	setDefault(&s.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	setDefault(&s.IdleTimeout, DefaultIdleTimeout)
	setDefault(&s.ShutdownTimeout, DefaultShutdownTimeout)
	for name, p := range c.Providers {
		setDefault(&p.Timeout, DefaultProviderTimeout)
		setDefault(&p.ConnectTimeout, DefaultConnectTimeout)
		setDefault(&p.MaxIdleConnsPerHost, DefaultMaxIdleConnsPerHost)
		c.Providers[name] = p
	}
	for i := range c.Models {
		m := &c.Models[i]
		setDefault(&m.Strategy, "weighted")
		setDefault(&m.MaxAttempts, 3)
		setDefault(&m.IdleTimeout, DefaultStreamIdleTimeout)
		for j := range m.Targets {
			setDefault(&m.Targets[j].Weight, 1)
			setDefault(&m.Targets[j].Priority, 1)
		}
	}
	setDefault(&c.Store.Driver, "sqlite")
	setDefault(&c.Store.Path, DefaultStorePath)
	setDefault(&c.Store.SyncInterval, time.Second)
	r := &c.Routing
	setDefault(&r.CooldownFailures, 3)
	setDefault(&r.CooldownWindow, 30*time.Second)
	setDefault(&r.CooldownDuration, 30*time.Second)
	setDefault(&r.RetryBackoff, 200*time.Millisecond)
	setDefault(&r.MaxRetryBackoff, 5*time.Second)
	c.Cache.applyDefaults()
	c.applyBudgetDefaults()
	setDefault(&r.QuotaWait, 2*time.Second)
	setDefault(&r.QuotaMaxWaiters, 256)
	c.responsesDefaults()
	c.batchDefaults()
	c.loggingDefaults()
	c.clusterDefaults()
	setDefault(&c.Guardrails.StreamWindow, DefaultStreamWindow)
}

func setDefault[T comparable](field *T, def T) {
	var zero T
	if *field == zero {
		*field = def
	}
}
