package router

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/provider"
)

// ErrUnknownModel is wrapped by Resolve's error for a model no route serves.
var ErrUnknownModel = errors.New("router: unknown model")

// Route is the set of targets that serve one model name, and how to choose among them.
type Route struct {
	Name        string
	Targets     []*provider.Target
	totalWeight int

	tiers       [][]*member // by priority, tier 1 first
	strategy    strategy
	fallbacks   []*Route
	maxAttempts int
	timeout     time.Duration
	ttftTimeout time.Duration
	idleTimeout time.Duration
	policy      *config.Routing
	next        atomic.Uint64 // round-robin position
	queue       *waitQueue    // requests waiting for a provider quota; nil: no waiting
}

func newRoute(name string, m config.Model, policy *config.Routing) *Route {
	s, ok := strategies[m.Strategy]
	if !ok {
		s = weightedOrder
	}
	return &Route{Name: name, strategy: s, maxAttempts: max(m.MaxAttempts, 1), timeout: m.Timeout,
		ttftTimeout: m.TTFTTimeout, idleTimeout: m.IdleTimeout, policy: policy}
}

func (r *Route) add(t *provider.Target, tier int) { r.addWatched(t, nil, tier) }

// addWatched adds a target whose provider quota q is known; nil when it is not watched.
func (r *Route) addWatched(t *provider.Target, q *quota, tier int) {
	r.Targets = append(r.Targets, t)
	r.totalWeight += t.Weight
	m := &member{target: t, route: r, tier: tier, quota: q}
	i, found := slices.BinarySearchFunc(r.tiers, tier, func(ms []*member, tier int) int { return ms[0].tier - tier })
	if found {
		r.tiers[i] = append(r.tiers[i], m)
	} else {
		r.tiers = slices.Insert(r.tiers, i, []*member{m})
	}
}

// Pick chooses one target with probability proportional to its weight, ignoring tiers and
// state; for endpoints that make a single attempt.
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
			// A direct route is built per request: its targets keep no cooldown or latency
			// history. Declare a model alias to get them.
			r := newRoute(model, config.Model{MaxAttempts: t.policy.directAttempts, IdleTimeout: config.DefaultStreamIdleTimeout}, &t.policy.Routing)
			r.add(acc.target(upstream, 1), 1)
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
