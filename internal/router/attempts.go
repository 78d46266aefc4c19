package router

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/provider"
)

// Result says where a request went and how it got there.
type Result struct {
	Target   *provider.Target
	Route    string // the route whose target served (differs from the requested one after a fallback)
	Attempts int
	Fallback bool // an earlier attempt failed and another target or route served
}

// attempt is one try at a member; it returns nil on success.
type attempt func(ctx context.Context, m *member) error

// do runs attempts along the route's plan until one succeeds, an error is not worth another
// attempt, the route's attempt budget is spent or the deadline passes. A different target is
// tried at once; the same target again only after an exponential, jittered backoff that a
// provider's retry-after may lengthen.
//
// The route's total timeout is the caller's to apply, with deadline: a stream outlives do.
func (r *Route) do(ctx context.Context, res *Result, try attempt) error {
	return r.doWhere(ctx, res, nil, try)
}

// doWhere is do over the targets fits accepts (nil: all). The others are passed over without
// an attempt or a failure counted against them; when none was tried, the error is fits'.
func (r *Route) doWhere(ctx context.Context, res *Result, fits func(*provider.Target) error, try attempt) error {
	plan, err := r.readyPlan(ctx)
	if err != nil {
		return err
	}
	tries := make(map[*member]int, len(plan))
	var lastErr error
	for i := 0; res.Attempts < r.maxAttempts && i < 4*len(plan)*r.maxAttempts; i++ {
		m := plan[i%len(plan)]
		if tries[m] < 0 {
			continue // given up on for this request
		}
		if fits != nil {
			if err := fits(m.target); err != nil {
				tries[m] = -1
				if lastErr == nil {
					lastErr = err
				}
				continue
			}
		}
		if n := tries[m]; n > 0 {
			wait, ok := r.backoff(n, lastErr)
			if !ok {
				tries[m] = -1
				continue
			}
			if err := sleep(ctx, wait); err != nil {
				break
			}
		}
		if err := spendQuota(m); err != nil {
			tries[m], lastErr = -1, err
			continue
		}
		tries[m]++
		res.Attempts++
		res.Target, res.Route = m.target, m.route.Name
		res.Fallback = res.Attempts > 1

		start := time.Now()
		m.inflight.Add(1)
		err := try(ctx, m)
		m.inflight.Add(-1)
		if err == nil {
			m.observe(time.Since(start))
			m.succeeded()
			return nil
		}
		lastErr = err
		if ctx.Err() != nil || !worthAnotherAttempt(err) {
			return err
		}
		m.failed(time.Now(), r.policy)
		if isContextLength(err) {
			// The prompt will not fit any target of this route; only fallbacks may serve it.
			for _, other := range plan {
				if other.route == m.route {
					tries[other] = -1
				}
			}
		}
	}
	return lastErr
}

// deadline applies the route's total timeout, which covers every attempt and, for streams,
// the relay of the answer: cancel it when the response is done.
func (r *Route) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if r.timeout > 0 {
		return context.WithTimeout(ctx, r.timeout)
	}
	return ctx, func() {}
}

// backoff is the wait before the n-th retry of one target. A retry-after longer than the
// maximum backoff means the target will not recover in time to help this request: ok is false
// and the request moves on, or returns the error (with its retry-after) to the client.
func (r *Route) backoff(n int, lastErr error) (wait time.Duration, ok bool) {
	d := r.policy.RetryBackoff << (n - 1)
	if d > r.policy.MaxRetryBackoff || d <= 0 {
		d = r.policy.MaxRetryBackoff
	}
	d = d/2 + rand.N(d/2+1) // jitter, so retries from many clients do not synchronise
	var e *api.Error
	if errors.As(lastErr, &e) && e.RetryAfter > d {
		if e.RetryAfter > r.policy.MaxRetryBackoff {
			return 0, false
		}
		d = e.RetryAfter
	}
	return d, true
}

func worthAnotherAttempt(err error) bool {
	var e *api.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Retryable || isContextLength(err)
}

// isContextLength recognises a prompt too long for the model, which a fallback to a model with
// a larger context can still serve.
func isContextLength(err error) bool {
	var e *api.Error
	return errors.As(err, &e) && (e.Code == "context_length_exceeded" || e.Code == "string_above_max_length")
}

// sleep waits d or until ctx ends, and fails when the wait would outlast the deadline.
func sleep(ctx context.Context, d time.Duration) error {
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		return context.DeadlineExceeded
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
