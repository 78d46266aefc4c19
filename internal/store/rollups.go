package store

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"time"
)

// Sources of an analytics answer.
const (
	// SourceRollup is the hourly rollup table: fast at any volume; percentiles are
	// estimates from a log-scale histogram (LatencyBucket).
	SourceRollup = "rollup"
	// SourceLog is the raw request log: any filter and precision, exact percentiles, but
	// every query scans the range.
	SourceLog = "log"
)

// LatencyBuckets is the number of buckets of the rollups' latency and time-to-first-token
// histograms.
const LatencyBuckets = 40

// LatencyErrorBound is the largest relative error of a percentile estimated from a
// histogram bucket below the last one: buckets are √2 wide and the estimate is the
// bucket's geometric middle, so estimate/true is within 2^±¼. Integer rounding adds up to
// 1 ms more.
var LatencyErrorBound = math.Pow(2, 0.25) - 1 // 0.1892...

// LatencyBucket returns the histogram bucket of a latency in milliseconds: 0 for ≤ 0,
// then bucket b ≥ 1 holds [2^((b-1)/2), 2^(b/2)) ms, and the last bucket everything from
// 2^19 ms (about 8.7 minutes) up. Log-scale buckets keep the relative error the same from
// a 5 ms cache hit to a minutes-long generation.
func LatencyBucket(ms int64) int {
	switch {
	case ms <= 0:
		return 0
	case ms >= 1<<19:
		return LatencyBuckets - 1
	}
	// floor(2·log2(ms)) + 1, exactly, in integers: ms² < 2^38 fits.
	return bits.Len64(uint64(ms * ms))
}

// LatencyBucketMin is the smallest whole millisecond in bucket b ≥ 1: the least m with
// m² ≥ 2^(b-1).
func LatencyBucketMin(b int) int64 {
	m := int64(math.Sqrt(math.Ldexp(1, b-1)))
	for m*m < 1<<(b-1) {
		m++
	}
	for m > 1 && (m-1)*(m-1) >= 1<<(b-1) {
		m--
	}
	return m
}

// LatencyEstimate returns the value reported for a percentile falling in bucket b: the
// bucket's geometric middle, rounded and kept within the bucket's whole milliseconds (so
// buckets holding one value are exact), 0 for bucket 0, and the lower edge of the last,
// open-ended bucket.
func LatencyEstimate(b int) int64 {
	switch {
	case b <= 0:
		return 0
	case b >= LatencyBuckets-1:
		return 1 << 19
	}
	lo, hi := LatencyBucketMin(b), LatencyBucketMin(b+1)-1
	if hi < lo { // no whole millisecond falls in this bucket; never counted
		return lo
	}
	mid := int64(math.Round(math.Pow(2, (float64(b)-0.5)/2)))
	return min(max(mid, lo), hi)
}

// HistogramPercentile returns the nearest-rank p-th percentile (0 < p ≤ 1) of the values
// counted in hist, as LatencyEstimate of the bucket holding that rank; 0 when empty.
func HistogramPercentile(hist *[LatencyBuckets]int64, p float64) int64 {
	var n int64
	for _, c := range hist {
		n += c
	}
	if n == 0 {
		return 0
	}
	rank := max(int64(math.Ceil(p*float64(n))), 1)
	var seen int64
	for b, c := range hist {
		if seen += c; seen >= rank {
			return LatencyEstimate(b)
		}
	}
	return LatencyEstimate(LatencyBuckets - 1)
}

// AnalyticsResult is an AnalyzeUsage answer and the source it came from.
type AnalyticsResult struct {
	Source string // SourceRollup or SourceLog
	Rows   []AnalyticsRow
}

// LatencyQuery selects the logs of AnalyzeLatency.
type LatencyQuery struct {
	Filter RequestLogFilter
	// Source is "" (rollups when they can answer), SourceLog or SourceRollup.
	Source string
}

// LatencyResult is an AnalyzeLatency answer. From SourceRollup the percentiles are
// estimates within LatencyErrorBound (plus 1 ms); counts are exact.
type LatencyResult struct {
	Source string
	Models []ModelLatency
}

// RollupStore keeps hourly rollups of the request log: per hour and dimension set (model,
// route, provider, upstream model, key, user, team, project, status, error type and code,
// cache result) the sums and latency histograms, added in the same transaction as each
// InsertRequestLogs batch, so they are never behind the log and never count a log twice.
type RollupStore interface {
	// AnalyzeUsage answers q from the rollups when RollupCanAnswer allows it and
	// q.Source does not ask for the log, else from the log like AnalyzeRequestLogs.
	AnalyzeUsage(ctx context.Context, q AnalyticsQuery) (AnalyticsResult, error)
	// AnalyzeLatency is RequestLogLatency with the same choice of source.
	AnalyzeLatency(ctx context.Context, q LatencyQuery) (LatencyResult, error)
	// RebuildRollups recomputes the rollups of the whole hours in [from, to) from the
	// log, replacing what they held, and extends the coverage down to from when the
	// range reaches it. The log of that range must still be kept: hours whose logs
	// retention deleted would be emptied. It returns the number of rollup rows written.
	RebuildRollups(ctx context.Context, from, to time.Time) (int64, error)
	// RollupCoverage is the start of the hours the rollups hold every log of; the Unix
	// epoch when they hold all of them. Logs stored before the rollups existed are not in
	// them until RebuildRollups.
	RollupCoverage(ctx context.Context) (time.Time, error)
	// DeleteRollupsBefore removes rollups of hours before t (their own retention, longer
	// than the log's) and returns how many rows it removed.
	DeleteRollupsBefore(ctx context.Context, t time.Time) (int64, error)
}

// RollupCanAnswer reports whether rollups covering logs from coveredFrom on can answer a
// query over f grouped by groupBy: no metadata tags, whole hours, a range inside the
// coverage. A reason says why not.
func RollupCanAnswer(f RequestLogFilter, groupBy []string, coveredFrom time.Time) (ok bool, reason string) {
	for _, d := range groupBy {
		if !rollupDims[d] {
			return false, fmt.Sprintf("dimension %q is not rolled up", d)
		}
	}
	switch {
	case len(f.Metadata) > 0:
		return false, "metadata filters are not rolled up"
	case !wholeHour(f.Since) || !wholeHour(f.Until):
		return false, "since and until must be whole UTC hours"
	case coveredFrom.UnixMicro() > 0 && (f.Since.IsZero() || f.Since.Before(coveredFrom)):
		return false, "rollups start at " + coveredFrom.UTC().Format(time.RFC3339) + " (run sluice rollups rebuild)"
	}
	return true, ""
}

var rollupDims = map[string]bool{
	DimModel: true, DimProvider: true, DimKey: true, DimUser: true, DimTeam: true, DimProject: true,
	DimRoute: true, DimStatus: true, DimErrorType: true, DimUpstreamModel: true, DimErrorCode: true,
	DimCacheResult: true,
}

func wholeHour(t time.Time) bool { return t.IsZero() || t.Equal(t.Truncate(time.Hour)) }

// validSource checks an AnalyticsQuery or LatencyQuery Source.
func validSource(s string) error {
	switch s {
	case "", SourceLog, SourceRollup:
		return nil
	}
	return fmt.Errorf("%w analytics: unknown source %q (known: rollup, log)", ErrInvalid, s)
}

// Validate reports the first problem with q, wrapping ErrInvalid.
func (q LatencyQuery) Validate() error {
	for tag := range q.Filter.Metadata {
		if !ValidMetadataTag(tag) {
			return fmt.Errorf("%w analytics: invalid metadata tag %q", ErrInvalid, tag)
		}
	}
	return validSource(q.Source)
}
