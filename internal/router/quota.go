package router

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/provider"
)

// quota is what an upstream last said about its own rate limits for one provider account and
// model, read from the headers of its every answer, so a target can be left alone before it
// answers 429. Remaining counts are decremented as requests are sent, so concurrent requests
// do not all spend the last one; the next answer overwrites them with the provider's figure.
type quota struct {
	reqRemaining atomic.Int64 // unknown when its reset has passed
	reqReset     atomic.Int64 // unix nanos
	tokRemaining atomic.Int64
	tokReset     atomic.Int64
}

// defaultQuotaReset is assumed when a provider gives a remaining count without a reset (Azure
// OpenAI): Azure evaluates request limits over windows of up to 10 seconds.
const defaultQuotaReset = 10 * time.Second

// maxQuotaReset bounds a reset hint, so a hostile or broken header cannot park a target.
const maxQuotaReset = time.Hour

// quotaTransport observes every response of one target, success or error, streamed or not.
type quotaTransport struct {
	next http.RoundTripper
	q    *quota
}

func (t *quotaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err == nil {
		t.q.observe(resp.Header, time.Now())
	}
	return resp, err
}

// CloseIdleConnections reaches the shared pool underneath.
func (t *quotaTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// observe reads OpenAI's (and Azure's) x-ratelimit-remaining-*/x-ratelimit-reset-* headers,
// whose resets are durations ("1s", "6m0s"), and Anthropic's anthropic-ratelimit-*-remaining
// and -reset, whose resets are RFC 3339 times.
// https://platform.openai.com/docs/guides/rate-limits#rate-limits-in-headers
// https://docs.anthropic.com/en/api/rate-limits#response-headers
func (q *quota) observe(h http.Header, now time.Time) {
	if rem, reset, ok := readQuota(h, "X-Ratelimit-Limit-Requests", "X-Ratelimit-Remaining-Requests", "X-Ratelimit-Reset-Requests", now); ok {
		q.reqRemaining.Store(rem)
		q.reqReset.Store(reset)
	} else if rem, reset, ok := readQuota(h, "Anthropic-Ratelimit-Requests-Limit", "Anthropic-Ratelimit-Requests-Remaining", "Anthropic-Ratelimit-Requests-Reset", now); ok {
		q.reqRemaining.Store(rem)
		q.reqReset.Store(reset)
	}
	if rem, reset, ok := readQuota(h, "X-Ratelimit-Limit-Tokens", "X-Ratelimit-Remaining-Tokens", "X-Ratelimit-Reset-Tokens", now); ok {
		q.tokRemaining.Store(rem)
		q.tokReset.Store(reset)
	} else if rem, reset, ok := readQuota(h, "Anthropic-Ratelimit-Tokens-Limit", "Anthropic-Ratelimit-Tokens-Remaining", "Anthropic-Ratelimit-Tokens-Reset", now); ok {
		q.tokRemaining.Store(rem)
		q.tokReset.Store(reset)
	}
}

// readQuota parses one limit/remaining/reset triple into the remaining count and when the
// target may be sent to again; ok is false when the remaining count is absent.
//
// Both OpenAI and Anthropic replenish continuously (a token bucket) and their reset is when
// the bucket is full again, not when the next request fits. Given the limit, the time one
// unit takes to return is reset/(limit-remaining), which is how long an exhausted target is
// skipped; without a limit the whole reset is waited.
func readQuota(h http.Header, limitName, remainingName, resetName string, now time.Time) (remaining, reset int64, ok bool) {
	v := h.Get(remainingName)
	if v == "" {
		return 0, 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, 0, false
	}
	wait := defaultQuotaReset
	if r := h.Get(resetName); r != "" {
		if d, err := time.ParseDuration(r); err == nil {
			wait = d
		} else if t, err := time.Parse(time.RFC3339, r); err == nil {
			wait = t.Sub(now)
		} else if secs, err := strconv.ParseFloat(r, 64); err == nil {
			wait = time.Duration(secs * float64(time.Second))
		}
	}
	wait = min(max(wait, 0), maxQuotaReset)
	if limit, err := strconv.ParseInt(h.Get(limitName), 10, 64); err == nil && limit > n {
		wait = time.Duration(int64(wait) / (limit - n))
	}
	return n, now.Add(wait).UnixNano(), true
}

// exhausted reports whether the provider said it has nothing left until a reset still ahead,
// and when the earliest such reset is.
func (q *quota) exhausted(now int64) (bool, int64) {
	if q == nil {
		return false, 0
	}
	if reset := q.reqReset.Load(); reset > now && q.reqRemaining.Load() <= 0 {
		return true, reset
	}
	if reset := q.tokReset.Load(); reset > now && q.tokRemaining.Load() <= 0 {
		return true, reset
	}
	return false, 0
}

// take spends one of the requests the provider said remain; false when none does.
func (q *quota) take(now int64) bool {
	if q == nil {
		return true
	}
	if ex, _ := q.exhausted(now); ex {
		return false
	}
	if q.reqReset.Load() > now {
		q.reqRemaining.Add(-1)
	}
	return true
}

// withoutExhausted drops from plan the members whose provider quota is used up; next is the
// earliest reset among those dropped, zero when none was.
func withoutExhausted(plan []*member, now int64) (ready []*member, next int64) {
	ready = plan[:0]
	for _, m := range plan {
		if ex, reset := m.quota.exhausted(now); ex {
			if next == 0 || reset < next {
				next = reset
			}
			continue
		}
		ready = append(ready, m)
	}
	return ready, next
}

// quotaExhausted is the answer when no target has quota left within routing.quota_wait.
func quotaExhausted(route string, retryAfter time.Duration) error {
	e := api.Errorf("upstream_quota_exhausted", "Every provider serving %q has reported its rate limit used up; try again in %s.",
		route, retryAfter.Round(time.Millisecond))
	e.RetryAfter = retryAfter
	return e
}

type priorityKey struct{}

// WithPriority orders a request among those waiting for a provider's quota to reset: higher
// first when the wait queue is full.
func WithPriority(ctx context.Context, priority int) context.Context {
	return context.WithValue(ctx, priorityKey{}, priority)
}

func priorityOf(ctx context.Context) int {
	p, _ := ctx.Value(priorityKey{}).(int)
	return p
}

// waitQueue bounds how many requests wait for a quota reset. When it is full, a request of
// higher priority takes the place of the lowest waiting one, which is refused at once.
type waitQueue struct {
	mu      sync.Mutex
	max     int
	waiters []*waiter // by priority, highest first
}

type waiter struct {
	priority int
	evicted  chan struct{}
}

func (q *waitQueue) enter(priority int) (*waiter, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.waiters) >= q.max {
		if q.max == 0 || q.waiters[len(q.waiters)-1].priority >= priority {
			return nil, false
		}
		last := q.waiters[len(q.waiters)-1]
		q.waiters = q.waiters[:len(q.waiters)-1]
		close(last.evicted)
	}
	w := &waiter{priority: priority, evicted: make(chan struct{})}
	i := len(q.waiters)
	for i > 0 && q.waiters[i-1].priority < priority {
		i--
	}
	q.waiters = append(q.waiters, nil)
	copy(q.waiters[i+1:], q.waiters[i:])
	q.waiters[i] = w
	return w, true
}

func (q *waitQueue) leave(w *waiter) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, x := range q.waiters {
		if x == w {
			q.waiters = append(q.waiters[:i], q.waiters[i+1:]...)
			return
		}
	}
}

// waitForQuota waits until reset (unix nanos) when that is within routing.quota_wait and the
// queue has room. It fails with upstream_quota_exhausted otherwise, or when ctx ends first.
func (r *Route) waitForQuota(ctx context.Context, reset int64) error {
	wait := time.Duration(reset - time.Now().UnixNano())
	if r.queue == nil || wait > r.policy.QuotaWait {
		return quotaExhausted(r.Name, wait)
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
		return quotaExhausted(r.Name, wait)
	}
	w, ok := r.queue.enter(priorityOf(ctx))
	if !ok {
		return quotaExhausted(r.Name, wait)
	}
	defer r.queue.leave(w)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-w.evicted:
		return quotaExhausted(r.Name, wait)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// readyPlan is the plan without targets whose quota is used up. When that leaves nothing, it
// waits (bounded) for the earliest reset and plans again.
func (r *Route) readyPlan(ctx context.Context) ([]*member, error) {
	for range 2 {
		now := time.Now()
		plan, next := withoutExhausted(r.plan(now), now.UnixNano())
		if next == 0 || len(plan) > 0 {
			return plan, nil
		}
		if err := r.waitForQuota(ctx, next); err != nil {
			return nil, err
		}
	}
	now := time.Now()
	plan, next := withoutExhausted(r.plan(now), now.UnixNano())
	if len(plan) == 0 {
		return nil, quotaExhausted(r.Name, time.Duration(next-now.UnixNano()))
	}
	return plan, nil
}

// spendQuota takes one of m's remaining requests; when there is none (other requests spent
// it since the plan was made) it returns the error to report should no other target serve.
func spendQuota(m *member) error {
	now := time.Now().UnixNano()
	if m.quota.take(now) {
		return nil
	}
	_, reset := m.quota.exhausted(now)
	return quotaExhausted(m.route.Name, time.Duration(reset-now))
}

// watchedTarget is target with its responses' rate-limit headers observed into the quota of
// its provider account and model, shared by every route that uses them.
func (a *account) watchedTarget(model string, weight int) (*provider.Target, *quota) {
	w := a.watched[model]
	if w == nil {
		q := &quota{}
		w = &watched{quota: q, client: &http.Client{Transport: &quotaTransport{next: a.template.Client.Transport, q: q}}}
		if a.watched == nil {
			a.watched = map[string]*watched{}
		}
		a.watched[model] = w
	}
	t := a.target(model, weight)
	t.Client = w.client
	return t, w.quota
}

// watched is the quota of one provider account and model, and the client that fills it.
type watched struct {
	quota  *quota
	client *http.Client
}
