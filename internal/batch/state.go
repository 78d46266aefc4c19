package batch

import (
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// state is the worker's progress on one batch, kept in the store (store.Batch.State) so that
// any node can carry on after a restart.
type state struct {
	Owner  Owner    `json:"owner"`
	Groups []*group `json:"groups,omitempty"`
	// Results are the finished lines, by index in the input file's requests.
	Results map[int]*result `json:"results,omitempty"`
}

// Modes of running a group of lines.
const (
	modeLocal     = "local"     // Sluice sends each line through the router, at the standard price
	modeOpenAI    = "openai"    // OpenAI's Files and Batch APIs, at the batch price
	modeAnthropic = "anthropic" // Anthropic's Message Batches API, at the batch price
	modeGemini    = "gemini"    // the Gemini API's Batch Mode (inlined requests), at the batch price
)

// group is the lines that go to one upstream batch job (or, for modeLocal, all lines Sluice
// runs itself).
type group struct {
	Mode     string `json:"mode"`
	Provider string `json:"provider,omitempty"`
	Model    string `json:"model,omitempty"` // the target's model id
	Route    string `json:"route,omitempty"`
	Lines    []int  `json:"lines"`
	// UpstreamID is the provider's batch id once submitted.
	UpstreamID string `json:"upstream_id,omitempty"`
	// CancelSent records that the provider was asked to cancel the job.
	CancelSent bool `json:"cancel_sent,omitempty"`
	// Failures counts consecutive failed calls to the provider; at maxFailures the group's
	// unfinished lines fail.
	Failures int  `json:"failures,omitempty"`
	Done     bool `json:"done,omitempty"`
}

// result is one finished line.
type result struct {
	// Status is the HTTP status of the line's response; 0 when it has none (Code says why).
	Status    int         `json:"status,omitempty"`
	Body      jsonx.Value `json:"body,omitempty"` // the response, or the error, as JSON
	RequestID string      `json:"request_id,omitempty"`
	// Code and Message explain a line without a response (cancelled, expired, failed batch).
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`

	Usage         *api.Usage `json:"usage,omitempty"`
	Provider      string     `json:"provider,omitempty"`
	UpstreamModel string     `json:"upstream_model,omitempty"`
	Route         string     `json:"route,omitempty"`
	Native        bool       `json:"native,omitempty"` // run by the provider's batch API
	Attempts      int        `json:"attempts,omitempty"`
	ErrorType     string     `json:"error_type,omitempty"`
	ErrorCode     string     `json:"error_code,omitempty"`
	Cost          int64      `json:"cost,omitempty"`
	LatencyMs     int64      `json:"latency_ms,omitempty"`
	At            time.Time  `json:"at"`
}

func (r *result) ok() bool { return r.Status >= 200 && r.Status < 300 }

// ran reports whether the line was attempted: not one the batch's cancellation or expiry
// left unrun. Only attempted lines count as failed and get a request-log record.
func (r *result) ran() bool {
	return r.Status != 0 || (r.Code != "batch_cancelled" && r.Code != "batch_expired")
}

// failure is a line's result for an *api.Error.
func failure(err error, at time.Time) *result {
	e := api.AsError(err)
	return &result{Status: e.Status, Body: e.AppendJSON(nil), ErrorType: e.Type, ErrorCode: e.Code, At: at}
}

// unanswered is a line's result when it got no response at all.
func unanswered(code, message string, at time.Time) *result {
	return &result{Code: code, Message: message, ErrorType: "batch_error", ErrorCode: code, At: at}
}
