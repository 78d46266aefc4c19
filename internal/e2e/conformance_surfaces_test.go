package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// The inbound streaming APIs the conformance suite drives. Each speaks its own stream and its own
// error shape, so each reads the client-visible bytes in its own terms: how a complete stream
// ends, how a failed one ends (and that it never also ends as complete), and what an error
// before the first byte looks like.

// conformanceSurface is one inbound streaming API.
type conformanceSurface struct {
	name     string
	endpoint string // for the README
	// complete, failed and before describe the contract for the README: the terminal event of a
	// complete stream, how a stream that fails after its start ends, the error response body.
	complete, failed, before string
	request                  func(model, prompt string) (path string, body any, header http.Header)
	slowTokens               int // the slow-client stream's length when not slowClientTokens
	// checkStream checks a 200 stream's events: content, then the terminal event, or for a case
	// with an error code the surface's error ending and no terminal event.
	checkStream func(t *testing.T, f conformanceFormat, tc faultCase, events []namedEvent)
	// checkError checks an error response before the first byte.
	checkError func(t *testing.T, f conformanceFormat, tc faultCase, body []byte)
}

var conformanceSurfaces = []conformanceSurface{
	{
		name: "chat", endpoint: "`POST /v1/chat/completions`",
		complete: "`data: [DONE]`",
		failed:   "`data: {\"error\":{\"message\",\"type\",\"param\",\"code\"}}` (Sluice's code, or the provider's type and message)",
		before:   "`{\"error\":{\"message\",\"type\",\"param\",\"code\"}}`",
		request: func(model, prompt string) (string, any, http.Header) {
			return "/v1/chat/completions", map[string]any{"model": model, "stream": true, "max_tokens": conformanceMaxTokens,
				"messages": []map[string]string{{"role": "user", "content": prompt}}}, http.Header{"Authorization": {"Bearer " + clientKey}}
		},
		checkStream: checkChatStream,
		checkError:  checkOpenAIErrorResponse,
	},
	{
		name: "messages", endpoint: "`POST /v1/messages`",
		complete: "`message_delta` (stop reason, usage), `message_stop`",
		failed: "`event: error` `{\"type\":\"error\",\"error\":{\"type\",\"message\"}}`, no `message_delta` or `message_stop`; " +
			"the type by status: " + confStatusList(anthropicTypes),
		before: "`{\"type\":\"error\",\"error\":{\"type\",\"message\"}}`, the type by status as in a failed stream",
		request: func(model, prompt string) (string, any, http.Header) {
			return "/v1/messages", map[string]any{"model": model, "stream": true, "max_tokens": conformanceMaxTokens,
					"messages": []map[string]string{{"role": "user", "content": prompt}}},
				http.Header{"X-Api-Key": {clientKey}, "Anthropic-Version": {"2023-06-01"}}
		},
		slowTokens:  100_000, // its events are about as short as Anthropic's upstream ones
		checkStream: checkMessagesStream,
		checkError:  checkAnthropicErrorResponse,
	},
	{
		name: "responses", endpoint: "`POST /v1/responses`",
		complete: "`response.completed`",
		failed: "`event: error` `{\"type\":\"error\",\"code\",\"message\",\"param\",\"sequence_number\"}` (Sluice's code, else the provider's or `server_error`), then " +
			"`response.failed` with `status: failed` and `error: {code: server_error, message}`; never `response.completed`",
		before: "`{\"error\":{\"message\",\"type\",\"param\",\"code\"}}`",
		request: func(model, prompt string) (string, any, http.Header) {
			return "/v1/responses", map[string]any{"model": model, "stream": true, "max_output_tokens": conformanceMaxTokens, "input": prompt},
				http.Header{"Authorization": {"Bearer " + clientKey}}
		},
		checkStream: checkResponsesStream,
		checkError:  checkOpenAIErrorResponse,
	},
	{
		name: "gemini", endpoint: "`POST /v1beta/models/{m}:streamGenerateContent?alt=sse`",
		complete: "an event with `finishReason` and `usageMetadata`",
		failed: "`data: {\"error\":{\"code\",\"message\",\"status\"}}`, no `finishReason`; the status by code: " +
			confStatusList(googleStatuses),
		before: "`{\"error\":{\"code\",\"message\",\"status\"}}`, the status as in a failed stream",
		request: func(model, prompt string) (string, any, http.Header) {
			return "/v1beta/models/" + model + ":streamGenerateContent?alt=sse", map[string]any{
					"contents":         []map[string]any{{"role": "user", "parts": []map[string]string{{"text": prompt}}}},
					"generationConfig": map[string]any{"maxOutputTokens": conformanceMaxTokens}},
				http.Header{"X-Goog-Api-Key": {clientKey}}
		},
		checkStream: checkGeminiStream,
		checkError:  checkGoogleErrorResponse,
	},
}

// anthropicTypes and googleStatuses name the errors of the statuses a stream fault produces,
// with the types the Anthropic and Gemini APIs document (https://docs.anthropic.com/en/api/errors,
// https://ai.google.dev/gemini-api/docs/troubleshooting). Neither documents a 502: a provider
// failure is Anthropic's api_error (its own 500) and Google's UNAVAILABLE.
var (
	anthropicTypes = []confStatusName{{429, "rate_limit_error"}, {502, "api_error"}, {503, "overloaded_error"}, {504, "timeout_error"}}
	googleStatuses = []confStatusName{{429, "RESOURCE_EXHAUSTED"}, {502, "UNAVAILABLE"}, {503, "UNAVAILABLE"}, {504, "DEADLINE_EXCEEDED"}}
)

type confStatusName struct {
	status int
	name   string
}

func confErrorName(table []confStatusName, status int) string {
	for _, s := range table {
		if s.status == status {
			return s.name
		}
	}
	return "(no documented name for " + http.StatusText(status) + ")"
}

func confStatusList(table []confStatusName) string {
	parts := make([]string, len(table))
	for i, s := range table {
		parts[i] = fmt.Sprintf("%d `%s`", s.status, s.name)
	}
	return strings.Join(parts, ", ")
}

// namedEvent is one server-sent event: its name (empty when it has none) and its data.
type namedEvent struct{ name, data string }

// readNamedEvents returns the events of body; with max > 0 it stops after max events.
func readNamedEvents(t *testing.T, body io.Reader, max int) []namedEvent {
	t.Helper()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	var out []namedEvent
	var name string
	for sc.Scan() {
		line := sc.Text()
		if n, ok := strings.CutPrefix(line, "event: "); ok {
			name = n
			continue
		}
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			out = append(out, namedEvent{name: name, data: d})
			name = ""
			if max > 0 && len(out) == max {
				return out
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading the stream: %v (Sluice must end a failed stream with an event, not a broken connection)", err)
	}
	return out
}

// confErrorStatus is the HTTP status the error ending a stream stands for: Sluice's code's, or the
// provider's error's as Sluice maps it.
func confErrorStatus(f conformanceFormat, tc faultCase) int {
	switch tc.Code {
	case "provider":
		return f.errStatus
	case "upstream_timeout":
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway
}

// checkConfErrorMessage: the provider's message mid-stream, else any message.
func checkConfErrorMessage(t *testing.T, f conformanceFormat, tc faultCase, msg string) {
	t.Helper()
	if msg == "" {
		t.Errorf("the error has no message")
	}
	if tc.Code == "provider" && tc.When == "mid-stream" && !strings.Contains(msg, f.errMsg) {
		t.Errorf("error message %q, want the provider's %q", msg, f.errMsg)
	}
}

func confUnmarshal(t *testing.T, what, data string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(data), v); err != nil {
		t.Fatalf("%s %q is not JSON: %v", what, data, err)
	}
}

// checkChatStream: chat.completion.chunk events with some content, then [DONE] for a complete
// stream, or one error event and no [DONE] for a failed one.
func checkChatStream(t *testing.T, f conformanceFormat, tc faultCase, events []namedEvent) {
	t.Helper()
	if len(events) < 2 {
		t.Fatalf("events = %q, want chunks and an ending", events)
	}
	last := events[len(events)-1].data
	content := 0
	for _, ev := range events[:len(events)-1] {
		var c struct {
			Object  string
			Choices []struct{ Delta struct{ Content string } }
		}
		if err := json.Unmarshal([]byte(ev.data), &c); err != nil || c.Object != "chat.completion.chunk" {
			t.Fatalf("event %q is not a chat.completion.chunk (before the end: %q)", ev.data, last)
		}
		for _, ch := range c.Choices {
			content += len(ch.Delta.Content)
		}
	}
	if content == 0 {
		t.Errorf("no content before the end: %q", events)
	}
	if tc.Code == "" {
		if last != "[DONE]" {
			t.Fatalf("a complete stream must end with [DONE], ends with %q", last)
		}
		return
	}
	var e errorEnvelope
	if err := json.Unmarshal([]byte(last), &e); err != nil || e.Error == nil || e.Error.Message == "" || e.Error.Type == "" {
		t.Fatalf("last event %q is not an error event {\"error\":{message,type,code}}", last)
	}
	checkErrorBody(t, f, tc, e.Error.Type, e.Error.Code, e.Error.Message)
}

// checkMessagesStream: Anthropic's event sequence, each event's data typed as its name, one
// message_start first; a complete stream ends with message_delta and message_stop, a failed one
// with an error event and neither.
func checkMessagesStream(t *testing.T, f conformanceFormat, tc faultCase, events []namedEvent) {
	t.Helper()
	if len(events) < 2 || events[0].name != "message_start" {
		t.Fatalf("events = %q, want message_start first and an ending", events)
	}
	text, starts, open := 0, 0, 0
	for i, ev := range events {
		var e struct {
			Type  string
			Delta struct {
				Type, Text string
				StopReason string `json:"stop_reason"`
			}
			Usage struct {
				OutputTokens int `json:"output_tokens"`
			}
			Error *struct{ Type, Message string }
		}
		confUnmarshal(t, ev.name+" event", ev.data, &e)
		if e.Type != ev.name {
			t.Fatalf("event %q has data of type %q", ev.name, e.Type)
		}
		last := i == len(events)-1
		switch ev.name {
		case "message_start":
			starts++
		case "content_block_start":
			open++
		case "content_block_stop":
			open--
		case "content_block_delta":
			if e.Delta.Type == "text_delta" {
				text += len(e.Delta.Text)
			}
		case "message_delta":
			if tc.Code != "" {
				t.Fatalf("a failed stream sent message_delta: %q", ev.data)
			}
			if i != len(events)-2 || e.Delta.StopReason == "" || e.Usage.OutputTokens == 0 {
				t.Errorf("message_delta %q (event %d of %d): want the stop reason and usage, just before message_stop", ev.data, i, len(events))
			}
		case "message_stop":
			if tc.Code != "" || !last {
				t.Fatalf("message_stop at event %d of %d in a stream that must end with an error", i, len(events))
			}
		case "error":
			if tc.Code == "" || !last {
				t.Fatalf("error event %q at %d of %d in a stream that must complete", ev.data, i, len(events))
			}
			if e.Error == nil {
				t.Fatalf("error event %q is not {\"type\":\"error\",\"error\":{type,message}}", ev.data)
			}
			if want := confErrorName(anthropicTypes, confErrorStatus(f, tc)); e.Error.Type != want {
				t.Errorf("error event type %q, want %q", e.Error.Type, want)
			}
			checkConfErrorMessage(t, f, tc, e.Error.Message)
		case "ping":
		default:
			t.Fatalf("unexpected event %q", ev.name)
		}
	}
	if starts != 1 || text == 0 {
		t.Errorf("%d message_start events and %d bytes of text, want one and some", starts, text)
	}
	end := events[len(events)-1].name
	switch {
	case tc.Code == "" && (end != "message_stop" || open != 0):
		t.Errorf("a complete stream ends with %q and %d open blocks, want message_stop and none", end, open)
	case tc.Code != "" && end != "error":
		t.Errorf("a failed stream ends with %q, want an error event", end)
	}
}

// checkAnthropicErrorResponse: Anthropic's error body with the type its docs give the status.
func checkAnthropicErrorResponse(t *testing.T, f conformanceFormat, tc faultCase, body []byte) {
	t.Helper()
	var e struct {
		Type  string
		Error *struct{ Type, Message string }
	}
	confUnmarshal(t, "error body", string(body), &e)
	if e.Type != "error" || e.Error == nil {
		t.Fatalf("error body %s is not {\"type\":\"error\",\"error\":{type,message}}", body)
	}
	if want := confErrorName(anthropicTypes, tc.Status); e.Error.Type != want {
		t.Errorf("error type %q, want %q for %d", e.Error.Type, want, tc.Status)
	}
	checkConfErrorMessage(t, f, tc, e.Error.Message)
}

// checkResponsesStream: the Responses API's semantic events, numbered from 0 in order, each
// event's data typed as its name; response.created and response.in_progress first; a complete
// stream ends with response.completed, a failed one with an error event and response.failed.
func checkResponsesStream(t *testing.T, f conformanceFormat, tc faultCase, events []namedEvent) {
	t.Helper()
	if len(events) < 3 || events[0].name != "response.created" || events[1].name != "response.in_progress" {
		t.Fatalf("events = %q, want response.created, response.in_progress first and an ending", events)
	}
	type response struct {
		Status string
		Error  *struct{ Code, Message string }
		Usage  *struct {
			OutputTokens int `json:"output_tokens"`
		}
		Output []struct {
			Type, Status string
			Content      []struct{ Text string }
		}
	}
	// outputText is the text of a final response's message items, and their statuses.
	outputText := func(r *response) (text string, statuses []string) {
		for _, o := range r.Output {
			if o.Type == "message" {
				statuses = append(statuses, o.Status)
				for _, c := range o.Content {
					text += c.Text
				}
			}
		}
		return text, statuses
	}
	var deltas strings.Builder
	created := 0
	var errEvent map[string]json.RawMessage
	for i, ev := range events {
		var e struct {
			Type           string
			SequenceNumber *int `json:"sequence_number"`
			Delta          string
			Response       *response
		}
		confUnmarshal(t, ev.name+" event", ev.data, &e)
		if e.Type != ev.name || e.SequenceNumber == nil || *e.SequenceNumber != i {
			t.Fatalf("event %d %q: type %q, sequence_number %v, want %q and %d", i, ev.name, e.Type, e.SequenceNumber, ev.name, i)
		}
		last := i == len(events)-1
		switch ev.name {
		case "response.created":
			created++
		case "response.output_text.delta":
			deltas.WriteString(e.Delta)
		case "response.completed":
			if tc.Code != "" || !last {
				t.Fatalf("response.completed at event %d of %d in a stream that must fail", i, len(events))
			}
			if e.Response.Status != "completed" || e.Response.Usage == nil || e.Response.Usage.OutputTokens == 0 {
				t.Errorf("response.completed: status %q, usage %v; want completed and usage", e.Response.Status, e.Response.Usage)
			}
			if got, statuses := outputText(e.Response); got != deltas.String() || !slices.Equal(statuses, []string{"completed"}) {
				t.Errorf("response.completed has a message item %v with %d bytes of text, want one completed with the %d streamed",
					statuses, len(got), deltas.Len())
			}
		case "error":
			if tc.Code == "" || i != len(events)-2 {
				t.Fatalf("error event %q at %d of %d, want one just before response.failed in a failed stream", ev.data, i, len(events))
			}
			confUnmarshal(t, "error event", ev.data, &errEvent)
		case "response.failed":
			if tc.Code == "" || !last {
				t.Fatalf("response.failed at event %d of %d", i, len(events))
			}
			if r := e.Response; r.Status != "failed" || r.Error == nil || r.Error.Code != "server_error" || r.Error.Message == "" {
				t.Errorf("response.failed %s: want status failed and error {code: server_error, message}", ev.data)
			}
			// The failed response shows how far the answer got: the text streamed, incomplete.
			if got, statuses := outputText(e.Response); got != deltas.String() || !slices.Equal(statuses, []string{"incomplete"}) {
				t.Errorf("response.failed has a message item %v with %d bytes of text, want one incomplete with the %d streamed",
					statuses, len(got), deltas.Len())
			}
		}
	}
	if created != 1 || deltas.Len() == 0 {
		t.Errorf("%d response.created events and %d bytes of text, want one and some", created, deltas.Len())
	}
	if tc.Code == "" {
		if end := events[len(events)-1].name; end != "response.completed" {
			t.Errorf("a complete stream ends with %q, want response.completed", end)
		}
		return
	}
	if errEvent == nil || events[len(events)-1].name != "response.failed" {
		t.Fatalf("a failed stream ends with %q, want error and response.failed", events[len(events)-2:])
	}
	// The error event's members, as the API reference gives them: code and param may be null
	// but are always there.
	for _, k := range []string{"code", "message", "param"} {
		if _, ok := errEvent[k]; !ok {
			t.Errorf("error event %v has no %q", errEvent, k)
		}
	}
	var code, msg string
	_ = json.Unmarshal(errEvent["code"], &code)
	_ = json.Unmarshal(errEvent["message"], &msg)
	if tc.Code != "provider" && code != tc.Code {
		t.Errorf("error event code %q, want %q", code, tc.Code)
	}
	if code == "" {
		t.Errorf("error event without a code")
	}
	checkConfErrorMessage(t, f, tc, msg)
}

// checkOpenAIErrorResponse: OpenAI's error body.
func checkOpenAIErrorResponse(t *testing.T, f conformanceFormat, tc faultCase, body []byte) {
	t.Helper()
	var e errorEnvelope
	if err := json.Unmarshal(body, &e); err != nil || e.Error == nil || e.Error.Message == "" {
		t.Fatalf("error response %s is not {\"error\":{...}}: %v", body, err)
	}
	checkErrorBody(t, f, tc, e.Error.Type, e.Error.Code, e.Error.Message)
}

// googleStreamEvent is a Gemini stream event: a GenerateContentResponse, or the error object of
// Google APIs (also an error response body).
type googleStreamEvent struct {
	Error *struct {
		Code            int
		Message, Status string
	}
	Candidates []struct {
		Content struct {
			Role  string
			Parts []struct{ Text string }
		}
		FinishReason string
	}
	UsageMetadata *struct {
		CandidatesTokenCount int
	}
}

// checkGeminiStream: GenerateContentResponse events with text parts; a complete stream ends with
// the one event that has a finishReason and usageMetadata, a failed one with Google's error
// object and no finishReason anywhere.
func checkGeminiStream(t *testing.T, f conformanceFormat, tc faultCase, events []namedEvent) {
	t.Helper()
	if len(events) < 2 {
		t.Fatalf("events = %q, want content and an ending", events)
	}
	text := 0
	for i, ev := range events {
		var e googleStreamEvent
		confUnmarshal(t, "event", ev.data, &e)
		last := i == len(events)-1
		if e.Error != nil {
			if tc.Code == "" || !last {
				t.Fatalf("error event %q at %d of %d", ev.data, i, len(events))
			}
			if want := confErrorStatus(f, tc); e.Error.Code != want || e.Error.Status != confErrorName(googleStatuses, want) {
				t.Errorf("error event %s: want code %d, status %q", ev.data, want, confErrorName(googleStatuses, want))
			}
			checkConfErrorMessage(t, f, tc, e.Error.Message)
			continue
		}
		if len(e.Candidates) != 1 || e.Candidates[0].Content.Role != "model" {
			t.Fatalf("event %s is neither a GenerateContentResponse with one candidate nor an error", ev.data)
		}
		for _, p := range e.Candidates[0].Content.Parts {
			text += len(p.Text)
		}
		if fin := e.Candidates[0].FinishReason; fin != "" {
			if tc.Code != "" || !last {
				t.Fatalf("finishReason %q at event %d of %d", fin, i, len(events))
			}
			if e.UsageMetadata == nil || e.UsageMetadata.CandidatesTokenCount == 0 {
				t.Errorf("the last event %s has no usageMetadata", ev.data)
			}
		} else if last && tc.Code == "" {
			t.Errorf("a complete stream's last event %s has no finishReason", ev.data)
		}
	}
	if text == 0 {
		t.Errorf("no text before the end: %q", events)
	}
	if tc.Code != "" && !strings.Contains(events[len(events)-1].data, `"error"`) {
		t.Errorf("a failed stream ends with %q, want Google's error object", events[len(events)-1].data)
	}
}

// checkGoogleErrorResponse: Google's error body, its code the HTTP status.
func checkGoogleErrorResponse(t *testing.T, f conformanceFormat, tc faultCase, body []byte) {
	t.Helper()
	var e googleStreamEvent
	confUnmarshal(t, "error body", string(body), &e)
	if e.Error == nil {
		t.Fatalf("error body %s is not {\"error\":{code,message,status}}", body)
	}
	if e.Error.Code != tc.Status || e.Error.Status != confErrorName(googleStatuses, tc.Status) {
		t.Errorf("error %s: want code %d, status %q", body, tc.Status, confErrorName(googleStatuses, tc.Status))
	}
	checkConfErrorMessage(t, f, tc, e.Error.Message)
}
