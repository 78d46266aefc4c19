package mockllm

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
)

func anThinkingParams(text string) anthropic.MessageNewParams {
	p := anParams(text)
	p.MaxTokens = 2048
	p.Thinking = anthropic.ThinkingConfigParamOfEnabled(1024)
	p.Tools = []anthropic.ToolUnionParam{anWeatherTool()}
	return p
}

// anInvalidRequest asserts err is the SDK's 400 invalid_request_error whose message holds want.
func anInvalidRequest(t *testing.T, err error, want string) {
	t.Helper()
	var e *anthropic.Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusBadRequest || !strings.Contains(e.RawJSON(), "invalid_request_error") ||
		!strings.Contains(e.RawJSON(), want) {
		t.Fatalf("err = %v, want a 400 invalid_request_error saying %q", err, want)
	}
}

func TestAnthropicThinkingRoundTripIsVerified(t *testing.T) {
	inst := start(t, Options{APIKey: anKey})
	c := anClient(inst)
	p := anThinkingParams("Weather in Paris? [[mock tool_call=get_weather]]")
	first, err := c.Messages.New(t.Context(), p)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if len(first.Content) != 2 || first.Content[0].Type != "thinking" || first.Content[1].Type != "tool_use" {
		t.Fatalf("got %s, want a thinking block, then tool_use", first.RawJSON())
	}
	th := first.Content[0].AsThinking()
	if !strings.Contains(th.Thinking, "get_weather") || !anVerify(th.Thinking, th.Signature) {
		t.Errorf("thinking %q signature %q: want text naming the tool and a valid signature", th.Thinking, th.Signature)
	}
	if int(first.Usage.OutputTokens) <= estimateTokens(th.Thinking) {
		t.Errorf("output_tokens %d do not include the thinking", first.Usage.OutputTokens)
	}

	streamed, _, err := anCollect(t, c, p)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	if len(streamed.Content) != 2 || streamed.Content[0].Thinking != th.Thinking || streamed.Content[0].Signature != th.Signature {
		t.Errorf("streamed %s, want the same thinking block as %s", streamed.RawJSON(), first.RawJSON())
	}

	use := first.Content[1].AsToolUse()
	next := func(assistant anthropic.MessageParam) anthropic.MessageNewParams {
		q := p
		q.Messages = []anthropic.MessageParam{p.Messages[0], assistant,
			anthropic.NewUserMessage(anthropic.NewToolResultBlock(use.ID, "18 degrees", false))}
		return q
	}
	second, err := c.Messages.New(t.Context(), next(first.ToParam()))
	if err != nil {
		t.Fatalf("New with the thinking sent back: %v", err)
	}
	if len(second.Content) != 2 || second.Content[0].Type != "thinking" || second.Content[1].Type != "text" {
		t.Errorf("second answer %s, want thinking then text", second.RawJSON())
	}

	tampered := first.ToParam()
	tampered.Content[0].OfThinking.Thinking += " Also, I like Paris."
	_, err = c.Messages.New(t.Context(), next(tampered))
	anInvalidRequest(t, err, "Invalid `signature` in `thinking` block")

	dropped := first.ToParam()
	dropped.Content = dropped.Content[1:]
	_, err = c.Messages.New(t.Context(), next(dropped))
	anInvalidRequest(t, err, "must start with a thinking block")
}

func TestAnthropicRedactedThinkingRoundTrip(t *testing.T) {
	inst := start(t, Options{APIKey: anKey})
	c := anClient(inst)
	p := anThinkingParams("Think about " + anRedactedTrigger)
	first, err := c.Messages.New(t.Context(), p)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if len(first.Content) != 3 || first.Content[1].Type != "redacted_thinking" || !anVerifyRedacted(first.Content[1].Data) {
		t.Fatalf("got %s, want thinking, a valid redacted_thinking, text", first.RawJSON())
	}
	streamed, _, err := anCollect(t, c, p)
	if err != nil || len(streamed.Content) != 3 || streamed.Content[1].Data != first.Content[1].Data {
		t.Fatalf("streamed %s (%v), want the redacted block %q", streamed.RawJSON(), err, first.Content[1].Data)
	}
	q := p
	q.Messages = append(q.Messages, first.ToParam(), anthropic.NewUserMessage(anthropic.NewTextBlock("Go on.")))
	if _, err := c.Messages.New(t.Context(), q); err != nil {
		t.Fatalf("New with the redacted block sent back: %v", err)
	}
	bad := first.ToParam()
	bad.Content[1].OfRedactedThinking.Data = "AAAA" + bad.Content[1].OfRedactedThinking.Data[4:]
	q.Messages[1] = bad
	_, err = c.Messages.New(t.Context(), q)
	anInvalidRequest(t, err, "Invalid `data` in `redacted_thinking` block")
}

func TestAnthropicThinkingValidation(t *testing.T) {
	inst := start(t, Options{APIKey: anKey})
	hdr := map[string]string{"x-api-key": anKey, "anthropic-version": "2023-06-01"}
	const user = `"messages":[{"role":"user","content":"hi"}]`
	for _, tc := range []struct{ name, body, want string }{
		{"budget below 1024", `{"model":"c","max_tokens":4000,"thinking":{"type":"enabled","budget_tokens":1000},` + user + `}`, "greater than or equal to 1024"},
		{"budget not below max_tokens", `{"model":"c","max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":2000},` + user + `}`, "`max_tokens` must be greater than `thinking.budget_tokens`"},
		{"no budget", `{"model":"c","max_tokens":2000,"thinking":{"type":"enabled"},` + user + `}`, "budget_tokens: Field required"},
		{"forced tool use", `{"model":"c","max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":1024},"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"},` + user + `}`, "tool_choice forces tool use"},
		{"temperature", `{"model":"c","max_tokens":2000,"temperature":0.5,"thinking":{"type":"enabled","budget_tokens":1024},` + user + `}`, "`temperature` may only be set to 1"},
		{"missing signature", `{"model":"c","max_tokens":20,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"thinking","thinking":"x"}]},{"role":"user","content":"go"}]}`, "signature: Field required"},
		{"thinking from the user", `{"model":"c","max_tokens":20,"messages":[{"role":"user","content":[{"type":"thinking","thinking":"x","signature":"` + anSign("x") + `"}]}]}`, "only allowed in assistant messages"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := post(t, inst.URL()+"/v1/messages", tc.body, hdr)
			if status != http.StatusBadRequest || !strings.Contains(body, "invalid_request_error") || !strings.Contains(body, tc.want) {
				t.Errorf("POST %s: got %d %s, want 400 invalid_request_error saying %q", tc.body, status, body, tc.want)
			}
		})
	}
}

func TestAnthropicThinkingDisplayOmittedStillVerifies(t *testing.T) {
	inst := start(t, Options{APIKey: anKey})
	c := anClient(inst)
	p := anThinkingParams("Hello")
	p.Thinking.OfEnabled.Display = anthropic.ThinkingConfigEnabledDisplayOmitted
	first, err := c.Messages.New(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if th := first.Content[0]; th.Type != "thinking" || th.Thinking != "" || th.Signature == "" {
		t.Fatalf("got %s, want a thinking block with empty text and a signature", first.RawJSON())
	}
	p.Messages = append(p.Messages, first.ToParam(), anthropic.NewUserMessage(anthropic.NewTextBlock("More.")))
	if _, err := c.Messages.New(t.Context(), p); err != nil {
		t.Errorf("New with the omitted thinking sent back: %v", err)
	}
}
