package sqlcore

import (
	"context"
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/internal/store"
)

// source picks where a query over f grouped by groupBy is answered: the rollups when they
// can and want allows it, else the log. Asking for the rollups when they cannot answer is
// ErrInvalid with the reason.
func (c *Core) source(ctx context.Context, want string, f store.RequestLogFilter, groupBy []string) (string, error) {
	if want == store.SourceLog {
		return store.SourceLog, nil
	}
	cov, err := c.RollupCoverage(ctx)
	if err != nil {
		return "", err
	}
	ok, why := store.RollupCanAnswer(f, groupBy, cov)
	switch {
	case ok:
		return store.SourceRollup, nil
	case want == store.SourceRollup:
		return "", fmt.Errorf("%w analytics: rollups cannot answer this query: %s", store.ErrInvalid, why)
	}
	return store.SourceLog, nil
}

// AnalyzeUsage implements store.Store.
func (c *Core) AnalyzeUsage(ctx context.Context, q store.AnalyticsQuery) (store.AnalyticsResult, error) {
	if err := q.Validate(); err != nil {
		return store.AnalyticsResult{}, c.wrap("analyze usage", "", err)
	}
	src, err := c.source(ctx, q.Source, q.Filter, q.GroupBy)
	if err != nil {
		return store.AnalyticsResult{}, c.wrap("analyze usage", "", err)
	}
	table := logAggs
	if src == store.SourceRollup {
		table = rollupAggs
	}
	rows, err := c.analyze(ctx, q, table)
	return store.AnalyticsResult{Source: src, Rows: rows}, err
}

// AnalyzeLatency implements store.Store.
func (c *Core) AnalyzeLatency(ctx context.Context, q store.LatencyQuery) (store.LatencyResult, error) {
	if err := q.Validate(); err != nil {
		return store.LatencyResult{}, c.wrap("analyze latency", "", err)
	}
	src, err := c.source(ctx, q.Source, q.Filter, []string{store.DimModel})
	if err != nil {
		return store.LatencyResult{}, c.wrap("analyze latency", "", err)
	}
	var models []store.ModelLatency
	if src == store.SourceLog {
		models, err = c.RequestLogLatency(ctx, q.Filter)
	} else {
		models, err = c.rollupLatency(ctx, q.Filter)
		err = c.wrap("analyze latency", "", err)
	}
	return store.LatencyResult{Source: src, Models: models}, err
}

// rollupLatency estimates each model's percentiles from its summed histograms.
func (c *Core) rollupLatency(ctx context.Context, f store.RequestLogFilter) ([]store.ModelLatency, error) {
	var l listQuery
	c.timedWhere(&l, f, "hour")
	var b strings.Builder
	b.WriteString("SELECT model, CAST(SUM(requests) AS BIGINT)")
	for _, col := range append(latCols[:len(latCols):len(latCols)], ttftCols...) {
		b.WriteString(", CAST(SUM(" + col + ") AS BIGINT)")
	}
	b.WriteString(" FROM request_rollups" + l.whereSQL() + " GROUP BY model ORDER BY model")
	type hists struct {
		model     string
		n         int64
		lat, ttft [store.LatencyBuckets]int64
	}
	scan := func(r Rows) (hists, error) {
		var h hists
		dest := make([]any, 0, 2+2*store.LatencyBuckets)
		dest = append(dest, &h.model, nullInt{&h.n})
		for i := range h.lat {
			dest = append(dest, nullInt{&h.lat[i]})
		}
		for i := range h.ttft {
			dest = append(dest, nullInt{&h.ttft[i]})
		}
		return h, r.Scan(dest...)
	}
	rows, err := all(ctx, c.db, scan, b.String(), l.args...)
	if err != nil {
		return nil, err
	}
	out := make([]store.ModelLatency, 0, len(rows))
	for i := range rows {
		h := &rows[i]
		m := store.ModelLatency{Model: h.model, Requests: h.n}
		m.LatencyP50, m.LatencyP90, m.LatencyP99 = histRanks(&h.lat)
		for _, v := range h.ttft {
			m.Streams += v
		}
		m.TTFTP50, m.TTFTP90, m.TTFTP99 = histRanks(&h.ttft)
		out = append(out, m)
	}
	return out, nil
}

func histRanks(h *[store.LatencyBuckets]int64) (p50, p90, p99 int64) {
	return store.HistogramPercentile(h, percentiles[0]), store.HistogramPercentile(h, percentiles[1]),
		store.HistogramPercentile(h, percentiles[2])
}
