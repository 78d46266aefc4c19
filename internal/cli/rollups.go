package cli

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"time"
)

// rollupRebuildDay is the span of each rebuild call: one day keeps every call well under
// the HTTP timeout and shows progress.
const rollupRebuildDay = 24 * time.Hour

// rollupsRebuild recomputes the hourly rollups of [--from, --to) from the request log, one
// day per call from the end back to the start: the server lowers the rollups' coverage as
// each day reaches it, so going backwards extends it day by day and an interrupted run
// leaves it true.
func rollupsRebuild(ctx context.Context, c *client, fs *flag.FlagSet, args []string) error {
	fromS := fs.String("from", "", "RFC 3339 start (required), rounded down to the hour")
	toS := fs.String("to", "", "RFC 3339 end (default: now), rounded up to the hour")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	from, err := time.Parse(time.RFC3339, *fromS)
	if err != nil {
		return fmt.Errorf("--from: want an RFC 3339 time such as 2026-11-01T00:00:00Z, got %q", *fromS)
	}
	to := time.Now().Add(time.Hour)
	if *toS != "" {
		if to, err = time.Parse(time.RFC3339, *toS); err != nil {
			return fmt.Errorf("--to: want an RFC 3339 time, got %q", *toS)
		}
	}
	from = from.UTC().Truncate(time.Hour)
	if t := to.UTC().Truncate(time.Hour); t.Before(to) {
		to = t.Add(time.Hour)
	}
	if !to.After(from) {
		return fmt.Errorf("--from must be before --to")
	}
	c.http.Timeout = 10 * time.Minute // a busy day is millions of logs
	var total int64
	var res struct {
		Rows        int64     `json:"rows"`
		CoveredFrom time.Time `json:"covered_from"`
	}
	for end := to; end.After(from); {
		start := end.Add(-rollupRebuildDay)
		if start.Before(from) {
			start = from
		}
		q := url.Values{"from": {start.Format(time.RFC3339)}, "to": {end.Format(time.RFC3339)}}
		if err := c.do(ctx, "POST", "/admin/v1/analytics/rollups/rebuild?"+q.Encode(), nil, &res); err != nil {
			return fmt.Errorf("rebuild %s..%s: %w", start.Format(time.RFC3339), end.Format(time.RFC3339), err)
		}
		total += res.Rows
		if !c.json {
			fmt.Fprintf(c.out, "%s  %d rollup rows\n", start.Format(time.RFC3339), res.Rows)
		}
		end = start
	}
	if !c.json {
		fmt.Fprintf(c.out, "rebuilt %s..%s: %d rollup rows; rollups cover logs from %s\n",
			from.Format(time.RFC3339), to.Format(time.RFC3339), total, res.CoveredFrom.UTC().Format(time.RFC3339))
	}
	return nil
}
