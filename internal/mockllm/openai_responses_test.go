package mockllm

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
)

func rsParams(model, text string) responses.ResponseNewParams {
	return responses.ResponseNewParams{Model: model, Input: responses.ResponseNewParamsInputUnion{OfString: openai.String(text)}}
}

func TestResponsesParsesWithReasoningUsage(t *testing.T) {
	inst := start(t, Options{Tokens: 5})
	c := newClient(inst)
	p := rsParams("o3-pro", "Say hello")
	p.Reasoning = shared.ReasoningParam{Effort: shared.ReasoningEffortHigh}
	p.PromptCacheKey = openai.String("k")
	got, err := c.Responses.New(t.Context(), p)
	if err != nil {
		t.Fatalf("Responses.New: %v", err)
	}
	if !strings.HasPrefix(got.ID, "resp_") || got.Status != responses.ResponseStatusCompleted || got.Model != "o3-pro" {
		t.Errorf("envelope: id %q status %q model %q", got.ID, got.Status, got.Model)
	}
	if len(got.Output) != 2 || got.Output[0].Type != "reasoning" || got.Output[1].Type != "message" {
		t.Fatalf("output: got %s, want a reasoning item then a message", got.RawJSON())
	}
	if words := strings.Fields(got.OutputText()); len(words) != 5 {
		t.Errorf("OutputText: got %q, want 5 words", got.OutputText())
	}
	u := got.Usage
	if u.OutputTokensDetails.ReasoningTokens != 32 || u.OutputTokens != 5+32 || u.InputTokensDetails.CachedTokens != u.InputTokens/2 ||
		u.TotalTokens != u.InputTokens+u.OutputTokens {
		t.Errorf("usage: got %+v, want 32 reasoning tokens within 37 output tokens and half the input cached", u)
	}
}

func TestResponsesFunctionCallStream(t *testing.T) {
	inst := start(t, Options{Tokens: 3})
	c := newClient(inst)
	p := rsParams("gpt-4o", "Weather?")
	p.Tools = []responses.ToolUnionParam{responses.ToolParamOfFunction("get_weather",
		map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}, false)}
	p.ToolChoice = responses.ResponseNewParamsToolChoiceUnion{OfFunctionTool: &responses.ToolChoiceFunctionParam{Name: "get_weather"}}
	stream := c.Responses.NewStreaming(t.Context(), p)
	var types []string
	var args string
	var final responses.Response
	seq := int64(-1)
	for stream.Next() {
		ev := stream.Current()
		types = append(types, ev.Type)
		if ev.SequenceNumber != seq+1 {
			t.Errorf("event %s: sequence_number %d after %d", ev.Type, ev.SequenceNumber, seq)
		}
		seq = ev.SequenceNumber
		switch ev.Type {
		case "response.function_call_arguments.delta":
			args += ev.Delta
		case "response.completed":
			final = ev.Response
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	want := []string{"response.created", "response.in_progress", "response.output_item.added"}
	if !slices.Equal(types[:3], want) || types[len(types)-1] != "response.completed" ||
		!slices.Contains(types, "response.function_call_arguments.done") {
		t.Errorf("event types: got %v", types)
	}
	if len(final.Output) != 1 || final.Output[0].Type != "function_call" || final.Output[0].Name != "get_weather" ||
		final.Output[0].Arguments.OfString != args || !strings.HasPrefix(final.Output[0].CallID, "call_") {
		t.Errorf("final output: got %s, want one get_weather call with arguments %q", final.RawJSON(), args)
	}
}

func TestResponsesStreamFaults(t *testing.T) {
	inst := start(t, Options{Tokens: 6})
	c := newClient(inst)
	for _, knob := range []string{"error_after=2", "eof_after=2", "malformed_after=2"} {
		t.Run(knob, func(t *testing.T) {
			stream := c.Responses.NewStreaming(t.Context(), rsParams("gpt-4o", "hi [[mock "+knob+"]]"))
			var types []string
			for stream.Next() {
				types = append(types, stream.Current().Type)
			}
			if slices.Contains(types, "response.completed") {
				t.Errorf("%s: stream completed: %v", knob, types)
			}
			if knob == "error_after=2" && types[len(types)-1] != "error" {
				t.Errorf("%s: last event %q, want error", knob, types[len(types)-1])
			}
			if knob == "malformed_after=2" && stream.Err() == nil {
				t.Errorf("%s: no decode error", knob)
			}
		})
	}
}

func TestResponsesOnlyModelRefusedByChat(t *testing.T) {
	inst := start(t, Options{})
	c := newClient(inst)
	_, err := c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "o3-pro-2025-06-10",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	var e *openai.Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusNotFound || !strings.Contains(e.Message, "only supported in v1/responses") {
		t.Fatalf("chat for o3-pro: got %v, want 404 naming v1/responses", err)
	}
	if _, err := c.Responses.New(t.Context(), rsParams("o3-pro-2025-06-10", "hi")); err != nil {
		t.Errorf("Responses.New for o3-pro: %v", err)
	}
}

func TestResponsesErrorsInOpenAIShape(t *testing.T) {
	inst := start(t, Options{})
	c := newClient(inst)
	_, err := c.Responses.New(t.Context(), rsParams("gpt-4o", "hi"), option.WithHeader("x-mock-status", "429"))
	var e *openai.Error
	if !errors.As(err, &e) || e.StatusCode != 429 || e.Code != "rate_limit_exceeded" {
		t.Errorf("status knob: got %v, want 429 rate_limit_exceeded", err)
	}
	p := rsParams("gpt-4o", "hi")
	p.PreviousResponseID = openai.String("resp_unknown")
	_, err = c.Responses.New(t.Context(), p)
	if !errors.As(err, &e) || e.StatusCode != 404 || e.Param != "previous_response_id" {
		t.Errorf("previous_response_id: got %v, want 404 on previous_response_id", err)
	}
}
