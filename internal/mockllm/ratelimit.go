package mockllm

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// defaultRateLimitWindow is the window of the ratelimit knob: a minute, like the providers'
// requests-per-minute limits.
const defaultRateLimitWindow = time.Minute

// quotas are the ratelimit knob's fixed windows, one per model, so a test can give two targets
// of one mock server separate quotas.
type quotas struct {
	mu      sync.Mutex
	windows map[string]*quotaWindow
}

type quotaWindow struct {
	start time.Time
	used  int
}

// take counts one request against model's window of limit requests and returns how many are
// left after it (negative once over) and when the window resets.
func (q *quotas) take(model string, limit int, window time.Duration, now time.Time) (remaining int, reset time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.windows == nil {
		q.windows = map[string]*quotaWindow{}
	}
	w := q.windows[model]
	if w == nil || now.Sub(w.start) >= window {
		w = &quotaWindow{start: now}
		q.windows[model] = w
	}
	w.used++
	return limit - w.used, w.start.Add(window)
}

// applyRateLimit enforces the ratelimit knob the way real providers announce theirs: every
// answer carries OpenAI's x-ratelimit-*-requests headers and Anthropic's
// anthropic-ratelimit-requests-* headers, counting down, and the request after the last one
// allowed gets a 429. It reports whether the request was refused.
func (s *Server) applyRateLimit(w http.ResponseWriter, b *behavior, model string) (refused bool, retryAfter int) {
	if b.RateLimit <= 0 {
		return false, 0
	}
	now := time.Now()
	remaining, reset := s.quota.take(model, b.RateLimit, b.RateLimitWindow, now)
	until := reset.Sub(now)
	h := w.Header()
	h.Set("X-Ratelimit-Limit-Requests", strconv.Itoa(b.RateLimit))
	h.Set("X-Ratelimit-Remaining-Requests", strconv.Itoa(max(remaining, 0)))
	h.Set("X-Ratelimit-Reset-Requests", until.Round(time.Millisecond).String())
	h.Set("Anthropic-Ratelimit-Requests-Limit", strconv.Itoa(b.RateLimit))
	h.Set("Anthropic-Ratelimit-Requests-Remaining", strconv.Itoa(max(remaining, 0)))
	h.Set("Anthropic-Ratelimit-Requests-Reset", reset.UTC().Format(time.RFC3339))
	if remaining >= 0 {
		return false, 0
	}
	s.rateLimited.Add(1)
	return true, max(1, int(math.Ceil(until.Seconds())))
}
