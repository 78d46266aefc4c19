package batch

import (
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/store"
)

// Object is OpenAI's Batch object (https://platform.openai.com/docs/api-reference/batch/object),
// field for field; unset timestamps and ids are null, as OpenAI sends them.
type Object struct {
	ID               string            `json:"id"`
	Object           string            `json:"object"` // "batch"
	Endpoint         string            `json:"endpoint"`
	Errors           *Errors           `json:"errors"`
	InputFileID      string            `json:"input_file_id"`
	CompletionWindow string            `json:"completion_window"`
	Status           string            `json:"status"`
	OutputFileID     *string           `json:"output_file_id"`
	ErrorFileID      *string           `json:"error_file_id"`
	CreatedAt        int64             `json:"created_at"`
	InProgressAt     *int64            `json:"in_progress_at"`
	ExpiresAt        *int64            `json:"expires_at"`
	FinalizingAt     *int64            `json:"finalizing_at"`
	CompletedAt      *int64            `json:"completed_at"`
	FailedAt         *int64            `json:"failed_at"`
	ExpiredAt        *int64            `json:"expired_at"`
	CancellingAt     *int64            `json:"cancelling_at"`
	CancelledAt      *int64            `json:"cancelled_at"`
	RequestCounts    RequestCounts     `json:"request_counts"`
	Usage            *Usage            `json:"usage,omitempty"`
	Metadata         map[string]string `json:"metadata"`
}

// Errors lists problems that failed a whole batch, as OpenAI's errors object.
type Errors struct {
	Object string  `json:"object"` // "list"
	Data   []Error `json:"data"`
}

// Error is one batch-level problem; Line is 1-based, nil when none applies.
type Error struct {
	Code    string  `json:"code"`
	Message string  `json:"message"`
	Param   *string `json:"param"`
	Line    *int    `json:"line"`
}

// RequestCounts counts a batch's requests.
type RequestCounts struct {
	Total     int `json:"total"`
	Completed int `json:"completed"`
	Failed    int `json:"failed"`
}

// Usage totals the tokens of a batch's requests, in the Batch object's shape.
type Usage struct {
	InputTokens        int `json:"input_tokens"`
	InputTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"input_tokens_details"`
	OutputTokens        int `json:"output_tokens"`
	OutputTokensDetails struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
	TotalTokens int `json:"total_tokens"`
}

func (u *Usage) add(x *api.Usage) {
	u.InputTokens += x.PromptTokens
	u.OutputTokens += x.CompletionTokens
	u.TotalTokens += x.PromptTokens + x.CompletionTokens
	if d := x.PromptTokensDetails; d != nil {
		u.InputTokensDetails.CachedTokens += d.CachedTokens
	}
	if d := x.CompletionTokensDetails; d != nil {
		u.OutputTokensDetails.ReasoningTokens += d.ReasoningTokens
	}
}

// Window is the only completion window OpenAI offers, and so the only one Sluice accepts.
const Window = "24h"

// NewObject is the Object of a batch just created.
func NewObject(id, endpoint, inputFileID string, total int, meta map[string]string, now time.Time) *Object {
	exp := now.Add(24 * time.Hour).Unix()
	return &Object{ID: id, Object: "batch", Endpoint: endpoint, InputFileID: inputFileID, CompletionWindow: Window,
		Status: store.BatchValidating, CreatedAt: now.Unix(), ExpiresAt: &exp,
		RequestCounts: RequestCounts{Total: total}, Metadata: meta}
}

// Decode reads a stored batch's Object, showing a cancel the worker has not acted on yet
// as "cancelling".
func Decode(b *store.Batch) (*Object, error) {
	var o Object
	if err := jsonx.Unmarshal(b.Record, &o); err != nil {
		return nil, err
	}
	if at := b.CancelRequestedAt; at != nil && !store.BatchDone(o.Status) && o.Status != store.BatchCancelling {
		o.Status = store.BatchCancelling
		o.CancellingAt = unix(*at)
	}
	return &o, nil
}

func unix(t time.Time) *int64 {
	v := t.Unix()
	return &v
}

// Owner is who created a batch: the request log and the budgets charge its lines to them.
type Owner struct {
	KeyID     string `json:"key_id,omitempty"`
	UserID    string `json:"user_id,omitempty"`
	TeamID    string `json:"team_id,omitempty"`
	TeamName  string `json:"team_name,omitempty"`
	ProjectID string `json:"project_id,omitempty"`
	BudgetID  string `json:"budget_id,omitempty"`
	// Tags are the client's x-sluice-metadata tags on the batch's creation, copied to every
	// line's request-log record.
	Tags map[string]string `json:"tags,omitempty"`
}

// NewState is the worker's starting state for a batch created by owner.
func NewState(owner Owner) ([]byte, error) { return jsonx.Marshal(&state{Owner: owner}) }
