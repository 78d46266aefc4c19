package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/gateway"
)

// responsePurgeInterval is how often expired Responses API responses are deleted. Reads
// already skip expired rows, so this only bounds how long they take up space.
const responsePurgeInterval = 10 * time.Minute

// responsesOption stores Responses API responses in the store unless responses.store is off.
// The setting is read at start: changing it takes a restart.
func (a *App) responsesOption(cfg *config.Config) gateway.Option {
	if !cfg.Responses.Stores() {
		return func(*gateway.Gateway) {}
	}
	return gateway.WithResponses(a.store, cfg.Responses.Retention)
}

// purgeResponses deletes expired responses now and every responsePurgeInterval until ctx
// ends. Every node runs it; the deletes are idempotent, so several at once only repeat work.
func (a *App) purgeResponses(ctx context.Context) {
	if !a.cfg.Responses.Stores() {
		return
	}
	t := time.NewTicker(responsePurgeInterval)
	defer t.Stop()
	for {
		n, err := a.store.DeleteExpiredResponses(ctx, time.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.LogAttrs(ctx, slog.LevelWarn, "expired responses not purged", slog.Any("err", err))
		case n > 0:
			a.log.LogAttrs(ctx, slog.LevelInfo, "purged expired responses", slog.Int64("count", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
