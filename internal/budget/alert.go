package budget

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/sluicehq/sluice/internal/pricing"
	"github.com/sluicehq/sluice/internal/store"
)

// Store is what the ledger needs from the store; *store.Store implementations.
type Store interface {
	AddBudgetSpend(ctx context.Context, deltas []store.BudgetSpendDelta) ([]store.BudgetSpend, error)
	InsertBudgetEvent(ctx context.Context, e store.BudgetEvent) (store.BudgetEvent, bool, error)
}

// Alert is a threshold crossing, as posted to webhooks (generic JSON format).
type Alert struct {
	Type        string     `json:"type"` // always "budget.threshold"
	EventID     string     `json:"event_id,omitempty"`
	BudgetID    string     `json:"budget_id"`
	BudgetName  string     `json:"budget_name"`
	Scope       string     `json:"scope"`
	ScopeID     string     `json:"scope_id,omitempty"`
	Period      string     `json:"period"`
	Unit        string     `json:"unit"`
	Threshold   int        `json:"threshold"` // percent
	Spent       int64      `json:"spent"`     // micro-dollars or tokens
	Limit       int64      `json:"limit"`
	PeriodStart *time.Time `json:"period_start,omitempty"`
	ResetsAt    *time.Time `json:"resets_at,omitempty"`
	ExhaustsAt  *time.Time `json:"exhausts_at,omitempty"` // forecast at the current burn rate
	Message     string     `json:"message"`
	At          time.Time  `json:"at"`
}

// alert is a crossing waiting for the delivery loop.
type alert struct {
	b         *Budget
	w         *window
	bit       uint64
	threshold int
	spent     int64
	at        time.Time
}

// checkThresholds queues an alert for every threshold w's spend has reached that this node
// has not raised yet in the period. It never blocks.
func (l *Ledger) checkThresholds(e *entry, w *window) {
	spent := w.spent()
	for i, t := range e.b.Thresholds {
		// Limits are validated to at most 1e15, so limit*100 cannot overflow.
		if spent*100 < e.b.Limit*int64(t) {
			break
		}
		l.raise(e, w, i, spent)
	}
}

// exhausted raises the 100 % threshold when a budget first refuses a request: with
// reservations that are upper bounds, spend itself may stop just short of the limit.
func (l *Ledger) exhausted(e *entry, w *window, spent int64) {
	if i := len(e.b.Thresholds) - 1; i >= 0 && e.b.Thresholds[i] == 100 {
		l.raise(e, w, i, spent)
	}
}

// raise queues threshold i's alert unless this node raised it already in the period.
func (l *Ledger) raise(e *entry, w *window, i int, spent int64) {
	bit := uint64(1) << uint(i)
	old := w.fired.Load()
	if old&bit != 0 || !w.fired.CompareAndSwap(old, old|bit) {
		return // raised here already, or another goroutine is raising one now
	}
	t := e.b.Thresholds[i]
	select {
	case l.alerts <- alert{b: e.b, w: w, bit: bit, threshold: t, spent: spent, at: l.clock()}:
	default:
		w.fired.And(^bit) // the next settle tries again
		l.log.Warn("budget alert queue full; alert postponed", "budget", e.b.ID, "threshold", t)
	}
}

// deliverAlerts records and posts alerts until stop is closed, then delivers those still
// queued (within a deadline) so a restart loses none.
func (l *Ledger) deliverAlerts(ctx context.Context, client *http.Client, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			dctx, cancel := context.WithTimeout(ctx, 2*webhookTimeout)
			defer cancel()
			for {
				select {
				case a := <-l.alerts:
					l.deliver(dctx, client, a)
				default:
					return
				}
			}
		case a := <-l.alerts:
			l.deliver(ctx, client, a)
		}
	}
}

// deliver records a in the store and posts it only when this insert created the event, so
// each threshold is sent once per period across restarts and nodes.
func (l *Ledger) deliver(ctx context.Context, client *http.Client, a alert) {
	out := l.render(a)
	if l.store != nil {
		ev, inserted, err := l.store.InsertBudgetEvent(ctx, store.BudgetEvent{
			BudgetID: a.b.ID, PeriodStart: time.Unix(0, a.w.start), Threshold: a.threshold, At: a.at,
			Spent: a.spent, Limit: a.b.Limit, Unit: a.b.Unit.String(), Message: out.Message,
		})
		if err != nil {
			a.w.fired.And(^a.bit) // raise it again on the next settle
			l.log.Warn("budget alert not recorded; will retry", "budget", a.b.ID, "threshold", a.threshold, "err", err)
			return
		}
		if !inserted {
			return // another node, or this one before a restart, sent it
		}
		out.EventID = ev.ID
	}
	l.log.Info("budget alert", "budget", a.b.ID, "threshold", a.threshold, "message", out.Message)
	for _, h := range a.b.Webhooks {
		if err := post(ctx, client, h, &out); err != nil {
			// The URL may carry a credential (Slack hooks), so it is not logged.
			l.log.Warn("budget webhook failed", "budget", a.b.ID, "threshold", a.threshold, "err", err)
		}
	}
	if l.hook != nil {
		l.hook(out)
	}
}

func (l *Ledger) render(a alert) Alert {
	b := a.b
	out := Alert{Type: "budget.threshold", BudgetID: b.ID, BudgetName: b.Name, Scope: b.Scope.String(),
		ScopeID: b.ScopeID, Period: b.Period.String(), Unit: b.Unit.String(), Threshold: a.threshold,
		Spent: a.spent, Limit: b.Limit, At: a.at.UTC()}
	if b.Period != Total {
		s, r := time.Unix(0, a.w.start).UTC(), time.Unix(0, a.w.end).UTC()
		out.PeriodStart, out.ResetsAt = &s, &r
	}
	if t, ok := forecast(b, a.w, a.spent, a.at); ok {
		out.ExhaustsAt = &t
	}
	out.Message = alertMessage(b, a.threshold, a.spent, out.ExhaustsAt)
	return out
}

// alertMessage reads like "Budget "ml" (team ml) reached 80% of its monthly limit: $80.00 of
// $100.00 spent. At the current rate it will be exhausted on Nov 18."
func alertMessage(b *Budget, threshold int, spent int64, exhausts *time.Time) string {
	who := "the organization"
	if b.Scope != ScopeOrg {
		who = b.Scope.String() + " " + b.ScopeID
	}
	msg := fmt.Sprintf("Budget %q (%s) reached %d%% of its %s limit: %s of %s spent.", b.Name, who, threshold,
		b.Period, formatAmount(b.Unit, spent), formatAmount(b.Unit, b.Limit))
	if threshold == 100 {
		msg = fmt.Sprintf("Budget %q (%s) is exhausted and refuses requests until it resets: %s of its %s limit of %s spent.",
			b.Name, who, formatAmount(b.Unit, spent), b.Period, formatAmount(b.Unit, b.Limit))
		if b.RerouteTo != "" {
			msg = fmt.Sprintf("Budget %q (%s) is exhausted; requests go to %s until it resets: %s of its %s limit of %s spent.",
				b.Name, who, b.RerouteTo, formatAmount(b.Unit, spent), b.Period, formatAmount(b.Unit, b.Limit))
		}
		return msg
	}
	if exhausts != nil {
		if spent >= b.Limit {
			return msg
		}
		return msg + fmt.Sprintf(" At the current rate %s will exhaust its %s budget on %s.", who, b.Period,
			exhausts.In(b.Location).Format("Jan 2 15:04 MST"))
	}
	if b.Period != Total {
		return msg + " At the current rate it will last the period."
	}
	return msg
}

func formatAmount(u Unit, v int64) string {
	if u == Tokens {
		return fmt.Sprintf("%d tokens", v)
	}
	return "$" + pricing.FormatUSD(v)
}

// webhookAttempts and webhookTimeout bound delivery: an unreachable hook costs at most
// about 3 × 5 s of the delivery goroutine, never a request.
const (
	webhookAttempts = 3
	webhookTimeout  = 5 * time.Second
)

func post(ctx context.Context, client *http.Client, h Webhook, a *Alert) error {
	var body []byte
	var err error
	if h.Slack {
		body, err = json.Marshal(struct {
			Text string `json:"text"`
		}{a.Message})
	} else {
		body, err = json.Marshal(a)
	}
	if err != nil {
		return fmt.Errorf("budget: encode alert: %w", err)
	}
	backoff := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err = postOnce(ctx, client, h.URL, body)
		if err == nil || attempt == webhookAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff *= 4
	}
}

func postOnce(ctx context.Context, client *http.Client, url string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("budget: webhook request: %w", redactURL(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sluice-budget-alerts")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("budget: post webhook: %w", redactURL(err))
	}
	_ = resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("budget: webhook answered %s", resp.Status)
	}
	return nil
}

// redactURL drops the URL from net/http's errors, which would otherwise put a hook's
// credential in the log.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
