package auth

import (
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// TeamModelsKey is the team metadata entry that restricts the models of every key and user of
// the team: comma-separated patterns such as "gpt-4o*,anthropic/*". Absent means all models.
const TeamModelsKey = "models"

// index is one immutable view of the store, built from a snapshot and read without locks.
type index struct {
	version     int64
	byHash      map[string]*keyEntry // string(hash) -> key
	teamsByName map[string]*store.Team
	teamsByID   map[string]*store.Team
	usersByMail map[string]*store.User
}

type keyEntry struct {
	principal Principal
	expiresAt *time.Time
}

func buildIndex(snap *store.Snapshot) *index {
	idx := &index{
		version:     snap.Version,
		byHash:      make(map[string]*keyEntry, len(snap.Keys)),
		teamsByName: make(map[string]*store.Team, len(snap.Teams)),
		teamsByID:   make(map[string]*store.Team, len(snap.Teams)),
		usersByMail: make(map[string]*store.User, len(snap.Users)),
	}
	for i := range snap.Teams {
		t := &snap.Teams[i]
		idx.teamsByName[t.Name], idx.teamsByID[t.ID] = t, t
	}
	usersByID := make(map[string]*store.User, len(snap.Users))
	for i := range snap.Users {
		u := &snap.Users[i]
		usersByID[u.ID], idx.usersByMail[u.Email] = u, u
	}
	for i := range snap.Keys {
		k := &snap.Keys[i]
		if k.Revoked() {
			continue
		}
		p := Principal{Kind: KindKey, KeyID: k.ID, KeyName: k.Name, TeamID: k.TeamID, ProjectID: k.ProjectID,
			Role: store.RoleMember, keyModels: nilIfEmpty(k.Models), RPM: k.RPM, TPM: k.TPM, BudgetID: k.BudgetID, Tags: k.Tags}
		if k.OwnerKind == store.OwnerUser {
			if u := usersByID[k.OwnerID]; u != nil {
				p.UserID, p.Email, p.Role, p.Teams = u.ID, u.Email, u.Role, u.TeamIDs
			}
		}
		if t := idx.teamsByID[k.TeamID]; t != nil {
			p.TeamName, p.teamModels = t.Name, teamModels(t)
			p.teamLogBodies = t.Metadata[LogBodiesKey]
		}
		idx.byHash[string(k.Hash)] = &keyEntry{principal: p, expiresAt: k.ExpiresAt}
	}
	return idx
}

func teamModels(t *store.Team) []string {
	v, ok := t.Metadata[TeamModelsKey]
	if !ok {
		return nil
	}
	var out []string
	for _, m := range strings.Split(v, ",") {
		if m = strings.TrimSpace(m); m != "" {
			out = append(out, m)
		}
	}
	if out == nil {
		out = []string{} // "models: ''" allows nothing, which is different from no policy
	}
	return out
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
