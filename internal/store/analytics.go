package store

import (
	"fmt"
	"strings"
	"time"
)

// Dimensions request logs can be grouped by in an AnalyticsQuery. A metadata tag is
// "metadata.<tag>", e.g. "metadata.app".
const (
	DimModel     = "model"
	DimProvider  = "provider"
	DimKey       = "key"
	DimUser      = "user"
	DimTeam      = "team"
	DimProject   = "project"
	DimRoute     = "route"
	DimStatus    = "status"
	DimErrorType = "error_type"
	// DimUpstreamModel, DimErrorCode and DimCacheResult are the model sent to the
	// provider, the error code, and the response cache's result ("hit", "miss", "").
	DimUpstreamModel = "upstream_model"
	DimErrorCode     = "error_code"
	DimCacheResult   = "cache_result"
	// DimMetadataPrefix starts a metadata tag dimension.
	DimMetadataPrefix = "metadata."
)

// Time buckets of an AnalyticsQuery, in UTC.
const (
	BucketHour  = "hour"
	BucketDay   = "day"
	BucketMonth = "month"
)

// Orders of an AnalyticsQuery's rows, largest first.
const (
	OrderRequests = "requests"
	OrderCost     = "cost"
	OrderTokens   = "tokens"
	OrderErrors   = "errors"
)

// MaxAnalyticsRows bounds one AnalyticsQuery's answer.
const MaxAnalyticsRows = 10000

// AnalyticsQuery aggregates request logs over [Filter.Since, Filter.Until).
type AnalyticsQuery struct {
	Filter RequestLogFilter
	// GroupBy lists dimensions (Dim*); none aggregates everything into one row.
	GroupBy []string
	// Bucket is "", BucketHour, BucketDay or BucketMonth.
	Bucket string
	// OrderBy is one of Order*; default OrderRequests. With a Bucket rows are ordered by
	// bucket first.
	OrderBy string
	// Limit is the top N rows; 0 means MaxAnalyticsRows.
	Limit int
	// Source is "" (rollups when they can answer, see RollupCanAnswer), SourceLog or
	// SourceRollup; only AnalyzeUsage reads it.
	Source string
}

// AnalyticsRow is one group's totals.
type AnalyticsRow struct {
	Bucket time.Time // zero without a Bucket
	// Group holds the value of each GroupBy dimension, in order.
	Group            []string
	Requests         int64
	Errors           int64 // status >= 400
	PromptTokens     int64
	CompletionTokens int64
	CachedTokens     int64
	CostMicroUSD     int64
	LatencyMsTotal   int64 // sum of latencies; divide by Requests for the mean
}

// ModelLatency is one model's latency and time-to-first-token percentiles (nearest rank),
// in milliseconds.
type ModelLatency struct {
	Model                     string
	Requests                  int64
	LatencyP50, LatencyP90    int64
	LatencyP99                int64
	Streams                   int64 // requests with a time to first token
	TTFTP50, TTFTP90, TTFTP99 int64
}

// ValidMetadataTag reports whether tag may name a metadata dimension or filter: it is
// spliced into JSON paths, so it is limited to letters, digits and "_-.".
func ValidMetadataTag(tag string) bool {
	if tag == "" || len(tag) > 64 {
		return false
	}
	for _, r := range tag {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-.", r)) {
			return false
		}
	}
	return true
}

// Validate reports the first problem with q, wrapping ErrInvalid.
func (q AnalyticsQuery) Validate() error {
	for _, d := range q.GroupBy {
		switch d {
		case DimModel, DimProvider, DimKey, DimUser, DimTeam, DimProject, DimRoute, DimStatus, DimErrorType,
			DimUpstreamModel, DimErrorCode, DimCacheResult:
		default:
			tag, ok := strings.CutPrefix(d, DimMetadataPrefix)
			if !ok || !ValidMetadataTag(tag) {
				return fmt.Errorf("%w analytics: unknown dimension %q (known: model, provider, key, user, team, project, route, status, error_type, upstream_model, error_code, cache_result, metadata.<tag>)", ErrInvalid, d)
			}
		}
	}
	if len(q.GroupBy) > 4 {
		return fmt.Errorf("%w analytics: at most 4 dimensions", ErrInvalid)
	}
	switch q.Bucket {
	case "", BucketHour, BucketDay, BucketMonth:
	default:
		return fmt.Errorf("%w analytics: unknown bucket %q (known: hour, day, month)", ErrInvalid, q.Bucket)
	}
	switch q.OrderBy {
	case "", OrderRequests, OrderCost, OrderTokens, OrderErrors:
	default:
		return fmt.Errorf("%w analytics: unknown order %q (known: requests, cost, tokens, errors)", ErrInvalid, q.OrderBy)
	}
	if q.Limit < 0 {
		return fmt.Errorf("%w analytics: limit must be >= 0", ErrInvalid)
	}
	for tag := range q.Filter.Metadata {
		if !ValidMetadataTag(tag) {
			return fmt.Errorf("%w analytics: invalid metadata tag %q", ErrInvalid, tag)
		}
	}
	return validSource(q.Source)
}
