package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/sluicehq/sluice/internal/cache"
	"github.com/sluicehq/sluice/internal/config"
)

// newCache builds the response cache of cfg; nil when it is disabled. Its settings apply at
// start: a reload keeps the running cache. The returned func releases its connections.
func newCache(ctx context.Context, cfg config.Cache, log *slog.Logger) (*cache.Cache, func(), error) {
	if !cfg.Enabled {
		return nil, func() {}, nil
	}
	opts := cache.Options{TTL: cfg.TTL, MaxTTL: cfg.MaxTTL, Exclude: cfg.ExcludeModels,
		MaxEntryBytes: int(cfg.MaxEntryBytes)}
	closeFn := func() {}
	switch cfg.Backend {
	case "redis":
		r, err := cache.NewRedis(cfg.RedisURL.Reveal())
		if err != nil {
			return nil, nil, err
		}
		pingCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
		if err := r.Ping(pingCtx); err != nil {
			log.Warn("cache: redis does not answer yet; requests miss the cache until it does", "err", err)
		}
		cancel()
		opts.Backend, closeFn = r, func() { _ = r.Close() }
	default:
		opts.Backend = cache.NewMemory(int64(cfg.MaxBytes))
	}
	if s := cfg.Semantic; s != nil {
		opts.SemanticModel = s.Model
		opts.Index = cache.NewIndexWith(cache.IndexOptions{MaxEntries: s.MaxEntries, Threshold: s.Threshold,
			Mode: cache.IndexMode(s.Index)})
		stopBackend := closeFn
		closeFn = func() { opts.Index.Close(); stopBackend() }
	}
	return cache.New(opts), closeFn, nil
}
