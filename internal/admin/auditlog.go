package admin

import (
	"net/http"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/store"
)

func auditFilter(r *http.Request) (store.AuditFilter, error) {
	q := r.URL.Query()
	f := store.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), ResourceKind: q.Get("resource_kind"), ResourceID: q.Get("resource_id")}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, api.Errorf("invalid_request", "%s must be an RFC 3339 time, e.g. 2026-11-01T00:00:00Z", name)
			}
			*dst = t
		}
	}
	return f, nil
}

// listAudit pages the audit log; the API offers no way to change or delete it.
func (a *API) listAudit(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	f, err := auditFilter(r)
	if err != nil {
		return 0, nil, err
	}
	opts, err := listOptions(r)
	if err != nil {
		return 0, nil, err
	}
	pg, err := a.store.ListAudit(r.Context(), f, opts)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(pg, viewAudit), nil
}

// exportAudit streams the whole filtered log as JSON lines, for a SIEM.
func (a *API) exportAudit(w http.ResponseWriter, r *http.Request) {
	p, err := a.auth.Authenticate(r)
	if err == nil {
		err = requireAdmin(p)
	}
	f, ferr := auditFilter(r)
	if err == nil {
		err = ferr
	}
	if err != nil {
		writeError(w, api.AsError(err))
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	opts := store.ListOptions{Limit: store.MaxLimit}
	for {
		pg, err := a.store.ListAudit(r.Context(), f, opts)
		if err != nil {
			a.log.Error("audit export failed", "err", err)
			return // the client sees a truncated export without the final page marker
		}
		for _, e := range pg.Items {
			line, _ := jsonx.Marshal(viewAudit(e))
			_, _ = w.Write(append(line, '\n'))
		}
		if pg.Next == "" {
			return
		}
		opts.After = pg.Next
	}
}
