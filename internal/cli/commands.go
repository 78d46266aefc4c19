package cli

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

type team struct {
	ID, Name string
	Metadata map[string]string
}

func teamsCreate(ctx context.Context, c *client, fs *flag.FlagSet, args []string) error {
	models := fs.String("models", "", "comma-separated models the team may use (default all)")
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	body := map[string]any{"name": pos[0]}
	if *models != "" {
		body["metadata"] = map[string]string{"models": *models}
	}
	var t team
	if err := c.do(ctx, "POST", "/admin/v1/teams", body, &t); err != nil {
		return err
	}
	return c.table("ID\tNAME", [][]string{{t.ID, t.Name}})
}

func teamsList(ctx context.Context, c *client, fs *flag.FlagSet, args []string) error {
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	var page struct{ Data []team }
	if err := c.do(ctx, "GET", "/admin/v1/teams?limit=1000", nil, &page); err != nil {
		return err
	}
	rows := make([][]string, 0, len(page.Data))
	for _, t := range page.Data {
		rows = append(rows, []string{t.ID, t.Name, t.Metadata["models"]})
	}
	return c.table("ID\tNAME\tMODELS", rows)
}

type user struct {
	ID, Email, Role string
	TeamIDs         []string `json:"team_ids"`
}

func usersCreate(ctx context.Context, c *client, fs *flag.FlagSet, args []string) error {
	role := fs.String("role", "member", "admin, team_admin, member or viewer")
	teamName := fs.String("team", "", "team name or id")
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	body := map[string]any{"email": pos[0], "role": *role}
	if *teamName != "" {
		id, err := c.teamID(ctx, *teamName)
		if err != nil {
			return err
		}
		body["team_ids"] = []string{id}
	}
	var u user
	if err := c.do(ctx, "POST", "/admin/v1/users", body, &u); err != nil {
		return err
	}
	return c.table("ID\tEMAIL\tROLE", [][]string{{u.ID, u.Email, u.Role}})
}

func usersList(ctx context.Context, c *client, fs *flag.FlagSet, args []string) error {
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	var page struct{ Data []user }
	if err := c.do(ctx, "GET", "/admin/v1/users?limit=1000", nil, &page); err != nil {
		return err
	}
	rows := make([][]string, 0, len(page.Data))
	for _, u := range page.Data {
		rows = append(rows, []string{u.ID, u.Email, u.Role, strings.Join(u.TeamIDs, ",")})
	}
	return c.table("ID\tEMAIL\tROLE\tTEAMS", rows)
}

type apiKey struct {
	ID, Prefix, Name string
	OwnerKind        string     `json:"owner_kind"`
	OwnerID          string     `json:"owner_id"`
	TeamID           string     `json:"team_id"`
	Models           []string   `json:"models"`
	ExpiresAt        *time.Time `json:"expires_at"`
	RevokedAt        *time.Time `json:"revoked_at"`
}

type issued struct {
	Key    string `json:"key"`
	APIKey apiKey `json:"api_key"`
}

func keysCreate(ctx context.Context, c *client, fs *flag.FlagSet, args []string) error {
	teamName := fs.String("team", "", "team name or id; with no --owner the key belongs to the team")
	owner := fs.String("owner", "", "user, team or project")
	ownerID := fs.String("owner-id", "", "id of the owning user, team or project")
	models := fs.String("models", "", "comma-separated models the key may use (default all its team allows)")
	name := fs.String("name", "", "a name for humans")
	expires := fs.Duration("expires", 0, "lifetime, e.g. 720h (default: no expiry)")
	rpm := fs.Int64("rpm", 0, "requests per minute limit")
	tpm := fs.Int64("tpm", 0, "tokens per minute limit")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	teamID, err := c.teamID(ctx, *teamName)
	if err != nil {
		return err
	}
	if *owner == "" && teamID != "" {
		*owner, *ownerID = "team", teamID
	}
	body := map[string]any{"owner_kind": *owner, "owner_id": *ownerID, "team_id": teamID, "models": split(*models),
		"name": *name, "rpm": *rpm, "tpm": *tpm}
	if *expires > 0 {
		body["expires_at"] = time.Now().Add(*expires).UTC().Format(time.RFC3339)
	}
	var out issued
	if err := c.do(ctx, "POST", "/admin/v1/keys", body, &out); err != nil {
		return err
	}
	if !c.json {
		fmt.Fprintf(c.out, "%s\n\nid %s; shown once — store it now.\n", out.Key, out.APIKey.ID)
	}
	return nil
}

func keysList(ctx context.Context, c *client, fs *flag.FlagSet, args []string) error {
	teamName := fs.String("team", "", "only this team's keys")
	revoked := fs.Bool("revoked", false, "include revoked keys")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	teamID, err := c.teamID(ctx, *teamName)
	if err != nil {
		return err
	}
	q := url.Values{"limit": {"1000"}, "team_id": {teamID}, "include_revoked": {strconv.FormatBool(*revoked)}}
	var page struct{ Data []apiKey }
	if err := c.do(ctx, "GET", "/admin/v1/keys?"+q.Encode(), nil, &page); err != nil {
		return err
	}
	rows := make([][]string, 0, len(page.Data))
	for _, k := range page.Data {
		state := "active"
		if k.RevokedAt != nil {
			state = "revoked"
		} else if k.ExpiresAt != nil && time.Now().After(*k.ExpiresAt) {
			state = "expired"
		}
		rows = append(rows, []string{k.ID, k.Prefix + "…", k.Name, k.OwnerKind + ":" + k.OwnerID, strings.Join(k.Models, ","), state})
	}
	return c.table("ID\tKEY\tNAME\tOWNER\tMODELS\tSTATE", rows)
}

func keysRevoke(ctx context.Context, c *client, fs *flag.FlagSet, args []string) error {
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if err := c.do(ctx, "POST", "/admin/v1/keys/"+url.PathEscape(pos[0])+"/revoke", nil, nil); err != nil {
		return err
	}
	if !c.json {
		fmt.Fprintf(c.out, "revoked %s\n", pos[0])
	}
	return nil
}

func keysRotate(ctx context.Context, c *client, fs *flag.FlagSet, args []string) error {
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	var out issued
	if err := c.do(ctx, "POST", "/admin/v1/keys/"+url.PathEscape(pos[0])+"/rotate", nil, &out); err != nil {
		return err
	}
	if !c.json {
		fmt.Fprintf(c.out, "%s\n\nthe old secret of %s no longer works; shown once — store it now.\n", out.Key, out.APIKey.ID)
	}
	return nil
}

func auditList(ctx context.Context, c *client, fs *flag.FlagSet, args []string) error {
	action := fs.String("action", "", "e.g. key.revoke")
	since := fs.String("since", "", "RFC 3339 time")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	q := url.Values{"limit": {"1000"}, "action": {*action}, "since": {*since}}
	var page struct {
		Data []struct {
			At         time.Time `json:"at"`
			Actor      string    `json:"actor"`
			Action     string    `json:"action"`
			ResourceID string    `json:"resource_id"`
		}
	}
	if err := c.do(ctx, "GET", "/admin/v1/audit?"+q.Encode(), nil, &page); err != nil {
		return err
	}
	rows := make([][]string, 0, len(page.Data))
	for _, e := range page.Data {
		rows = append(rows, []string{e.At.Format(time.RFC3339), e.Actor, e.Action, e.ResourceID})
	}
	return c.table("AT\tACTOR\tACTION\tRESOURCE", rows)
}
