// Package provider defines what an upstream wire format must implement (Adapter), the
// resolved upstream a request goes to (Target), and the Registry of known formats. Adapter
// packages (provider/openai, ...) import this package; it imports none of them. Adapters do no
// I/O: the gateway's router owns the HTTP client, timeouts, retries and metrics.
package provider

import (
	"context"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/secret"
)

// Adapter translates the OpenAI-shaped API to one provider's wire format and back.
type Adapter interface {
	// Type is the wire format's name as written in config ("openai").
	Type() string
	NewChatRequest(ctx context.Context, t *Target, req *api.ChatRequest) (*http.Request, error)
	DecodeChatResponse(resp *http.Response) (*api.ChatResponse, error)
	DecodeChatStream(resp *http.Response) (Stream, error)
	// DecodeError reads a non-2xx response into an *api.Error with Retryable set.
	DecodeError(resp *http.Response) *api.Error
}

// EmbeddingsAdapter is implemented by formats that offer embeddings; Compile checks it once.
type EmbeddingsAdapter interface {
	NewEmbeddingsRequest(ctx context.Context, t *Target, req *api.EmbeddingsRequest) (*http.Request, error)
	DecodeEmbeddingsResponse(resp *http.Response) (*api.EmbeddingsResponse, error)
}

// Stream yields a streaming response's chunks in OpenAI shape.
type Stream interface {
	// Next returns the next chunk, io.EOF after the provider's terminal event, or an error —
	// an *api.Error when the provider reported one or the stream broke off.
	Next() (*api.ChatChunk, error)
	// Close releases the upstream connection; safe to call more than once.
	Close() error
}

// Target is one resolved upstream: a provider account plus the model to ask it for.
// Targets are built once per config snapshot and shared read-only by all requests.
type Target struct {
	Provider string // the provider's name in config, e.g. "openai" or "groq-eu"
	Model    string // the model id the provider knows
	Weight   int
	BaseURL  string // without trailing slash, e.g. https://api.openai.com/v1
	APIKey   secret.Secret
	Headers  http.Header // static extra headers from config
	Timeout  time.Duration
	Adapter  Adapter
	Client   *http.Client // one per provider account, shared by its targets
	Settings Settings
	// NativeResponses sends /v1/responses requests to this target as they are, through the
	// adapter's ResponsesAdapter, instead of translating them to chat.
	NativeResponses bool
}

// Settings are the provider-specific parts of an account, read by the adapters that need them.
type Settings struct {
	APIVersion         string        // Azure OpenAI api-version
	AzureADToken       secret.Secret // Azure: Entra ID bearer token instead of api-key
	Region             string        // AWS region (Bedrock)
	AWSAccessKeyID     secret.Secret
	AWSSecretAccessKey secret.Secret
	AWSSessionToken    secret.Secret
}

// Capabilities declare what a wire format supports; the README's compatibility matrix is
// generated from them, and the gateway refuses what a format lacks with a clear 400.
type Capabilities struct {
	Chat, Stream, Tools, Vision, JSONMode, Embeddings, Images, Audio bool
}

// Preset is a well-known provider of some format: its default endpoint and the environment
// variable that holds its key when Sluice runs without a config file. BaseURL may contain
// {region}, filled from the account's region (Bedrock).
type Preset struct {
	Name    string
	BaseURL string
	KeyEnv  string
}

// Format is a registry entry: an adapter, what it can do, and the providers known to speak it.
type Format struct {
	Adapter      Adapter
	Capabilities Capabilities
	Presets      []Preset
}

// Registry is the explicit table of wire formats, built once at start by the app.
type Registry struct {
	formats map[string]Format
	presets map[string]Preset
	order   []Preset
}

// NewRegistry indexes formats by type and their presets by name.
func NewRegistry(formats ...Format) *Registry {
	r := &Registry{formats: map[string]Format{}, presets: map[string]Preset{}}
	for _, f := range formats {
		r.formats[f.Adapter.Type()] = f
		for _, p := range f.Presets {
			r.presets[p.Name] = p
			r.order = append(r.order, p)
		}
	}
	return r
}

// Adapter returns the adapter of a wire format.
func (r *Registry) Adapter(typ string) (Adapter, bool) {
	f, ok := r.formats[typ]
	return f.Adapter, ok
}

// Formats lists the registered formats.
func (r *Registry) Formats() []Format {
	out := make([]Format, 0, len(r.formats))
	for _, f := range r.formats {
		out = append(out, f)
	}
	return out
}

// Types lists the registered wire formats.
func (r *Registry) Types() []string {
	out := make([]string, 0, len(r.formats))
	for t := range r.formats {
		out = append(out, t)
	}
	return out
}

// Preset returns a well-known provider by name, and the type of its format.
func (r *Registry) Preset(name string) (Preset, string, bool) {
	p, ok := r.presets[name]
	if !ok {
		return Preset{}, "", false
	}
	for typ, f := range r.formats {
		for _, fp := range f.Presets {
			if fp.Name == name {
				return p, typ, true
			}
		}
	}
	return p, "", false
}

// Presets lists every well-known provider in registration order.
func (r *Registry) Presets() []Preset { return r.order }
