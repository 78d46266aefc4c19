package app

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/store"
)

// routeChange is a model route about to be stored (route set) or deleted (route nil), so it
// can be checked against everything else before the store changes.
type routeChange struct {
	id    string
	route *store.ModelRoute
}

// addStoredModels appends the models stored through the admin API to cfg. Their specs have
// the fields of a config file's models[] entry (JSON is YAML, so one decoder serves both).
func (a *App) addStoredModels(ctx context.Context, cfg *config.Config, change *routeChange) error {
	routes, err := a.storedRoutes(ctx)
	if err != nil {
		return err
	}
	if change != nil {
		routes = slices.DeleteFunc(routes, func(r store.ModelRoute) bool { return r.ID == change.id })
		if change.route != nil {
			routes = append(routes, *change.route)
		}
	}
	fromFile := map[string]bool{}
	for _, m := range cfg.Models {
		fromFile[m.Name] = true
	}
	var ps config.Problems
	for _, r := range routes {
		path := fmt.Sprintf("stored model %q", r.Name)
		var m config.Model
		dec := yaml.NewDecoder(bytes.NewReader(r.Spec))
		dec.KnownFields(true)
		if err := dec.Decode(&m); err != nil {
			ps.Add(nil, path, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
			continue
		}
		if m.Name != "" && m.Name != r.Name {
			ps.Add(nil, path+".name", "is %q but the stored model is named %q", m.Name, r.Name)
		}
		if fromFile[r.Name] {
			ps.Add(nil, path, "is also declared in the configuration file; remove one of them")
		}
		m.Name = r.Name
		cfg.Models = append(cfg.Models, m)
	}
	if err := ps.Err(); err != nil {
		return err
	}
	cfg.ApplyDefaults()
	return cfg.Validate(nil).Err()
}

func (a *App) storedRoutes(ctx context.Context) ([]store.ModelRoute, error) {
	var out []store.ModelRoute
	opts := store.ListOptions{Limit: store.MaxLimit}
	for {
		page, err := a.store.ListModelRoutes(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("app: list stored models: %w", err)
		}
		out = append(out, page.Items...)
		if page.Next == "" {
			return out, nil
		}
		opts.After = page.Next
	}
}

// checkModelRoute validates a model route as if stored (route set) or deleted (route nil):
// the whole configuration must still compile, e.g. no other model may fall back to a deleted one.
func (a *App) checkModelRoute(ctx context.Context, id string, route *store.ModelRoute) error {
	cfg, src, err := a.loadBase()
	if err != nil {
		return err
	}
	table, err := a.compile(ctx, cfg, src, &routeChange{id: id, route: route})
	if err != nil {
		return err
	}
	table.Close()
	return nil
}
