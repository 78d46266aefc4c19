package mockllm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
)

// OpenAI's Files API (https://platform.openai.com/docs/api-reference/files) and Batch API
// (https://platform.openai.com/docs/api-reference/batch), in their documented shapes.

type oaFileObject struct {
	ID        string `json:"id"`
	Object    string `json:"object"`
	Bytes     int    `json:"bytes"`
	CreatedAt int64  `json:"created_at"`
	Filename  string `json:"filename"`
	Purpose   string `json:"purpose"`
	Status    string `json:"status"`
}

type oaBatchObject struct {
	ID               string            `json:"id"`
	Object           string            `json:"object"`
	Endpoint         string            `json:"endpoint"`
	Errors           any               `json:"errors"`
	InputFileID      string            `json:"input_file_id"`
	CompletionWindow string            `json:"completion_window"`
	Status           string            `json:"status"`
	OutputFileID     *string           `json:"output_file_id"`
	ErrorFileID      *string           `json:"error_file_id"`
	CreatedAt        int64             `json:"created_at"`
	InProgressAt     *int64            `json:"in_progress_at"`
	ExpiresAt        int64             `json:"expires_at"`
	FinalizingAt     *int64            `json:"finalizing_at"`
	CompletedAt      *int64            `json:"completed_at"`
	FailedAt         *int64            `json:"failed_at"`
	ExpiredAt        *int64            `json:"expired_at"`
	CancellingAt     *int64            `json:"cancelling_at"`
	CancelledAt      *int64            `json:"cancelled_at"`
	RequestCounts    oaBatchCounts     `json:"request_counts"`
	Metadata         map[string]string `json:"metadata"`
}

type oaBatchCounts struct {
	Total     int `json:"total"`
	Completed int `json:"completed"`
	Failed    int `json:"failed"`
}

// oaMockBatch is a batch and its results, released when polls reaches zero.
type oaMockBatch struct {
	obj           oaBatchObject
	polls         int
	output, errs  []byte
	done, failed  int
	cancelPending bool
}

type oaBatchLine struct {
	ID       string          `json:"id"`
	CustomID string          `json:"custom_id"`
	Response *oaLineResponse `json:"response"`
	Error    *oaLineError    `json:"error"`
}

type oaLineResponse struct {
	StatusCode int             `json:"status_code"`
	RequestID  string          `json:"request_id"`
	Body       json.RawMessage `json:"body"`
}

type oaLineError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// batchRoute serves /v1/files... and /v1/batches...; ok is false for other paths. Azure's
// copy of the APIs (/openai/files..., /openai/batches...) is served with the path rewritten.
func (s *Server) batchRoute(w http.ResponseWriter, r *http.Request, body []byte) (bool, error) {
	f := openaiFormat{}
	path := r.URL.Path
	if rest, ok := strings.CutPrefix(path, "/openai/"); ok {
		path = "/v1/" + rest
	}
	switch {
	case path == "/v1/files" && r.Method == http.MethodPost:
		return true, s.uploadFile(w, r, body)
	case strings.HasPrefix(path, "/v1/files/") && r.Method == http.MethodGet:
		id, content := strings.CutSuffix(path[len("/v1/files/"):], "/content")
		return true, s.getFile(w, id, content)
	case path == "/v1/batches" && r.Method == http.MethodPost:
		return true, s.createBatch(w, r, body)
	case strings.HasPrefix(path, "/v1/batches/") && r.Method == http.MethodGet:
		return true, s.retrieveBatch(w, path[len("/v1/batches/"):])
	case strings.HasPrefix(path, "/v1/batches/") && strings.HasSuffix(path, "/cancel") && r.Method == http.MethodPost:
		return true, s.cancelBatch(w, strings.TrimSuffix(path[len("/v1/batches/"):], "/cancel"))
	case path == "/v1/files" || path == "/v1/batches" || strings.HasPrefix(path, "/v1/files/") || strings.HasPrefix(path, "/v1/batches/"):
		return true, f.writeError(w, failure{Status: http.StatusMethodNotAllowed, Message: "Method not allowed."})
	}
	return false, nil
}

func (s *Server) uploadFile(w http.ResponseWriter, r *http.Request, body []byte) error {
	f := openaiFormat{}
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return f.writeError(w, failure{Status: http.StatusBadRequest, Message: "Expected a multipart/form-data body."})
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	file := &mockFile{ID: randomID("file-", 24), Created: nowUnix()}
	var have bool
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return f.writeError(w, failure{Status: http.StatusBadRequest, Message: "Malformed multipart body."})
		}
		data, _ := io.ReadAll(part)
		switch part.FormName() {
		case "purpose":
			file.Purpose = string(data)
		case "file":
			file.Filename, file.Content, have = part.FileName(), data, true
		}
	}
	switch {
	case !have:
		return f.writeError(w, failure{Status: http.StatusBadRequest, Message: "Missing file.", Param: "file"})
	case file.Purpose == "":
		return f.writeError(w, failure{Status: http.StatusBadRequest, Message: "Missing purpose.", Param: "purpose"})
	}
	s.batches.mu.Lock()
	s.batches.putFile(file)
	s.batches.mu.Unlock()
	return writeJSON(w, http.StatusOK, fileObject(file))
}

func fileObject(f *mockFile) oaFileObject {
	return oaFileObject{ID: f.ID, Object: "file", Bytes: len(f.Content), CreatedAt: f.Created, Filename: f.Filename,
		Purpose: f.Purpose, Status: "processed"}
}

func (s *Server) getFile(w http.ResponseWriter, id string, content bool) error {
	s.batches.mu.Lock()
	file := s.batches.files[id]
	s.batches.mu.Unlock()
	if file == nil {
		return openaiFormat{}.writeError(w, failure{Status: http.StatusNotFound, Message: fmt.Sprintf("No such File object: %s", id), Param: "id"})
	}
	if content {
		return writeBody(w, http.StatusOK, "application/octet-stream", file.Content)
	}
	return writeJSON(w, http.StatusOK, fileObject(file))
}

// createBatch answers every line of the input file now and keeps the results for later.
func (s *Server) createBatch(w http.ResponseWriter, r *http.Request, body []byte) error {
	f := openaiFormat{}
	var req struct {
		InputFileID      string            `json:"input_file_id"`
		Endpoint         string            `json:"endpoint"`
		CompletionWindow string            `json:"completion_window"`
		Metadata         map[string]string `json:"metadata"`
	}
	if fl := decodeJSON(body, &req); fl != nil {
		return f.writeError(w, *fl)
	}
	// Azure names endpoints without the /v1 (https://learn.microsoft.com/azure/ai-foundry/openai/how-to/batch).
	azure := strings.HasPrefix(r.URL.Path, "/openai/")
	if op := strings.TrimPrefix(req.Endpoint, "/v1"); (op != "/chat/completions" && op != "/embeddings") || azure == strings.HasPrefix(req.Endpoint, "/v1/") {
		return f.writeError(w, failure{Status: http.StatusBadRequest, Message: "Invalid endpoint.", Param: "endpoint"})
	}
	if req.CompletionWindow != "24h" {
		return f.writeError(w, failure{Status: http.StatusBadRequest, Message: "Invalid completion_window.", Param: "completion_window"})
	}
	s.batches.mu.Lock()
	input := s.batches.files[req.InputFileID]
	s.batches.mu.Unlock()
	if input == nil {
		return f.writeError(w, failure{Status: http.StatusNotFound, Message: fmt.Sprintf("No such File object: %s", req.InputFileID), Param: "input_file_id"})
	}
	b := &oaMockBatch{polls: batchPolls(r)}
	var out, errs bytes.Buffer
	total := 0
	for raw := range bytes.Lines(input.Content) {
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		total++
		line := s.runOpenAILine(r, req.Endpoint, raw)
		dst := &errs
		if line.Response != nil && line.Response.StatusCode == http.StatusOK {
			dst = &out
			b.done++
		} else {
			b.failed++
		}
		enc, _ := json.Marshal(line)
		dst.Write(append(enc, '\n'))
	}
	b.output, b.errs = out.Bytes(), errs.Bytes()
	now := nowUnix()
	b.obj = oaBatchObject{ID: randomID("batch_", 24), Object: "batch", Endpoint: req.Endpoint, InputFileID: input.ID,
		CompletionWindow: "24h", Status: "validating", CreatedAt: now, ExpiresAt: now + 86400,
		RequestCounts: oaBatchCounts{Total: total}, Metadata: req.Metadata}
	s.batches.mu.Lock()
	if s.batches.oa == nil {
		s.batches.oa = map[string]*oaMockBatch{}
	}
	s.batches.oa[b.obj.ID] = b
	obj := b.obj
	s.batches.mu.Unlock()
	return writeJSON(w, http.StatusOK, obj)
}

// runOpenAILine answers one input line in the batch output format.
func (s *Server) runOpenAILine(r *http.Request, endpoint string, raw []byte) oaBatchLine {
	var in struct {
		CustomID string          `json:"custom_id"`
		Method   string          `json:"method"`
		URL      string          `json:"url"`
		Body     json.RawMessage `json:"body"`
	}
	line := oaBatchLine{ID: randomID("batch_req_", 24)}
	if err := json.Unmarshal(raw, &in); err != nil {
		line.Error = &oaLineError{Code: "invalid_json", Message: "This line is not valid JSON."}
		return line
	}
	line.CustomID = in.CustomID
	if in.Method != http.MethodPost || in.URL != endpoint {
		line.Error = &oaLineError{Code: "invalid_url", Message: fmt.Sprintf("The URL provided for this request does not match the batch endpoint %s.", endpoint)}
		return line
	}
	serve := s.chatCompletions
	if strings.HasSuffix(endpoint, "/embeddings") {
		serve = s.embeddings
	}
	status, body := inner(r, "/v1"+strings.TrimPrefix(endpoint, "/v1"), in.Body, serve)
	line.Response = &oaLineResponse{StatusCode: status, RequestID: randomID("req_", 32), Body: body}
	return line
}

// retrieveBatch advances the batch one step per retrieval: validating, in_progress, then
// (when its polls are used up) completed with its files, or cancelled after a cancel.
func (s *Server) retrieveBatch(w http.ResponseWriter, id string) error {
	s.batches.mu.Lock()
	defer s.batches.mu.Unlock()
	b := s.batches.oa[id]
	if b == nil {
		return openaiFormat{}.writeError(w, failure{Status: http.StatusNotFound, Message: fmt.Sprintf("No such Batch object: %s", id), Param: "id"})
	}
	now := nowUnix()
	switch {
	case b.obj.Status == "completed" || b.obj.Status == "cancelled":
	case b.cancelPending:
		b.obj.Status, b.obj.CancelledAt = "cancelled", &now
	case b.polls > 0:
		b.polls--
		b.obj.Status = "in_progress"
		if b.obj.InProgressAt == nil {
			b.obj.InProgressAt = &now
		}
	default:
		s.batches.completeOpenAI(b, now)
	}
	return writeJSON(w, http.StatusOK, b.obj)
}

// completeOpenAI stores the batch's output and error files and marks it completed.
func (st *batchStore) completeOpenAI(b *oaMockBatch, now int64) {
	if b.obj.InProgressAt == nil {
		b.obj.InProgressAt = &now
	}
	b.obj.Status, b.obj.FinalizingAt, b.obj.CompletedAt = "completed", &now, &now
	b.obj.RequestCounts.Completed, b.obj.RequestCounts.Failed = b.done, b.failed
	if len(b.output) > 0 {
		f := &mockFile{ID: randomID("file-", 24), Purpose: "batch_output", Filename: b.obj.ID + "_output.jsonl", Created: now, Content: b.output}
		st.putFile(f)
		b.obj.OutputFileID = &f.ID
	}
	if len(b.errs) > 0 {
		f := &mockFile{ID: randomID("file-", 24), Purpose: "batch_output", Filename: b.obj.ID + "_error.jsonl", Created: now, Content: b.errs}
		st.putFile(f)
		b.obj.ErrorFileID = &f.ID
	}
}

func (s *Server) cancelBatch(w http.ResponseWriter, id string) error {
	s.batches.mu.Lock()
	defer s.batches.mu.Unlock()
	b := s.batches.oa[id]
	if b == nil {
		return openaiFormat{}.writeError(w, failure{Status: http.StatusNotFound, Message: fmt.Sprintf("No such Batch object: %s", id), Param: "id"})
	}
	if b.obj.Status == "completed" || b.obj.Status == "cancelled" {
		return openaiFormat{}.writeError(w, failure{Status: http.StatusConflict, Message: fmt.Sprintf("Cannot cancel a batch with status %s.", b.obj.Status)})
	}
	now := nowUnix()
	b.cancelPending = true
	b.obj.Status, b.obj.CancellingAt = "cancelling", &now
	return writeJSON(w, http.StatusOK, b.obj)
}
