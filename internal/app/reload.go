package app

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/gateway"
)

// configPollInterval is how often the config file is checked for changes. Polling (rather
// than inotify) also sees Kubernetes ConfigMap updates, which swap a symlink.
const configPollInterval = 2 * time.Second

// Reload re-reads the configuration (file or environment) and the models stored through the
// admin API, and swaps the routing snapshot atomically: requests
// already in flight finish on the old one, new requests use the new one, none is dropped. A
// configuration with problems is rejected whole and the running one stays. Server settings
// (listen address, timeouts) need a restart.
func (a *App) Reload() error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	cfg, src, err := a.loadBase()
	if err != nil {
		return err
	}
	table, err := a.compile(context.Background(), cfg, src, nil)
	if err != nil {
		return err
	}
	prices, err := priceCatalog(cfg.Pricing)
	if err != nil {
		table.Close()
		return err
	}
	guards, err := a.guardrailEngine(context.Background(), cfg, table, nil)
	if err != nil {
		table.Close()
		return err
	}
	if err := a.reloadBudgets(context.Background(), cfg); err != nil {
		table.Close()
		return err
	}
	old := a.gw.Swap(&gateway.Snapshot{Routes: table, MaxBodyBytes: int64(cfg.Server.MaxBodyBytes),
		MaxUploadBytes: int64(cfg.Server.MaxUploadBytes), Pricer: prices, RateLimits: rateLimitPolicy(cfg.RateLimits),
		Guardrails: guards})
	// In-flight requests keep their connections; only idle ones of the old pools close now.
	old.Routes.Close()
	if cfg.Server != a.cfg.Server {
		a.log.Warn("server settings changed; they take effect on restart")
	}
	a.cfg.Providers, a.cfg.Models, a.cfg.Routing = cfg.Providers, cfg.Models, cfg.Routing
	a.log.Info("configuration reloaded", "config", a.source, "providers", len(cfg.Providers), "models", len(table.Models()))
	return nil
}

// watchConfig reloads when the file's size or modification time changes.
func (a *App) watchConfig(ctx context.Context, every time.Duration) {
	last := fileStamp(a.configPath)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		stamp := fileStamp(a.configPath)
		if stamp == last {
			continue
		}
		last = stamp
		if err := a.Reload(); err != nil {
			a.log.Error("configuration change rejected; keeping the running configuration", "err", err)
		}
	}
}

type stamp struct {
	size int64
	mod  time.Time
}

func fileStamp(path string) stamp {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{}
	}
	return stamp{fi.Size(), fi.ModTime()}
}

// loadBase reads the configuration as at start — the file, or the environment — with the
// --demo provider and --listen applied.
func (a *App) loadBase() (*config.Config, *config.Source, error) {
	var cfg *config.Config
	var src *config.Source
	var err error
	if a.configPath != "" {
		cfg, src, err = config.LoadFile(a.configPath)
	} else {
		cfg, src, err = loadConfig("")
	}
	if err != nil {
		return nil, nil, err
	}
	if a.mock != nil {
		addDemo(cfg, a.mock.URL())
	}
	if a.listenOverride != "" {
		cfg.Server.Listen = a.listenOverride
	}
	return cfg, src, nil
}

// watchStore picks up models stored through another node's admin API: when the store's change
// counter moves and the stored models differ from those compiled, the table is rebuilt. It
// checks every interval, and at once when another node announces a change over NATS: the
// announcement only saves the wait, since messages can be lost.
func (a *App) watchStore(ctx context.Context, every time.Duration) {
	// Compared with the state New compiled, not the state now: another node may have changed
	// it since, and that change must not be taken for the baseline.
	lastVersion, lastStamp := int64(-1), a.builtStamp
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-a.storeKick: // another node announced a change (nil channel without NATS)
			if err := a.auth.Sync(ctx, a.store); err != nil && ctx.Err() == nil {
				a.log.Warn("auth: refreshing keys from the store failed; serving the last snapshot", "err", err)
			}
		}
		v, err := a.store.Version(ctx)
		if err != nil || v == lastVersion {
			continue
		}
		lastVersion = v
		stamp := a.routesStamp(ctx)
		if stamp == lastStamp {
			continue // a key or team changed; auth follows on its own (the stamp covers models, guardrail policies, budgets and credentials)
		}
		lastStamp = stamp
		if err := a.Reload(); err != nil {
			a.log.Error("stored models changed but the configuration does not compile; keeping the running one", "err", err)
		}
	}
}

// routesStamp identifies the stored models' state: ids and update times.
func (a *App) routesStamp(ctx context.Context) string {
	routes, err := a.storedRoutes(ctx)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, r := range routes {
		b.WriteString(r.ID)
		b.WriteString(r.UpdatedAt.String())
	}
	b.WriteString(a.guardrailsStamp(ctx))
	b.WriteString(a.budgetsStamp(ctx))
	b.WriteString(a.credentialsStamp(ctx))
	return b.String()
}
