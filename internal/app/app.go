// Package app wires Sluice together: configuration in, a running gateway out. It holds the
// explicit table of provider formats and the --demo setup. Used by cmd/sluice and by
// end-to-end tests, which run the whole gateway in-process on port 0.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"

	"github.com/sluicehq/sluice/internal/admin"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/auth/oidc"
	"github.com/sluicehq/sluice/internal/batch"
	"github.com/sluicehq/sluice/internal/budget"
	"github.com/sluicehq/sluice/internal/cluster"
	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/gateway"
	"github.com/sluicehq/sluice/internal/guardrail"
	"github.com/sluicehq/sluice/internal/mockllm"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/anthropic"
	"github.com/sluicehq/sluice/internal/provider/azure"
	"github.com/sluicehq/sluice/internal/provider/bedrock"
	"github.com/sluicehq/sluice/internal/provider/gemini"
	"github.com/sluicehq/sluice/internal/provider/openai"
	"github.com/sluicehq/sluice/internal/provider/openairesponses"
	"github.com/sluicehq/sluice/internal/ratelimit"
	"github.com/sluicehq/sluice/internal/router"
	"github.com/sluicehq/sluice/internal/secret"
	"github.com/sluicehq/sluice/internal/server"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/telemetry"
	"github.com/sluicehq/sluice/internal/usage"
)

// Registry is the one table of wire formats Sluice speaks.
func Registry() *provider.Registry {
	return provider.NewRegistry(
		openai.Format(),
		openairesponses.Format(),
		azure.Format(),
		anthropic.Format(),
		gemini.Format(),
		bedrock.Format(),
	)
}

// Options are the command-line choices.
type Options struct {
	ConfigPath string // empty: ./sluice.yaml when present, else providers from the environment
	Listen     string // overrides server.listen when set
	Demo       bool   // serve an in-process mock provider, no keys or network needed
	Logger     *slog.Logger
	Version    string // service.version of exported spans
}

// App is a configured, not yet listening, gateway.
type App struct {
	cfg    *config.Config
	gw     *gateway.Gateway
	srv    *server.Server
	mock   *mockllm.Instance
	ln     net.Listener
	log    *slog.Logger
	source string

	store    store.Store
	auth     *auth.Authenticator
	verifier *oidc.Verifier // nil without auth.oidc
	recorder *usage.Recorder
	tracing  *telemetry.Tracing
	metrics  *telemetry.Metrics
	sealer   *secret.Sealer // nil without auth.credentials_key
	budgets  *budget.Ledger
	batches  *batch.Worker // nil when batch.enabled is off
	cluster  *cluster.Node // nil without cluster.nats_url
	limiter  *ratelimit.Limiter
	// storeKick asks watchStore to resync at once (a change announced over NATS); nil
	// without a control plane.
	storeKick chan struct{}

	closeCache func() // releases the response cache's connections

	configPath     string     // the file to reload; empty when configured from the environment
	listenOverride string     // --listen, which a reload must not report as a change
	reloadMu       sync.Mutex // one reload at a time (SIGHUP and the file watcher may race)
	// builtStamp is the stored configuration's stamp (routesStamp) read before New compiled
	// it, so watchStore also catches a change made between New and its own start.
	builtStamp string
}

// New loads configuration and builds the gateway.
func New(ctx context.Context, opts Options) (*App, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, src, err := loadConfig(opts.ConfigPath)
	if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: log, source: describeSource(src)}
	if src != nil {
		a.configPath = src.File
	}
	if opts.Demo {
		if a.mock, err = startDemo(); err != nil {
			return nil, err
		}
		addDemo(cfg, a.mock.URL())
	}
	if opts.Listen != "" {
		cfg.Server.Listen, a.listenOverride = opts.Listen, opts.Listen
	}
	if opts.Demo && src == nil && cfg.Store.Path == config.DefaultStorePath {
		cfg.Store.Path = ":memory:" // a demo leaves nothing behind
	}
	if a.tracing, err = telemetry.NewTracing(ctx, cfg.Telemetry, opts.Version); err != nil {
		a.closeMock()
		return nil, err
	}
	if err := a.openIdentity(ctx, cfg, opts.Demo); err != nil {
		a.closeMock()
		return nil, err
	}
	// The queue holds ~3 s of records at 5,000 req/s should the store stall; beyond that
	// records are dropped and counted, never waited for.
	a.recorder = usage.NewRecorder(a.store, usage.Options{QueueSize: 16384}, log)
	metrics := telemetry.New(a.recorder)
	a.metrics = metrics
	a.builtStamp = a.routesStamp(ctx)
	table, err := a.compile(ctx, cfg, src, nil)
	if err != nil {
		a.closeMock()
		a.store.Close()
		return nil, err
	}
	if err := a.openBudgets(ctx, cfg); err != nil {
		a.closeMock()
		a.store.Close()
		return nil, err
	}
	metrics.WatchBudgets(a.budgets)
	a.limiter = newLimiter(cfg)
	if cfg.Cluster.Enabled() {
		if err := a.openCluster(cfg); err != nil {
			a.closeMock()
			a.store.Close()
			return nil, err
		}
	}
	prices, err := priceCatalog(cfg.Pricing)
	if err != nil {
		a.closeMock()
		a.store.Close()
		return nil, err
	}
	guards, err := a.guardrailEngine(ctx, cfg, table, nil)
	if err != nil {
		a.closeMock()
		a.store.Close()
		return nil, err
	}
	respCache, closeCache, err := newCache(ctx, cfg.Cache, log)
	if err != nil {
		a.closeMock()
		a.store.Close()
		return nil, err
	}
	if respCache != nil {
		metrics.WatchCache(respCache)
	}
	a.closeCache = closeCache
	metrics.WatchRateLimits(a.limiter)
	a.gw = gateway.New(&gateway.Snapshot{Routes: table, MaxBodyBytes: int64(cfg.Server.MaxBodyBytes),
		MaxUploadBytes: int64(cfg.Server.MaxUploadBytes), Pricer: prices, RateLimits: rateLimitPolicy(cfg.RateLimits),
		Guardrails: guards}, log,
		gateway.WithAuth(a.auth), gateway.WithRecorder(telemetry.Recorder{Metrics: metrics, Next: a.recorder}),
		gateway.WithCache(respCache), gateway.WithBudgets(a.budgets), gateway.WithRateLimiter(a.limiter),
		a.responsesOption(cfg),
		a.batchOption(cfg),
		gateway.WithBodyLogging(cfg.Logging.Bodies, int(cfg.Logging.MaxBodyBytes)),
		gateway.WithTracer(telemetry.Instrumentation{Metrics: metrics, Tracing: a.tracing}))
	adminAPI := admin.New(a.store, a.auth, log).
		WithCredentials(admin.Credentials{Sealer: a.sealer, OnChange: a.storeChanged}).
		WithModelRoutes(admin.ModelRoutes{Check: a.checkModelRoute, OnChange: a.storeChanged}).
		WithBudgets(a.budgets).
		WithStoredBudgets(admin.StoredBudgets{Check: a.checkStoredBudget, OnChange: a.storeChanged}).
		WithGuardrails(func() *guardrail.Engine { return a.gw.Snapshot().Guardrails }).
		WithGuardrailPolicies(admin.GuardrailPolicies{Check: a.checkGuardrailPolicy, OnChange: a.storeChanged,
			Judge: gateway.RouterJudge{Table: a.routes}})
	a.srv = server.New(cfg.Server, log, a.gw, adminAPI, metrics)
	return a, nil
}

// compile adds the models stored through the admin API (with change applied, when checking
// one before it is stored), resolves stored credentials, and builds the routing table.
func (a *App) compile(ctx context.Context, cfg *config.Config, src *config.Source, change *routeChange) (*router.Table, error) {
	if err := a.addStoredModels(ctx, cfg, change); err != nil {
		return nil, err
	}
	if err := a.resolveCredentials(ctx, cfg); err != nil {
		return nil, err
	}
	return router.Compile(cfg, src, Registry(), router.WithProviderTransport(a.upstreamTransport))
}

// loadConfig reads the named file, else ./sluice.yaml when present, else builds a config from
// the usual provider environment variables.
func loadConfig(path string) (*config.Config, *config.Source, error) {
	if path == "" {
		if _, err := os.Stat("sluice.yaml"); err == nil {
			path = "sluice.yaml"
		}
	}
	if path != "" {
		return config.LoadFile(path)
	}
	keyEnvs := map[string]string{}
	for _, p := range Registry().Presets() {
		if p.KeyEnv != "" {
			keyEnvs[p.Name] = p.KeyEnv
		}
	}
	return config.FromEnvironment(keyEnvs, os.LookupEnv), nil, nil
}

func describeSource(src *config.Source) string {
	if src == nil || src.File == "" {
		return "environment"
	}
	return src.File
}

// Listen binds the configured address.
func (a *App) Listen() error {
	ln, err := net.Listen("tcp", a.cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("app: listen: %w", err)
	}
	a.ln = ln
	return nil
}

// Addr is the bound address; valid after Listen.
func (a *App) Addr() net.Addr { return a.ln.Addr() }

// Run serves until ctx is done, then drains in-flight requests and stops.
func (a *App) Run(ctx context.Context) error {
	if a.ln == nil {
		if err := a.Listen(); err != nil {
			return err
		}
	}
	defer a.closeMock()
	defer a.store.Close()
	defer a.closeCache()
	defer func() { a.gw.Snapshot().Routes.Close() }()
	a.logStart()
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	go a.auth.Run(bgCtx, a.store, a.cfg.Store.SyncInterval)
	go a.watchStore(bgCtx, a.cfg.Store.SyncInterval)
	go a.purgeResponses(bgCtx)
	go a.purgeRequestBodies(bgCtx)
	go a.purgeRollups(bgCtx)
	go a.runCluster(bgCtx)
	defer a.closeCluster()
	batchCtx, stopBatches := context.WithCancel(context.WithoutCancel(ctx))
	batchesDone := make(chan struct{})
	go a.runBatches(batchCtx, batchesDone)
	if a.verifier != nil {
		go a.verifier.Run(bgCtx)
	}
	if a.configPath != "" {
		watchCtx, stopWatch := context.WithCancel(ctx)
		defer stopWatch()
		go a.watchConfig(watchCtx, configPollInterval)
	}
	// The request log outlives the server's drain so the last requests' records are written.
	recCtx, stopRecorder := context.WithCancel(context.WithoutCancel(ctx))
	recDone := make(chan struct{})
	go func() { a.recorder.Run(recCtx); close(recDone) }()
	budgetDone := make(chan struct{})
	go func() { a.budgets.Run(recCtx, a.cfg.Store.SyncInterval); close(budgetDone) }()
	err := a.srv.Serve(ctx, a.ln)
	stopBatches() // the batches in hand save their state before the store closes
	<-batchesDone
	stopRecorder()
	<-recDone
	<-budgetDone
	a.announceFinalSpend()
	if terr := a.tracing.Shutdown(context.WithoutCancel(ctx)); terr != nil {
		a.log.Warn("exporting the last spans failed", "err", terr)
	}
	a.log.Info("stopped")
	return err
}

func (a *App) logStart() {
	url := "http://" + displayAddr(a.ln.Addr())
	models := a.gw.Snapshot().Routes.Models()
	a.log.Info("sluice listening", "addr", a.ln.Addr().String(), "config", a.source,
		"providers", len(a.cfg.Providers), "models", len(models))
	if len(a.cfg.Providers) == 0 {
		a.log.Warn("no providers configured: set OPENAI_API_KEY (or another provider key), pass --config, or try --demo")
		return
	}
	example := "openai/gpt-4o-mini"
	if len(models) > 0 {
		example = models[0].ID
	}
	a.log.Info(fmt.Sprintf("try: curl %s/v1/chat/completions -H 'Content-Type: application/json' -d '{\"model\":%q,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'", url, example))
}

// displayAddr turns a wildcard listen address into one a user can paste.
func displayAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	return fmt.Sprintf("localhost:%d", tcp.Port)
}

func (a *App) closeMock() {
	if a.mock != nil {
		err := a.mock.Close(context.Background())
		if err != nil && !errors.Is(err, context.Canceled) {
			a.log.Warn("closing demo provider", "err", err)
		}
		a.mock = nil
	}
}

// upstreamTransport instruments one provider account's transport: a span per attempt
// (when tracing), then a count by status code.
func (a *App) upstreamTransport(provider, format string, rt http.RoundTripper) http.RoundTripper {
	return a.tracing.Transport(provider, format, a.metrics.Transport(provider, format, rt))
}
