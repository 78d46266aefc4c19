package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
)

// The inbound Responses API end to end: openai-go's client.Responses, Sluice's /v1/responses,
// and the mock speaking each upstream's own API behind it.

var responsesUpstreams = []struct{ name, cfg, model string }{
	{"openai", defaultConfig, "fast"},
	{"anthropic", anthropicConfig, "claude"},
	{"gemini", geminiConfig, "gem"},
	{"bedrock", bedrockConfig, "claude"},
}

func responseParams(model, text string) responses.ResponseNewParams {
	return responses.ResponseNewParams{
		Model: model,
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String(text)},
	}
}

// streamResponse runs a streaming request and returns the event types, the text deltas joined,
// the final response (from response.completed or .incomplete/.failed) and the stream's error.
func streamResponse(t *testing.T, c openai.Client, p responses.ResponseNewParams) ([]string, string, *responses.Response, error) {
	t.Helper()
	stream := c.Responses.NewStreaming(context.Background(), p)
	defer stream.Close()
	var types []string
	var text strings.Builder
	var final *responses.Response
	seq := int64(-1)
	for stream.Next() {
		ev := stream.Current()
		types = append(types, ev.Type)
		if ev.SequenceNumber != seq+1 {
			t.Errorf("event %s has sequence_number %d after %d", ev.Type, ev.SequenceNumber, seq)
		}
		seq = ev.SequenceNumber
		switch ev.Type {
		case "response.output_text.delta":
			text.WriteString(ev.Delta)
		case "response.completed", "response.incomplete", "response.failed":
			r := ev.Response
			final = &r
		}
	}
	return types, text.String(), final, stream.Err()
}

func TestResponsesThroughEveryProvider(t *testing.T) {
	for _, up := range responsesUpstreams {
		t.Run(up.name, func(t *testing.T) {
			g := start(t, up.cfg, time.Minute)
			c := g.client()
			p := responseParams(up.model, "Say hello")
			p.Instructions = openai.String("Be brief.")
			p.MaxOutputTokens = openai.Int(200)
			whole, err := c.Responses.New(context.Background(), p)
			if err != nil {
				t.Fatalf("Responses.New: %v", err)
			}
			if !strings.HasPrefix(whole.ID, "resp_") || whole.Object != "response" || whole.Status != responses.ResponseStatusCompleted || whole.CreatedAt == 0 {
				t.Errorf("envelope: id %q object %q status %q created_at %v", whole.ID, whole.Object, whole.Status, whole.CreatedAt)
			}
			if whole.OutputText() == "" || len(whole.Output) != 1 || whole.Output[0].Type != "message" {
				t.Fatalf("output = %s, want one message with text", whole.RawJSON())
			}
			if whole.Instructions.OfString != "Be brief." || whole.MaxOutputTokens != 200 {
				t.Errorf("settings not echoed: instructions %q max_output_tokens %d", whole.Instructions.OfString, whole.MaxOutputTokens)
			}
			u := whole.Usage
			if u.InputTokens <= 0 || u.OutputTokens <= 0 || u.TotalTokens != u.InputTokens+u.OutputTokens {
				t.Errorf("usage = %s, want input, output and their total", u.RawJSON())
			}
			// The instructions reached the provider as its system prompt.
			if body := string(g.lastUpstream(t).Body); !strings.Contains(body, "Be brief.") {
				t.Errorf("upstream request %s lacks the instructions", body)
			}

			types, text, final, err := streamResponse(t, c, p)
			if err != nil {
				t.Fatalf("stream: %v", err)
			}
			want := []string{"response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"}
			if len(types) < 8 || strings.Join(types[:4], ",") != strings.Join(want, ",") {
				t.Fatalf("event types %v: want %v first", types, want)
			}
			tail := []string{"response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"}
			if got := types[len(types)-4:]; strings.Join(got, ",") != strings.Join(tail, ",") {
				t.Errorf("event types %v: want %v last", types, tail)
			}
			if text != whole.OutputText() || final == nil || final.OutputText() != text {
				t.Errorf("streamed text %q (final %v), want the non-streamed %q", text, final != nil, whole.OutputText())
			}
			if final != nil && (final.Usage.OutputTokens != u.OutputTokens || final.Usage.InputTokens != u.InputTokens) {
				t.Errorf("stream usage %s != non-stream usage %s", final.Usage.RawJSON(), u.RawJSON())
			}
		})
	}
}

func weatherTool() responses.ToolUnionParam {
	return responses.ToolParamOfFunction("get_weather", map[string]any{
		"type":       "object",
		"properties": map[string]any{"city": map[string]any{"type": "string"}},
		"required":   []string{"city"},
	}, false)
}

func TestResponsesFunctionCallRoundTripWithPreviousResponse(t *testing.T) {
	for _, up := range responsesUpstreams {
		t.Run(up.name, func(t *testing.T) {
			g := start(t, up.cfg, time.Minute)
			c := g.client()
			p := responseParams(up.model, "Weather in Paris? [[mock tool_call=get_weather]]")
			p.Tools = []responses.ToolUnionParam{weatherTool()}
			p.ToolChoice = responses.ResponseNewParamsToolChoiceUnion{OfToolChoiceMode: openai.Opt(responses.ToolChoiceOptionsRequired)}
			first, err := c.Responses.New(context.Background(), p)
			if err != nil {
				t.Fatalf("Responses.New: %v", err)
			}
			var call responses.ResponseFunctionToolCall
			for _, item := range first.Output {
				if item.Type == "function_call" {
					call = item.AsFunctionCall()
				}
			}
			var args struct{ City string }
			if call.CallID == "" || call.Name != "get_weather" || json.Unmarshal([]byte(call.Arguments), &args) != nil || args.City == "" {
				t.Fatalf("output %s: want a get_weather function_call with a city", first.RawJSON())
			}

			types, _, streamed, err := streamResponse(t, c, p)
			if err != nil || streamed == nil {
				t.Fatalf("stream: %v (events %v)", err, types)
			}
			var sawArgs bool
			for _, typ := range types {
				sawArgs = sawArgs || typ == "response.function_call_arguments.done"
			}
			last := streamed.Output[len(streamed.Output)-1]
			if !sawArgs || last.Type != "function_call" || last.Name != "get_weather" || json.Unmarshal([]byte(last.Arguments.OfString), &args) != nil {
				t.Errorf("streamed answer %s (events %v), want the same function_call", streamed.RawJSON(), types)
			}

			// The tool's output continues the stored conversation: only the new item is sent.
			next := responses.ResponseNewParams{
				Model:              up.model,
				PreviousResponseID: openai.String(first.ID),
				Tools:              p.Tools,
				Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{{
					OfFunctionCallOutput: &responses.ResponseInputItemFunctionCallOutputParam{
						CallID: openai.String(call.CallID),
						Output: responses.ResponseInputItemFunctionCallOutputOutputUnionParam{OfString: openai.String("18 degrees")},
					},
				}}},
			}
			second, err := c.Responses.New(context.Background(), next)
			if err != nil {
				t.Fatalf("Responses.New with previous_response_id: %v", err)
			}
			if second.OutputText() == "" || second.PreviousResponseID != first.ID {
				t.Errorf("second answer %s, want text continuing %s", second.RawJSON(), first.ID)
			}
			body := string(g.lastUpstream(t).Body)
			// (Gemini's wire format names calls by function, not call id.)
			for _, want := range []string{"Weather in Paris?", "get_weather", "18 degrees"} {
				if !strings.Contains(body, want) {
					t.Errorf("upstream request %s lacks %q from the rebuilt conversation", body, want)
				}
			}
		})
	}
}

func TestResponsesStoredPerTenant(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	teamKey := func(name string) string {
		team := mustAdmin(t, g, clientKey, "POST", "/admin/v1/teams", map[string]any{"name": name}, 201)
		out := mustAdmin(t, g, clientKey, "POST", "/admin/v1/keys", map[string]any{"owner_kind": "team", "owner_id": team["id"]}, 201)
		return out["key"].(string)
	}
	alice, bob := keyClient(g, teamKey("alice")), keyClient(g, teamKey("bob"))
	ctx := context.Background()

	made, err := alice.Responses.New(ctx, responseParams("fast", "Remember: blue"))
	if err != nil {
		t.Fatalf("Responses.New: %v", err)
	}
	got, err := alice.Responses.Get(ctx, made.ID, responses.ResponseGetParams{})
	if err != nil || got.ID != made.ID || got.OutputText() != made.OutputText() {
		t.Fatalf("owner's GET = %v, %v; want the stored response", got, err)
	}

	// Another tenant learns nothing, not even that the id exists.
	_, err = bob.Responses.Get(ctx, made.ID, responses.ResponseGetParams{})
	wantNotFound(t, "other tenant's GET", err)
	p := responseParams("fast", "What colour?")
	p.PreviousResponseID = openai.String(made.ID)
	_, err = bob.Responses.New(ctx, p)
	if e := wantNotFound(t, "other tenant's previous_response_id", err); e != nil && e.Param != "previous_response_id" {
		t.Errorf("param = %q, want previous_response_id", e.Param)
	}
	wantNotFound(t, "other tenant's DELETE", bob.Responses.Delete(ctx, made.ID))

	if _, err := alice.Responses.New(ctx, p); err != nil {
		t.Fatalf("owner's previous_response_id: %v", err)
	}
	if err := alice.Responses.Delete(ctx, made.ID); err != nil {
		t.Fatalf("owner's DELETE: %v", err)
	}
	_, err = alice.Responses.Get(ctx, made.ID, responses.ResponseGetParams{})
	wantNotFound(t, "GET after DELETE", err)

	// store:false is answered but not kept.
	unstored := responseParams("fast", "Forget this")
	unstored.Store = openai.Bool(false)
	r, err := alice.Responses.New(ctx, unstored)
	if err != nil || !strings.Contains(r.RawJSON(), `"store":false`) {
		t.Fatalf("store:false: %v, %v; want an answer saying it is not stored", err, r)
	}
	_, err = alice.Responses.Get(ctx, r.ID, responses.ResponseGetParams{})
	wantNotFound(t, "GET of a store:false response", err)
}

func wantNotFound(t *testing.T, what string, err error) *openai.Error {
	t.Helper()
	if err == nil {
		t.Errorf("%s succeeded, want 404 response_not_found", what)
		return nil
	}
	e := apiError(t, err)
	if e.StatusCode != http.StatusNotFound || e.Code != "response_not_found" {
		t.Errorf("%s: got %d %q (%s), want 404 response_not_found", what, e.StatusCode, e.Code, e.RawJSON())
	}
	return e
}

// The stream-fault conformance cases on the Responses surface: whether the upstream connection
// is cut mid-stream or the provider sends its own error event, the client gets an error event
// and response.failed, never response.completed.
func TestResponsesStreamFaultNeverCompletes(t *testing.T) {
	for _, up := range responsesUpstreams {
		for _, fault := range []string{"cut_after=3", "error_after=2"} {
			t.Run(up.name+"/"+fault, func(t *testing.T) {
				g := start(t, up.cfg, time.Minute)
				types, _, final, _ := streamResponse(t, g.client(), responseParams(up.model, "[[mock "+fault+"]]"))
				if containsType(types, "response.completed") {
					t.Fatalf("a failed stream must not complete: %v", types)
				}
				if len(types) < 2 || types[len(types)-2] != "error" || types[len(types)-1] != "response.failed" {
					t.Fatalf("events %v: want an error event and response.failed last", types)
				}
				if final == nil || final.Status != responses.ResponseStatusFailed || final.Error.Message == "" {
					t.Errorf("final response %v: want status failed with an error", final)
				}
				if !containsType(types, "response.output_text.delta") {
					t.Errorf("events %v: want the text before the failure", types)
				}
			})
		}
	}
}

func containsType(types []string, want string) bool {
	for _, t := range types {
		if t == want {
			return true
		}
	}
	return false
}

func TestResponsesRefusesWhatCannotBeTranslated(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	for _, tc := range []struct{ name, body, want string }{
		{"built-in tool", `{"model":"fast","input":"news?","tools":[{"type":"web_search"}]}`, `"web_search"`},
		{"unknown member", `{"model":"fast","input":"hi","background":true}`, "background"},
		{"file input", `{"model":"fast","input":[{"role":"user","content":[{"type":"input_file","file_id":"f"}]}]}`, "input_file"},
		{"no input", `{"model":"fast"}`, "input"},
		{"invalid json", `{"model":`, "invalid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := post(g.URL+"/v1/responses", "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var body struct {
				Error struct{ Type, Message string }
			}
			if err := json.Unmarshal(raw, &body); err != nil || resp.StatusCode != 400 ||
				body.Error.Type != "invalid_request_error" || !strings.Contains(body.Error.Message, tc.want) {
				t.Errorf("POST %s: got %d %s, want 400 invalid_request_error naming %q", tc.body, resp.StatusCode, raw, tc.want)
			}
		})
	}
	if n := len(g.Mock.Server().Requests()); n != 0 {
		t.Errorf("refused requests reached the provider %d times", n)
	}
}

func TestResponsesRecordedInRequestLog(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	c := g.client()
	if _, err := c.Responses.New(context.Background(), responseParams("fast", "one")); err != nil {
		t.Fatal(err)
	}
	_, _, _, _ = streamResponse(t, c, responseParams("fast", "two"))
	var logs []any
	waitFor(t, "both responses in the request log", func() bool {
		_, out := adminCall(t, g, clientKey, "GET", "/admin/v1/logs", nil)
		logs, _ = out["data"].([]any)
		return len(logs) == 2
	})
	for _, l := range logs {
		rec := l.(map[string]any)
		if rec["model"] != "fast" || rec["provider"] != "mock" || rec["status"] != float64(200) || rec["prompt_tokens"].(float64) <= 0 {
			t.Errorf("log record %v: want model fast, provider mock, 200 and tokens", rec)
		}
	}
}
