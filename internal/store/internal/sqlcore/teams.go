package sqlcore

import (
	"context"
	"fmt"

	"github.com/sluicehq/sluice/internal/store"
)

const teamCols = `id, name, metadata, created_at`

func scanTeam(r Rows) (store.Team, error) {
	var t store.Team
	err := r.Scan(&t.ID, &t.Name, jsonDest{&t.Metadata}, timeDest{&t.CreatedAt})
	t.Metadata = emptyMap(t.Metadata)
	return t, err
}

// CreateTeam implements store.Store.
func (c *Core) CreateTeam(ctx context.Context, t store.Team) (store.Team, error) {
	if t.ID == "" {
		t.ID = store.NewID(store.PrefixTeam)
	}
	t.CreatedAt, t.Metadata = now(), emptyMap(t.Metadata)
	if err := t.Validate(); err != nil {
		return store.Team{}, c.wrap("create team", t.Name, err)
	}
	meta, err := jsonArg(t.Metadata)
	if err != nil {
		return store.Team{}, c.wrap("create team", t.Name, err)
	}
	err = c.write(ctx, "create team", t.Name, func(tx Querier) error {
		_, err := tx.Exec(ctx, `INSERT INTO teams (id, org_id, name, metadata, created_at) VALUES (?, ?, ?, ?, ?)`,
			t.ID, store.DefaultOrgID, t.Name, meta, c.d.Time(t.CreatedAt))
		return err
	})
	if err != nil {
		return store.Team{}, err
	}
	return t, nil
}

// GetTeam implements store.Store.
func (c *Core) GetTeam(ctx context.Context, id string) (store.Team, error) {
	var t store.Team
	err := one(ctx, c.db, "team", id, func(r Rows) (err error) { t, err = scanTeam(r); return err },
		`SELECT `+teamCols+` FROM teams WHERE id = ?`, id)
	return t, c.wrap("get team", id, err)
}

// UpdateTeam implements store.Store.
func (c *Core) UpdateTeam(ctx context.Context, t store.Team) (store.Team, error) {
	t.Metadata = emptyMap(t.Metadata)
	if err := t.Validate(); err != nil {
		return store.Team{}, c.wrap("update team", t.ID, err)
	}
	meta, err := jsonArg(t.Metadata)
	if err != nil {
		return store.Team{}, c.wrap("update team", t.ID, err)
	}
	var out store.Team
	err = c.write(ctx, "update team", t.ID, func(tx Querier) error {
		return one(ctx, tx, "team", t.ID, func(r Rows) (err error) { out, err = scanTeam(r); return err },
			`UPDATE teams SET name = ?, metadata = ? WHERE id = ? RETURNING `+teamCols, t.Name, meta, t.ID)
	})
	return out, err
}

// DeleteTeam implements store.Store. Memberships go with the team (ON DELETE CASCADE);
// projects and keys block it (their foreign keys restrict), which Classify reports as
// ErrConflict.
func (c *Core) DeleteTeam(ctx context.Context, id string) error {
	return c.write(ctx, "delete team", id, func(tx Querier) error {
		n, err := tx.Exec(ctx, `DELETE FROM teams WHERE id = ?`, id)
		return mustAffect(n, err, "team", id)
	})
}

// ListTeams implements store.Store.
func (c *Core) ListTeams(ctx context.Context, opts store.ListOptions) (store.Page[store.Team], error) {
	p, err := page(ctx, c.db, listQuery{cols: teamCols, from: "FROM teams"}, opts, scanTeam,
		func(t *store.Team) string { return t.ID })
	return p, c.wrap("list teams", opts.After, err)
}

const projectCols = `id, team_id, name, created_at`

func scanProject(r Rows) (store.Project, error) {
	var p store.Project
	err := r.Scan(&p.ID, &p.TeamID, &p.Name, timeDest{&p.CreatedAt})
	return p, err
}

// CreateProject implements store.Store.
func (c *Core) CreateProject(ctx context.Context, p store.Project) (store.Project, error) {
	if p.ID == "" {
		p.ID = store.NewID(store.PrefixProject)
	}
	p.CreatedAt = now()
	if err := p.Validate(); err != nil {
		return store.Project{}, c.wrap("create project", p.Name, err)
	}
	err := c.write(ctx, "create project", p.Name, func(tx Querier) error {
		if err := exists(ctx, tx, "teams", "team", p.TeamID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO projects (id, org_id, team_id, name, created_at) VALUES (?, ?, ?, ?, ?)`,
			p.ID, store.DefaultOrgID, p.TeamID, p.Name, c.d.Time(p.CreatedAt))
		return err
	})
	if err != nil {
		return store.Project{}, err
	}
	return p, nil
}

// GetProject implements store.Store.
func (c *Core) GetProject(ctx context.Context, id string) (store.Project, error) {
	var p store.Project
	err := one(ctx, c.db, "project", id, func(r Rows) (err error) { p, err = scanProject(r); return err },
		`SELECT `+projectCols+` FROM projects WHERE id = ?`, id)
	return p, c.wrap("get project", id, err)
}

// UpdateProject implements store.Store. A project cannot move between teams (its keys'
// TeamID would go stale): a TeamID other than "" or the current one is ErrInvalid.
func (c *Core) UpdateProject(ctx context.Context, p store.Project) (store.Project, error) {
	var cur store.Project
	err := c.write(ctx, "update project", p.ID, func(tx Querier) error {
		err := one(ctx, tx, "project", p.ID, func(r Rows) (err error) { cur, err = scanProject(r); return err },
			`SELECT `+projectCols+` FROM projects WHERE id = ?`, p.ID)
		if err != nil {
			return err
		}
		if p.TeamID != "" && p.TeamID != cur.TeamID {
			return fmt.Errorf("%w project: team_id: a project cannot move between teams", store.ErrInvalid)
		}
		cur.Name = p.Name
		if err := cur.Validate(); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE projects SET name = ? WHERE id = ?`, cur.Name, cur.ID)
		return err
	})
	if err != nil {
		return store.Project{}, err
	}
	return cur, nil
}

// DeleteProject implements store.Store.
func (c *Core) DeleteProject(ctx context.Context, id string) error {
	return c.write(ctx, "delete project", id, func(tx Querier) error {
		n, err := tx.Exec(ctx, `DELETE FROM projects WHERE id = ?`, id)
		return mustAffect(n, err, "project", id)
	})
}

// ListProjects implements store.Store.
func (c *Core) ListProjects(ctx context.Context, teamID string, opts store.ListOptions) (store.Page[store.Project], error) {
	l := listQuery{cols: projectCols, from: "FROM projects"}
	if teamID != "" {
		l.filter("team_id = ?", teamID)
	}
	p, err := page(ctx, c.db, l, opts, scanProject, func(p *store.Project) string { return p.ID })
	return p, c.wrap("list projects", teamID, err)
}
