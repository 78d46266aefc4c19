package sqlcore

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// bodyArgs is the number of placeholders per inserted request_bodies row.
const bodyArgs = 7

// bodyRowsPerStatement bounds a multi-row body INSERT. Bodies are large, so fewer rows per
// statement than for logs keeps one statement's text and arguments modest.
const bodyRowsPerStatement = 100

// insertBodies writes the bodies of logs that carry them, in tx, stamped like their logs.
// ON CONFLICT DO NOTHING matches the log insert: a retried batch is a no-op.
func (c *Core) insertBodies(ctx context.Context, tx Querier, logs []store.RequestLog, stamp time.Time) error {
	var args []any
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		row := "(" + strings.Repeat("?, ", bodyArgs-1) + "?)"
		query := "INSERT INTO request_bodies (request_id, org_id, at, mode, request, response, truncated) VALUES " +
			strings.Repeat(row+", ", n-1) + row + " ON CONFLICT (request_id) DO NOTHING"
		_, err := tx.Exec(ctx, query, args...)
		args, n = args[:0], 0
		return err
	}
	for i := range logs {
		l := &logs[i]
		b := l.Bodies
		if b == nil || b.Mode == "" || b.Mode == store.BodiesOff {
			continue
		}
		at := stamp
		if !l.At.IsZero() {
			at = normTime(l.At)
		}
		args = append(args, l.ID, store.DefaultOrgID, c.d.Time(at), b.Mode, b.Request, b.Response, b.Truncated)
		if n++; n == bodyRowsPerStatement {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// GetRequestLog implements store.Store.
func (c *Core) GetRequestLog(ctx context.Context, id string) (store.RequestLog, error) {
	var l store.RequestLog
	err := one(ctx, c.db, "request log", id, func(r Rows) error {
		var err error
		l, err = scanRequestLog(r)
		return err
	}, "SELECT "+requestLogCols+" FROM request_logs WHERE id = ?", id)
	if err != nil {
		return store.RequestLog{}, c.wrap("get request log", id, err)
	}
	var b store.RequestBodies
	err = one(ctx, c.db, "request bodies", id, func(r Rows) error {
		return r.Scan(&b.Mode, &b.Request, &b.Response, &b.Truncated)
	}, "SELECT mode, request, response, truncated FROM request_bodies WHERE request_id = ?", id)
	switch {
	case err == nil:
		l.Bodies = &b
	case !errors.Is(err, store.ErrNotFound):
		return store.RequestLog{}, c.wrap("get request bodies", id, err)
	}
	return l, nil
}

// DeleteRequestBodiesBefore implements store.Store, in chunks like DeleteRequestLogsBefore.
func (c *Core) DeleteRequestBodiesBefore(ctx context.Context, t time.Time) (int64, error) {
	before := c.d.Time(normTime(t))
	var total int64
	for {
		var n int64
		err := c.db.Write(ctx, func(tx Querier) error {
			var err error
			n, err = tx.Exec(ctx, `DELETE FROM request_bodies WHERE request_id IN
				(SELECT request_id FROM request_bodies WHERE at < ? ORDER BY at LIMIT ?)`, before, logDeleteChunk)
			return err
		})
		if err != nil {
			return total, c.wrap("delete request bodies before", t.UTC().Format(time.RFC3339), err)
		}
		total += n
		if n < logDeleteChunk {
			return total, nil
		}
	}
}
