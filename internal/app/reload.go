package app

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/gateway"
)

// configPollInterval is how often the config file is checked for changes. Polling (rather
// than inotify) also sees Kubernetes ConfigMap updates, which swap a symlink.
const configPollInterval = 2 * time.Second

// ErrNoConfigFile is returned by Reload when Sluice was configured from the environment.
var ErrNoConfigFile = errors.New("app: no configuration file to reload")

// Reload re-reads the configuration file and swaps the routing snapshot atomically: requests
// already in flight finish on the old one, new requests use the new one, none is dropped. A
// configuration with problems is rejected whole and the running one stays. Server settings
// (listen address, timeouts) need a restart.
func (a *App) Reload() error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	if a.configPath == "" {
		return ErrNoConfigFile
	}
	cfg, src, err := config.LoadFile(a.configPath)
	if err != nil {
		return err
	}
	if a.mock != nil {
		addDemo(cfg, a.mock.URL())
	}
	if a.listenOverride != "" {
		cfg.Server.Listen = a.listenOverride
	}
	table, err := a.compile(context.Background(), cfg, src)
	if err != nil {
		return err
	}
	old := a.gw.Swap(&gateway.Snapshot{Routes: table, MaxBodyBytes: int64(cfg.Server.MaxBodyBytes),
		MaxUploadBytes: int64(cfg.Server.MaxUploadBytes)})
	// In-flight requests keep their connections; only idle ones of the old pools close now.
	old.Routes.Close()
	if cfg.Server != a.cfg.Server {
		a.log.Warn("server settings changed; they take effect on restart")
	}
	a.cfg.Providers, a.cfg.Models, a.cfg.Routing = cfg.Providers, cfg.Models, cfg.Routing
	a.log.Info("configuration reloaded", "config", a.configPath, "providers", len(cfg.Providers), "models", len(table.Models()))
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
