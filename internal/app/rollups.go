package app

import (
	"context"
	"log/slog"
	"time"
)

// rollupPurgeInterval is how often analytics rollups past logging.rollup_retention are
// deleted: they are kept for months, so an hour late is nothing.
const rollupPurgeInterval = time.Hour

// purgeRollups deletes hourly analytics rollups older than logging.rollup_retention now
// and then every rollupPurgeInterval until ctx ends. Raw-log retention never touches
// rollups; this is their only deletion. Every node runs it; the deletes are idempotent.
func (a *App) purgeRollups(ctx context.Context) {
	retention := a.cfg.Logging.RollupRetention
	t := time.NewTicker(rollupPurgeInterval)
	defer t.Stop()
	for {
		n, err := a.store.DeleteRollupsBefore(ctx, time.Now().Add(-retention))
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.LogAttrs(ctx, slog.LevelWarn, "old analytics rollups not purged", slog.Any("err", err))
		case n > 0:
			a.log.LogAttrs(ctx, slog.LevelInfo, "purged old analytics rollups", slog.Int64("count", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
