package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/internal/coalesce"
)

// Sharing limits between nodes. Without it every node behind a load balancer enforces the
// whole limit, so a key gets N times its limit from N nodes. With it each node reports what
// it admitted per limited identity, and every other node advances that identity's arrival
// times by the same consumption, so the cluster as a whole converges on the configured limit.
//
// The report leaves the request path: Admit and Settle only add to two counters on the
// identity and, the first time since the last report, put it on a bounded queue (a full
// queue drops the notice and counts it; the amounts stay on the identity and go with its next
// report). A broadcaster gathers the queue for a few milliseconds and publishes one message.
// The overshoot this allows is bounded by what each other node admits during the coalescing
// window plus the transport's delay. Concurrency limits stay per node: a request in flight
// elsewhere cannot be released here when it ends.

// Consumption is what one node admitted for one limited identity since its last report,
// with the limits it charged them against (the receiver may not know the identity's limits,
// and a per-minute amount means something only with its limit).
type Consumption struct {
	Scope Scope  `json:"scope"`
	ID    string `json:"id"`
	Model string `json:"model,omitzero"`
	RPM   int64  `json:"rpm,omitzero"`
	TPM   int64  `json:"tpm,omitzero"`
	// Requests admitted; Tokens charged, negative when settles refunded more than admissions
	// charged.
	Requests int64 `json:"requests,omitzero"`
	Tokens   int64 `json:"tokens,omitzero"`
}

// share is a Limiter's queue of identities with consumption to report.
// share queues the identities with consumption to report; nil: sharing is off.
type share struct {
	queue *coalesce.Queue[*entry]
}

// Share turns on reporting consumption for Broadcast, with room for queue identities waiting
// to be reported. It must be called before the Limiter is used.
func (l *Limiter) Share(queue int) {
	l.share = &share{queue: coalesce.New[*entry](queue)}
}

// ShareDropped counts reports dropped because the queue was full.
func (l *Limiter) ShareDropped() uint64 {
	if l.share == nil {
		return 0
	}
	return l.share.queue.Dropped()
}

// note records an admitted request's charges for the next report.
func (s *share) note(t *Ticket, tokens int64) {
	for i := range t.n {
		e, lim := t.entries[i], t.limits[i]
		if lim.RPM == 0 && lim.TPM == 0 {
			continue // a concurrency limit only: per node
		}
		if lim.RPM > 0 {
			e.rpm.Store(lim.RPM)
			e.pendReq.Add(1)
		}
		if lim.TPM > 0 {
			e.tpm.Store(lim.TPM)
			e.pendTok.Add(min(tokens, lim.TPM*maxCostPeriods))
		}
		s.enqueue(e)
	}
}

// enqueue queues e unless it is queued already; never blocks.
func (s *share) enqueue(e *entry) { s.queue.Add(e, &e.queued) }

// Broadcast hands this node's consumption to publish until ctx is done. After an identity is
// queued it waits coalesce for more, so a burst of admissions makes one call. publish runs on
// this goroutine, never on a request's. Without Share it only waits for ctx.
func (l *Limiter) Broadcast(ctx context.Context, coalesce time.Duration, publish func([]Consumption)) {
	if l.share == nil {
		<-ctx.Done()
		return
	}
	var out []Consumption
	l.share.queue.Run(ctx, coalesce, func(batch []*entry) {
		out = out[:0]
		for _, e := range batch {
			// Unqueued before the counters are taken: an admission from here on queues e
			// again, and one before is inside the swap.
			e.queued.Store(false)
			c := Consumption{Scope: e.key.scope, ID: e.key.id, Model: e.key.model,
				Requests: e.pendReq.Swap(0), Tokens: e.pendTok.Swap(0)}
			if c.Requests != 0 {
				c.RPM = e.rpm.Load()
			}
			if c.Tokens != 0 {
				c.TPM = e.tpm.Load()
			}
			if c.Requests != 0 || c.Tokens != 0 {
				out = append(out, c)
			}
		}
		if len(out) > 0 {
			publish(out)
		}
	})
}

// ErrBadConsumption is returned for a consumption no Sluice node sends.
var ErrBadConsumption = errors.New("ratelimit: bad consumption")

// ApplyRemote charges other nodes' consumption to this node's state for the same identities:
// each arrival time advances by what the remote admissions cost, with a compare-and-swap and
// no lock, so local Admits see the cluster's use. It applies every valid item and returns
// the first invalid one's error.
func (l *Limiter) ApplyRemote(cs []Consumption) error {
	var bad error
	now := l.now()
	for i := range cs {
		c := &cs[i]
		if err := c.check(); err != nil {
			if bad == nil {
				bad = err
			}
			continue
		}
		e := l.entry(entryKey{scope: c.Scope, id: c.ID, model: c.Model})
		if c.Requests > 0 {
			advance(&e.reqTAT, now, min(c.Requests, c.RPM*maxCostPeriods)*interval(c.RPM))
		}
		if c.Tokens > 0 {
			advance(&e.tokTAT, now, min(c.Tokens, c.TPM*maxCostPeriods)*interval(c.TPM))
		} else if c.Tokens < 0 {
			// A refund, as Settle gives locally; it cannot lower the time below what was
			// charged, since the charge it corrects was reported first.
			e.tokTAT.Add(max(c.Tokens, -c.TPM*maxCostPeriods) * interval(c.TPM))
		}
	}
	return bad
}

// maxLimit bounds the limits a report may name, so that a limit times maxCostPeriods cannot
// overflow; far above any real per-minute limit.
const maxLimit = 1 << 56

func (c *Consumption) check() error {
	switch {
	case c.Scope >= numScopes:
		return fmt.Errorf("%w: scope %d", ErrBadConsumption, c.Scope)
	case c.ID == "":
		return fmt.Errorf("%w: no id", ErrBadConsumption)
	case c.RPM < 0 || c.RPM > maxLimit || c.TPM < 0 || c.TPM > maxLimit:
		return fmt.Errorf("%w: %s %q: limits %d rpm, %d tpm", ErrBadConsumption, c.Scope, c.ID, c.RPM, c.TPM)
	case c.Requests < 0:
		return fmt.Errorf("%w: %s %q: requests %d", ErrBadConsumption, c.Scope, c.ID, c.Requests)
	case c.Requests > 0 && c.RPM <= 0:
		return fmt.Errorf("%w: %s %q: requests without an rpm limit", ErrBadConsumption, c.Scope, c.ID)
	case c.Tokens != 0 && c.TPM <= 0:
		return fmt.Errorf("%w: %s %q: tokens without a tpm limit", ErrBadConsumption, c.Scope, c.ID)
	}
	return nil
}

// advance adds incr to a GCRA arrival time as an admission at now would: from now when the
// bucket has refilled. It never moves the time past maxCostPeriods minutes ahead, so a flood
// of reports cannot lock an identity out for longer than a local request could.
func advance(tat *atomic.Int64, now, incr int64) {
	for {
		old := tat.Load()
		next := min(max(old, now)+incr, now+maxCostPeriods*period)
		if next <= old || tat.CompareAndSwap(old, next) {
			return
		}
	}
}
