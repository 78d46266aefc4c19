package router

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/config"
)

func TestQuotaReadsProviderHeaders(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		header    http.Header
		exhausted bool
		reset     time.Duration
	}{
		{"openai requests left", http.Header{"X-Ratelimit-Remaining-Requests": {"2"}, "X-Ratelimit-Reset-Requests": {"1s"}}, false, 0},
		{"openai requests used up", http.Header{"X-Ratelimit-Remaining-Requests": {"0"}, "X-Ratelimit-Reset-Requests": {"6m0s"}}, true, 6 * time.Minute},
		{"openai requests used up, one returns per interval", http.Header{"X-Ratelimit-Limit-Requests": {"60"},
			"X-Ratelimit-Remaining-Requests": {"0"}, "X-Ratelimit-Reset-Requests": {"1m0s"}}, true, time.Second},
		{"openai tokens used up", http.Header{"X-Ratelimit-Remaining-Requests": {"10"}, "X-Ratelimit-Reset-Requests": {"1s"},
			"X-Ratelimit-Remaining-Tokens": {"0"}, "X-Ratelimit-Reset-Tokens": {"20ms"}}, true, 20 * time.Millisecond},
		{"anthropic requests used up", http.Header{"Anthropic-Ratelimit-Requests-Remaining": {"0"},
			"Anthropic-Ratelimit-Requests-Reset": {now.Add(30 * time.Second).Format(time.RFC3339)}}, true, 30 * time.Second},
		{"anthropic requests used up with limit", http.Header{"Anthropic-Ratelimit-Requests-Limit": {"50"}, "Anthropic-Ratelimit-Requests-Remaining": {"0"},
			"Anthropic-Ratelimit-Requests-Reset": {now.Add(50 * time.Second).Format(time.RFC3339)}}, true, time.Second},
		{"anthropic tokens used up", http.Header{"Anthropic-Ratelimit-Tokens-Remaining": {"0"},
			"Anthropic-Ratelimit-Tokens-Reset": {now.Add(5 * time.Second).Format(time.RFC3339)}}, true, 5 * time.Second},
		{"azure without reset", http.Header{"X-Ratelimit-Remaining-Requests": {"0"}}, true, defaultQuotaReset},
		{"garbage ignored", http.Header{"X-Ratelimit-Remaining-Requests": {"lots"}, "X-Ratelimit-Reset-Requests": {"1s"}}, false, 0},
		{"hostile reset bounded", http.Header{"X-Ratelimit-Remaining-Requests": {"0"}, "X-Ratelimit-Reset-Requests": {"9999h"}}, true, maxQuotaReset},
		{"no headers", http.Header{}, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var q quota
			q.observe(tc.header, now)
			ex, reset := q.exhausted(now.UnixNano())
			if ex != tc.exhausted {
				t.Fatalf("observe(%v) then exhausted = %v, want %v", tc.header, ex, tc.exhausted)
			}
			if ex && time.Duration(reset-now.UnixNano()) != tc.reset {
				t.Fatalf("observe(%v): reset in %s, want %s", tc.header, time.Duration(reset-now.UnixNano()), tc.reset)
			}
			if ex, _ := q.exhausted(now.Add(maxQuotaReset + time.Second).UnixNano()); ex {
				t.Fatal("still exhausted after the reset has passed")
			}
		})
	}
}

func TestQuotaSpendsRemainingBeforeTheNextAnswer(t *testing.T) {
	now := time.Now()
	var q quota
	q.observe(http.Header{"X-Ratelimit-Remaining-Requests": {"2"}, "X-Ratelimit-Reset-Requests": {"1m0s"}}, now)
	n := now.UnixNano()
	for i := range 2 {
		if !q.take(n) {
			t.Fatalf("take %d with 2 remaining: refused", i+1)
		}
	}
	if q.take(n) {
		t.Fatal("third take with 2 remaining and no answer in between: allowed, want refused")
	}
}

func TestPlanSkipsTargetsWithQuotaUsedUp(t *testing.T) {
	table := compile(t, twoProviders)
	r, _ := table.Resolve("split")
	now := time.Now()
	exhausted := r.tiers[0][0]
	exhausted.quota.observe(http.Header{"X-Ratelimit-Remaining-Requests": {"0"}, "X-Ratelimit-Reset-Requests": {"1m0s"}}, now)
	for range 50 {
		plan, err := r.readyPlan(context.Background())
		if err != nil {
			t.Fatalf("readyPlan with one target left: %v", err)
		}
		for _, m := range plan {
			if m == exhausted {
				t.Fatalf("plan includes %s, whose quota is used up", m.target.Provider)
			}
		}
	}
	for _, m := range r.tiers[0] {
		m.quota.observe(http.Header{"X-Ratelimit-Remaining-Requests": {"0"}, "X-Ratelimit-Reset-Requests": {"1m0s"}}, now)
	}
	_, err := r.readyPlan(context.Background())
	var e *api.Error
	if !errors.As(err, &e) || e.Code != "upstream_quota_exhausted" || e.Status != 429 || e.RetryAfter < 59*time.Second {
		t.Fatalf("readyPlan with every quota used up for a minute: %v, want 429 upstream_quota_exhausted with retry-after ~1m", err)
	}
}

func TestQuotaWaitThenServesAfterReset(t *testing.T) {
	table := compile(t, twoProviders)
	r, _ := table.Resolve("split")
	r.policy = &config.Routing{QuotaWait: time.Second, QuotaMaxWaiters: 4}
	now := time.Now()
	for _, m := range r.tiers[0] {
		m.quota.observe(http.Header{"X-Ratelimit-Remaining-Requests": {"0"}, "X-Ratelimit-Reset-Requests": {"50ms"}}, now)
	}
	plan, err := r.readyPlan(context.Background())
	if err != nil || len(plan) != 2 {
		t.Fatalf("readyPlan with quotas resetting within quota_wait: %d targets, %v; want both after the wait", len(plan), err)
	}
}

func TestWaitQueueBoundedByPriority(t *testing.T) {
	q := &waitQueue{max: 2}
	low, ok1 := q.enter(0)
	_, ok2 := q.enter(5)
	if !ok1 || !ok2 {
		t.Fatal("enter into an empty queue of 2: refused")
	}
	if _, ok := q.enter(0); ok {
		t.Fatal("enter priority 0 into a full queue whose lowest is 0: admitted, want refused")
	}
	high, ok := q.enter(9)
	if !ok {
		t.Fatal("enter priority 9 into a full queue: refused, want it to take the lowest's place")
	}
	select {
	case <-low.evicted:
	default:
		t.Fatal("the lowest-priority waiter was not told it lost its place")
	}
	if q.waiters[0] != high || len(q.waiters) != 2 {
		t.Fatalf("queue order: %+v, want the priority 9 waiter first", q.waiters)
	}
	q.leave(high)
	if len(q.waiters) != 1 {
		t.Fatalf("after leave: %d waiters, want 1", len(q.waiters))
	}
}
