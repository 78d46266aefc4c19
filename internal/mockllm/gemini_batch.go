package mockllm

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// The Gemini API's Batch Mode with inlined requests (https://ai.google.dev/api/batch-api):
// POST models/{model}:batchGenerateContent answers a long-running Operation named
// batches/{id} whose metadata is the GenerateContentBatch; GET batches/{id} returns it again,
// advancing after the batch's polls (batches.go); POST batches/{id}:cancel cancels it. Once
// done, the batch's output holds the inlinedResponses in request order, each a
// GenerateContentResponse or a google.rpc.Status, with the request's metadata. Each request is
// answered, when the batch is created, by the handler of :generateContent.

const (
	gmBatchType       = "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch"
	gmBatchOutputType = "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatchOutput"
)

// gmBatchCreate is BatchGenerateContentRequest; only inlined requests are supported.
type gmBatchCreate struct {
	Batch *struct {
		Model       string          `json:"model"`
		DisplayName string          `json:"displayName"`
		Priority    json.RawMessage `json:"priority"`
		InputConfig *struct {
			FileName string `json:"fileName"`
			Requests *struct {
				Requests []struct {
					Request  json.RawMessage `json:"request"`
					Metadata json.RawMessage `json:"metadata"`
				} `json:"requests"`
			} `json:"requests"`
		} `json:"inputConfig"`
	} `json:"batch"`
}

type gmOperation struct {
	Name     string            `json:"name"`
	Metadata gmBatchResource   `json:"metadata"`
	Done     bool              `json:"done,omitempty"`
	Response *gmBatchOutputAny `json:"response,omitempty"`
}

type gmBatchResource struct {
	Type        string         `json:"@type"`
	Model       string         `json:"model"`
	DisplayName string         `json:"displayName"`
	Output      *gmBatchOutput `json:"output,omitempty"`
	CreateTime  string         `json:"createTime"`
	EndTime     string         `json:"endTime,omitempty"`
	UpdateTime  string         `json:"updateTime"`
	BatchStats  gmBatchStats   `json:"batchStats"`
	State       string         `json:"state"`
	Name        string         `json:"name"`
}

// gmBatchStats counts are int64, which proto3 JSON writes as strings.
type gmBatchStats struct {
	RequestCount           string `json:"requestCount"`
	SuccessfulRequestCount string `json:"successfulRequestCount,omitempty"`
	FailedRequestCount     string `json:"failedRequestCount,omitempty"`
	PendingRequestCount    string `json:"pendingRequestCount,omitempty"`
}

type gmBatchOutput struct {
	InlinedResponses *gmInlinedResponses `json:"inlinedResponses,omitempty"`
}

// gmBatchOutputAny is the output as the Operation's response, an Any with its type.
type gmBatchOutputAny struct {
	Type string `json:"@type"`
	gmBatchOutput
}

type gmInlinedResponses struct {
	InlinedResponses []gmInlinedResponse `json:"inlinedResponses"`
}

type gmInlinedResponse struct {
	Response json.RawMessage `json:"response,omitempty"`
	Error    *gmRPCStatus    `json:"error,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// gmRPCStatus is google.rpc.Status: the gRPC code, not the HTTP status.
type gmRPCStatus struct {
	Code    int              `json:"code"`
	Message string           `json:"message"`
	Details []map[string]any `json:"details,omitempty"`
}

type gmMockBatch struct {
	op        gmOperation
	polls     int
	cancel    bool
	responses []gmInlinedResponse
}

// gmGRPCCodes are the gRPC codes of Google's status names.
var gmGRPCCodes = map[string]int{"CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4,
	"NOT_FOUND": 5, "ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8, "FAILED_PRECONDITION": 9,
	"ABORTED": 10, "OUT_OF_RANGE": 11, "UNIMPLEMENTED": 12, "INTERNAL": 13, "UNAVAILABLE": 14, "DATA_LOSS": 15,
	"UNAUTHENTICATED": 16}

// gmBatchGenerate creates the batch, answering every request now as :generateContent would.
func (s *Server) gmBatchGenerate(w http.ResponseWriter, r *http.Request, body []byte, model string) error {
	f := geminiFormat{}
	var req gmBatchCreate
	if fl := decodeGemini(body, &req); fl != nil {
		return f.writeError(w, *fl)
	}
	switch {
	case req.Batch == nil:
		return f.writeError(w, gmInvalid("* BatchGenerateContentRequest.batch: batch is required"))
	case req.Batch.DisplayName == "":
		return f.writeError(w, gmInvalid("* GenerateContentBatch.display_name: display_name is required"))
	case req.Batch.InputConfig == nil || req.Batch.InputConfig.FileName == "" &&
		(req.Batch.InputConfig.Requests == nil || len(req.Batch.InputConfig.Requests.Requests) == 0):
		return f.writeError(w, gmInvalid("* GenerateContentBatch.input_config: input_config must have requests or a file_name"))
	case req.Batch.InputConfig.FileName != "":
		return f.writeError(w, failure{Status: http.StatusNotImplemented, Message: "mockllm serves inlined requests only, not input files"})
	}
	b := &gmMockBatch{polls: batchPolls(r)}
	serve := func(w http.ResponseWriter, r *http.Request, body []byte) error {
		return s.gmGenerate(w, r, body, model, false)
	}
	for _, q := range req.Batch.InputConfig.Requests.Requests {
		status, out := inner(r, "/v1beta/models/"+model+":generateContent", q.Request, serve)
		ir := gmInlinedResponse{Metadata: q.Metadata}
		if status == http.StatusOK {
			ir.Response = out
		} else {
			ir.Error = gmRPCError(status, out)
		}
		b.responses = append(b.responses, ir)
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	name := "batches/" + randomID("", 24)
	b.op = gmOperation{Name: name, Metadata: gmBatchResource{Type: gmBatchType, Model: "models/" + model,
		DisplayName: req.Batch.DisplayName, CreateTime: now, UpdateTime: now, State: "BATCH_STATE_PENDING", Name: name,
		BatchStats: gmBatchStats{RequestCount: strconv.Itoa(len(b.responses)), PendingRequestCount: strconv.Itoa(len(b.responses))}}}
	s.batches.mu.Lock()
	if s.batches.gm == nil {
		s.batches.gm = map[string]*gmMockBatch{}
	}
	s.batches.gm[name] = b
	op := b.op
	s.batches.mu.Unlock()
	return writeGeminiJSON(w, http.StatusOK, op)
}

// gmRPCError turns the HTTP error body of :generateContent into the google.rpc.Status a batch
// reports for the request.
func gmRPCError(status int, body []byte) *gmRPCStatus {
	var e gmErrorBody
	if json.Unmarshal(body, &e) != nil || e.Error.Message == "" {
		e.Error = gmError{Message: http.StatusText(status), Status: gmStatus(status)}
	}
	code, ok := gmGRPCCodes[e.Error.Status]
	if !ok {
		code = gmGRPCCodes["UNKNOWN"]
	}
	return &gmRPCStatus{Code: code, Message: e.Error.Message, Details: e.Error.Details}
}

// gmGetBatch advances the batch one step per retrieval: running while it has polls left, then
// done with its output (or cancelled, without one).
func (s *Server) gmGetBatch(w http.ResponseWriter, name string) error {
	s.batches.mu.Lock()
	defer s.batches.mu.Unlock()
	b := s.batches.gm[name]
	if b == nil {
		return geminiFormat{}.writeError(w, failure{Status: http.StatusNotFound, Message: "Requested entity was not found."})
	}
	if !b.op.Done {
		if b.polls > 0 && !b.cancel {
			b.polls--
			b.op.Metadata.State = "BATCH_STATE_RUNNING"
		} else {
			b.end()
		}
		b.op.Metadata.UpdateTime = time.Now().UTC().Format(time.RFC3339Nano)
	}
	return writeGeminiJSON(w, http.StatusOK, b.op)
}

// end finishes the batch: succeeded with every response, or cancelled with none.
func (b *gmMockBatch) end() {
	m := &b.op.Metadata
	m.EndTime = time.Now().UTC().Format(time.RFC3339Nano)
	m.BatchStats.PendingRequestCount = ""
	b.op.Done = true
	if b.cancel {
		m.State = "BATCH_STATE_CANCELLED"
		return
	}
	ok, failed := 0, 0
	for _, ir := range b.responses {
		if ir.Error != nil {
			failed++
		} else {
			ok++
		}
	}
	m.BatchStats.SuccessfulRequestCount, m.BatchStats.FailedRequestCount = strconv.Itoa(ok), strconv.Itoa(failed)
	m.State = "BATCH_STATE_SUCCEEDED"
	out := gmBatchOutput{InlinedResponses: &gmInlinedResponses{InlinedResponses: b.responses}}
	m.Output = &out
	b.op.Response = &gmBatchOutputAny{Type: gmBatchOutputType, gmBatchOutput: out}
}

// gmCancelBatch asks the batch to stop; it ends cancelled at its next retrieval. The answer is
// google.protobuf.Empty.
func (s *Server) gmCancelBatch(w http.ResponseWriter, name string) error {
	s.batches.mu.Lock()
	defer s.batches.mu.Unlock()
	b := s.batches.gm[name]
	if b == nil {
		return geminiFormat{}.writeError(w, failure{Status: http.StatusNotFound, Message: "Requested entity was not found."})
	}
	if !b.op.Done {
		b.cancel = true
	}
	return writeGeminiBody(w, http.StatusOK, []byte("{}\n"))
}
