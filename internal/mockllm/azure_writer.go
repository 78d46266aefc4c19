package mockllm

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// azureWriter turns the OpenAI handlers' answers into Azure's, so every knob works the same on
// both APIs without a second implementation:
//   - a JSON answer is held until written whole (the handlers write one body per answer), then
//     a 200 gets Azure's content filter annotations and an error that Azure's gateway would
//     have produced is rendered in Azure's shape;
//   - a chat stream is opened with Azure's prompt filter chunk: no choices, empty id and
//     model, only prompt_filter_results
//     (https://learn.microsoft.com/azure/ai-foundry/openai/concepts/content-filter);
//   - anything else (audio, plain-text transcripts) passes through untouched.
type azureWriter struct {
	http.ResponseWriter
	f      azureFormat
	op     string
	held   int  // status of a JSON answer not yet written
	opener bool // the prompt filter chunk is due before the first write
}

// safeFilter is a content filter verdict with every category safe and nothing filtered.
var safeFilter = json.RawMessage(`{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},` +
	`"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}`)

var promptFilterResults = json.RawMessage(`[{"prompt_index":0,"content_filter_results":` + string(safeFilter) + `}]`)

var azureStreamOpener = []byte(`data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":` +
	string(promptFilterResults) + "}\n\n")

func (aw *azureWriter) WriteHeader(status int) {
	ct := aw.Header().Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/json"):
		aw.held = status
		return
	case strings.HasPrefix(ct, "text/event-stream"):
		aw.opener = status == http.StatusOK && aw.op == "chat/completions"
	}
	aw.ResponseWriter.WriteHeader(status)
}

func (aw *azureWriter) Write(b []byte) (int, error) {
	if aw.held != 0 {
		status := aw.held
		aw.held = 0
		out := aw.rewrite(status, b)
		aw.Header().Set("Content-Length", strconv.Itoa(len(out)))
		aw.ResponseWriter.WriteHeader(status)
		if _, err := aw.ResponseWriter.Write(out); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	if aw.opener {
		aw.opener = false
		if _, err := aw.ResponseWriter.Write(azureStreamOpener); err != nil {
			return 0, err
		}
	}
	return aw.ResponseWriter.Write(b)
}

// FlushError lets http.ResponseController flush through the wrapper.
func (aw *azureWriter) FlushError() error {
	return http.NewResponseController(aw.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's other controls.
func (aw *azureWriter) Unwrap() http.ResponseWriter { return aw.ResponseWriter }

// rewrite returns Azure's version of a JSON answer; when it cannot tell, the answer as is.
func (aw *azureWriter) rewrite(status int, body []byte) []byte {
	if status == http.StatusOK {
		switch aw.op {
		case "chat/completions":
			return annotate(body, "choices", true)
		case "images/generations":
			return annotate(body, "data", false)
		}
		return body
	}
	var oe oaErrorBody
	if json.Unmarshal(body, &oe) != nil {
		return body
	}
	fl := failure{Status: status}
	if status == http.StatusTooManyRequests {
		fl.RetryAfter, _ = strconv.Atoi(aw.Header().Get("Retry-After"))
	}
	if status == http.StatusNotFound && (oe.Error.Code == nil || *oe.Error.Code != "model_not_found") {
		fl.Message = oe.Error.Message // a 404 of the handler's own, not a missing model
	}
	if out, ok := aw.f.errorBody(fl, aw.Header()); ok {
		return out
	}
	return body
}

// annotate adds content_filter_results to each element of the list under key and, for chat,
// prompt_filter_results to the answer (images carry their prompt's verdict per image).
func annotate(body []byte, key string, chat bool) []byte {
	var obj map[string]json.RawMessage
	var items []map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil || json.Unmarshal(obj[key], &items) != nil {
		return body
	}
	for _, it := range items {
		it["content_filter_results"] = safeFilter
		if !chat {
			it["prompt_filter_results"] = safeFilter
		}
	}
	obj[key], _ = json.Marshal(items)
	if chat {
		obj["prompt_filter_results"] = promptFilterResults
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return body
	}
	return out
}
