package sqlcore

import (
	"context"

	"github.com/sluicehq/sluice/internal/store"
)

const auditCols = `id, at, actor, actor_kind, action, resource_kind, resource_id, before_json, after_json, source_ip, request_id`

func scanAudit(r Rows) (store.AuditEvent, error) {
	var e store.AuditEvent
	var before, after []byte
	err := r.Scan(&e.ID, timeDest{&e.At}, &e.Actor, &e.ActorKind, &e.Action, &e.ResourceKind, &e.ResourceID,
		rawJSONDest{&before}, rawJSONDest{&after}, &e.SourceIP, &e.RequestID)
	e.Before, e.After = before, after
	return e, err
}

// AppendAudit implements store.Store. It runs in its own transaction without bumping
// Version (see the package doc of store).
func (c *Core) AppendAudit(ctx context.Context, e store.AuditEvent) (store.AuditEvent, error) {
	if e.ID == "" {
		e.ID = store.NewID(store.PrefixAudit)
	}
	if e.At.IsZero() {
		e.At = now()
	}
	e.At = normTime(e.At)
	e.Before, e.After = emptySlice(e.Before), emptySlice(e.After)
	if err := e.Validate(); err != nil {
		return store.AuditEvent{}, c.wrap("append audit", e.Action, err)
	}
	err := c.db.Write(ctx, func(tx Querier) error {
		_, err := tx.Exec(ctx, `INSERT INTO audit_events (id, org_id, at, actor, actor_kind, action, resource_kind,
			resource_id, before_json, after_json, source_ip, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, store.DefaultOrgID, c.d.Time(e.At), e.Actor, e.ActorKind, e.Action, e.ResourceKind,
			e.ResourceID, rawJSONArg(e.Before), rawJSONArg(e.After), e.SourceIP, e.RequestID)
		return err
	})
	if err != nil {
		return store.AuditEvent{}, c.wrap("append audit", e.Action, err)
	}
	return e, nil
}

// ListAudit implements store.Store.
func (c *Core) ListAudit(ctx context.Context, f store.AuditFilter, opts store.ListOptions) (store.Page[store.AuditEvent], error) {
	l := listQuery{cols: auditCols, from: "FROM audit_events"}
	for _, eq := range []struct{ col, v string }{
		{"actor", f.Actor}, {"action", f.Action}, {"resource_kind", f.ResourceKind}, {"resource_id", f.ResourceID},
	} {
		if eq.v != "" {
			l.filter(eq.col+" = ?", eq.v)
		}
	}
	if !f.Since.IsZero() {
		l.filter("at >= ?", c.d.Time(normTime(f.Since)))
	}
	if !f.Until.IsZero() {
		l.filter("at < ?", c.d.Time(normTime(f.Until)))
	}
	p, err := page(ctx, c.db, l, opts, scanAudit, func(e *store.AuditEvent) string { return e.ID })
	return p, c.wrap("list audit", f.Action, err)
}
