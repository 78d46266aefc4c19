package app

import (
	"context"
	"log/slog"
	"net/url"
	"time"

	"github.com/sluicehq/sluice/internal/batch"
	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/gateway"
	"github.com/sluicehq/sluice/internal/guardrail"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/router"
)

// batchOption serves the Batch API and builds the worker that drives batches, unless
// batch.enabled is off. Its settings are read at start: changing them takes a restart.
func (a *App) batchOption(cfg *config.Config) gateway.Option {
	if !cfg.Batch.On() {
		return func(*gateway.Gateway) {}
	}
	native := cfg.Batch.Native
	a.batches = batch.NewWorker(a.store,
		func() *router.Table { return a.gw.Snapshot().Routes },
		func() batch.Pricer {
			p, _ := a.gw.Snapshot().Pricer.(batch.Pricer)
			return p
		},
		a.budgets,
		batch.Options{PollInterval: cfg.Batch.PollInterval, LocalConcurrency: cfg.Batch.LocalConcurrency,
			Retention: cfg.Batch.Retention, Native: func(t *provider.Target) bool { return nativeBatch(native, t) },
			Guardrails: func() *guardrail.Engine { return a.gw.Snapshot().Guardrails }},
		a.log)
	return gateway.WithBatches(a.store, int64(cfg.Batch.MaxFileBytes), cfg.Batch.Retention, a.batches.Wake)
}

// nativeBatch says whether a target's lines go to its provider's own batch API: as
// batch.native says for its provider, else for Anthropic, OpenAI itself and the Gemini API
// (generativelanguage.googleapis.com). Other OpenAI-compatible servers rarely offer
// /v1/batches, and other Gemini-format hosts may lack Batch Mode, so Sluice runs their lines.
func nativeBatch(native map[string]bool, t *provider.Target) bool {
	if v, ok := native[t.Provider]; ok {
		return v
	}
	switch t.Adapter.Type() {
	case "anthropic":
		return true
	case "openai":
		return host(t.BaseURL) == "api.openai.com"
	case "gemini":
		return host(t.BaseURL) == "generativelanguage.googleapis.com"
	}
	return false
}

func host(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// filePurgeInterval is how often expired files are deleted; reads already skip them.
const filePurgeInterval = 10 * time.Minute

// runBatches drives batches and purges expired files until ctx ends; done is closed once the
// worker has saved the batches in its hands.
func (a *App) runBatches(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	if a.batches == nil {
		return
	}
	go a.purgeFiles(ctx)
	a.batches.Run(ctx)
}

func (a *App) purgeFiles(ctx context.Context) {
	t := time.NewTicker(filePurgeInterval)
	defer t.Stop()
	for {
		n, err := a.store.DeleteExpiredFiles(ctx, time.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.LogAttrs(ctx, slog.LevelWarn, "expired files not purged", slog.Any("err", err))
		case n > 0:
			a.log.LogAttrs(ctx, slog.LevelInfo, "purged expired files", slog.Int64("count", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
