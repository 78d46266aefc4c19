package mockllm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Anthropic's Message Batches API (https://docs.anthropic.com/en/api/creating-message-batches):
// create, retrieve, cancel and the results JSONL, in their documented shapes.

const anBatchesPath = "/v1/messages/batches"

type anBatchObject struct {
	ID                string          `json:"id"`
	Type              string          `json:"type"` // "message_batch"
	ProcessingStatus  string          `json:"processing_status"`
	RequestCounts     anRequestCounts `json:"request_counts"`
	EndedAt           *string         `json:"ended_at"`
	CreatedAt         string          `json:"created_at"`
	ExpiresAt         string          `json:"expires_at"`
	ArchivedAt        *string         `json:"archived_at"`
	CancelInitiatedAt *string         `json:"cancel_initiated_at"`
	ResultsURL        *string         `json:"results_url"`
}

type anRequestCounts struct {
	Processing int `json:"processing"`
	Succeeded  int `json:"succeeded"`
	Errored    int `json:"errored"`
	Canceled   int `json:"canceled"`
	Expired    int `json:"expired"`
}

type anResultLine struct {
	CustomID string   `json:"custom_id"`
	Result   anResult `json:"result"`
}

type anResult struct {
	Type    string          `json:"type"` // succeeded, errored, canceled, expired
	Message json.RawMessage `json:"message,omitempty"`
	Error   json.RawMessage `json:"error,omitempty"`
}

type anMockBatch struct {
	obj     anBatchObject
	polls   int
	results []anResultLine
	cancel  bool
}

// anCustomID is the custom_id alphabet the API accepts.
var anCustomID = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// serveBatches serves the Message Batches paths.
func (a anthropicAPI) serveBatches(s *Server, w http.ResponseWriter, r *http.Request, body []byte) error {
	if v := r.Header.Get("Anthropic-Version"); !anVersions[v] {
		return a.writeError(w, failure{Status: http.StatusBadRequest, Message: fmt.Sprintf("anthropic-version: invalid version %q", v)})
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, anBatchesPath), "/")
	switch {
	case rest == "" && r.Method == http.MethodPost:
		return a.createMessageBatch(s, w, r, body)
	case strings.HasSuffix(rest, "/cancel") && r.Method == http.MethodPost:
		return a.cancelMessageBatch(s, w, strings.TrimSuffix(rest, "/cancel"))
	case strings.HasSuffix(rest, "/results") && r.Method == http.MethodGet:
		return a.messageBatchResults(s, w, strings.TrimSuffix(rest, "/results"))
	case rest != "" && !strings.Contains(rest, "/") && r.Method == http.MethodGet:
		return a.retrieveMessageBatch(s, w, r, rest)
	}
	return a.writeError(w, failure{Status: http.StatusNotFound, Message: "Not found"})
}

// createMessageBatch answers every request now, as /v1/messages would, and keeps the results.
func (a anthropicAPI) createMessageBatch(s *Server, w http.ResponseWriter, r *http.Request, body []byte) error {
	var req struct {
		Requests []struct {
			CustomID string          `json:"custom_id"`
			Params   json.RawMessage `json:"params"`
		} `json:"requests"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return a.writeError(w, anDecodeFailure(err))
	}
	if len(req.Requests) == 0 {
		return a.writeError(w, failure{Status: http.StatusBadRequest, Message: "requests: List should have at least 1 item"})
	}
	seen := map[string]bool{}
	for i, q := range req.Requests {
		switch {
		case !anCustomID.MatchString(q.CustomID):
			return a.writeError(w, failure{Status: http.StatusBadRequest, Message: fmt.Sprintf("requests.%d.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'", i)})
		case seen[q.CustomID]:
			return a.writeError(w, failure{Status: http.StatusBadRequest, Message: fmt.Sprintf("Duplicate custom_id %q", q.CustomID)})
		}
		seen[q.CustomID] = true
	}
	b := &anMockBatch{polls: batchPolls(r)}
	serve := func(w http.ResponseWriter, r *http.Request, body []byte) error { return a.serve(s, w, r, body) }
	for _, q := range req.Requests {
		status, out := inner(r, "/v1/messages", q.Params, serve)
		line := anResultLine{CustomID: q.CustomID, Result: anResult{Type: "succeeded", Message: out}}
		if status != http.StatusOK {
			line.Result = anResult{Type: "errored", Error: out}
		}
		b.results = append(b.results, line)
	}
	now := time.Now().UTC()
	b.obj = anBatchObject{ID: randomID("msgbatch_", 24), Type: "message_batch", ProcessingStatus: "in_progress",
		RequestCounts: anRequestCounts{Processing: len(b.results)}, CreatedAt: now.Format(time.RFC3339),
		ExpiresAt: now.Add(24 * time.Hour).Format(time.RFC3339)}
	s.batches.mu.Lock()
	if s.batches.an == nil {
		s.batches.an = map[string]*anMockBatch{}
	}
	s.batches.an[b.obj.ID] = b
	obj := b.obj
	s.batches.mu.Unlock()
	return anWriteJSON(w, http.StatusOK, obj)
}

// retrieveMessageBatch advances the batch one step per retrieval; once its polls are used up
// (or it was cancelled) it has ended and its results are at results_url.
func (a anthropicAPI) retrieveMessageBatch(s *Server, w http.ResponseWriter, r *http.Request, id string) error {
	s.batches.mu.Lock()
	defer s.batches.mu.Unlock()
	b := s.batches.an[id]
	if b == nil {
		return a.writeError(w, failure{Status: http.StatusNotFound, Message: "Message batch " + id + " not found"})
	}
	if b.obj.ProcessingStatus != "ended" {
		if b.polls > 0 && !b.cancel {
			b.polls--
		} else {
			b.end(r)
		}
	}
	return anWriteJSON(w, http.StatusOK, b.obj)
}

// end finishes the batch: every result is final; after a cancel, all were canceled.
func (b *anMockBatch) end(r *http.Request) {
	now := time.Now().UTC().Format(time.RFC3339)
	counts := anRequestCounts{}
	for i := range b.results {
		res := &b.results[i]
		if b.cancel {
			res.Result = anResult{Type: "canceled"}
		}
		switch res.Result.Type {
		case "succeeded":
			counts.Succeeded++
		case "errored":
			counts.Errored++
		case "canceled":
			counts.Canceled++
		}
	}
	url := "http://" + r.Host + anBatchesPath + "/" + b.obj.ID + "/results"
	b.obj.ProcessingStatus, b.obj.EndedAt, b.obj.RequestCounts, b.obj.ResultsURL = "ended", &now, counts, &url
}

func (a anthropicAPI) cancelMessageBatch(s *Server, w http.ResponseWriter, id string) error {
	s.batches.mu.Lock()
	defer s.batches.mu.Unlock()
	b := s.batches.an[id]
	if b == nil {
		return a.writeError(w, failure{Status: http.StatusNotFound, Message: "Message batch " + id + " not found"})
	}
	if b.obj.ProcessingStatus == "in_progress" {
		now := time.Now().UTC().Format(time.RFC3339)
		b.cancel = true
		b.obj.ProcessingStatus, b.obj.CancelInitiatedAt = "canceling", &now
	}
	return anWriteJSON(w, http.StatusOK, b.obj)
}

// messageBatchResults serves the results JSONL of an ended batch.
func (a anthropicAPI) messageBatchResults(s *Server, w http.ResponseWriter, id string) error {
	s.batches.mu.Lock()
	b := s.batches.an[id]
	var out bytes.Buffer
	ended := b != nil && b.obj.ProcessingStatus == "ended"
	if ended {
		for _, line := range b.results {
			enc, _ := json.Marshal(line)
			out.Write(append(enc, '\n'))
		}
	}
	s.batches.mu.Unlock()
	if !ended {
		return a.writeError(w, failure{Status: http.StatusNotFound, Message: "Message batch " + id + " has no results yet"})
	}
	return writeBody(w, http.StatusOK, "application/x-jsonl", out.Bytes())
}
