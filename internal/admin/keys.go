package admin

import (
	"context"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/store"
)

type keyInput struct {
	Name      string            `json:"name"`
	OwnerKind string            `json:"owner_kind"`
	OwnerID   string            `json:"owner_id"`
	TeamID    string            `json:"team_id"`
	Models    []string          `json:"models"`
	ExpiresAt *time.Time        `json:"expires_at"`
	RPM       int64             `json:"rpm"`
	TPM       int64             `json:"tpm"`
	BudgetID  string            `json:"budget_id"`
	Tags      map[string]string `json:"tags"`
}

// createKey issues a key. Without an owner, the key is the caller's own user key.
func (a *API) createKey(r *http.Request, p *auth.Principal) (int, any, error) {
	var in keyInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if in.OwnerKind == "" {
		in.OwnerKind, in.OwnerID = string(store.OwnerUser), p.UserID
	}
	k := store.APIKey{Name: in.Name, OwnerKind: store.OwnerKind(in.OwnerKind), OwnerID: in.OwnerID, TeamID: in.TeamID,
		Models: in.Models, ExpiresAt: in.ExpiresAt, RPM: in.RPM, TPM: in.TPM, BudgetID: in.BudgetID, Tags: in.Tags}
	if err := a.mayIssue(r.Context(), p, &k); err != nil {
		return 0, nil, err
	}
	plaintext, prefix, err := auth.NewKey()
	if err != nil {
		return 0, nil, err
	}
	k.Prefix, k.Hash = prefix, a.auth.Hasher().Hash(plaintext)
	k, err = a.store.CreateKey(r.Context(), k)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, issuedKey{Key: plaintext, APIKey: viewKey(k)},
		a.audit(r, p, "key.create", "key", k.ID, nil, viewKey(k))
}

// mayIssue finds the team a new key belongs to and checks the caller may issue it there.
func (a *API) mayIssue(ctx context.Context, p *auth.Principal, k *store.APIKey) error {
	switch k.OwnerKind {
	case store.OwnerTeam:
		k.TeamID = k.OwnerID
	case store.OwnerProject:
		pr, err := a.store.GetProject(ctx, k.OwnerID)
		if err != nil {
			return err
		}
		k.TeamID, k.ProjectID = pr.TeamID, pr.ID
	case store.OwnerUser:
		if k.OwnerID == p.UserID && k.OwnerID != "" && p.Role != store.RoleViewer {
			return nil // one's own key, in a team one belongs to (the store checks membership)
		}
	}
	if k.TeamID != "" && canManageTeam(p, k.TeamID) {
		return nil
	}
	if p.IsAdmin() {
		return nil
	}
	return forbidden("issuing this key needs admin, or team_admin of its team")
}

func (a *API) listKeys(r *http.Request, p *auth.Principal) (int, any, error) {
	opts, err := listOptions(r)
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	f := store.KeyFilter{TeamID: q.Get("team_id"), OwnerKind: store.OwnerKind(q.Get("owner_kind")),
		OwnerID: q.Get("owner_id"), IncludeRevoked: q.Get("include_revoked") == "true"}
	switch {
	case p.IsAdmin():
	case f.TeamID != "" && canManageTeam(p, f.TeamID):
	case p.UserID != "":
		f.OwnerKind, f.OwnerID = store.OwnerUser, p.UserID // everyone else sees their own keys
	default:
		return 0, nil, forbidden("listing keys needs admin or team_admin of ?team_id=")
	}
	pg, err := a.store.ListKeys(r.Context(), f, opts)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(pg, viewKey), nil
}

func (a *API) getKey(r *http.Request, p *auth.Principal) (int, any, error) {
	k, err := a.store.GetKey(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if !canReadKey(p, k) {
		return 0, nil, forbidden("reading key %s needs admin, its team's team_admin or its owner", k.ID)
	}
	return http.StatusOK, viewKey(k), nil
}

// keyForChange loads a key and checks the caller may change it.
func (a *API) keyForChange(r *http.Request, p *auth.Principal) (store.APIKey, error) {
	k, err := a.store.GetKey(r.Context(), r.PathValue("id"))
	if err != nil {
		return k, err
	}
	if !canManageKey(p, k) {
		return k, forbidden("changing key %s needs admin, its team's team_admin or its owner", k.ID)
	}
	return k, nil
}

func (a *API) updateKey(r *http.Request, p *auth.Principal) (int, any, error) {
	before, err := a.keyForChange(r, p)
	if err != nil {
		return 0, nil, err
	}
	in := keyInput{Name: before.Name, Models: before.Models, ExpiresAt: before.ExpiresAt, RPM: before.RPM,
		TPM: before.TPM, BudgetID: before.BudgetID, Tags: before.Tags}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	upd := before
	upd.Name, upd.Models, upd.ExpiresAt, upd.RPM, upd.TPM, upd.BudgetID, upd.Tags =
		in.Name, in.Models, in.ExpiresAt, in.RPM, in.TPM, in.BudgetID, in.Tags
	k, err := a.store.UpdateKey(r.Context(), upd)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewKey(k), a.audit(r, p, "key.update", "key", k.ID, viewKey(before), viewKey(k))
}

// revokeKey retires a key; it stops working on this node for the very next request.
func (a *API) revokeKey(r *http.Request, p *auth.Principal) (int, any, error) {
	before, err := a.keyForChange(r, p)
	if err != nil {
		return 0, nil, err
	}
	k, err := a.store.RevokeKey(r.Context(), before.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewKey(k), a.audit(r, p, "key.revoke", "key", k.ID, viewKey(before), viewKey(k))
}

// rotateKey replaces a key's secret: the old one stops working as the new one starts.
func (a *API) rotateKey(r *http.Request, p *auth.Principal) (int, any, error) {
	before, err := a.keyForChange(r, p)
	if err != nil {
		return 0, nil, err
	}
	plaintext, prefix, err := auth.NewKey()
	if err != nil {
		return 0, nil, err
	}
	k, err := a.store.RotateKey(r.Context(), before.ID, prefix, a.auth.Hasher().Hash(plaintext))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, issuedKey{Key: plaintext, APIKey: viewKey(k)},
		a.audit(r, p, "key.rotate", "key", k.ID, viewKey(before), viewKey(k))
}
