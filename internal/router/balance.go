package router

import (
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/provider"
)

// member is a target within a route, with the live state that routing decisions read. All
// state is atomics: requests on many goroutines update it without a lock.
type member struct {
	target *provider.Target
	route  *Route
	tier   int

	inflight      atomic.Int64
	ewmaNanos     atomic.Int64 // moving average of latency (TTFT for streams); 0 = no sample
	failures      atomic.Int32 // retryable failures in the current window
	windowStart   atomic.Int64 // unix nanos of the window's first failure
	cooldownUntil atomic.Int64 // unix nanos; the target is skipped until then
	quota         *quota       // the provider's own rate limit; nil when not watched
}

// ewmaWeight is the share of a new sample in the latency average: recent enough to follow a
// provider's slowdown within tens of requests, smooth enough to ignore one outlier.
const ewmaWeight = 0.2

func (m *member) observe(d time.Duration) {
	for {
		old := m.ewmaNanos.Load()
		next := int64(d)
		if old != 0 {
			next = int64(float64(old)*(1-ewmaWeight) + float64(d)*ewmaWeight)
		}
		if m.ewmaNanos.CompareAndSwap(old, next) {
			return
		}
	}
}

func (m *member) succeeded() { m.failures.Store(0) }

// failed counts a retryable failure and starts a cooldown when the window holds enough.
func (m *member) failed(now time.Time, p *config.Routing) {
	n := now.UnixNano()
	if start := m.windowStart.Load(); n-start > int64(p.CooldownWindow) {
		m.windowStart.Store(n)
		m.failures.Store(0)
	}
	if int(m.failures.Add(1)) >= p.CooldownFailures {
		m.cooldownUntil.Store(n + int64(p.CooldownDuration))
		m.failures.Store(0)
	}
}

func (m *member) coolingDown(now time.Time) bool { return m.cooldownUntil.Load() > now.UnixNano() }

// strategy orders the members of one tier, best first.
type strategy func(r *Route, tier []*member)

var strategies = map[string]strategy{
	"weighted":      weightedOrder,
	"round_robin":   roundRobinOrder,
	"least_latency": leastLatencyOrder,
	"least_busy":    leastBusyOrder,
}

// weightedOrder is a weighted shuffle: the first is chosen with probability proportional to
// weight, the next among the rest likewise, so fallbacks within a tier follow weights too.
func weightedOrder(_ *Route, ms []*member) {
	total := 0
	for _, m := range ms {
		total += m.target.Weight
	}
	for i := range ms {
		n := rand.IntN(total)
		for j := i; j < len(ms); j++ {
			if n < ms[j].target.Weight {
				ms[i], ms[j] = ms[j], ms[i]
				break
			}
			n -= ms[j].target.Weight
		}
		total -= ms[i].target.Weight
	}
}

func roundRobinOrder(r *Route, ms []*member) {
	start := int(r.next.Add(1)-1) % len(ms)
	slices.Reverse(ms[:start])
	slices.Reverse(ms[start:])
	slices.Reverse(ms)
}

// leastLatencyOrder puts targets without a sample first, so each gets measured.
func leastLatencyOrder(_ *Route, ms []*member) {
	slices.SortStableFunc(ms, func(a, b *member) int {
		return int(min(max(a.ewmaNanos.Load()-b.ewmaNanos.Load(), -1), 1))
	})
}

func leastBusyOrder(_ *Route, ms []*member) {
	slices.SortStableFunc(ms, func(a, b *member) int {
		return int(min(max(a.inflight.Load()-b.inflight.Load(), -1), 1))
	})
}

// maxPlan bounds how many routes a plan walks through fallbacks, so a chain cannot explode.
const maxPlan = 32

// plan lists the members to try in order: this route's tiers, each ordered by the strategy,
// then each fallback route's plan. Members cooling down go last: they are tried only when
// nothing else is left, which is also how a cooled target is probed back in.
func (r *Route) plan(now time.Time) []*member {
	var ready, cooling []*member
	var seen []*Route
	var walk func(rt *Route)
	walk = func(rt *Route) {
		if slices.Contains(seen, rt) || len(ready)+len(cooling) >= maxPlan {
			return
		}
		seen = append(seen, rt)
		for _, tier := range rt.tiers {
			ms := slices.Clone(tier)
			if len(ms) > 1 {
				rt.strategy(rt, ms)
			}
			for _, m := range ms {
				if m.coolingDown(now) {
					cooling = append(cooling, m)
				} else {
					ready = append(ready, m)
				}
			}
		}
		for _, fb := range rt.fallbacks {
			walk(fb)
		}
	}
	walk(r)
	return append(ready, cooling...)
}
