package router

import (
	"errors"
	"math/rand/v2"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/provider"
)

// ErrUnknownModel is wrapped by Resolve's error for a model no route serves.
var ErrUnknownModel = errors.New("router: unknown model")

// Route is the set of targets that serve one model name.
type Route struct {
	Name        string
	Targets     []*provider.Target
	totalWeight int
}

func (r *Route) add(t *provider.Target) {
	r.Targets = append(r.Targets, t)
	r.totalWeight += t.Weight
}

// Pick chooses a target with probability proportional to its weight. math/rand/v2's global
// source is per-thread and lock-free, so concurrent requests do not contend here.
func (r *Route) Pick() *provider.Target {
	if len(r.Targets) == 1 {
		return r.Targets[0]
	}
	n := rand.IntN(r.totalWeight)
	for _, t := range r.Targets {
		if n < t.Weight {
			return t
		}
		n -= t.Weight
	}
	return r.Targets[len(r.Targets)-1]
}

// Resolve maps a requested model to its route: a configured alias first, then
// "provider/model" for any configured provider.
func (t *Table) Resolve(model string) (*Route, error) {
	if r, ok := t.aliases[model]; ok {
		return r, nil
	}
	if name, upstream, ok := strings.Cut(model, "/"); ok && upstream != "" {
		if acc, ok := t.providers[name]; ok {
			r := &Route{Name: model}
			r.add(acc.target(upstream, 1))
			return r, nil
		}
	}
	e := api.NewError("model_not_found", "The model `"+model+"` does not exist or is not served by this gateway.", ErrUnknownModel)
	e.Param = "model"
	return nil, e
}

// embeddingsAdapter returns the target format's embeddings support, nil when it has none.
func (t *Table) embeddingsAdapter(target *provider.Target) provider.EmbeddingsAdapter {
	if acc, ok := t.providers[target.Provider]; ok {
		return acc.embeddings
	}
	return nil
}
