package sqlcore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// rollupDimCols are request_rollups' key after hour, in the primary key's order.
var rollupDimCols = []string{"model", "route", "provider", "upstream_model", "key_id", "user_id", "team_id",
	"project_id", "status", "error_type", "error_code", "cache_result"}

// rollupSumCols are the sums, in rollupAgg.sums order.
var rollupSumCols = []string{"requests", "errors", "prompt_tokens", "completion_tokens", "cached_tokens",
	"cache_creation_tokens", "reasoning_tokens", "cost_micro_usd", "latency_ms_sum", "ttft_ms_sum"}

// histCols names the histogram columns: lat_h00..lat_h39 or ttft_h00..ttft_h39.
func histCols(prefix string) []string {
	out := make([]string, store.LatencyBuckets)
	for b := range out {
		out[b] = fmt.Sprintf("%s_h%02d", prefix, b)
	}
	return out
}

var (
	latCols, ttftCols = histCols("lat"), histCols("ttft")
	// rollupCols is every column of request_rollups, in insert order.
	rollupCols = slices.Concat([]string{"hour"}, rollupDimCols, rollupSumCols, latCols, ttftCols)
)

// rollupRowsPerStatement bounds a multi-row upsert: 300 rows of 103 columns are 30,900
// placeholders, under SQLite's 32,766.
const rollupRowsPerStatement = 300

// rollupKey is one request_rollups row's key.
type rollupKey struct {
	hour                                                       int64 // Unix microseconds
	model, route, provider, upstream, key, user, team, project string
	status                                                     int
	errType, errCode, cache                                    string
}

func compareRollupKeys(a, b rollupKey) int {
	return cmp.Or(cmp.Compare(a.hour, b.hour), cmp.Compare(a.model, b.model), cmp.Compare(a.route, b.route),
		cmp.Compare(a.provider, b.provider), cmp.Compare(a.upstream, b.upstream), cmp.Compare(a.key, b.key),
		cmp.Compare(a.user, b.user), cmp.Compare(a.team, b.team), cmp.Compare(a.project, b.project),
		cmp.Compare(a.status, b.status), cmp.Compare(a.errType, b.errType), cmp.Compare(a.errCode, b.errCode),
		cmp.Compare(a.cache, b.cache))
}

// rollupAgg is one row's additions.
type rollupAgg struct {
	sums      [10]int64
	lat, ttft [store.LatencyBuckets]int64
}

// rollupBatch sums the logs of one InsertRequestLogs call by rollupKey.
type rollupBatch map[rollupKey]*rollupAgg

// add counts l, stored at at.
func (rb rollupBatch) add(l *store.RequestLog, at time.Time) {
	k := rollupKey{hour: at.Truncate(time.Hour).UnixMicro(), model: l.Model, route: l.Route, provider: l.Provider,
		upstream: l.UpstreamModel, key: l.KeyID, user: l.UserID, team: l.TeamID, project: l.ProjectID,
		status: l.Status, errType: l.ErrorType, errCode: l.ErrorCode, cache: l.CacheResult}
	a := rb[k]
	if a == nil {
		a = &rollupAgg{}
		rb[k] = a
	}
	var errs int64
	if l.Status >= 400 {
		errs = 1
	}
	for i, v := range [10]int64{1, errs, l.PromptTokens, l.CompletionTokens, l.CachedTokens, l.CacheCreationTokens,
		l.ReasoningTokens, l.CostMicroUSD, l.LatencyMs, l.TTFTMs} {
		a.sums[i] += v
	}
	a.lat[store.LatencyBucket(l.LatencyMs)]++
	if l.TTFTMs > 0 { // as RequestLogLatency: only streams have a time to first token
		a.ttft[store.LatencyBucket(l.TTFTMs)]++
	}
}

// rollupUpsertSQL adds n rows to request_rollups, creating missing ones.
func rollupUpsertSQL(n int) string {
	row := "(" + strings.Repeat("?, ", len(rollupCols)-1) + "?)"
	var b strings.Builder
	b.WriteString("INSERT INTO request_rollups (" + strings.Join(rollupCols, ", ") + ") VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	b.WriteString(" ON CONFLICT (hour, " + strings.Join(rollupDimCols, ", ") + ") DO UPDATE SET ")
	for i, col := range rollupCols[1+len(rollupDimCols):] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(col + " = request_rollups." + col + " + excluded." + col)
	}
	return b.String()
}

var fullRollupUpsert = rollupUpsertSQL(rollupRowsPerStatement)

// write adds rb to request_rollups inside tx. Rows go in key order so that concurrent
// writers on PostgreSQL lock shared rows in the same order and cannot deadlock.
func (rb rollupBatch) write(ctx context.Context, c *Core, tx Querier) error {
	keys := make([]rollupKey, 0, len(rb))
	for k := range rb {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareRollupKeys)
	args := make([]any, 0, min(len(keys), rollupRowsPerStatement)*len(rollupCols))
	for start := 0; start < len(keys); start += rollupRowsPerStatement {
		chunk := keys[start:min(start+rollupRowsPerStatement, len(keys))]
		args = args[:0]
		for _, k := range chunk {
			a := rb[k]
			args = append(args, c.d.Time(time.UnixMicro(k.hour).UTC()), k.model, k.route, k.provider, k.upstream,
				k.key, k.user, k.team, k.project, k.status, k.errType, k.errCode, k.cache)
			for _, v := range a.sums {
				args = append(args, v)
			}
			for _, v := range a.lat {
				args = append(args, v)
			}
			for _, v := range a.ttft {
				args = append(args, v)
			}
		}
		query := fullRollupUpsert
		if len(chunk) != rollupRowsPerStatement {
			query = rollupUpsertSQL(len(chunk))
		}
		if _, err := tx.Exec(ctx, query, args...); err != nil {
			return fmt.Errorf("add rollups: %w", err)
		}
	}
	return nil
}

// RollupCoverage implements store.Store.
func (c *Core) RollupCoverage(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := one(ctx, c.db, "rollup_state", "1", func(r Rows) error { return r.Scan(timeDest{&t}) },
		`SELECT covered_from FROM rollup_state WHERE id = 1`)
	return t, c.wrap("rollup coverage", "", err)
}

// DeleteRollupsBefore implements store.Store.
func (c *Core) DeleteRollupsBefore(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	err := c.db.Write(ctx, func(tx Querier) error {
		var err error
		n, err = tx.Exec(ctx, `DELETE FROM request_rollups WHERE hour < ?`, c.d.Time(normTime(t)))
		return err
	})
	return n, c.wrap("delete rollups before", t.UTC().Format(time.RFC3339), err)
}

// rollupRebuildChunk is the span each RebuildRollups transaction recomputes.
const rollupRebuildChunk = 24 * time.Hour

// RebuildRollups implements store.Store. It goes from the end of the range back to its
// start, one day per transaction, lowering the coverage as each day reaches it, so an
// interrupted rebuild leaves the coverage true.
func (c *Core) RebuildRollups(ctx context.Context, from, to time.Time) (int64, error) {
	const op = "rebuild rollups"
	if from.IsZero() || to.IsZero() {
		var lo, hi *time.Time
		err := one(ctx, c.db, "request_logs", "range", func(r Rows) error {
			return r.Scan(nullTimeDest{&lo}, nullTimeDest{&hi})
		}, `SELECT MIN(at), MAX(at) FROM request_logs`)
		if err != nil {
			return 0, c.wrap(op, "", err)
		}
		if lo == nil { // no logs: nothing to recompute, and nothing uncovered
			if from.IsZero() {
				return 0, c.wrap(op, "", c.coverAllIfComplete(ctx))
			}
			return 0, nil
		}
		if from.IsZero() {
			from = *lo
		}
		if to.IsZero() {
			to = hi.Add(time.Hour)
		}
	}
	from = normTime(from).Truncate(time.Hour)
	if t := normTime(to).Truncate(time.Hour); t.Before(normTime(to)) {
		to = t.Add(time.Hour)
	} else {
		to = t
	}
	if !to.After(from) {
		return 0, c.wrap(op, "", fmt.Errorf("%w rollups: from must be before to", store.ErrInvalid))
	}
	insert := rollupRebuildSQL(c.d.Analytics.Bucket(store.BucketHour, "at"))
	var total int64
	for end := to; end.After(from); {
		start := end.Add(-rollupRebuildChunk)
		if start.Before(from) {
			start = from
		}
		err := c.db.Write(ctx, func(tx Querier) error {
			if c.d.Analytics.RollupLock != "" {
				if _, err := tx.Exec(ctx, c.d.Analytics.RollupLock); err != nil {
					return err
				}
			}
			lo, hi := c.d.Time(start), c.d.Time(end)
			if _, err := tx.Exec(ctx, `DELETE FROM request_rollups WHERE hour >= ? AND hour < ?`, lo, hi); err != nil {
				return err
			}
			n, err := tx.Exec(ctx, insert, lo, hi)
			if err != nil {
				return err
			}
			total += n
			_, err = tx.Exec(ctx, `UPDATE rollup_state SET covered_from = ? WHERE id = 1 AND covered_from > ? AND covered_from <= ?`,
				lo, lo, hi)
			return err
		})
		if err != nil {
			return total, c.wrap(op, start.Format(time.RFC3339), err)
		}
		end = start
	}
	return total, c.wrap(op, "", c.coverAllIfComplete(ctx))
}

// coverAllIfComplete moves the coverage to the epoch when no log lies before it, so
// queries without a start can use the rollups.
func (c *Core) coverAllIfComplete(ctx context.Context) error {
	return c.db.Write(ctx, func(tx Querier) error {
		_, err := tx.Exec(ctx, `UPDATE rollup_state SET covered_from = ? WHERE id = 1
			AND NOT EXISTS (SELECT 1 FROM request_logs WHERE at < rollup_state.covered_from)`, c.d.Time(time.Unix(0, 0).UTC()))
		return err
	})
}

// rollupRebuildSQL recomputes request_rollups from request_logs over [?, ?) in one
// INSERT ... SELECT; hourExpr truncates at to its hour.
func rollupRebuildSQL(hourExpr string) string {
	sel := slices.Concat([]string{hourExpr}, rollupDimCols, []string{"COUNT(*)",
		"SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END)", "SUM(prompt_tokens)", "SUM(completion_tokens)",
		"SUM(cached_tokens)", "SUM(cache_creation_tokens)", "SUM(reasoning_tokens)", "SUM(cost_micro_usd)",
		"SUM(latency_ms)", "SUM(ttft_ms)"})
	for _, col := range []string{"latency_ms", "ttft_ms"} {
		for b := range store.LatencyBuckets {
			sel = append(sel, "SUM(CASE WHEN "+bucketCond(col, b)+" THEN 1 ELSE 0 END)")
		}
	}
	group := make([]string, 1+len(rollupDimCols))
	for i := range group {
		group[i] = strconv.Itoa(i + 1)
	}
	return "INSERT INTO request_rollups (" + strings.Join(rollupCols, ", ") + ") SELECT " + strings.Join(sel, ", ") +
		" FROM request_logs WHERE at >= ? AND at < ? GROUP BY " + strings.Join(group, ", ")
}

// bucketCond is the SQL form of store.LatencyBucket(col) == b; a time to first token
// counts only when positive, as in rollupBatch.add.
func bucketCond(col string, b int) string {
	switch {
	case b == 0 && col == "ttft_ms":
		return "1 = 0"
	case b == 0:
		return col + " < 1"
	case b == store.LatencyBuckets-1:
		return fmt.Sprintf("%s >= %d", col, store.LatencyBucketMin(b))
	}
	return fmt.Sprintf("%s >= %d AND %s < %d", col, store.LatencyBucketMin(b), col, store.LatencyBucketMin(b+1))
}
