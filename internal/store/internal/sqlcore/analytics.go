package sqlcore

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/internal/store"
)

// AnalyticsDialect is what differs between the databases in aggregate queries.
type AnalyticsDialect struct {
	// Bucket returns an expression truncating time column col (request_logs.at,
	// request_rollups.hour) to the start of its UTC hour, day or month, in col's own
	// encoding.
	Bucket func(unit, col string) string
	// MetaTag returns an expression for a client metadata tag's text, NULL when absent;
	// tag has passed store.ValidMetadataTag.
	MetaTag func(tag string) string
	// PercentileDisc says the database has percentile_disc; without it percentiles are
	// computed in Go from one bounded scan.
	PercentileDisc bool
	// RollupLock, when set, runs first in each RebuildRollups transaction to hold off the
	// log writer's rollup upserts until the recomputed hours commit.
	RollupLock string
}

// SQLiteAnalytics works on at as Unix microseconds and metadata as JSON text.
var SQLiteAnalytics = AnalyticsDialect{
	Bucket: func(unit, col string) string {
		switch unit {
		case store.BucketHour:
			return "(" + col + " / 3600000000) * 3600000000"
		case store.BucketDay:
			return "(" + col + " / 86400000000) * 86400000000"
		}
		return "CAST(strftime('%s', " + col + " / 1000000, 'unixepoch', 'start of month') AS INTEGER) * 1000000"
	},
	MetaTag: func(tag string) string { return `json_extract(metadata, '$."` + tag + `"')` },
}

// PostgresAnalytics works on at as timestamptz and metadata as jsonb.
var PostgresAnalytics = AnalyticsDialect{
	Bucket: func(unit, col string) string {
		return "date_trunc('" + unit + "', " + col + ", 'UTC')"
	},
	MetaTag:        func(tag string) string { return "(metadata ->> '" + tag + "')" },
	PercentileDisc: true,
	// SHARE ROW EXCLUSIVE conflicts with the ROW EXCLUSIVE an upsert takes and with itself.
	RollupLock: "LOCK TABLE request_rollups IN SHARE ROW EXCLUSIVE MODE",
}

// logWhere adds f's conditions to l.
func (c *Core) logWhere(l *listQuery, f store.RequestLogFilter) { c.timedWhere(l, f, "at") }

// timedWhere adds f's conditions to l, with timeCol as the time column; request_rollups
// has the same dimension columns as request_logs and no metadata.
func (c *Core) timedWhere(l *listQuery, f store.RequestLogFilter, timeCol string) {
	for _, eq := range []struct{ col, v string }{
		{"key_id", f.KeyID}, {"team_id", f.TeamID}, {"model", f.Model}, {"provider", f.Provider},
		{"error_type", f.ErrorType}, {"user_id", f.UserID},
	} {
		if eq.v != "" {
			l.filter(eq.col+" = ?", eq.v)
		}
	}
	if f.Status != 0 {
		l.filter("status = ?", f.Status)
	}
	if !f.Since.IsZero() {
		l.filter(timeCol+" >= ?", c.d.Time(normTime(f.Since)))
	}
	if !f.Until.IsZero() {
		l.filter(timeCol+" < ?", c.d.Time(normTime(f.Until)))
	}
	tags := make([]string, 0, len(f.Metadata))
	for tag := range f.Metadata {
		tags = append(tags, tag)
	}
	sort.Strings(tags) // one statement text per filter set
	for _, tag := range tags {
		l.filter(c.d.Analytics.MetaTag(tag)+" = ?", f.Metadata[tag])
	}
}

func (l *listQuery) whereSQL() string {
	if len(l.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(l.where, " AND ")
}

var dimColumns = map[string]string{
	store.DimModel: "model", store.DimProvider: "provider", store.DimKey: "key_id", store.DimUser: "user_id",
	store.DimTeam: "team_id", store.DimProject: "project_id", store.DimRoute: "route",
	store.DimStatus: "CAST(status AS TEXT)", store.DimErrorType: "error_type",
	store.DimUpstreamModel: "upstream_model", store.DimErrorCode: "error_code", store.DimCacheResult: "cache_result",
}

var orderColumns = map[string]string{
	"": "requests", store.OrderRequests: "requests", store.OrderCost: "cost",
	// Spelled out: PostgreSQL's ORDER BY takes an output alias alone, not in an expression.
	// Both request_logs and request_rollups have these columns.
	store.OrderTokens: "(SUM(prompt_tokens) + SUM(completion_tokens))", store.OrderErrors: "errors",
}

// aggTable is what an analytics GROUP BY reads: the table, its time column and the
// aggregates, in AnalyticsRow order from Requests to LatencyMsTotal.
type aggTable struct {
	table, timeCol string
	aggs           []string
}

var logAggs = aggTable{"request_logs", "at", []string{"COUNT(*) AS requests",
	"CAST(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS BIGINT) AS errors",
	"CAST(SUM(prompt_tokens) AS BIGINT) AS prompt", "CAST(SUM(completion_tokens) AS BIGINT) AS completion",
	"CAST(SUM(cached_tokens) AS BIGINT)", "CAST(SUM(cost_micro_usd) AS BIGINT) AS cost",
	"CAST(SUM(latency_ms) AS BIGINT)"}}

var rollupAggs = aggTable{"request_rollups", "hour", []string{"CAST(SUM(requests) AS BIGINT) AS requests",
	"CAST(SUM(errors) AS BIGINT) AS errors",
	"CAST(SUM(prompt_tokens) AS BIGINT) AS prompt", "CAST(SUM(completion_tokens) AS BIGINT) AS completion",
	"CAST(SUM(cached_tokens) AS BIGINT)", "CAST(SUM(cost_micro_usd) AS BIGINT) AS cost",
	"CAST(SUM(latency_ms_sum) AS BIGINT)"}}

// AnalyzeRequestLogs implements store.Store with one GROUP BY over the filtered range.
func (c *Core) AnalyzeRequestLogs(ctx context.Context, q store.AnalyticsQuery) ([]store.AnalyticsRow, error) {
	return c.analyze(ctx, q, logAggs)
}

// analyze runs q as one GROUP BY over src.
func (c *Core) analyze(ctx context.Context, q store.AnalyticsQuery, src aggTable) ([]store.AnalyticsRow, error) {
	if err := q.Validate(); err != nil {
		return nil, c.wrap("analyze request logs", "", err)
	}
	for tag := range q.Filter.Metadata {
		if !store.ValidMetadataTag(tag) {
			return nil, c.wrap("analyze request logs", tag, fmt.Errorf("%w metadata tag", store.ErrInvalid))
		}
	}
	var sel []string
	if q.Bucket != "" {
		sel = append(sel, c.d.Analytics.Bucket(q.Bucket, src.timeCol)+" AS bucket")
	}
	for _, d := range q.GroupBy {
		expr, ok := dimColumns[d]
		if !ok {
			expr = "COALESCE(" + c.d.Analytics.MetaTag(strings.TrimPrefix(d, store.DimMetadataPrefix)) + ", '')"
		}
		sel = append(sel, expr)
	}
	groups := len(sel)
	sel = append(sel, src.aggs...)
	var l listQuery
	c.timedWhere(&l, q.Filter, src.timeCol)
	var b strings.Builder
	b.WriteString("SELECT " + strings.Join(sel, ", ") + " FROM " + src.table + l.whereSQL())
	if groups > 0 {
		ord := make([]string, groups)
		for i := range ord {
			ord[i] = strconv.Itoa(i + 1)
		}
		b.WriteString(" GROUP BY " + strings.Join(ord, ", "))
	}
	b.WriteString(" ORDER BY ")
	if q.Bucket != "" {
		b.WriteString("1, ")
	}
	b.WriteString(orderColumns[q.OrderBy] + " DESC")
	for i := range groups {
		b.WriteString(", " + strconv.Itoa(i+1)) // a stable order among ties
	}
	limit := q.Limit
	if limit == 0 || limit > store.MaxAnalyticsRows {
		limit = store.MaxAnalyticsRows
	}
	b.WriteString(" LIMIT ?")
	scan := func(r Rows) (store.AnalyticsRow, error) {
		row := store.AnalyticsRow{Group: make([]string, len(q.GroupBy))}
		dest := make([]any, 0, groups+7)
		if q.Bucket != "" {
			dest = append(dest, timeDest{&row.Bucket})
		}
		for i := range row.Group {
			dest = append(dest, &row.Group[i])
		}
		dest = append(dest, nullInt{&row.Requests}, nullInt{&row.Errors}, nullInt{&row.PromptTokens},
			nullInt{&row.CompletionTokens}, nullInt{&row.CachedTokens}, nullInt{&row.CostMicroUSD},
			nullInt{&row.LatencyMsTotal})
		if err := r.Scan(dest...); err != nil {
			return row, err
		}
		if len(row.Group) == 0 {
			row.Group = nil
		}
		return row, nil
	}
	rows, err := all(ctx, c.db, scan, b.String(), append(l.args, limit)...)
	if err != nil {
		return nil, c.wrap("analyze request logs", "", err)
	}
	if groups == 0 && len(rows) == 1 && rows[0].Requests == 0 {
		return nil, nil // an aggregate over no rows is still one row, of zeros
	}
	return rows, nil
}

// nullInt scans a SUM, which is NULL over no rows, as 0.
type nullInt struct{ p *int64 }

func (n nullInt) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*n.p = 0
	case int64:
		*n.p = x
	case int32:
		*n.p = int64(x)
	case float64:
		*n.p = int64(x)
	default:
		return fmt.Errorf("scan aggregate: unexpected %T", v)
	}
	return nil
}

// percentiles are the ranks RequestLogLatency reports.
var percentiles = [3]float64{0.5, 0.9, 0.99}

// percentileSQL returns, per model, the count and the 50th, 90th and 99th percentiles
// (percentile_disc: nearest rank) of col over the rows l matches.
func percentileSQL(col string, l listQuery) string {
	var b strings.Builder
	b.WriteString("SELECT model, COUNT(*)")
	for _, p := range percentiles {
		fmt.Fprintf(&b, ", percentile_disc(%g) WITHIN GROUP (ORDER BY %s)", p, col)
	}
	b.WriteString(" FROM request_logs" + l.whereSQL() + " GROUP BY model ORDER BY model")
	return b.String()
}

// RequestLogLatency implements store.Store.
func (c *Core) RequestLogLatency(ctx context.Context, f store.RequestLogFilter) ([]store.ModelLatency, error) {
	for tag := range f.Metadata {
		if !store.ValidMetadataTag(tag) {
			return nil, c.wrap("request log latency", tag, fmt.Errorf("%w metadata tag", store.ErrInvalid))
		}
	}
	type pct struct {
		model    string
		n        int64
		p50, p90 int64
		p99      int64
	}
	scan := func(r Rows) (pct, error) {
		var p pct
		err := r.Scan(&p.model, &p.n, nullInt{&p.p50}, nullInt{&p.p90}, nullInt{&p.p99})
		return p, err
	}
	if !c.d.Analytics.PercentileDisc {
		out, err := c.scanPercentiles(ctx, f)
		return out, c.wrap("request log latency", "", err)
	}
	var l listQuery
	c.logWhere(&l, f)
	lat, err := all(ctx, c.db, scan, percentileSQL("latency_ms", l), l.args...)
	if err != nil {
		return nil, c.wrap("request log latency", "", err)
	}
	l = listQuery{}
	c.logWhere(&l, f)
	l.where = append(l.where, "ttft_ms > 0")
	ttft, err := all(ctx, c.db, scan, percentileSQL("ttft_ms", l), l.args...)
	if err != nil {
		return nil, c.wrap("request log latency", "", err)
	}
	out := make([]store.ModelLatency, len(lat))
	byModel := make(map[string]*store.ModelLatency, len(lat))
	for i, p := range lat {
		out[i] = store.ModelLatency{Model: p.model, Requests: p.n, LatencyP50: p.p50, LatencyP90: p.p90, LatencyP99: p.p99}
		byModel[p.model] = &out[i]
	}
	for _, p := range ttft {
		if m := byModel[p.model]; m != nil {
			m.Streams, m.TTFTP50, m.TTFTP90, m.TTFTP99 = p.n, p.p50, p.p90, p.p99
		}
	}
	return out, nil
}

// maxPercentileRows bounds the scan behind scanPercentiles: two int64 per row, so 5M rows
// hold at most 80 MB while sorting.
const maxPercentileRows = 5_000_000

// scanPercentiles reads each matching row's model, latency and time to first token in one
// pass and computes nearest-rank percentiles in Go: SQLite's window functions sort far
// slower than Go's slices.Sort. A range over maxPercentileRows is refused, not sampled.
func (c *Core) scanPercentiles(ctx context.Context, f store.RequestLogFilter) ([]store.ModelLatency, error) {
	var l listQuery
	c.logWhere(&l, f)
	rows, err := c.db.Query(ctx, "SELECT model, latency_ms, ttft_ms FROM request_logs"+l.whereSQL(), l.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type samples struct{ lat, ttft []int64 }
	byModel := map[string]*samples{}
	var model string
	var lat, ttft int64
	n := 0
	for rows.Next() {
		if n++; n > maxPercentileRows {
			return nil, fmt.Errorf("%w: more than %d request logs in range; narrow it", store.ErrInvalid, maxPercentileRows)
		}
		if err := rows.Scan(&model, &lat, &ttft); err != nil {
			return nil, err
		}
		s := byModel[model]
		if s == nil {
			s = &samples{}
			byModel[model] = s
		}
		s.lat = append(s.lat, lat)
		if ttft > 0 {
			s.ttft = append(s.ttft, ttft)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]store.ModelLatency, 0, len(byModel))
	for m, s := range byModel {
		ml := store.ModelLatency{Model: m, Requests: int64(len(s.lat)), Streams: int64(len(s.ttft))}
		ml.LatencyP50, ml.LatencyP90, ml.LatencyP99 = nearestRanks(s.lat)
		ml.TTFTP50, ml.TTFTP90, ml.TTFTP99 = nearestRanks(s.ttft)
		out = append(out, ml)
	}
	slices.SortFunc(out, func(a, b store.ModelLatency) int { return strings.Compare(a.Model, b.Model) })
	return out, nil
}

// nearestRanks sorts v and returns its 50th, 90th and 99th percentiles by nearest rank:
// the smallest value with at least p of the values at or below it, as percentile_disc.
func nearestRanks(v []int64) (p50, p90, p99 int64) {
	if len(v) == 0 {
		return 0, 0, 0
	}
	slices.Sort(v)
	at := func(p float64) int64 {
		i := int(math.Ceil(p*float64(len(v)))) - 1
		return v[max(0, min(i, len(v)-1))]
	}
	return at(percentiles[0]), at(percentiles[1]), at(percentiles[2])
}
