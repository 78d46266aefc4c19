// Package router turns configuration into an immutable routing table (Compile) and sends a
// request to the target a route chooses (Chat, ChatStream, Embeddings). It owns the upstream
// HTTP clients. Used by the gateway; it never imports the gateway or provider packages other
// than provider itself.
package router

import (
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
)

// Table is a compiled, read-only view of the configured providers and models. A request reads
// it without locks; a reload builds a new one and swaps it whole.
type Table struct {
	policy     tablePolicy
	rules      []rule
	aliases    map[string]*Route
	providers  map[string]*account
	models     []api.Model
	modelsJSON []byte
	queue      *waitQueue // shared by the routes of this table
}

// tablePolicy is the routing configuration shared by every route of a table.
type tablePolicy struct {
	config.Routing
	directAttempts int // attempts for provider/model requests: one retry of the only target
}

// account is one configured provider with its shared client.
type account struct {
	name       string
	format     string
	adapter    provider.Adapter
	responses  provider.Adapter           // openai format: the adapter for Responses-only models; else nil
	embeddings provider.EmbeddingsAdapter // nil when the format has none
	template   provider.Target            // everything but Model and Weight
	watched    map[string]*watched        // by upstream model; written only while compiling
}

// Compile validates what needs the provider registry and builds the table. It reports every
// problem at once, located in src when src is not nil.
func Compile(cfg *config.Config, src *config.Source, reg *provider.Registry, opts ...Option) (*Table, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	var ps config.Problems
	// created is when this gateway's model list came to be; there is no better date for an alias.
	created := time.Now().Unix()
	t := &Table{aliases: map[string]*Route{}, providers: map[string]*account{},
		policy: tablePolicy{Routing: cfg.Routing, directAttempts: 2}, rules: compileRules(cfg.Rules),
		queue: &waitQueue{max: cfg.Routing.QuotaMaxWaiters}}
	for _, name := range sortedNames(cfg.Providers) {
		acc, problems := compileProvider(name, cfg.Providers[name], src, reg, o)
		ps = append(ps, problems...)
		if acc != nil {
			t.providers[name] = acc
		}
	}
	for i, m := range cfg.Models {
		r := newRoute(m.Name, m, &t.policy.Routing)
		r.queue = t.queue
		for j, tc := range m.Targets {
			acc, ok := t.providers[tc.Provider]
			if !ok {
				if _, declared := cfg.Providers[tc.Provider]; !declared {
					ps.Add(src, fmt.Sprintf("models[%d].targets[%d].provider", i, j), "unknown provider %q", tc.Provider)
				}
				continue
			}
			target, q := acc.watchedTarget(tc.Model, tc.Weight)
			if tc.API != "" {
				if err := acc.speak(target, tc.API); err != nil {
					ps.Add(src, fmt.Sprintf("models[%d].targets[%d].api", i, j), "%s", err)
				}
			}
			r.addWatched(target, q, tc.Priority)
		}
		t.aliases[m.Name] = r
		t.models = append(t.models, api.Model{ID: m.Name, Object: "model", Created: created, OwnedBy: "sluice"})
	}
	for _, m := range cfg.Models {
		for _, fb := range m.Fallbacks {
			if r, ok := t.aliases[fb]; ok {
				t.aliases[m.Name].fallbacks = append(t.aliases[m.Name].fallbacks, r)
			}
		}
	}
	for _, name := range sortedNames(cfg.Providers) {
		for _, m := range cfg.Providers[name].Models {
			t.models = append(t.models, api.Model{ID: name + "/" + m, Object: "model", Created: created, OwnedBy: name})
		}
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	body, err := jsonx.Marshal(&api.ModelList{Object: "list", Data: t.models})
	if err != nil {
		return nil, fmt.Errorf("router: encode model list: %w", err)
	}
	t.modelsJSON = body
	return t, nil
}

func compileProvider(name string, p config.Provider, src *config.Source, reg *provider.Registry, o options) (*account, config.Problems) {
	var ps config.Problems
	path := "providers." + name
	typ, baseURL := p.Type, p.BaseURL
	if preset, presetType, ok := reg.Preset(name); ok {
		if typ == "" {
			typ = presetType
		}
		if baseURL == "" && typ == presetType {
			baseURL = preset.BaseURL
		}
	}
	if typ == "" {
		ps.Add(src, path+".type", "is required for a provider that is not a known preset (known types: %s)", strings.Join(sorted(reg.Types()), ", "))
		return nil, ps
	}
	adapter, ok := reg.Adapter(typ)
	if !ok {
		ps.Add(src, path+".type", "unknown provider type %q (known: %s)", typ, strings.Join(sorted(reg.Types()), ", "))
		return nil, ps
	}
	if strings.Contains(baseURL, "{region}") {
		if p.Region == "" {
			ps.Add(src, path+".region", "is required for provider type %q", typ)
			return nil, ps
		}
		baseURL = strings.ReplaceAll(baseURL, "{region}", p.Region)
	}
	if baseURL == "" {
		ps.Add(src, path+".base_url", "is required for provider type %q", typ)
		return nil, ps
	}
	headers := make(http.Header, len(p.Headers))
	for k, v := range p.Headers {
		if v != "" { // an optional header whose variable is unset is left out, not sent empty
			headers.Set(k, v)
		}
	}
	acc := &account{name: name, format: typ, adapter: adapter}
	acc.embeddings, _ = adapter.(provider.EmbeddingsAdapter)
	native, err := nativeResponses(name, typ, p.ResponsesAPI, adapter)
	if err != nil {
		ps.Add(src, path+".responses_api", "%s", err)
	}
	if typ == openaiFormat {
		acc.responses, _ = reg.Adapter(openaiResponsesFormat)
	}
	acc.template = provider.Target{
		Provider: name,
		BaseURL:  strings.TrimRight(baseURL, "/"),
		APIKey:   p.APIKey,
		Headers:  headers,
		Timeout:  p.Timeout,
		Adapter:  adapter,
		Client:   &http.Client{Transport: o.transport(name, typ, p)},
		Settings: provider.Settings{
			APIVersion:         p.APIVersion,
			AzureADToken:       p.AzureADToken,
			Region:             p.Region,
			AWSAccessKeyID:     p.AWSAccessKeyID,
			AWSSecretAccessKey: p.AWSSecretAccessKey,
			AWSSessionToken:    p.AWSSessionToken,
		},
		NativeResponses: native,
	}
	return acc, ps
}

func (a *account) target(model string, weight int) *provider.Target {
	t := a.template
	t.Model, t.Weight = model, weight
	if a.responses != nil && provider.ResponsesOnlyModel(model) {
		_ = a.speak(&t, config.TargetAPIResponses)
	}
	return &t
}

// Option adjusts Compile.
type Option func(*options)

type options struct {
	wrap  func(http.RoundTripper) http.RoundTripper
	named func(provider, format string, rt http.RoundTripper) http.RoundTripper
}

// WithTransport replaces or wraps each provider's transport: tracing, recording, or an
// in-memory upstream for benchmarks. wrap receives Sluice's pooled transport.
func WithTransport(wrap func(http.RoundTripper) http.RoundTripper) Option {
	return func(o *options) { o.wrap = wrap }
}

// WithProviderTransport wraps each provider account's transport, told the account's name
// and wire format (tracing labels spans with them). It applies after WithTransport.
func WithProviderTransport(wrap func(provider, format string, rt http.RoundTripper) http.RoundTripper) Option {
	return func(o *options) { o.named = wrap }
}

func (o options) transport(name, format string, p config.Provider) http.RoundTripper {
	var rt http.RoundTripper = newTransport(p)
	if o.wrap != nil {
		rt = o.wrap(rt)
	}
	if o.named != nil {
		rt = o.named(name, format, rt)
	}
	return rt
}

// newTransport gives each provider account its own keep-alive pool, sized so that bursts
// reuse connections instead of paying a TCP (and TLS) handshake per request.
func newTransport(p config.Provider) *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: p.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   p.MaxIdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   p.ConnectTimeout,
		ExpectContinueTimeout: time.Second,
	}
}

// Close releases idle upstream connections of a table that is no longer in use.
func (t *Table) Close() {
	for _, a := range t.providers {
		a.template.Client.CloseIdleConnections()
	}
}

// ModelsJSON is the pre-encoded body of GET /v1/models.
func (t *Table) ModelsJSON() []byte { return t.modelsJSON }

// Models lists the advertised models.
func (t *Table) Models() []api.Model { return t.models }

func sortedNames(m map[string]config.Provider) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}
