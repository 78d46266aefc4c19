package budget

import (
	"math"
	"time"
)

// Status is a budget's state in its current period.
type Status struct {
	BudgetID   string `json:"budget_id"`
	Name       string `json:"name"`
	Scope      string `json:"scope"`
	ScopeID    string `json:"scope_id,omitempty"`
	Unit       string `json:"unit"` // usd (amounts in micro-dollars) or tokens
	Period     string `json:"period"`
	Timezone   string `json:"timezone"`
	Thresholds []int  `json:"thresholds"`
	OnExceed   string `json:"on_exceed"`
	RerouteTo  string `json:"reroute_to,omitempty"`

	Limit       int64      `json:"limit"`
	Spent       int64      `json:"spent"`
	Reserved    int64      `json:"reserved"` // held by requests in flight on this node
	Remaining   int64      `json:"remaining"`
	Utilization float64    `json:"utilization"` // spent / limit
	PeriodStart *time.Time `json:"period_start,omitempty"`
	PeriodEnd   *time.Time `json:"period_end,omitempty"`
	ResetsAt    *time.Time `json:"resets_at,omitempty"`
	// ExhaustsAt is when the budget runs out at the burn rate since the period began; nil
	// when it lasts the period (or nothing was spent yet).
	ExhaustsAt *time.Time `json:"exhausts_at,omitempty"`
}

// Status reports budget id; false when no such budget is configured.
func (l *Ledger) Status(id string) (Status, bool) {
	e := l.set.Load().byID[id]
	if e == nil {
		return Status{}, false
	}
	now := l.clock()
	w := l.window(e, now.UnixNano())
	b := e.b
	st := Status{BudgetID: b.ID, Name: b.Name, Scope: b.Scope.String(), ScopeID: b.ScopeID, Unit: b.Unit.String(),
		Period: b.Period.String(), Timezone: b.Location.String(), Thresholds: b.Thresholds, OnExceed: "block",
		RerouteTo: b.RerouteTo, Limit: b.Limit, Spent: w.spent(), Reserved: w.reserved.Load()}
	if b.RerouteTo != "" {
		st.OnExceed = "reroute"
	}
	st.Remaining = max(st.Limit-st.Spent, 0)
	st.Utilization = math.Round(float64(st.Spent)/float64(st.Limit)*1e4) / 1e4
	if b.Period != Total {
		s, end := time.Unix(0, w.start).UTC(), time.Unix(0, w.end).UTC()
		st.PeriodStart, st.PeriodEnd, st.ResetsAt = &s, &end, &end
	}
	if t, ok := forecast(b, w, st.Spent, now); ok {
		st.ExhaustsAt = &t
	}
	return st, true
}

// Utilization returns every budget's spent/limit in its current period, for the metrics.
func (l *Ledger) Utilization(yield func(id string, u float64)) {
	now := l.clock().UnixNano()
	for id, e := range l.set.Load().byID {
		w := l.window(e, now)
		yield(id, float64(w.spent())/float64(e.b.Limit))
	}
}

// forecast extrapolates the burn rate since the period began (or, for a total budget, since
// its first recorded spend) to when the limit is reached; false when that is after the
// period ends or nothing has been spent.
func forecast(b *Budget, w *window, spent int64, now time.Time) (time.Time, bool) {
	if spent <= 0 {
		return time.Time{}, false
	}
	if spent >= b.Limit {
		return now.UTC(), true
	}
	since := w.since.Load()
	elapsed := now.UnixNano() - since
	if since == 0 || elapsed <= 0 {
		return time.Time{}, false
	}
	rate := float64(spent) / float64(elapsed) // per nanosecond
	left := float64(b.Limit-spent) / rate
	if left > float64(math.MaxInt64-now.UnixNano()) {
		return time.Time{}, false
	}
	at := now.UnixNano() + int64(left)
	if at >= w.end {
		return time.Time{}, false
	}
	return time.Unix(0, at).UTC(), true
}
