package mockllm

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/shared"
)

func TestChatCompletionParsesWithUsage(t *testing.T) {
	inst := start(t, Options{Tokens: 5})
	c := newClient(inst)
	got, err := c.Chat.Completions.New(t.Context(), chatParams("Say hello"))
	if err != nil {
		t.Fatalf("Chat.Completions.New: %v", err)
	}
	if !strings.HasPrefix(got.ID, "chatcmpl-") || got.Object != "chat.completion" || got.Created == 0 || got.Model != "gpt-4o" {
		t.Errorf("envelope: got id %q object %q created %d model %q", got.ID, got.Object, got.Created, got.Model)
	}
	if len(got.Choices) != 1 {
		t.Fatalf("choices: got %d, want 1", len(got.Choices))
	}
	ch := got.Choices[0]
	if words := strings.Fields(ch.Message.Content); len(words) != 5 || ch.FinishReason != "stop" || ch.Message.Role != "assistant" {
		t.Errorf("choice: got content %q (%d words) finish %q role %q, want 5 words, stop, assistant",
			ch.Message.Content, len(words), ch.FinishReason, ch.Message.Role)
	}
	u := got.Usage
	if u.CompletionTokens != 5 || u.PromptTokens <= 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage: got %+v, want 5 completion tokens and a consistent total", u)
	}
	if !u.PromptTokensDetails.JSON.CachedTokens.Valid() || !u.CompletionTokensDetails.JSON.ReasoningTokens.Valid() {
		t.Error("usage details: cached_tokens or reasoning_tokens missing")
	}
	for _, want := range []string{`"refusal":null`, `"annotations":[]`, `"logprobs":null`, `"service_tier":"default"`, `"system_fingerprint":"fp_`} {
		if !strings.Contains(got.RawJSON(), want) {
			t.Errorf("raw response lacks %s: %s", want, got.RawJSON())
		}
	}
}

// collect runs a stream to its end and returns its chunks and final error.
func collect(t *testing.T, stream *ssestream.Stream[openai.ChatCompletionChunk]) ([]openai.ChatCompletionChunk, error) {
	t.Helper()
	var chunks []openai.ChatCompletionChunk
	for stream.Next() {
		chunks = append(chunks, stream.Current())
	}
	return chunks, stream.Err()
}

func TestChatStreamDeltasFinishAndUsage(t *testing.T) {
	tests := []struct {
		name         string
		includeUsage bool
	}{
		{"with include_usage", true},
		{"without include_usage", false},
	}
	inst := start(t, Options{Tokens: 6})
	c := newClient(inst)
	want, err := c.Chat.Completions.New(t.Context(), chatParams("Stream me"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := chatParams("Stream me")
			if tt.includeUsage {
				p.StreamOptions.IncludeUsage = openai.Bool(true)
			}
			chunks, err := collect(t, c.Chat.Completions.NewStreaming(t.Context(), p))
			if err != nil {
				t.Fatalf("stream: %v", err)
			}
			var acc openai.ChatCompletionAccumulator
			var deltas, usageChunks int
			finish := ""
			for _, ch := range chunks {
				if !acc.AddChunk(ch) {
					t.Fatalf("accumulator rejected chunk %s", ch.RawJSON())
				}
				if ch.Object != "chat.completion.chunk" {
					t.Errorf("chunk object: got %q", ch.Object)
				}
				if len(ch.Choices) == 0 {
					usageChunks++
					continue
				}
				if ch.Choices[0].Delta.Content != "" {
					deltas++
				}
				if ch.Choices[0].FinishReason != "" {
					finish = ch.Choices[0].FinishReason
				}
			}
			if chunks[0].Choices[0].Delta.Role != "assistant" {
				t.Errorf("first chunk: got role %q, want assistant", chunks[0].Choices[0].Delta.Role)
			}
			if deltas != 6 || finish != "stop" {
				t.Errorf("got %d content deltas and finish %q, want 6 and stop", deltas, finish)
			}
			if got := acc.Choices[0].Message.Content; got != want.Choices[0].Message.Content {
				t.Errorf("streamed content %q differs from the non-streamed %q", got, want.Choices[0].Message.Content)
			}
			wantUsage := 0
			if tt.includeUsage {
				wantUsage = 1
				if acc.Usage.CompletionTokens != 6 || acc.Usage.TotalTokens != want.Usage.TotalTokens {
					t.Errorf("stream usage: got %+v, want the non-stream usage %+v", acc.Usage, want.Usage)
				}
			}
			if usageChunks != wantUsage {
				t.Errorf("usage chunks: got %d, want %d", usageChunks, wantUsage)
			}
		})
	}
}

func TestSameRequestGivesSameContent(t *testing.T) {
	inst := start(t, Options{})
	c := newClient(inst)
	content := func(text string) string {
		t.Helper()
		got, err := c.Chat.Completions.New(t.Context(), chatParams(text))
		if err != nil {
			t.Fatal(err)
		}
		return got.Choices[0].Message.Content
	}
	a, b, other := content("same"), content("same"), content("different")
	if a != b {
		t.Errorf("same request twice: got %q then %q, want equal", a, b)
	}
	if a == other {
		t.Errorf("different requests both got %q, want different replies", a)
	}
}

func TestChoicesLimitsAndStop(t *testing.T) {
	inst := start(t, Options{Tokens: 10})
	c := newClient(inst)
	base, err := c.Chat.Completions.New(t.Context(), chatParams("limits"))
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Fields(base.Choices[0].Message.Content)
	stopWord := " " + words[3]
	tests := []struct {
		name       string
		edit       func(*openai.ChatCompletionNewParams)
		choices    int
		finish     string
		wantTokens int64 // completion tokens of choice 0's text, checked via usage when choices == 1
	}{
		{"n=3", func(p *openai.ChatCompletionNewParams) { p.N = openai.Int(3) }, 3, "stop", 30},
		{"max_tokens", func(p *openai.ChatCompletionNewParams) { p.MaxTokens = openai.Int(4) }, 1, "length", 4},
		{"max_completion_tokens", func(p *openai.ChatCompletionNewParams) { p.MaxCompletionTokens = openai.Int(2) }, 1, "length", 2},
		{"stop", func(p *openai.ChatCompletionNewParams) {
			p.Stop = openai.ChatCompletionNewParamsStopUnion{OfStringArray: []string{"zzz", stopWord}}
		}, 1, "stop", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := chatParams("limits")
			tt.edit(&p)
			got, err := c.Chat.Completions.New(t.Context(), p)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Choices) != tt.choices {
				t.Fatalf("choices: got %d, want %d", len(got.Choices), tt.choices)
			}
			for i, ch := range got.Choices {
				if ch.Index != int64(i) || ch.FinishReason != tt.finish {
					t.Errorf("choice %d: got index %d finish %q, want finish %q", i, ch.Index, ch.FinishReason, tt.finish)
				}
			}
			if got.Usage.CompletionTokens != tt.wantTokens {
				t.Errorf("completion tokens: got %d, want %d", got.Usage.CompletionTokens, tt.wantTokens)
			}
			if tt.choices > 1 && got.Choices[0].Message.Content == got.Choices[1].Message.Content {
				t.Errorf("choices 0 and 1 are both %q, want different", got.Choices[0].Message.Content)
			}
			if strings.Contains(got.Choices[0].Message.Content, stopWord) && tt.name == "stop" {
				t.Errorf("content %q contains the stop sequence %q", got.Choices[0].Message.Content, stopWord)
			}
		})
	}
}

func weatherTool() openai.ChatCompletionToolUnionParam {
	return openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name: "get_weather",
		Parameters: openai.FunctionParameters{
			"type": "object",
			"properties": map[string]any{
				"city": map[string]any{"type": "string"},
				"days": map[string]any{"type": "integer"},
			},
		},
	})
}

func TestToolCallKnob(t *testing.T) {
	inst := start(t, Options{})
	c := newClient(inst)
	p := chatParams("What is the weather? [[mock tool_call=get_weather]]")
	p.Tools = []openai.ChatCompletionToolUnionParam{weatherTool()}

	got, err := c.Chat.Completions.New(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	ch := got.Choices[0]
	if ch.FinishReason != "tool_calls" || len(ch.Message.ToolCalls) != 1 {
		t.Fatalf("got finish %q and %d tool calls, want tool_calls and 1", ch.FinishReason, len(ch.Message.ToolCalls))
	}
	call := ch.Message.ToolCalls[0]
	var args struct {
		City string `json:"city"`
		Days *int   `json:"days"`
	}
	if err := json.Unmarshal([]byte(call.Function.Arguments), &args); err != nil || args.City == "" || args.Days == nil {
		t.Errorf("arguments %q: got %+v, err %v, want a city and days", call.Function.Arguments, args, err)
	}
	if !strings.HasPrefix(call.ID, "call_") || call.Type != "function" || call.Function.Name != "get_weather" {
		t.Errorf("tool call: got id %q type %q name %q", call.ID, call.Type, call.Function.Name)
	}

	chunks, err := collect(t, c.Chat.Completions.NewStreaming(t.Context(), p))
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	var acc openai.ChatCompletionAccumulator
	argDeltas := 0
	for _, chunk := range chunks {
		acc.AddChunk(chunk)
		if len(chunk.Choices) > 0 && len(chunk.Choices[0].Delta.ToolCalls) > 0 && chunk.Choices[0].Delta.ToolCalls[0].Function.Arguments != "" {
			argDeltas++
		}
	}
	if argDeltas < 2 {
		t.Errorf("stream: got %d argument deltas, want several", argDeltas)
	}
	sc := acc.Choices[0]
	if sc.FinishReason != "tool_calls" || len(sc.Message.ToolCalls) != 1 || sc.Message.ToolCalls[0].Function.Arguments != call.Function.Arguments {
		t.Errorf("accumulated stream: got finish %q calls %+v, want the non-stream call %q", sc.FinishReason, sc.Message.ToolCalls, call.Function.Arguments)
	}
}

func TestToolCallKnobNamingAnUnknownFunctionIsRejected(t *testing.T) {
	inst := start(t, Options{})
	p := chatParams("[[mock tool_call=nope]]")
	p.Tools = []openai.ChatCompletionToolUnionParam{weatherTool()}
	c := newClient(inst)
	_, err := c.Chat.Completions.New(t.Context(), p)
	if apiErr, ok := errors.AsType[*openai.Error](err); !ok || apiErr.StatusCode != http.StatusBadRequest {
		t.Errorf("tool_call=nope: got %v, want a 400 *openai.Error", err)
	}
}

func TestEmbeddingsFloatAndBase64Agree(t *testing.T) {
	inst := start(t, Options{})
	c := newClient(inst)
	tests := []struct {
		name   string
		input  openai.EmbeddingNewParamsInputUnion
		inputs int
		dims   int64 // 0: default
	}{
		{"string", openai.EmbeddingNewParamsInputUnion{OfString: openai.String("hello")}, 1, 0},
		{"strings with dimensions", openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}}, 2, 256},
		{"tokens", openai.EmbeddingNewParamsInputUnion{OfArrayOfTokens: []int64{1, 2, 3}}, 1, 8},
		{"token arrays", openai.EmbeddingNewParamsInputUnion{OfArrayOfTokenArrays: [][]int64{{1}, {2, 3}}}, 2, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := openai.EmbeddingNewParams{Model: "text-embedding-3-small", Input: tt.input}
			if tt.dims > 0 {
				p.Dimensions = openai.Int(tt.dims)
			}
			wantDims := tt.dims
			if wantDims == 0 {
				wantDims = defaultDimensions
			}
			p.EncodingFormat = openai.EmbeddingNewParamsEncodingFormatFloat
			floats, err := c.Embeddings.New(t.Context(), p)
			if err != nil {
				t.Fatal(err)
			}
			p.EncodingFormat = openai.EmbeddingNewParamsEncodingFormatBase64
			b64, err := c.Embeddings.New(t.Context(), p)
			if err != nil {
				t.Fatal(err)
			}
			if len(floats.Data) != tt.inputs || len(b64.Data) != tt.inputs {
				t.Fatalf("data: got %d float and %d base64 embeddings, want %d", len(floats.Data), len(b64.Data), tt.inputs)
			}
			if floats.Usage.PromptTokens <= 0 || floats.Usage.TotalTokens != floats.Usage.PromptTokens {
				t.Errorf("usage: got %+v", floats.Usage)
			}
			for i := range floats.Data {
				// Both encodings carry float32 values: the decimal form is the shortest that
				// round-trips through float32, so they agree once narrowed to float32.
				f, b := floats.Data[i].Embedding, b64.Data[i].Embedding
				equal := slices.EqualFunc(f, b, func(x, y float64) bool { return float32(x) == float32(y) })
				if int64(len(f)) != wantDims || !equal {
					t.Errorf("embedding %d: got %d floats, equal to base64: %v; want %d dims and equal", i, len(f), equal, wantDims)
				}
				var norm float64
				for _, v := range f {
					norm += v * v
				}
				if math.Abs(norm-1) > 1e-3 {
					t.Errorf("embedding %d: squared norm %v, want 1", i, norm)
				}
			}
		})
	}
}

func TestModelsListAndGet(t *testing.T) {
	inst := start(t, Options{})
	c := newClient(inst)
	page, err := c.Models.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != len(oaModels) || page.Data[0].ID != oaModels[0].ID || page.Data[0].Object != "model" {
		t.Errorf("Models.List: got %d models, first %+v", len(page.Data), page.Data[0])
	}
	for _, id := range []string{"gpt-4o-mini", "my-custom-model"} {
		m, err := c.Models.Get(t.Context(), id)
		if err != nil {
			t.Fatalf("Models.Get(%q): %v", id, err)
		}
		if m.ID != id || m.OwnedBy == "" || m.Created == 0 {
			t.Errorf("Models.Get(%q): got %+v", id, m)
		}
	}
}

func TestStatusKnobGivesOpenAIErrors(t *testing.T) {
	inst := start(t, Options{})
	c := newClient(inst)
	tests := []struct {
		status           int
		typ, code        string
		retryAfterHeader string
	}{
		{400, "invalid_request_error", "", ""},
		{401, "invalid_request_error", "invalid_api_key", ""},
		{404, "invalid_request_error", "model_not_found", ""},
		{429, "requests", "rate_limit_exceeded", "7"},
		{500, "server_error", "", ""},
		{503, "service_unavailable_error", "server_is_overloaded", ""},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			_, err := c.Chat.Completions.New(t.Context(), chatParams("fail"),
				option.WithHeader("x-mock-status", strconv.Itoa(tt.status)), option.WithHeader("x-mock-retry-after", "7"))
			apiErr, ok := errors.AsType[*openai.Error](err)
			if !ok {
				t.Fatalf("status=%d: got %v, want *openai.Error", tt.status, err)
			}
			if apiErr.StatusCode != tt.status || apiErr.Type != tt.typ || apiErr.Code != tt.code || apiErr.Message == "" {
				t.Errorf("status=%d: got status %d type %q code %q message %q, want %d %q %q",
					tt.status, apiErr.StatusCode, apiErr.Type, apiErr.Code, apiErr.Message, tt.status, tt.typ, tt.code)
			}
			if got := apiErr.Response.Header.Get("retry-after"); got != tt.retryAfterHeader {
				t.Errorf("status=%d: retry-after %q, want %q", tt.status, got, tt.retryAfterHeader)
			}
		})
	}
}

func TestStreamFaults(t *testing.T) {
	inst := start(t, Options{Tokens: 8})
	c := newClient(inst)
	tests := []struct {
		name      string
		directive string
		deltas    int // content deltas received before the fault
		check     func(error) bool
	}{
		{"cut_after aborts the connection", "[[mock cut_after=3]]", 3, func(err error) bool {
			_, isStreamErr := errors.AsType[*ssestream.StreamError](err)
			return err != nil && !isStreamErr
		}},
		{"cut_after beyond the content cuts before finish", "[[mock cut_after=100]]", 8, func(err error) bool { return err != nil }},
		{"error_after sends an error event", "[[mock error_after=2]]", 2, func(err error) bool {
			_, ok := errors.AsType[*ssestream.StreamError](err)
			return ok
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := chatParams("fault " + tt.directive)
			p.StreamOptions.IncludeUsage = openai.Bool(true)
			chunks, err := collect(t, c.Chat.Completions.NewStreaming(t.Context(), p))
			if !tt.check(err) {
				t.Fatalf("stream error: got %T %v", err, err)
			}
			deltas := 0
			for _, ch := range chunks {
				if len(ch.Choices) == 0 || ch.Choices[0].FinishReason != "" {
					t.Errorf("got a finish or usage chunk before the fault: %s", ch.RawJSON())
				}
				if len(ch.Choices) > 0 && ch.Choices[0].Delta.Content != "" {
					deltas++
				}
			}
			if deltas != tt.deltas {
				t.Errorf("content deltas before the fault: got %d, want %d", deltas, tt.deltas)
			}
		})
	}
}

func TestKnobsFromDirectiveAndHeader(t *testing.T) {
	inst := start(t, Options{})
	c := newClient(inst)
	tests := []struct {
		name   string
		text   string
		opts   []option.RequestOption
		tokens int64
	}{
		{"default", "hi", nil, defaultTokens},
		{"directive", "hi [[mock tokens=3]] there", nil, 3},
		{"header", "hi", []option.RequestOption{option.WithHeader("x-mock-tokens", "4")}, 4},
		{"directive overrides header", "[[mock tokens=2]]", []option.RequestOption{option.WithHeader("X-Mock-Tokens", "4")}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Chat.Completions.New(t.Context(), chatParams(tt.text), tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if got.Usage.CompletionTokens != tt.tokens {
				t.Errorf("completion tokens: got %d, want %d", got.Usage.CompletionTokens, tt.tokens)
			}
		})
	}
}

func TestUsageKnobOffOmitsUsage(t *testing.T) {
	inst := start(t, Options{})
	c := newClient(inst)
	got, err := c.Chat.Completions.New(t.Context(), chatParams("[[mock usage=false]]"))
	if err != nil {
		t.Fatal(err)
	}
	if got.JSON.Usage.Valid() {
		t.Errorf("usage=false: response has usage: %s", got.RawJSON())
	}
	p := chatParams("[[mock usage=false]]")
	p.StreamOptions.IncludeUsage = openai.Bool(true)
	chunks, err := collect(t, c.Chat.Completions.NewStreaming(t.Context(), p))
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range chunks {
		if len(ch.Choices) == 0 || strings.Contains(ch.RawJSON(), `"usage"`) {
			t.Errorf("usage=false stream: got chunk %s", ch.RawJSON())
		}
	}
}

func TestBadRequestsGet4xx(t *testing.T) {
	inst := start(t, Options{})
	chat := inst.URL() + "/v1/chat/completions"
	tests := []struct {
		name, url, body string
		status          int
		inMessage       string
	}{
		{"malformed JSON", chat, `{"model":`, 400, "could not parse the JSON body"},
		{"empty body", chat, ``, 400, "body is empty"},
		{"missing model", chat, `{"messages":[{"role":"user","content":"x"}]}`, 400, "model"},
		{"missing messages", chat, `{"model":"m"}`, 400, "'messages'"},
		{"messages of the wrong type", chat, `{"model":"m","messages":"x"}`, 400, "expected an array"},
		{"content of the wrong type", chat, `{"model":"m","messages":[{"role":"user","content":3}]}`, 400, "content"},
		{"unknown knob", chat, `{"model":"m","messages":[{"role":"user","content":"[[mock nope=1]]"}]}`, 400, "unknown knob"},
		{"unterminated directive", chat, `{"model":"m","messages":[{"role":"user","content":"[[mock tokens=1"}]}`, 400, "unterminated"},
		{"unknown route", inst.URL() + "/v1/nope", `{}`, 404, "Invalid URL (POST /v1/nope)"},
		{"empty embedding input", inst.URL() + "/v1/embeddings", `{"model":"e","input":""}`, 400, "input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, header, body := post(t, tt.url, tt.body, nil)
			var e oaErrorBody
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatalf("body %q is not an OpenAI error: %v", body, err)
			}
			if status != tt.status || e.Error.Type != "invalid_request_error" || !strings.Contains(e.Error.Message, tt.inMessage) {
				t.Errorf("got %d %+v, want %d invalid_request_error with %q", status, e.Error, tt.status, tt.inMessage)
			}
			if ct := header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type: got %q", ct)
			}
		})
	}
}
