package admin

import (
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// The JSON shapes of admin resources. Keys never carry their hash; the plaintext appears
// only in the response that creates or rotates a key.

type teamView struct {
	ID        string            `json:"id"`
	Object    string            `json:"object"`
	Name      string            `json:"name"`
	Metadata  map[string]string `json:"metadata,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
}

func viewTeam(t store.Team) teamView {
	return teamView{ID: t.ID, Object: "team", Name: t.Name, Metadata: t.Metadata, CreatedAt: t.CreatedAt}
}

type projectView struct {
	ID        string    `json:"id"`
	Object    string    `json:"object"`
	TeamID    string    `json:"team_id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

func viewProject(p store.Project) projectView {
	return projectView{ID: p.ID, Object: "project", TeamID: p.TeamID, Name: p.Name, CreatedAt: p.CreatedAt}
}

type userView struct {
	ID        string    `json:"id"`
	Object    string    `json:"object"`
	Email     string    `json:"email"`
	Name      string    `json:"name,omitempty"`
	Role      string    `json:"role"`
	TeamIDs   []string  `json:"team_ids"`
	CreatedAt time.Time `json:"created_at"`
}

func viewUser(u store.User) userView {
	teams := u.TeamIDs
	if teams == nil {
		teams = []string{}
	}
	return userView{ID: u.ID, Object: "user", Email: u.Email, Name: u.Name, Role: string(u.Role), TeamIDs: teams, CreatedAt: u.CreatedAt}
}

type keyView struct {
	ID            string            `json:"id"`
	Object        string            `json:"object"`
	Prefix        string            `json:"prefix"`
	Name          string            `json:"name,omitempty"`
	OwnerKind     string            `json:"owner_kind"`
	OwnerID       string            `json:"owner_id"`
	TeamID        string            `json:"team_id,omitempty"`
	ProjectID     string            `json:"project_id,omitempty"`
	Models        []string          `json:"models"`
	ExpiresAt     *time.Time        `json:"expires_at,omitempty"`
	RevokedAt     *time.Time        `json:"revoked_at,omitempty"`
	RPM           int64             `json:"rpm,omitzero"`
	TPM           int64             `json:"tpm,omitzero"`
	BudgetID      string            `json:"budget_id,omitempty"`
	Tags          map[string]string `json:"tags,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
	LastRotatedAt *time.Time        `json:"last_rotated_at,omitempty"`
}

func viewKey(k store.APIKey) keyView {
	models := k.Models
	if models == nil {
		models = []string{}
	}
	return keyView{ID: k.ID, Object: "api_key", Prefix: k.Prefix, Name: k.Name, OwnerKind: string(k.OwnerKind),
		OwnerID: k.OwnerID, TeamID: k.TeamID, ProjectID: k.ProjectID, Models: models, ExpiresAt: k.ExpiresAt,
		RevokedAt: k.RevokedAt, RPM: k.RPM, TPM: k.TPM, BudgetID: k.BudgetID, Tags: k.Tags, CreatedAt: k.CreatedAt,
		LastRotatedAt: k.LastRotatedAt}
}

// issuedKey is the answer to creating or rotating a key: the only time the secret is shown.
type issuedKey struct {
	Key    string  `json:"key"`
	APIKey keyView `json:"api_key"`
}

type auditView struct {
	ID           string    `json:"id"`
	At           time.Time `json:"at"`
	Actor        string    `json:"actor"`
	ActorKind    string    `json:"actor_kind"`
	Action       string    `json:"action"`
	ResourceKind string    `json:"resource_kind"`
	ResourceID   string    `json:"resource_id"`
	Before       any       `json:"before,omitempty"`
	After        any       `json:"after,omitempty"`
	SourceIP     string    `json:"source_ip,omitempty"`
	RequestID    string    `json:"request_id,omitempty"`
}

func viewAudit(e store.AuditEvent) auditView {
	v := auditView{ID: e.ID, At: e.At, Actor: e.Actor, ActorKind: e.ActorKind, Action: e.Action,
		ResourceKind: e.ResourceKind, ResourceID: e.ResourceID, SourceIP: e.SourceIP, RequestID: e.RequestID}
	if len(e.Before) > 0 {
		v.Before = rawJSON(e.Before)
	}
	if len(e.After) > 0 {
		v.After = rawJSON(e.After)
	}
	return v
}
