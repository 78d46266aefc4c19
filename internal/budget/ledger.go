package budget

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/internal/coalesce"
)

// window holds one budget's counters for one period.
type window struct {
	id         string // the budget's
	seq        uint64 // this incarnation, unique in the ledger: names it in broadcasts
	start, end int64  // Unix nanoseconds, [start, end)
	// merged is the spend the store reported at the last sync (every node's, this one's
	// flushed part included); pending is this node's settled spend not yet flushed.
	merged   atomic.Int64
	pending  atomic.Int64
	reserved atomic.Int64
	// fired has bit i set once threshold i was raised here, so the store is asked once.
	fired atomic.Uint64
	// since is when spending in the period began, for the burn rate: the period start, or
	// for a total budget the first spend the store has seen.
	since atomic.Int64
	// settled is all this node settled in the window, flushed or not: what it broadcasts.
	settled atomic.Int64
	// remote is the other nodes' spend heard over the control plane and not yet in merged
	// (remote.go); peers holds its parts.
	remote atomic.Int64
	dirty  atomic.Bool // queued for broadcast
	peers  peers
}

func (w *window) spent() int64 { return w.merged.Load() + w.pending.Load() + w.remote.Load() }

// add charges v settled here to w.
func (l *Ledger) add(w *window, v int64) {
	w.pending.Add(v)
	w.settled.Add(v)
	l.bcast.Add(w, &w.dirty)
}

// state is one budget's counters across periods. It outlives reloads of the budget set, so
// changing a budget's thresholds does not lose its spend.
type state struct {
	cur atomic.Pointer[window]
	// calendar is the period and zone the windows were cut with; a reload that changes
	// them starts afresh rather than keep a window of the old shape.
	calendar string
}

// Amount is a request's size in both units.
type Amount struct {
	Tokens   int64
	MicroUSD int64
}

// Estimate is what Admit reserves: the prompt (an upper-bound guess), the completion cap,
// and the prices of the route's most expensive target.
type Estimate struct {
	PromptTokens int64
	// MaxTokens is the request's max_tokens, or 0 when it set none; then each budget
	// reserves its ReserveTokens.
	MaxTokens int64
	// Micro-dollars per million tokens.
	PromptPerMTok, CompletionPerMTok int64
	// NoCompletion marks requests that produce no completion tokens (embeddings).
	NoCompletion bool
}

// of prices the estimate for b.
func (e *Estimate) of(b *Budget) int64 {
	completion := e.MaxTokens
	if completion <= 0 && !e.NoCompletion {
		completion = b.ReserveTokens
	}
	if b.Unit == Tokens {
		return e.PromptTokens + completion
	}
	return ceilDiv(e.PromptTokens*e.PromptPerMTok+completion*e.CompletionPerMTok, 1_000_000)
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// Exceeded is the error for a request the budget cannot fit.
type Exceeded struct {
	Budget   *Budget
	ResetsAt time.Time // zero for a total budget
	Spent    int64
}

func (e *Exceeded) Error() string {
	msg := fmt.Sprintf("budget %q (%s %s) is exhausted: %s of %s spent", e.Budget.Name, e.Budget.Period,
		e.Budget.Scope, formatAmount(e.Budget.Unit, e.Spent), formatAmount(e.Budget.Unit, e.Budget.Limit))
	if e.ResetsAt.IsZero() {
		return msg + "; it does not reset"
	}
	return msg + "; it resets at " + e.ResetsAt.In(e.Budget.Location).Format(time.RFC3339)
}

// ErrTooManyBudgets refuses a request covered by more than maxCovering budgets.
var ErrTooManyBudgets = errors.New("budget: request is covered by more than 8 budgets")

// hold is one budget's part of a reservation.
type hold struct {
	e      *entry
	w      *window
	amount int64
}

// Reservation is what Admit reserved; pass it to Settle exactly once. The zero value
// reserves nothing.
type Reservation struct {
	holds [maxCovering]hold
	n     int
	// RerouteTo is set when a budget that reroutes is spent: send the request there.
	RerouteTo string
	// RerouteBudget names that budget.
	RerouteBudget string
}

// Clock tells the time; tests inject one.
type Clock func() time.Time

// Ledger admits and settles requests against budgets.
type Ledger struct {
	set   atomic.Pointer[set]
	clock Clock
	log   *slog.Logger

	syncMu  sync.Mutex // one Sync at a time: it owns merged
	mu      sync.Mutex
	states  map[string]*state // by budget ID, kept across reloads
	retired []retiredWindow   // past periods with spend still to flush

	store Store // nil: memory only
	seq   atomic.Uint64
	// peerTTL is Options.PeerTTL, or 0 until Run sets its default.
	peerTTL atomic.Int64
	bcast   *coalesce.Queue[*window] // nil: broadcasts are off
	alerts  chan alert
	hook    func(Alert) // test observer of alerts that were sent; nil in production
}

type retiredWindow struct {
	id string
	w  *window
}

// Options configure a Ledger.
type Options struct {
	Clock  Clock
	Store  Store // persists spend and deduplicates alerts; nil keeps everything in memory
	Logger *slog.Logger
	// AlertQueue bounds alerts waiting for delivery; default 256. Alerts beyond it are
	// dropped and logged, never waited for.
	AlertQueue int
	// BroadcastQueue, when > 0, turns on spend broadcasts (remote.go): it bounds the
	// windows waiting to be sent; beyond it a settle's notice is dropped and counted.
	BroadcastQueue int
	// PeerTTL forgets another node's unflushed spend not heard of for this long (the node
	// died, or the control plane is down and the store has taken over). Default
	// 3 × the Run interval.
	PeerTTL time.Duration
}

// New returns a Ledger with budgets bs.
func New(bs []*Budget, opts Options) *Ledger {
	l := &Ledger{clock: opts.Clock, log: opts.Logger, store: opts.Store, states: map[string]*state{}}
	if l.clock == nil {
		l.clock = time.Now
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	l.alerts = make(chan alert, max(opts.AlertQueue, 256))
	if opts.BroadcastQueue > 0 {
		l.bcast = coalesce.New[*window](opts.BroadcastQueue)
	}
	l.peerTTL.Store(int64(opts.PeerTTL))
	l.Swap(bs)
	return l
}

// Swap installs a new set of budgets; counters of budgets that keep their ID are kept.
func (l *Ledger) Swap(bs []*Budget) {
	l.mu.Lock()
	defer l.mu.Unlock()
	entries := make([]*entry, 0, len(bs))
	for _, b := range bs {
		cal := b.Period.String() + " " + b.Location.String()
		st := l.states[b.ID]
		if st == nil || st.calendar != cal {
			if old := st; old != nil {
				if w := old.cur.Load(); w != nil {
					l.retired = append(l.retired, retiredWindow{b.ID, w})
				}
			}
			st = &state{calendar: cal}
			l.states[b.ID] = st
		}
		entries = append(entries, &entry{b: b, st: st})
	}
	l.set.Store(newSet(entries))
}

// Budgets returns the budgets in force.
func (l *Ledger) Budgets() []*Budget {
	s := l.set.Load()
	out := make([]*Budget, 0, len(s.byID))
	for _, e := range s.byID {
		out = append(out, e.b)
	}
	return out
}

// window returns e's counters for the period containing now, starting a new period when
// the current one has ended.
func (l *Ledger) window(e *entry, now int64) *window {
	for {
		w := e.st.cur.Load()
		if w != nil && now >= w.start && now < w.end {
			return w
		}
		start, end := e.b.Period.bounds(time.Unix(0, now), e.b.Location)
		if w != nil && w.start == start && w.end == end {
			return w // a clock step back inside the same period
		}
		nw := &window{id: e.b.ID, seq: l.seq.Add(1), start: start, end: end}
		if e.b.Period != Total {
			nw.since.Store(start)
		}
		if e.st.cur.CompareAndSwap(w, nw) {
			if w != nil {
				l.mu.Lock()
				l.retired = append(l.retired, retiredWindow{e.b.ID, w})
				l.mu.Unlock()
			}
			return nw
		}
	}
}

// Admit reserves est on every budget covering who. It fails with *Exceeded when a
// blocking budget cannot fit the estimate on top of its spend and reservations; a spent
// budget that reroutes instead sets RerouteTo and is charged without a reservation.
func (l *Ledger) Admit(who *Who, est *Estimate) (Reservation, error) {
	var res Reservation
	s := l.set.Load()
	if len(s.byID) == 0 {
		return res, nil
	}
	var buf [maxCovering]*entry
	cover := s.covering(buf[:0], who)
	if len(cover) > maxCovering {
		return res, ErrTooManyBudgets
	}
	now := l.clock().UnixNano()
	for _, e := range cover {
		w := l.window(e, now)
		amount := est.of(e.b)
		reserved := w.reserved.Add(amount)
		if spent := w.spent(); spent+reserved > e.b.Limit {
			w.reserved.Add(-amount)
			l.exhausted(e, w, spent)
			if e.b.RerouteTo == "" {
				l.release(&res)
				return Reservation{}, l.exceeded(e, w, spent)
			}
			if res.RerouteTo == "" {
				res.RerouteTo, res.RerouteBudget = e.b.RerouteTo, e.b.ID
			}
			amount = 0
		}
		res.holds[res.n] = hold{e: e, w: w, amount: amount}
		res.n++
	}
	return res, nil
}

func (l *Ledger) exceeded(e *entry, w *window, spent int64) *Exceeded {
	x := &Exceeded{Budget: e.b, Spent: spent}
	if w.end != totalEnd {
		x.ResetsAt = time.Unix(0, w.end)
	}
	return x
}

// release gives back what res reserved without charging anything.
func (l *Ledger) release(res *Reservation) {
	for i := range res.n {
		h := &res.holds[i]
		h.w.reserved.Add(-h.amount)
	}
	res.n = 0
}

// SettleReserved settles res charging each budget what it reserved: for a request whose
// usage is unknown although it ran, the reservation is the best upper bound there is.
func (l *Ledger) SettleReserved(res *Reservation) {
	for i := range res.n {
		h := &res.holds[i]
		h.w.reserved.Add(-h.amount)
		if h.amount <= 0 {
			continue
		}
		l.add(h.w, h.amount)
		l.checkThresholds(h.e, h.w)
	}
	res.n = 0
}

// Settle releases res and charges actual to each budget it covered, in the period the
// reservation was made in (a request that straddles midnight counts in the old period).
// Call it exactly once per Admit; a failed request settles with a zero Amount.
func (l *Ledger) Settle(res *Reservation, actual Amount) {
	for i := range res.n {
		h := &res.holds[i]
		h.w.reserved.Add(-h.amount)
		v := actual.MicroUSD
		if h.e.b.Unit == Tokens {
			v = actual.Tokens
		}
		if v <= 0 {
			continue
		}
		l.add(h.w, v)
		if h.e.b.Period == Total {
			h.w.since.CompareAndSwap(0, l.clock().UnixNano())
		}
		l.checkThresholds(h.e, h.w)
	}
	res.n = 0
}
