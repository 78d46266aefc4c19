package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	anoption "github.com/anthropics/anthropic-sdk-go/option"
)

// The inbound Messages API end to end: the official Anthropic SDK, Sluice's /v1/messages,
// and the mock speaking each upstream's own API behind it.

// messagesUpstreams are the configurations and aliases one Anthropic client is routed through.
var messagesUpstreams = []struct{ name, cfg, model string }{
	{"openai", defaultConfig, "fast"},
	{"anthropic", anthropicConfig, "claude"},
	{"gemini", geminiConfig, "gem"},
}

func (g *gateway) anthropicClient(opts ...anoption.RequestOption) anthropic.Client {
	base := []anoption.RequestOption{
		anoption.WithBaseURL(g.URL),
		anoption.WithAPIKey(clientKey),
		anoption.WithMaxRetries(0), // the tests check Sluice's behaviour, not the SDK's retries
	}
	return anthropic.NewClient(append(base, opts...)...)
}

func messagesParams(model, text string) anthropic.MessageNewParams {
	return anthropic.MessageNewParams{
		Model:     anthropic.Model(model),
		MaxTokens: 256,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(text))},
	}
}

// accumulate runs a streaming request into one Message, as SDK users do.
func accumulate(t *testing.T, c anthropic.Client, p anthropic.MessageNewParams) (anthropic.Message, []string, error) {
	t.Helper()
	stream := c.Messages.NewStreaming(context.Background(), p)
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

func TestMessagesThroughEveryProvider(t *testing.T) {
	for _, up := range messagesUpstreams {
		t.Run(up.name, func(t *testing.T) {
			g := start(t, up.cfg, time.Minute)
			c := g.anthropicClient()
			p := messagesParams(up.model, "Say hello")
			p.System = []anthropic.TextBlockParam{{Text: "Be brief."}}
			whole, err := c.Messages.New(context.Background(), p)
			if err != nil {
				t.Fatalf("Messages.New: %v", err)
			}
			if !strings.HasPrefix(whole.ID, "msg_") || whole.Type != "message" || whole.Role != "assistant" || whole.Model == "" {
				t.Errorf("envelope: id %q type %q role %q model %q", whole.ID, whole.Type, whole.Role, whole.Model)
			}
			if len(whole.Content) != 1 || whole.Content[0].Type != "text" || whole.Content[0].Text == "" {
				t.Fatalf("content = %s, want one text block", whole.RawJSON())
			}
			if whole.StopReason != anthropic.StopReasonEndTurn {
				t.Errorf("stop_reason = %q, want end_turn", whole.StopReason)
			}
			if whole.Usage.InputTokens <= 0 || whole.Usage.OutputTokens <= 0 {
				t.Errorf("usage = %s, want input and output tokens", whole.Usage.RawJSON())
			}

			msg, types, err := accumulate(t, c, p)
			if err != nil {
				t.Fatalf("stream: %v", err)
			}
			if types[0] != "message_start" || types[len(types)-1] != "message_stop" || types[len(types)-2] != "message_delta" {
				t.Errorf("event types %v: want message_start first, message_delta and message_stop last", types)
			}
			if len(msg.Content) != 1 || msg.Content[0].Text != whole.Content[0].Text {
				t.Errorf("streamed %s, want the non-streamed text %q", msg.RawJSON(), whole.Content[0].Text)
			}
			if msg.StopReason != anthropic.StopReasonEndTurn {
				t.Errorf("streamed stop_reason = %q, want end_turn", msg.StopReason)
			}
			if msg.Usage.OutputTokens != whole.Usage.OutputTokens || msg.Usage.InputTokens != whole.Usage.InputTokens {
				t.Errorf("stream usage %s != non-stream usage %s", msg.Usage.RawJSON(), whole.Usage.RawJSON())
			}
		})
	}
}

func TestMessagesToolUseRoundTrip(t *testing.T) {
	for _, up := range messagesUpstreams {
		t.Run(up.name, func(t *testing.T) {
			g := start(t, up.cfg, time.Minute)
			c := g.anthropicClient()
			p := messagesParams(up.model, "Weather in Paris? [[mock tool_call=get_weather]]")
			p.Tools = []anthropic.ToolUnionParam{anthropic.ToolUnionParamOfTool(anthropic.ToolInputSchemaParam{
				Properties: map[string]any{"city": map[string]any{"type": "string"}},
				Required:   []string{"city"},
			}, "get_weather")}
			p.ToolChoice = anthropic.ToolChoiceUnionParam{OfAny: &anthropic.ToolChoiceAnyParam{}}
			first, err := c.Messages.New(context.Background(), p)
			if err != nil {
				t.Fatalf("Messages.New: %v", err)
			}
			if first.StopReason != anthropic.StopReasonToolUse || len(first.Content) == 0 {
				t.Fatalf("first answer %s, want a tool_use", first.RawJSON())
			}
			use := first.Content[len(first.Content)-1].AsToolUse()
			var input struct{ City string }
			if err := json.Unmarshal(use.Input, &input); err != nil || input.City == "" || use.Name != "get_weather" || use.ID == "" {
				t.Fatalf("tool_use %s: input does not follow the schema (%v)", first.Content[len(first.Content)-1].RawJSON(), err)
			}

			streamed, _, err := accumulate(t, c, p)
			if err != nil {
				t.Fatalf("stream: %v", err)
			}
			last := streamed.Content[len(streamed.Content)-1]
			if streamed.StopReason != anthropic.StopReasonToolUse || last.Type != "tool_use" || last.Name != "get_weather" {
				t.Errorf("streamed answer %s, want the same tool_use", streamed.RawJSON())
			} else if err := json.Unmarshal(last.Input, &input); err != nil || input.City == "" {
				t.Errorf("streamed input %s (%v)", last.Input, err)
			}

			p.Messages = append(p.Messages, first.ToParam(),
				anthropic.NewUserMessage(anthropic.NewToolResultBlock(use.ID, "18 degrees", false)))
			p.ToolChoice = anthropic.ToolChoiceUnionParam{OfAuto: &anthropic.ToolChoiceAutoParam{}}
			second, err := c.Messages.New(context.Background(), p)
			if err != nil {
				t.Fatalf("Messages.New with tool_result: %v", err)
			}
			if second.StopReason != anthropic.StopReasonEndTurn || len(second.Content) == 0 || second.Content[0].Text == "" {
				t.Errorf("second answer %s, want text", second.RawJSON())
			}
		})
	}
}

// anthropicError asserts err is the SDK's API error with the status and Anthropic error type.
func anthropicError(t *testing.T, err error, status int, typ string) {
	t.Helper()
	var e *anthropic.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *anthropic.Error", err, err)
	}
	if e.StatusCode != status || string(e.Type()) != typ {
		t.Errorf("got %d %q (%s), want %d %s", e.StatusCode, e.Type(), e.RawJSON(), status, typ)
	}
}

func TestMessagesErrorsInAnthropicShape(t *testing.T) {
	for _, up := range messagesUpstreams {
		t.Run(up.name, func(t *testing.T) {
			g := start(t, up.cfg, time.Minute)
			c := g.anthropicClient()
			_, err := c.Messages.New(context.Background(), messagesParams("no-such-model", "hi"))
			anthropicError(t, err, http.StatusNotFound, "not_found_error")

			_, err = c.Messages.New(context.Background(), messagesParams(up.model, "[[mock status=429]]"))
			anthropicError(t, err, http.StatusTooManyRequests, "rate_limit_error")

			wrong := g.anthropicClient(anoption.WithAPIKey("sk-wrong"))
			_, err = wrong.Messages.New(context.Background(), messagesParams(up.model, "hi"))
			anthropicError(t, err, http.StatusUnauthorized, "authentication_error")
		})
	}
}

func TestMessagesStreamErrorMidway(t *testing.T) {
	for _, up := range messagesUpstreams {
		t.Run(up.name, func(t *testing.T) {
			g := start(t, up.cfg, time.Minute)
			msg, types, err := accumulate(t, g.anthropicClient(), messagesParams(up.model, "[[mock error_after=2]]"))
			if err == nil {
				t.Fatalf("stream ended without error: events %v, message %s", types, msg.RawJSON())
			}
			for _, typ := range types {
				if typ == "message_stop" {
					t.Errorf("a failed stream must not end with message_stop: %v", types)
				}
			}
			if len(types) < 3 {
				t.Errorf("events %v: want the content before the error", types)
			}
			// The failure is Anthropic's own error event, not a dropped connection.
			body := `{"model":"` + up.model + `","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"[[mock error_after=2]]"}]}`
			req, _ := http.NewRequest(http.MethodPost, g.URL+"/v1/messages", strings.NewReader(body))
			req.Header.Set("x-api-key", clientKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("the stream broke off instead of ending with an error event: %v", err)
			}
			events := strings.Split(strings.TrimSpace(string(raw)), "\n\n")
			if last := events[len(events)-1]; !strings.HasPrefix(last, "event: error\n") || !strings.Contains(last, `"type":"error"`) {
				t.Errorf("last event = %q, want an Anthropic error event", last)
			}
		})
	}
}

func TestMessagesRefusesUntranslatable(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	for _, tc := range []struct{ name, body, want string }{
		{"top_k", `{"model":"fast","max_tokens":10,"top_k":5,"messages":[{"role":"user","content":"hi"}]}`, "top_k"},
		{"no max_tokens", `{"model":"fast","messages":[{"role":"user","content":"hi"}]}`, "max_tokens"},
		{"document block", `{"model":"fast","max_tokens":10,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"text","media_type":"text/plain","data":"x"}}]}]}`, "document"},
		{"invalid json", `{"model":`, "invalid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, g.URL+"/v1/messages", strings.NewReader(tc.body))
			req.Header.Set("x-api-key", clientKey)
			req.Header.Set("content-type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var body struct {
				Type  string
				Error struct{ Type, Message string }
			}
			if err := json.Unmarshal(raw, &body); err != nil || resp.StatusCode != 400 || body.Type != "error" ||
				body.Error.Type != "invalid_request_error" || !strings.Contains(body.Error.Message, tc.want) {
				t.Errorf("POST %s: got %d %s, want 400 invalid_request_error naming %q", tc.body, resp.StatusCode, raw, tc.want)
			}
		})
	}
	if n := len(g.Mock.Server().Requests()); n != 0 {
		t.Errorf("refused requests reached the provider %d times", n)
	}
}
