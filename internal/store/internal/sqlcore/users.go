package sqlcore

import (
	"context"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/internal/store"
)

const userCols = `id, email, name, role, created_at`

func scanUser(r Rows) (store.User, error) {
	var u store.User
	var role string
	err := r.Scan(&u.ID, &u.Email, &u.Name, &role, timeDest{&u.CreatedAt})
	u.Role = store.Role(role)
	return u, err
}

// prepareUser normalizes what the store owns: the email's case and the team order.
func prepareUser(u *store.User) error {
	u.Email = store.NormalizeEmail(u.Email)
	u.TeamIDs = emptySlice(u.TeamIDs)
	if len(u.TeamIDs) > 0 {
		u.TeamIDs = slices.Clone(u.TeamIDs)
		slices.Sort(u.TeamIDs)
	}
	return u.Validate()
}

// setTeams replaces a user's memberships; a missing team is ErrNotFound.
func setTeams(ctx context.Context, tx Querier, userID string, teamIDs []string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM user_teams WHERE user_id = ?`, userID); err != nil {
		return err
	}
	for _, t := range teamIDs {
		if err := exists(ctx, tx, "teams", "team", t); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO user_teams (user_id, team_id) VALUES (?, ?)`, userID, t); err != nil {
			return err
		}
	}
	return nil
}

// loadTeams fills TeamIDs of users from user_teams.
func loadTeams(ctx context.Context, q Querier, users []store.User) error {
	if len(users) == 0 {
		return nil
	}
	idx := make(map[string]int, len(users))
	args := make([]any, len(users))
	for i := range users {
		idx[users[i].ID] = i
		args[i] = users[i].ID
	}
	marks := strings.Repeat("?, ", len(users))
	query := `SELECT user_id, team_id FROM user_teams WHERE user_id IN (` + marks[:len(marks)-2] + `) ORDER BY user_id, team_id`
	return addMemberships(ctx, q, users, idx, query, args...)
}

func addMemberships(ctx context.Context, q Querier, users []store.User, idx map[string]int, query string, args ...any) error {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var uid, tid string
		if err := rows.Scan(&uid, &tid); err != nil {
			return err
		}
		if i, ok := idx[uid]; ok {
			users[i].TeamIDs = append(users[i].TeamIDs, tid)
		}
	}
	return rows.Err()
}

// CreateUser implements store.Store.
func (c *Core) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	if u.ID == "" {
		u.ID = store.NewID(store.PrefixUser)
	}
	u.CreatedAt = now()
	if err := prepareUser(&u); err != nil {
		return store.User{}, c.wrap("create user", u.Email, err)
	}
	err := c.write(ctx, "create user", u.Email, func(tx Querier) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (id, org_id, email, name, role, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			u.ID, store.DefaultOrgID, u.Email, u.Name, string(u.Role), c.d.Time(u.CreatedAt))
		if err != nil {
			return err
		}
		return setTeams(ctx, tx, u.ID, u.TeamIDs)
	})
	if err != nil {
		return store.User{}, err
	}
	return u, nil
}

// getUser reads one user and its teams; key names it in errors.
func (c *Core) getUser(ctx context.Context, op, key, where string, args ...any) (store.User, error) {
	var u store.User
	err := c.db.Read(ctx, func(tx Querier) error {
		err := one(ctx, tx, "user", key, func(r Rows) (err error) { u, err = scanUser(r); return err },
			`SELECT `+userCols+` FROM users WHERE `+where, args...)
		if err != nil {
			return err
		}
		users := []store.User{u}
		err = loadTeams(ctx, tx, users)
		u = users[0]
		return err
	})
	return u, c.wrap(op, key, err)
}

// GetUser implements store.Store.
func (c *Core) GetUser(ctx context.Context, id string) (store.User, error) {
	return c.getUser(ctx, "get user", id, "id = ?", id)
}

// GetUserByEmail implements store.Store; email is normalized first.
func (c *Core) GetUserByEmail(ctx context.Context, email string) (store.User, error) {
	email = store.NormalizeEmail(email)
	return c.getUser(ctx, "get user by email", email, "org_id = ? AND email = ?", store.DefaultOrgID, email)
}

// UpdateUser implements store.Store.
func (c *Core) UpdateUser(ctx context.Context, u store.User) (store.User, error) {
	if err := prepareUser(&u); err != nil {
		return store.User{}, c.wrap("update user", u.ID, err)
	}
	err := c.write(ctx, "update user", u.ID, func(tx Querier) error {
		err := one(ctx, tx, "user", u.ID, func(r Rows) error { return r.Scan(timeDest{&u.CreatedAt}) },
			`UPDATE users SET email = ?, name = ?, role = ? WHERE id = ? RETURNING created_at`,
			u.Email, u.Name, string(u.Role), u.ID)
		if err != nil {
			return err
		}
		return setTeams(ctx, tx, u.ID, u.TeamIDs)
	})
	if err != nil {
		return store.User{}, err
	}
	return u, nil
}

// DeleteUser implements store.Store.
func (c *Core) DeleteUser(ctx context.Context, id string) error {
	return c.write(ctx, "delete user", id, func(tx Querier) error {
		n, err := tx.Exec(ctx, `DELETE FROM users WHERE id = ?`, id)
		return mustAffect(n, err, "user", id)
	})
}

// ListUsers implements store.Store.
func (c *Core) ListUsers(ctx context.Context, teamID string, opts store.ListOptions) (store.Page[store.User], error) {
	l := listQuery{cols: userCols, from: "FROM users"}
	if teamID != "" {
		l.filter("id IN (SELECT user_id FROM user_teams WHERE team_id = ?)", teamID)
	}
	var p store.Page[store.User]
	err := c.db.Read(ctx, func(tx Querier) (err error) {
		p, err = page(ctx, tx, l, opts, scanUser, func(u *store.User) string { return u.ID })
		if err != nil {
			return err
		}
		return loadTeams(ctx, tx, p.Items)
	})
	return p, c.wrap("list users", teamID, err)
}
