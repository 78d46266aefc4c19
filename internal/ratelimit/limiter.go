package ratelimit

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// Limiter holds the live state of every limited identity. It is safe for concurrent use and
// outlives configuration reloads: limits come with each check, state stays.
type Limiter struct {
	now      func() int64 // nanoseconds on a monotonic clock
	seed     maphash.Seed
	shards   [numShards]shard
	rejected [numScopes]atomic.Uint64
	share    *share // nil unless Share was called
}

// numShards spreads identities over independent locks; a lock is taken only to add an
// identity, every later check reads under RLock.
const numShards = 64

// idleAfter is how long a full bucket with nothing in flight is kept before it is dropped: an
// identity unseen that long is indistinguishable from a new one.
const idleAfter = 2 * period

type shard struct {
	mu        sync.RWMutex
	m         map[entryKey]*entry
	lastSweep int64
	_         [32]byte // keep neighbouring shards' locks off one cache line
}

type entryKey struct {
	scope     Scope
	id, model string
}

// entry is one identity's state: GCRA arrival times for requests and tokens, and requests in
// flight.
type entry struct {
	reqTAT   atomic.Int64
	tokTAT   atomic.Int64
	inflight atomic.Int64
	// For sharing (see share.go): the identity, consumption not yet reported and the limits
	// it was charged against, and whether it waits in the report queue.
	key              entryKey
	pendReq, pendTok atomic.Int64
	rpm, tpm         atomic.Int64
	queued           atomic.Bool
}

// New returns an empty Limiter on the real clock.
func New() *Limiter {
	start := time.Now()
	return NewWithClock(func() int64 { return int64(time.Since(start)) })
}

// NewWithClock returns a Limiter reading time from now (monotonic nanoseconds), for tests.
func NewWithClock(now func() int64) *Limiter {
	l := &Limiter{now: now, seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].m = make(map[entryKey]*entry)
	}
	return l
}

// Rejected is how many requests each scope has refused since start.
func (l *Limiter) Rejected(s Scope) uint64 { return l.rejected[s].Load() }

// Len is how many identities are tracked, for tests and diagnostics.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

func (l *Limiter) entry(k entryKey) *entry {
	h := maphash.String(l.seed, k.id) + uint64(k.scope)
	if k.model != "" {
		h ^= maphash.String(l.seed, k.model) * 31
	}
	s := &l.shards[h%numShards]
	s.mu.RLock()
	e := s.m[k]
	s.mu.RUnlock()
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e = s.m[k]; e != nil {
		return e
	}
	now := l.now()
	if now-s.lastSweep > idleAfter {
		s.sweep(now)
	}
	e = &entry{key: k}
	s.m[k] = e
	return e
}

// sweep drops idle identities; it runs while a new one is added, so memory follows the number
// of identities active in the last minutes, without a goroutine.
func (s *shard) sweep(now int64) {
	s.lastSweep = now
	for k, e := range s.m {
		if e.inflight.Load() == 0 && e.reqTAT.Load() < now-idleAfter && e.tokTAT.Load() < now-idleAfter {
			delete(s.m, k)
		}
	}
}

// Kind is the dimension of a limit.
type Kind uint8

// Kinds of limit.
const (
	KindRequests Kind = iota + 1
	KindTokens
	KindConcurrency
)

func (k Kind) String() string {
	switch k {
	case KindRequests:
		return "requests per minute"
	case KindTokens:
		return "tokens per minute"
	case KindConcurrency:
		return "concurrent requests"
	}
	return "none"
}

// Status is the most restrictive applicable request and token limit after a check, in the
// terms of OpenAI's x-ratelimit-* headers. A zero limit means none applies.
type Status struct {
	RequestLimit, RequestRemaining int64
	RequestReset                   time.Duration
	TokenLimit, TokenRemaining     int64
	TokenReset                     time.Duration
}

// Decision is the outcome of Admit. When refused, Scope and Kind say which limit refused and
// RetryAfter when it will admit again.
type Decision struct {
	Allowed    bool
	Scope      Scope
	Kind       Kind
	Limit      int64
	RetryAfter time.Duration
	Status     Status
	// Ticket must be settled once the request is done, whatever its outcome.
	Ticket Ticket
}

// Ticket is an admitted request's hold on its limits: Settle corrects the token charge with
// the actual usage and releases the concurrency slots. It is a value, so admission allocates
// nothing; it must be settled exactly once.
type Ticket struct {
	l       *Limiter
	n       int
	entries [numScopes]*entry
	limits  [numScopes]Limits
	charged int64
}

// Admit checks and charges every limit applicable to req; either all are charged or none.
func (l *Limiter) Admit(p *Policy, req *Request) Decision {
	var applicable [numScopes]scoped
	n := p.limitsFor(req, &applicable)
	d := Decision{Allowed: true, Ticket: Ticket{l: l, n: n, charged: req.Tokens}}
	if n == 0 {
		return d
	}
	now := l.now()
	var incr [numScopes][2]int64 // per scope: request and token charge, for a rollback
	for i := range n {
		a := &applicable[i]
		e := l.entry(entryKey{scope: a.scope, id: a.id, model: a.model})
		d.Ticket.entries[i], d.Ticket.limits[i] = e, a.limits
		if !l.take(&d, a, e, now, req.Tokens, &incr[i]) {
			l.rejected[a.scope].Add(1)
			d.Allowed, d.Scope = false, a.scope
			d.Ticket.rollback(i+1, &incr)
			d.Ticket = Ticket{}
			return d
		}
	}
	if l.share != nil {
		l.share.note(&d.Ticket, req.Tokens)
	}
	return d
}

// take charges one scope; on refusal it records why in d and undoes its own partial charge.
func (l *Limiter) take(d *Decision, a *scoped, e *entry, now, tokens int64, incr *[2]int64) bool {
	lim := a.limits
	if lim.Concurrency > 0 {
		if e.inflight.Add(1) > lim.Concurrency {
			e.inflight.Add(-1)
			// A slot frees when some request ends; a second is a fair guess, not a promise.
			d.Kind, d.Limit, d.RetryAfter = KindConcurrency, lim.Concurrency, time.Second
			l.fillStatus(d, lim, e, now)
			return false
		}
	}
	if lim.RPM > 0 {
		r := gcraTake(&e.reqTAT, now, lim.RPM, 1)
		if !r.ok {
			l.release(e, lim)
			d.Kind, d.Limit, d.RetryAfter = KindRequests, lim.RPM, time.Duration(r.retryAfter)
			d.Status.RequestLimit, d.Status.RequestRemaining, d.Status.RequestReset = lim.RPM, 0, time.Duration(r.reset)
			if lim.TPM > 0 {
				rem, reset := gcraPeek(&e.tokTAT, now, lim.TPM)
				d.Status.TokenLimit, d.Status.TokenRemaining, d.Status.TokenReset = lim.TPM, rem, time.Duration(reset)
			}
			return false
		}
		incr[0] = r.incr
		d.Status.noteRequests(lim.RPM, r.remaining, r.reset)
	}
	if lim.TPM > 0 {
		r := gcraTake(&e.tokTAT, now, lim.TPM, tokens)
		if !r.ok {
			l.release(e, lim)
			e.reqTAT.Add(-incr[0])
			incr[0] = 0
			d.Kind, d.Limit, d.RetryAfter = KindTokens, lim.TPM, time.Duration(r.retryAfter)
			d.Status.TokenLimit, d.Status.TokenRemaining, d.Status.TokenReset = lim.TPM, 0, time.Duration(r.reset)
			return false
		}
		incr[1] = r.incr
		d.Status.noteTokens(lim.TPM, r.remaining, r.reset)
	}
	return true
}

// fillStatus reports a scope's state without charging it, for a refusal on concurrency.
func (l *Limiter) fillStatus(d *Decision, lim Limits, e *entry, now int64) {
	if lim.RPM > 0 {
		rem, reset := gcraPeek(&e.reqTAT, now, lim.RPM)
		d.Status.RequestLimit, d.Status.RequestRemaining, d.Status.RequestReset = lim.RPM, rem, time.Duration(reset)
	}
	if lim.TPM > 0 {
		rem, reset := gcraPeek(&e.tokTAT, now, lim.TPM)
		d.Status.TokenLimit, d.Status.TokenRemaining, d.Status.TokenReset = lim.TPM, rem, time.Duration(reset)
	}
}

func (l *Limiter) release(e *entry, lim Limits) {
	if lim.Concurrency > 0 {
		e.inflight.Add(-1)
	}
}

// noteRequests keeps the most restrictive request limit: the fewest remaining, then the
// smallest limit.
func (s *Status) noteRequests(limit, remaining, reset int64) {
	if s.RequestLimit == 0 || remaining < s.RequestRemaining || (remaining == s.RequestRemaining && limit < s.RequestLimit) {
		s.RequestLimit, s.RequestRemaining, s.RequestReset = limit, remaining, time.Duration(reset)
	}
}

func (s *Status) noteTokens(limit, remaining, reset int64) {
	if s.TokenLimit == 0 || remaining < s.TokenRemaining || (remaining == s.TokenRemaining && limit < s.TokenLimit) {
		s.TokenLimit, s.TokenRemaining, s.TokenReset = limit, remaining, time.Duration(reset)
	}
}

// rollback undoes the charges of the first n scopes of a refused admission; the refusing
// scope has undone its own.
func (t *Ticket) rollback(n int, incr *[numScopes][2]int64) {
	for i := range n - 1 {
		e, lim := t.entries[i], t.limits[i]
		e.reqTAT.Add(-incr[i][0])
		e.tokTAT.Add(-incr[i][1])
		t.l.release(e, lim)
	}
}

// Settle ends the request: it corrects each token limit from the estimate charged at
// admission to actual (total tokens; a negative actual means unknown and keeps the estimate)
// and frees the concurrency slots. Settling twice, or a zero Ticket, does nothing.
func (t *Ticket) Settle(actual int64) {
	if t.l == nil {
		return
	}
	for i := range t.n {
		e, lim := t.entries[i], t.limits[i]
		if lim.TPM > 0 && actual >= 0 && actual != t.charged {
			delta := min(actual, lim.TPM*maxCostPeriods) - min(t.charged, lim.TPM*maxCostPeriods)
			// A refund can move the arrival time into the past; Admit reads it as a full bucket.
			e.tokTAT.Add(delta * interval(lim.TPM))
			if s := t.l.share; s != nil {
				e.pendTok.Add(delta)
				s.enqueue(e)
			}
		}
		t.l.release(e, lim)
	}
	t.l = nil
}
