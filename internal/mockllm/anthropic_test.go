package mockllm

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	anoption "github.com/anthropics/anthropic-sdk-go/option"
)

// The Anthropic routes, checked with the official Go SDK: if it parses the mock's answers, so
// will a gateway built against the real API.

const anKey = "sk-ant-mock"

func anClient(inst *Instance, opts ...anoption.RequestOption) anthropic.Client {
	base := []anoption.RequestOption{
		anoption.WithBaseURL(inst.URL()),
		anoption.WithAPIKey(anKey),
		anoption.WithMaxRetries(0),
	}
	return anthropic.NewClient(append(base, opts...)...)
}

func anParams(text string) anthropic.MessageNewParams {
	return anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 1024,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(text))},
	}
}

func anWeatherTool() anthropic.ToolUnionParam {
	return anthropic.ToolUnionParamOfTool(anthropic.ToolInputSchemaParam{
		Properties: map[string]any{"city": map[string]any{"type": "string"}, "days": map[string]any{"type": "integer"}},
		Required:   []string{"city"},
	}, "get_weather")
}

// anCollect runs a streaming request and accumulates it into a Message, as SDK users do.
func anCollect(t *testing.T, c anthropic.Client, p anthropic.MessageNewParams) (anthropic.Message, []string, error) {
	t.Helper()
	stream := c.Messages.NewStreaming(t.Context(), p)
	defer stream.Close()
	var msg anthropic.Message
	var types []string
	for stream.Next() {
		ev := stream.Current()
		types = append(types, ev.Type)
		if err := msg.Accumulate(ev); err != nil {
			t.Fatalf("Accumulate(%s): %v", ev.RawJSON(), err)
		}
	}
	return msg, types, stream.Err()
}

func TestAnthropicMessageParsesWithSDK(t *testing.T) {
	inst := start(t, Options{APIKey: anKey, Tokens: 5})
	var resp *http.Response
	c := anClient(inst)
	msg, err := c.Messages.New(t.Context(), anParams("Hello"), anoption.WithResponseInto(&resp))
	if err != nil {
		t.Fatalf("Messages.New: %v", err)
	}
	if !strings.HasPrefix(msg.ID, "msg_01") || msg.Type != "message" || msg.Role != "assistant" || msg.Model != "claude-sonnet-4-5" {
		t.Errorf("envelope: got id %q type %q role %q model %q", msg.ID, msg.Type, msg.Role, msg.Model)
	}
	if len(msg.Content) != 1 || msg.Content[0].Type != "text" || len(strings.Fields(msg.Content[0].Text)) != 5 {
		t.Fatalf("content: got %s, want one text block of 5 words", msg.RawJSON())
	}
	if msg.StopReason != anthropic.StopReasonEndTurn || msg.StopSequence != "" {
		t.Errorf("stop: got %q %q, want end_turn and no sequence", msg.StopReason, msg.StopSequence)
	}
	if u := msg.Usage; u.InputTokens <= 0 || u.OutputTokens != 5 || !u.JSON.CacheReadInputTokens.Valid() || u.ServiceTier != "standard" {
		t.Errorf("usage: got %s", u.RawJSON())
	}
	if id := resp.Header.Get("Request-Id"); !strings.HasPrefix(id, "req_") {
		t.Errorf("request-id header: got %q", id)
	}
}

func TestAnthropicStreamAccumulatesToTheNonStreamedMessage(t *testing.T) {
	inst := start(t, Options{APIKey: anKey, Tokens: 6})
	c := anClient(inst)
	whole, err := c.Messages.New(t.Context(), anParams("Stream me"))
	if err != nil {
		t.Fatal(err)
	}
	msg, types, err := anCollect(t, c, anParams("Stream me"))
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	want := "message_start content_block_start" + strings.Repeat(" content_block_delta", 6) + " content_block_stop message_delta message_stop"
	if got := strings.Join(types, " "); got != want {
		t.Errorf("events:\n got  %s\n want %s", got, want)
	}
	if msg.Content[0].Text != whole.Content[0].Text || msg.StopReason != whole.StopReason {
		t.Errorf("streamed %q (%s) differs from non-streamed %q (%s)", msg.Content[0].Text, msg.StopReason, whole.Content[0].Text, whole.StopReason)
	}
	if msg.Usage.OutputTokens != 6 || msg.Usage.InputTokens != whole.Usage.InputTokens {
		t.Errorf("stream usage %s, want the non-stream usage %s", msg.Usage.RawJSON(), whole.Usage.RawJSON())
	}
}

func TestAnthropicStreamSendsPingAfterFirstBlockStart(t *testing.T) {
	inst := start(t, Options{APIKey: anKey, Tokens: 2})
	_, _, body := post(t, inst.URL()+"/v1/messages",
		`{"model":"claude","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}`,
		map[string]string{"x-api-key": anKey, "anthropic-version": "2023-06-01"})
	var names []string
	for _, line := range strings.Split(body, "\n") {
		if name, ok := strings.CutPrefix(line, "event: "); ok {
			names = append(names, name)
		}
	}
	if len(names) < 3 || names[2] != "ping" {
		t.Errorf("event names %v: want ping third, after message_start and content_block_start", names)
	}
}

func TestAnthropicToolUseRoundTrip(t *testing.T) {
	inst := start(t, Options{APIKey: anKey})
	c := anClient(inst)
	p := anParams("Weather in Paris?")
	p.Tools = []anthropic.ToolUnionParam{anWeatherTool()}
	p.ToolChoice = anthropic.ToolChoiceUnionParam{OfAny: &anthropic.ToolChoiceAnyParam{}}
	msg, err := c.Messages.New(t.Context(), p)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if msg.StopReason != anthropic.StopReasonToolUse || len(msg.Content) != 1 {
		t.Fatalf("got %s, want one tool_use block", msg.RawJSON())
	}
	use := msg.Content[0].AsToolUse()
	var input struct {
		City string `json:"city"`
		Days *int   `json:"days"`
	}
	if err := json.Unmarshal(use.Input, &input); err != nil || input.City == "" || input.Days == nil {
		t.Errorf("tool input %s does not follow the schema (%v)", use.Input, err)
	}
	if !strings.HasPrefix(use.ID, "toolu_01") || use.Name != "get_weather" {
		t.Errorf("tool_use: id %q name %q", use.ID, use.Name)
	}
	streamed, _, err := anCollect(t, c, p)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	if got := streamed.Content[0].AsToolUse(); string(got.Input) != string(use.Input) || got.ID != use.ID {
		t.Errorf("streamed tool use %s %s, want %s %s", got.ID, got.Input, use.ID, use.Input)
	}

	// Answer the call: the reply is text.
	p.ToolChoice = anthropic.ToolChoiceUnionParam{}
	p.Messages = append(p.Messages, msg.ToParam(),
		anthropic.NewUserMessage(anthropic.NewToolResultBlock(use.ID, "18 degrees", false)))
	answer, err := c.Messages.New(t.Context(), p)
	if err != nil {
		t.Fatalf("New with tool result: %v", err)
	}
	if answer.StopReason != anthropic.StopReasonEndTurn || answer.Content[0].Text == "" {
		t.Errorf("answer: got %s", answer.RawJSON())
	}
}

func TestAnthropicStopSequenceAndMaxTokens(t *testing.T) {
	inst := start(t, Options{APIKey: anKey, Tokens: 8})
	c := anClient(inst)
	whole, err := c.Messages.New(t.Context(), anParams("Count"))
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Fields(whole.Content[0].Text)
	p := anParams("Count")
	p.StopSequences = []string{words[3]}
	stopped, err := c.Messages.New(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if stopped.StopReason != anthropic.StopReasonStopSequence || stopped.StopSequence != words[3] ||
		strings.Contains(stopped.Content[0].Text, words[3]) {
		t.Errorf("stop sequence %q: got %s", words[3], stopped.RawJSON())
	}
	p = anParams("Count")
	p.MaxTokens = 3
	capped, err := c.Messages.New(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if capped.StopReason != anthropic.StopReasonMaxTokens || capped.Usage.OutputTokens != 3 {
		t.Errorf("max_tokens 3: got %s", capped.RawJSON())
	}
}

func TestAnthropicErrorsParseWithSDK(t *testing.T) {
	tests := []struct {
		knob, errType string
		status        int
	}{
		{"status=400", "invalid_request_error", 400},
		{"status=403", "permission_error", 403},
		{"status=404", "not_found_error", 404},
		{"status=429 retry_after=4", "rate_limit_error", 429},
		{"status=500", "api_error", 500},
		{"status=529", "overloaded_error", 529},
	}
	inst := start(t, Options{APIKey: anKey})
	c := anClient(inst)
	for _, tt := range tests {
		t.Run(tt.knob, func(t *testing.T) {
			_, err := c.Messages.New(t.Context(), anParams("[[mock "+tt.knob+"]]"))
			var e *anthropic.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *anthropic.Error", err)
			}
			if e.StatusCode != tt.status || string(e.Type()) != tt.errType || !strings.HasPrefix(e.RequestID, "req_") {
				t.Errorf("got %d %q request id %q, want %d %q", e.StatusCode, e.Type(), e.RequestID, tt.status, tt.errType)
			}
			if tt.status == 429 && e.Response.Header.Get("Retry-After") != "4" {
				t.Errorf("retry-after: got %q", e.Response.Header.Get("Retry-After"))
			}
		})
	}
	wrong := anClient(inst, anoption.WithAPIKey("wrong"))
	_, err := wrong.Messages.New(t.Context(), anParams("x"))
	var e *anthropic.Error
	if !errors.As(err, &e) || e.StatusCode != 401 || e.Type() != "authentication_error" {
		t.Errorf("wrong key: got %v, want 401 authentication_error", err)
	}
}

func TestAnthropicStreamFaults(t *testing.T) {
	inst := start(t, Options{APIKey: anKey, Tokens: 6})
	c := anClient(inst)
	msg, types, err := anCollect(t, c, anParams("[[mock error_after=2]]"))
	var e *anthropic.Error
	if !errors.As(err, &e) || e.Type() != "overloaded_error" {
		t.Fatalf("error_after: err = %v, want an overloaded_error", err)
	}
	if n := strings.Count(strings.Join(types, " "), "content_block_delta"); n != 2 || strings.Contains(strings.Join(types, " "), "message_stop") {
		t.Errorf("error_after=2: events %v, want 2 deltas and no message_stop", types)
	}
	if len(strings.Fields(msg.Content[0].Text)) != 2 {
		t.Errorf("error_after=2: text %q", msg.Content[0].Text)
	}
	_, types, err = anCollect(t, c, anParams("[[mock cut_after=3]]"))
	if err == nil || strings.Contains(strings.Join(types, " "), "message_stop") {
		t.Errorf("cut_after: err = %v, events %v; want a broken stream without message_stop", err, types)
	}
}

func TestAnthropicUsageKnobOffOmitsUsage(t *testing.T) {
	inst := start(t, Options{APIKey: anKey})
	c := anClient(inst)
	msg, err := c.Messages.New(t.Context(), anParams("[[mock usage=false]]"))
	if err != nil {
		t.Fatal(err)
	}
	if msg.JSON.Usage.Valid() {
		t.Errorf("usage present: %s", msg.RawJSON())
	}
}

func TestAnthropicRejectsWhatTheAPIRejects(t *testing.T) {
	inst := start(t, Options{APIKey: anKey})
	url := inst.URL() + "/v1/messages"
	headers := map[string]string{"x-api-key": anKey, "anthropic-version": "2023-06-01"}
	user := `{"role":"user","content":"hi"}`
	tests := []struct {
		name, body string
		header     map[string]string
		status     int
		inMessage  string
	}{
		{"no key", `{}`, map[string]string{"anthropic-version": "2023-06-01"}, 401, "x-api-key header is required"},
		{"no version", `{}`, map[string]string{"x-api-key": anKey}, 400, "anthropic-version"},
		{"no max_tokens", `{"model":"claude","messages":[` + user + `]}`, headers, 400, "max_tokens: Field required"},
		{"no model", `{"max_tokens":5,"messages":[` + user + `]}`, headers, 400, "model: Field required"},
		{"system role", `{"model":"c","max_tokens":5,"messages":[{"role":"system","content":"x"}]}`, headers, 400, "messages.0.role"},
		{"no alternation", `{"model":"c","max_tokens":5,"messages":[` + user + `,` + user + `]}`, headers, 400, "roles must alternate"},
		{"tool_use without result", `{"model":"c","max_tokens":5,"messages":[` + user + `,{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":{}}]},` + user + `]}`, headers, 400, "toolu_1"},
		{"stray tool_result", `{"model":"c","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_9","content":"x"}]}]}`, headers, 400, "toolu_9"},
		{"wrong type", `{"model":"c","max_tokens":"5","messages":[` + user + `]}`, headers, 400, "max_tokens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := post(t, url, tt.body, tt.header)
			var e anErrorBody
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Type != "error" {
				t.Fatalf("body %q is not an Anthropic error (%v)", body, err)
			}
			if status != tt.status || !strings.Contains(e.Error.Message, tt.inMessage) {
				t.Errorf("got %d %q, want %d and a message naming %q", status, e.Error.Message, tt.status, tt.inMessage)
			}
		})
	}
}
