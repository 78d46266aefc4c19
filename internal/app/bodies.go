package app

import (
	"context"
	"log/slog"
	"time"
)

// maxBodyPurgeInterval is how often, at most, kept request bodies past their retention are
// deleted; a short retention purges more often so bodies do not outlive it by much.
const maxBodyPurgeInterval = 10 * time.Minute

// bodyPurgeInterval is a quarter of the retention, within [50ms, maxBodyPurgeInterval].
func bodyPurgeInterval(retention time.Duration) time.Duration {
	return min(max(retention/4, 50*time.Millisecond), maxBodyPurgeInterval)
}

// purgeRequestBodies deletes request bodies older than logging.retention now and then
// periodically until ctx ends. It runs even when logging.bodies is off, since team metadata
// and key tags can turn bodies on. Every node runs it; the deletes are idempotent.
func (a *App) purgeRequestBodies(ctx context.Context) {
	retention := a.cfg.Logging.Retention
	t := time.NewTicker(bodyPurgeInterval(retention))
	defer t.Stop()
	for {
		n, err := a.store.DeleteRequestBodiesBefore(ctx, time.Now().Add(-retention))
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.LogAttrs(ctx, slog.LevelWarn, "old request bodies not purged", slog.Any("err", err))
		case n > 0:
			a.log.LogAttrs(ctx, slog.LevelInfo, "purged old request bodies", slog.Int64("count", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
