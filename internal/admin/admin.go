// Package admin is the authenticated admin REST API under /admin/v1: teams, projects, users
// and virtual keys, the audit log, and the OpenAPI document that describes it all. Every
// change is checked against the caller's role, recorded in the audit log with before and
// after, and pushed into the in-memory auth snapshot at once. Used by app; imports store and
// auth.
package admin

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/guardrail"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/store"
)

// API serves /admin/v1.
type API struct {
	store  store.Store
	auth   *auth.Authenticator
	log    *slog.Logger
	creds  Credentials
	models ModelRoutes
	spend  Budgets // nil: no budgets configured
	// guardrails returns the guardrail engine in force (guardrails.go).
	guardrails func() *guardrail.Engine
	// guardrailPolicies manages stored policies (guardrail_policies.go); nil: read-only.
	guardrailPolicies *GuardrailPolicies
	// storedBudgets manages budgets stored through the API (budget_defs.go); nil: read-only.
	storedBudgets *StoredBudgets
}

// New returns the admin API over st, authenticating with a.
func New(st store.Store, a *auth.Authenticator, log *slog.Logger) *API {
	return &API{store: st, auth: a, log: log}
}

// maxAdminBody bounds admin request bodies; they are small documents.
const maxAdminBody = 1 << 20

// handler is an admin endpoint: it gets the authenticated caller and returns a value to
// encode with status, or an error.
type handler func(r *http.Request, p *auth.Principal) (status int, body any, err error)

// Register adds the routes of the route table (routes.go) to mux.
func (a *API) Register(mux *http.ServeMux) {
	for _, rt := range a.routes() {
		mux.Handle(rt.method+" "+rt.path, a.serve(rt.h))
	}
	mux.HandleFunc("GET /admin/v1/audit/export", a.exportAudit)
	mux.HandleFunc("GET /admin/v1/logs/export", a.exportLogs)
	mux.HandleFunc("GET /admin/v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, a.openAPI())
	})
	mux.HandleFunc("/admin/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, api.Errorf("not_found", "no admin endpoint %s %s", r.Method, r.URL.Path))
	})
}

func (a *API) serve(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.auth.Authenticate(r)
		if err == nil && p.Kind == auth.KindAnonymous {
			err = api.Errorf("missing_api_key", "The admin API needs a key or token with a role.")
		}
		if err != nil {
			writeError(w, api.AsError(err))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxAdminBody)
		status, body, err := h(r, p)
		if err != nil {
			e := storeError(err)
			if e.Status >= 500 {
				a.log.Error("admin request failed", "path", r.URL.Path, "err", err)
			}
			writeError(w, e)
			return
		}
		if body == nil {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, body)
	})
}

// storeError maps store sentinels to API errors; validation messages are safe to show.
func storeError(err error) *api.Error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return api.NewError("resource_not_found", "not found: "+err.Error(), err)
	case errors.Is(err, store.ErrConflict):
		return api.NewError("conflict", err.Error(), err)
	case errors.Is(err, store.ErrInvalid):
		return api.NewError("invalid_request", err.Error(), err)
	}
	return api.AsError(err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := jsonx.Marshal(v)
	if err != nil {
		writeError(w, api.AsError(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, e *api.Error) {
	body := e.AppendJSON(nil)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

// decode reads a JSON body, rejecting unknown fields: a misspelt field in an admin call
// must fail, not be ignored.
func decode(r *http.Request, v any) error {
	if err := jsonx.UnmarshalReadStrict(r.Body, v); err != nil {
		return api.NewError("invalid_json", "invalid JSON body: "+err.Error(), err)
	}
	return nil
}

func listOptions(r *http.Request) (store.ListOptions, error) {
	q := r.URL.Query()
	opts := store.ListOptions{After: q.Get("after")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return opts, api.Errorf("invalid_request", "limit must be a positive integer")
		}
		opts.Limit = n
	}
	return opts, nil
}

// page is the JSON shape of every list.
type page[T any] struct {
	Object string `json:"object"`
	Data   []T    `json:"data"`
	Next   string `json:"next,omitempty"`
}

func newPage[S, T any](p store.Page[S], view func(S) T) page[T] {
	out := page[T]{Object: "list", Data: make([]T, 0, len(p.Items)), Next: p.Next}
	for _, s := range p.Items {
		out.Data = append(out.Data, view(s))
	}
	return out
}

// audit records a change and refreshes this node's auth snapshot so it applies at once.
func (a *API) audit(r *http.Request, p *auth.Principal, action, kind, id string, before, after any) error {
	ev := store.AuditEvent{Actor: actorID(p), ActorKind: string(p.Kind), Action: action, ResourceKind: kind,
		ResourceID: id, SourceIP: sourceIP(r), RequestID: r.Header.Get("X-Request-Id")}
	var err error
	if before != nil {
		if ev.Before, err = jsonx.Marshal(before); err != nil {
			return err
		}
	}
	if after != nil {
		if ev.After, err = jsonx.Marshal(after); err != nil {
			return err
		}
	}
	if _, err := a.store.AppendAudit(r.Context(), ev); err != nil {
		return err
	}
	// Detached from the request: the change is committed, the snapshot must follow.
	return a.auth.Sync(context.WithoutCancel(r.Context()), a.store)
}

func actorID(p *auth.Principal) string {
	switch {
	case p.Kind == auth.KindMaster:
		return "master"
	case p.UserID != "":
		return p.UserID
	case p.KeyID != "":
		return p.KeyID
	}
	return string(p.Kind)
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
