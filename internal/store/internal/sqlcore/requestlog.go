package sqlcore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

const requestLogCols = `id, at, key_id, user_id, team_id, project_id, model, provider, upstream_model, route,
	attempts, fallback, status, error_type, error_code, prompt_tokens, completion_tokens, cached_tokens,
	cache_creation_tokens, reasoning_tokens, tokens_estimated, cost_micro_usd, latency_ms, ttft_ms, stream,
	cache_result, metadata, trace_id, guardrails`

// requestLogInsertCols adds org_id, which the reads leave out.
const requestLogInsertCols = `org_id, ` + requestLogCols

// requestLogArgs is the number of placeholders per inserted row.
const requestLogArgs = 30

// logRowsPerStatement bounds a multi-row INSERT: 500 rows are 15,000 placeholders, under
// SQLite's 32,766 and PostgreSQL's 65,535 limits, and large enough that per-statement
// overhead no longer dominates.
const logRowsPerStatement = 500

// logDeleteChunk bounds each retention DELETE so one large purge does not hold SQLite's
// single write lock (or a long PostgreSQL transaction) for its whole run.
const logDeleteChunk = 5000

// fullLogInsert is the statement for a full chunk, built once because nearly every chunk
// of a large batch is full.
var fullLogInsert = logInsertSQL(logRowsPerStatement)

// logInsertSQL builds an INSERT of n rows. ON CONFLICT DO NOTHING makes a retried batch
// that had in fact committed (a lost reply) a no-op instead of a conflict that would fail
// the batch; RETURNING names the rows actually inserted, the only ones the rollups add.
func logInsertSQL(n int) string {
	row := "(" + strings.Repeat("?, ", requestLogArgs-1) + "?)"
	var b strings.Builder
	b.Grow(64 + n*(len(row)+2))
	b.WriteString("INSERT INTO request_logs (" + requestLogInsertCols + ") VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	b.WriteString(" ON CONFLICT (id) DO NOTHING RETURNING id")
	return b.String()
}

// InsertRequestLogs implements store.Store. It writes every chunk, and adds the logs it
// inserted to the hourly rollups, in one transaction without bumping Version: both commit
// or neither, and a log already stored is neither inserted nor counted again.
func (c *Core) InsertRequestLogs(ctx context.Context, logs []store.RequestLog) error {
	if len(logs) == 0 {
		return nil
	}
	for i := range logs {
		if id := logs[i].ID; id == "" || len(id) > 64 {
			return c.wrap("insert request logs", id,
				fmt.Errorf("%w request log %d: id: must be 1 to 64 characters", store.ErrInvalid, i))
		}
	}
	stamp := now()
	args := make([]any, 0, min(len(logs), logRowsPerStatement)*requestLogArgs)
	err := c.db.Write(ctx, func(tx Querier) error {
		rollups := rollupBatch{}
		for start := 0; start < len(logs); start += logRowsPerStatement {
			chunk := logs[start:min(start+logRowsPerStatement, len(logs))]
			args = args[:0]
			for i := range chunk {
				var err error
				if args, err = c.appendLogArgs(args, &chunk[i], stamp); err != nil {
					return err
				}
			}
			query := fullLogInsert
			if len(chunk) != logRowsPerStatement {
				query = logInsertSQL(len(chunk))
			}
			inserted, err := insertedIDs(ctx, tx, query, args)
			if err != nil {
				return err
			}
			for i := range chunk {
				l := &chunk[i]
				if !inserted[l.ID] {
					continue
				}
				delete(inserted, l.ID) // a batch repeating an ID stored it once
				at := stamp
				if !l.At.IsZero() {
					at = normTime(l.At)
				}
				rollups.add(l, at)
			}
		}
		if err := rollups.write(ctx, c, tx); err != nil {
			return err
		}
		return c.insertBodies(ctx, tx, logs, stamp)
	})
	return c.wrap("insert request logs", logs[0].ID, err)
}

// insertedIDs runs an INSERT ... RETURNING id and collects the ids.
func insertedIDs(ctx context.Context, tx Querier, query string, args []any) (map[string]bool, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := make(map[string]bool, len(args)/requestLogArgs)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids[id] = true
	}
	return ids, rows.Err()
}

func (c *Core) appendLogArgs(args []any, l *store.RequestLog, stamp time.Time) ([]any, error) {
	at := stamp
	if !l.At.IsZero() {
		at = normTime(l.At)
	}
	var meta any // NULL for the common case of no tags
	if len(l.Metadata) > 0 {
		s, err := jsonArg(l.Metadata)
		if err != nil {
			return nil, fmt.Errorf("request log %q metadata: %w", l.ID, err)
		}
		meta = s
	}
	var guards any // NULL when no guardrail fired
	if len(l.Guardrails) > 0 {
		s, err := jsonArg(l.Guardrails)
		if err != nil {
			return nil, fmt.Errorf("request log %q guardrails: %w", l.ID, err)
		}
		guards = s
	}
	return append(args, store.DefaultOrgID, l.ID, c.d.Time(at), l.KeyID, l.UserID, l.TeamID, l.ProjectID,
		l.Model, l.Provider, l.UpstreamModel, l.Route, l.Attempts, l.Fallback, l.Status, l.ErrorType, l.ErrorCode,
		l.PromptTokens, l.CompletionTokens, l.CachedTokens, l.CacheCreationTokens, l.ReasoningTokens,
		l.TokensEstimated, l.CostMicroUSD, l.LatencyMs, l.TTFTMs, l.Stream, l.CacheResult, meta, l.TraceID, guards), nil
}

func scanRequestLog(r Rows) (store.RequestLog, error) {
	var l store.RequestLog
	err := r.Scan(&l.ID, timeDest{&l.At}, &l.KeyID, &l.UserID, &l.TeamID, &l.ProjectID, &l.Model, &l.Provider,
		&l.UpstreamModel, &l.Route, &l.Attempts, &l.Fallback, &l.Status, &l.ErrorType, &l.ErrorCode,
		&l.PromptTokens, &l.CompletionTokens, &l.CachedTokens, &l.CacheCreationTokens, &l.ReasoningTokens,
		&l.TokensEstimated, &l.CostMicroUSD, &l.LatencyMs, &l.TTFTMs, &l.Stream, &l.CacheResult,
		jsonDest{&l.Metadata}, &l.TraceID, jsonDest{&l.Guardrails})
	return l, err
}

// ListRequestLogs implements store.Store. Logs are paged by (at, id) rather than by id
// alone, because callers choose request IDs and they need not sort by time.
func (c *Core) ListRequestLogs(ctx context.Context, f store.RequestLogFilter, opts store.ListOptions) (store.Page[store.RequestLog], error) {
	var p store.Page[store.RequestLog]
	limit, err := pageLimit(opts.Limit)
	if err != nil {
		return p, c.wrap("list request logs", opts.After, err)
	}
	l := listQuery{cols: requestLogCols, from: "FROM request_logs"}
	c.logWhere(&l, f)
	if opts.After != "" {
		at, id, err := parseLogCursor(opts.After)
		if err != nil {
			return p, c.wrap("list request logs", opts.After, err)
		}
		// Spelled out rather than as a row value so both planners use the (at, id) index.
		l.where = append(l.where, "(at > ? OR (at = ? AND id > ?))")
		l.args = append(l.args, c.d.Time(at), c.d.Time(at), id)
	}
	query := "SELECT " + l.cols + " " + l.from
	if len(l.where) > 0 {
		query += " WHERE " + strings.Join(l.where, " AND ")
	}
	query += " ORDER BY at, id LIMIT ?"
	items, err := all(ctx, c.db, scanRequestLog, query, append(l.args, limit+1)...)
	if err != nil {
		return p, c.wrap("list request logs", opts.After, err)
	}
	p.Items = items
	if len(p.Items) > limit {
		p.Items = p.Items[:limit]
		last := &p.Items[limit-1]
		p.Next = strconv.FormatInt(last.At.UnixMicro(), 10) + ":" + last.ID
	}
	return p, nil
}

// pageLimit applies store.ListOptions' limit rules.
func pageLimit(limit int) (int, error) {
	switch {
	case limit < 0:
		return 0, fmt.Errorf("%w list options: limit must be >= 0", store.ErrInvalid)
	case limit == 0:
		return store.DefaultLimit, nil
	case limit > store.MaxLimit:
		return store.MaxLimit, nil
	}
	return limit, nil
}

// parseLogCursor reads a Next cursor of ListRequestLogs: "<unix micros>:<id>".
func parseLogCursor(s string) (time.Time, string, error) {
	micros, id, ok := strings.Cut(s, ":")
	us, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil || id == "" {
		return time.Time{}, "", fmt.Errorf("%w list options: malformed cursor", store.ErrInvalid)
	}
	return time.UnixMicro(us).UTC(), id, nil
}

// DeleteRequestLogsBefore implements store.Store, in chunks of logDeleteChunk rows, each
// its own transaction, so request-log inserts interleave with a large purge.
func (c *Core) DeleteRequestLogsBefore(ctx context.Context, t time.Time) (int64, error) {
	before := c.d.Time(normTime(t))
	var total int64
	for {
		var n int64
		err := c.db.Write(ctx, func(tx Querier) error {
			var err error
			n, err = tx.Exec(ctx, `DELETE FROM request_logs WHERE id IN
				(SELECT id FROM request_logs WHERE at < ? ORDER BY at LIMIT ?)`, before, logDeleteChunk)
			return err
		})
		if err != nil {
			return total, c.wrap("delete request logs before", t.UTC().Format(time.RFC3339), err)
		}
		total += n
		if n < logDeleteChunk {
			return total, nil
		}
	}
}
