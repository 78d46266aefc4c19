package sqlcore

import (
	"context"

	"github.com/sluicehq/sluice/internal/store"
)

// Snapshot implements store.Store: one read transaction, so Version and every row come
// from the same committed state.
func (c *Core) Snapshot(ctx context.Context) (*store.Snapshot, error) {
	s := &store.Snapshot{TakenAt: now()}
	err := c.db.Read(ctx, func(tx Querier) (err error) {
		if s.Version, err = version(ctx, tx); err != nil {
			return err
		}
		if s.Teams, err = all(ctx, tx, scanTeam, `SELECT `+teamCols+` FROM teams ORDER BY id`); err != nil {
			return err
		}
		if s.Projects, err = all(ctx, tx, scanProject, `SELECT `+projectCols+` FROM projects ORDER BY id`); err != nil {
			return err
		}
		if s.Users, err = all(ctx, tx, scanUser, `SELECT `+userCols+` FROM users ORDER BY id`); err != nil {
			return err
		}
		idx := make(map[string]int, len(s.Users))
		for i := range s.Users {
			idx[s.Users[i].ID] = i
		}
		err = addMemberships(ctx, tx, s.Users, idx, `SELECT user_id, team_id FROM user_teams ORDER BY user_id, team_id`)
		if err != nil {
			return err
		}
		s.Keys, err = all(ctx, tx, scanKey, `SELECT `+keyCols+` FROM api_keys WHERE revoked_at IS NULL ORDER BY id`)
		return err
	})
	if err != nil {
		return nil, c.wrap("snapshot", "", err)
	}
	return s, nil
}
