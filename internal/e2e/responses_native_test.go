package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"

	"github.com/sluicehq/sluice/internal/mockllm"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/sqlite"
)

// Native pass-through of /v1/responses, and chat requests reaching Responses-only models: the
// openai preset's provider speaks the Responses API natively, so /v1/responses requests reach
// the mock's /v1/responses as written.

// nativeConfig points the openai preset at the mock: model "smart" is o3 there, natively;
// "deep" is o3-pro, which only the Responses API serves; "native-or-claude" falls back from an
// unreachable native target to Anthropic.
const nativeConfig = `
providers:
  openai:
    base_url: {{MOCK}}/v1
    api_key: ` + mockKey + `
    timeout: {{TIMEOUT}}
  down:
    type: openai
    base_url: http://127.0.0.1:1/v1
    responses_api: native
  claude:
    type: anthropic
    base_url: {{MOCK}}/v1
    api_key: ` + mockKey + `
models:
  - name: smart
    targets:
      - {provider: openai, model: o3}
  - name: deep
    targets:
      - {provider: openai, model: o3-pro}
  - name: deep-as-chat
    targets:
      - {provider: openai, model: o3-pro, api: chat}
  - name: native-or-claude
    max_attempts: 2
    targets:
      - {provider: down, model: o3}
    fallbacks: [claude]
  - name: claude
    targets:
      - {provider: claude, model: claude-sonnet-4-5}
  - name: claude-then-smart
    targets:
      - {provider: claude, model: claude-sonnet-4-5, priority: 1}
      - {provider: openai, model: o3, priority: 2}
`

// upstreamBody decodes the mock's record of the last request.
func upstreamBody(t *testing.T, rr mockllm.RecordedRequest) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(rr.Body, &m); err != nil {
		t.Fatalf("upstream body %s: %v", rr.Body, err)
	}
	return m
}

func TestResponsesNativeKeepsWhatChatCannotCarry(t *testing.T) {
	db := filepath.Join(t.TempDir(), "native.db")
	g := start(t, nativeConfig+"\nstore:\n  path: "+db+"\n", time.Minute)
	c := g.client()
	p := responseParams("smart", "Find the news")
	p.Reasoning = shared.ReasoningParam{Effort: shared.ReasoningEffortHigh}
	p.Tools = []responses.ToolUnionParam{{OfWebSearch: &responses.WebSearchToolParam{Type: responses.WebSearchToolTypeWebSearch}}}
	p.Include = []responses.ResponseIncludable{responses.ResponseIncludableReasoningEncryptedContent}
	p.Truncation = responses.ResponseNewParamsTruncationAuto
	p.PromptCacheKey = openai.String("news") // the mock then reports half the input cached
	var httpResp *http.Response
	got, err := c.Responses.New(context.Background(), p, option.WithResponseInto(&httpResp))
	if err != nil {
		t.Fatalf("Responses.New: %v", err)
	}
	up := g.lastUpstream(t)
	if up.Path != "/v1/responses" {
		t.Fatalf("upstream path %s, want /v1/responses", up.Path)
	}
	body := upstreamBody(t, up)
	for member, want := range map[string]string{
		"model": `"o3"`, "reasoning": `{"effort":"high"}`, "tools": `[{"type":"web_search"}]`, "store": `false`,
		"include": `["reasoning.encrypted_content"]`, "truncation": `"auto"`,
	} {
		if string(body[member]) != want {
			t.Errorf("upstream %s = %s, want %s", member, body[member], want)
		}
	}
	if !strings.HasPrefix(got.ID, "resp_") || len(got.ID) != len("resp_")+32 {
		t.Errorf("response id %q, want Sluice's resp_ and 32 hex digits", got.ID)
	}
	if !strings.Contains(got.RawJSON(), `"store":true`) || got.Reasoning.Effort != shared.ReasoningEffortHigh || len(got.Output) != 2 || got.Output[0].Type != "reasoning" {
		t.Errorf("response: got %s, want store true, the upstream's reasoning item and message", got.RawJSON())
	}
	if got.Usage.OutputTokensDetails.ReasoningTokens != 32 {
		t.Errorf("usage: reasoning tokens %d, want the mock's 32 for high effort", got.Usage.OutputTokensDetails.ReasoningTokens)
	}
	if httpResp.Header.Get("X-Sluice-Provider") != "openai" || httpResp.Header.Get("X-Sluice-Cost-Usd") == "" {
		t.Errorf("headers: provider %q cost %q, want openai and a cost", httpResp.Header.Get("X-Sluice-Provider"), httpResp.Header.Get("X-Sluice-Cost-Usd"))
	}
	stored, err := c.Responses.Get(context.Background(), got.ID, responses.ResponseGetParams{})
	if err != nil || stored.ID != got.ID || stored.OutputText() != got.OutputText() {
		t.Errorf("GET %s: got %v, %v; want the stored response", got.ID, stored, err)
	}
	g.stop(t)
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.ListRequestLogs(context.Background(), store.RequestLogFilter{}, store.ListOptions{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("request log: %d records, %v; want 1", len(page.Items), err)
	}
	rec := page.Items[0]
	if rec.Provider != "openai" || rec.UpstreamModel != "o3" || rec.ReasoningTokens != 32 || rec.PromptTokens != int64(got.Usage.InputTokens) ||
		rec.CachedTokens == 0 || rec.CachedTokens != int64(got.Usage.InputTokensDetails.CachedTokens) ||
		rec.CompletionTokens != int64(got.Usage.OutputTokens) || rec.CostMicroUSD <= 0 || rec.TokensEstimated {
		t.Errorf("log record %+v: want openai/o3 with the upstream's usage (cached and 32 reasoning tokens) and a cost", rec)
	}
}

func TestResponsesNativePreviousResponseExpandedBySluice(t *testing.T) {
	g := start(t, nativeConfig, time.Minute)
	c := g.client()
	fp := responseParams("smart", "Name a colour")
	fp.Reasoning = shared.ReasoningParam{Effort: shared.ReasoningEffortLow} // answers with a reasoning item first
	first, err := c.Responses.New(context.Background(), fp)
	if err != nil {
		t.Fatalf("first: %v", err)
	}
	if len(first.Output) != 2 || first.Output[0].Type != "reasoning" {
		t.Fatalf("first output %s: want a reasoning item and a message", first.RawJSON())
	}
	p := responseParams("smart", "And another")
	p.PreviousResponseID = openai.String(first.ID)
	second, err := c.Responses.New(context.Background(), p)
	if err != nil {
		t.Fatalf("second: %v", err) // the mock 404s any previous_response_id it is sent
	}
	if second.PreviousResponseID != first.ID {
		t.Errorf("previous_response_id echoed %q, want %q", second.PreviousResponseID, first.ID)
	}
	body := upstreamBody(t, g.lastUpstream(t))
	if _, sent := body["previous_response_id"]; sent || string(body["store"]) != "false" {
		t.Errorf("upstream got previous_response_id %s store %s; want none and false", body["previous_response_id"], body["store"])
	}
	var input []map[string]any
	if err := json.Unmarshal(body["input"], &input); err != nil {
		t.Fatal(err)
	}
	if len(input) != 3 || input[0]["content"] != "Name a colour" || input[1]["role"] != "assistant" || input[2]["content"] != "And another" {
		t.Fatalf("upstream input %s: want the first question, its answer, the new question (the reasoning item, "+
			"without encrypted_content, left out)", body["input"])
	}
	_, hasID := input[1]["id"]
	_, hasStatus := input[1]["status"]
	if hasID || hasStatus {
		t.Errorf("upstream input %s: the stored answer keeps its id or status, which a store:false upstream cannot resolve", body["input"])
	}
	if content, _ := json.Marshal(input[1]["content"]); !strings.Contains(string(content), first.OutputText()) {
		t.Errorf("upstream input[1] %s lacks the first answer %q", content, first.OutputText())
	}

	// With encrypted reasoning asked for, the reasoning item carries over, id and all.
	fp.Include = []responses.ResponseIncludable{responses.ResponseIncludableReasoningEncryptedContent}
	third, err := c.Responses.New(context.Background(), fp)
	if err != nil {
		t.Fatalf("third: %v", err)
	}
	p.PreviousResponseID = openai.String(third.ID)
	if _, err := c.Responses.New(context.Background(), p); err != nil {
		t.Fatalf("fourth: %v", err)
	}
	body = upstreamBody(t, g.lastUpstream(t))
	input = nil
	if err := json.Unmarshal(body["input"], &input); err != nil {
		t.Fatal(err)
	}
	if len(input) != 4 || input[1]["type"] != "reasoning" || input[1]["id"] != third.Output[0].ID ||
		input[1]["encrypted_content"] != third.Output[0].EncryptedContent || third.Output[0].EncryptedContent == "" {
		t.Errorf("upstream input %s: want the encrypted reasoning item of %s kept between question and answer", body["input"], third.RawJSON())
	}
}

func TestResponsesNativeFallsBackToTranslatedProvider(t *testing.T) {
	g := start(t, nativeConfig, time.Minute)
	c := g.client()
	var httpResp *http.Response
	got, err := c.Responses.New(context.Background(), responseParams("native-or-claude", "Hello"), option.WithResponseInto(&httpResp))
	if err != nil {
		t.Fatalf("Responses.New: %v", err)
	}
	if h := httpResp.Header; h.Get("X-Sluice-Provider") != "claude" || h.Get("X-Sluice-Fallback") != "true" {
		t.Errorf("headers: provider %q fallback %q, want claude after a fallback", h.Get("X-Sluice-Provider"), h.Get("X-Sluice-Fallback"))
	}
	if up := g.lastUpstream(t); up.Path != "/v1/messages" {
		t.Errorf("upstream path %s, want Anthropic's /v1/messages", up.Path)
	}
	if got.Status != responses.ResponseStatusCompleted || got.OutputText() == "" || !strings.HasPrefix(got.ID, "resp_") {
		t.Errorf("response %s: want a completed translated answer", got.RawJSON())
	}
	// A built-in tool has no translation: the fallback is passed over, and the client gets the
	// failure of the only target that could have served it.
	before := len(g.Mock.Server().Requests())
	p := responseParams("native-or-claude", "Hello")
	p.Tools = []responses.ToolUnionParam{{OfWebSearch: &responses.WebSearchToolParam{Type: responses.WebSearchToolTypeWebSearch}}}
	_, err = c.Responses.New(context.Background(), p)
	if e := apiError(t, err); e.StatusCode != 502 || e.Code != "upstream_unreachable" {
		t.Errorf("built-in tool with the native target down: got %v, want its 502 upstream_unreachable", err)
	}
	if n := len(g.Mock.Server().Requests()) - before; n != 0 {
		t.Errorf("the translated fallback received %d requests it cannot carry", n)
	}
	// With no native target at all, the translation's refusal is the answer.
	p.Model = "claude"
	_, err = c.Responses.New(context.Background(), p)
	if e := apiError(t, err); e.StatusCode != 400 || !strings.Contains(e.Message, "web_search") {
		t.Errorf("built-in tool on a translated route: got %v, want a 400 naming web_search", err)
	}
}

func TestResponsesNativeStreamRelaysEvents(t *testing.T) {
	g := start(t, nativeConfig, time.Minute)
	c := g.client()
	p := responseParams("smart", "Stream please [[mock tokens=4]]")
	p.Reasoning = shared.ReasoningParam{Effort: shared.ReasoningEffortLow}
	types, text, final, err := streamResponse(t, c, p)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	want := []string{"response.created", "response.in_progress", "response.output_item.added", "response.output_item.done",
		"response.output_item.added", "response.content_part.added"}
	if len(types) < len(want) || !slices.Equal(types[:len(want)], want) || types[len(types)-1] != "response.completed" {
		t.Errorf("event types %v: want the upstream's sequence, reasoning item first, ending in response.completed", types)
	}
	if final == nil || final.OutputText() != text || len(strings.Fields(text)) != 4 || final.Usage.OutputTokensDetails.ReasoningTokens != 8 {
		t.Fatalf("final response %v with text %q: want 4 words and 8 reasoning tokens", final, text)
	}
	if !strings.HasPrefix(final.ID, "resp_") || len(final.ID) != len("resp_")+32 {
		t.Errorf("final id %q, want Sluice's", final.ID)
	}
	if up := g.lastUpstream(t); up.Path != "/v1/responses" || !strings.Contains(string(up.Body), `"stream":true`) {
		t.Errorf("upstream %s %s: want a streaming /v1/responses", up.Path, up.Body)
	}
	stored, err := c.Responses.Get(context.Background(), final.ID, responses.ResponseGetParams{})
	if err != nil || stored.OutputText() != text || stored.Status != responses.ResponseStatusCompleted {
		t.Errorf("GET %s: %v, %v; want the completed streamed response", final.ID, stored, err)
	}
}

// TestResponsesNativeStreamFaults holds native streams to the stream fault contract: a fault
// after the first event ends the stream with an error event and response.failed, never
// response.completed; the failed response is stored.
func TestResponsesNativeStreamFaults(t *testing.T) {
	db := filepath.Join(t.TempDir(), "faults.db")
	g := start(t, nativeConfig+"\nstore:\n  path: "+db+"\n", 2*time.Second)
	c := g.client()
	knobs := []string{"error_after=2", "eof_after=2", "malformed_after=2", "reset_after=2", "cut_after=2"}
	for _, knob := range knobs {
		t.Run(knob, func(t *testing.T) {
			types, text, final, err := streamResponse(t, c, responseParams("smart", "Go [[mock tokens=6 "+knob+"]]"))
			if err != nil {
				t.Fatalf("stream error %v: a failed stream must end with events, not a broken connection", err)
			}
			n := len(types)
			if n < 2 || types[n-2] != "error" || types[n-1] != "response.failed" || slices.Contains(types, "response.completed") {
				t.Fatalf("event types %v: want error then response.failed at the end, never response.completed", types)
			}
			if final == nil || final.Status != responses.ResponseStatusFailed || final.Error.Message == "" || !strings.HasPrefix(final.ID, "resp_") {
				t.Fatalf("final response %v: want failed with an error", final)
			}
			if len(strings.Fields(text)) != 2 {
				t.Errorf("text %q: want the 2 words sent before the fault", text)
			}
			stored, err := c.Responses.Get(context.Background(), final.ID, responses.ResponseGetParams{})
			if err != nil || stored.Status != responses.ResponseStatusFailed {
				t.Errorf("GET %s: %v, %v; want the failed response stored", final.ID, stored, err)
			}
		})
	}
	// The log keeps the 200 the client got, the failure, and an estimate marked as one.
	g.stop(t)
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.ListRequestLogs(context.Background(), store.RequestLogFilter{}, store.ListOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var creates int
	for _, rec := range page.Items {
		if rec.Stream {
			creates++
			if rec.Status != 200 || rec.ErrorCode == "" || !rec.TokensEstimated || rec.PromptTokens == 0 || rec.CompletionTokens == 0 {
				t.Errorf("log record %+v: want status 200, the error code, and estimated usage", rec)
			}
		}
	}
	if creates != len(knobs) {
		t.Errorf("%d stream records, want %d", creates, len(knobs))
	}
}

// TestResponsesNativeEnforcesPolicy: rate limits, budgets and guardrails hold on the native
// path too; a request guardrails apply to is translated, so its input is checked (and
// redacted) before any provider sees it.
func TestResponsesNativeEnforcesPolicy(t *testing.T) {
	body := func(text, extra string) string {
		return `{"model":"smart","input":` + strconvQuote(text) + extra + `}`
	}
	t.Run("rate limits", func(t *testing.T) {
		g := start(t, nativeConfig+"\nrate_limits:\n  default: {rpm: 1}\n", time.Minute)
		if status, _, b := postStatus(t, g.URL+"/v1/responses", body("hello", "")); status != http.StatusOK || g.lastUpstream(t).Path != "/v1/responses" {
			t.Fatalf("first request: status %d %s, upstream %s; want a native answer", status, b, g.lastUpstream(t).Path)
		}
		if status, h, b := postStatus(t, g.URL+"/v1/responses", body("again", "")); status != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
			t.Errorf("second request: status %d %s, want 429", status, b)
		}
	})
	t.Run("budgets", func(t *testing.T) {
		g := start(t, nativeConfig+"\nbudgets:\n  - {id: tiny, scope: org, limit_tokens: 10, period: daily}\n", time.Minute)
		if status, _, b := postStatus(t, g.URL+"/v1/responses", body("hello", "")); status != http.StatusTooManyRequests || !strings.Contains(b, "tiny") {
			t.Errorf("status %d %s: want 429 naming budget tiny", status, b)
		}
		if n := len(g.Mock.Server().Requests()); n != 0 {
			t.Errorf("the provider received %d requests past an exhausted budget", n)
		}
	})
	t.Run("guardrails", func(t *testing.T) {
		g := start(t, nativeConfig+strings.TrimPrefix(guardrailsConfig, defaultConfig), time.Minute)
		if status, _, b := postStatus(t, g.URL+"/v1/responses", body("deploy with AKIAIOSFODNN7EXAMPLE", "")); status != http.StatusBadRequest ||
			len(g.Mock.Server().Requests()) != 0 {
			t.Fatalf("secret: status %d %s; want a 400 before any provider", status, b)
		}
		if status, _, b := postStatus(t, g.URL+"/v1/responses", body("mail alice@example.com", "")); status != http.StatusOK {
			t.Fatalf("pii: status %d %s", status, b)
		}
		up := g.lastUpstream(t)
		if up.Path != "/v1/chat/completions" || strings.Contains(string(up.Body), "alice@example.com") {
			t.Errorf("pii: upstream %s got %s; want the translated request with the address redacted", up.Path, up.Body)
		}
		status, _, b := postStatus(t, g.URL+"/v1/responses", body("search", `,"tools":[{"type":"web_search"}]`))
		if status != http.StatusBadRequest || !strings.Contains(b, "web_search") {
			t.Errorf("built-in tool under guardrails: status %d %s; want a 400 naming it", status, b)
		}
	})
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestResponsesNativeToAzure: an Azure provider that opts in gets /v1/responses at its v1 API,
// with its api-key and the deployment as the model; chat keeps the deployment paths.
func TestResponsesNativeToAzure(t *testing.T) {
	g := start(t, `
providers:
  az:
    type: azure
    base_url: {{MOCK}}
    api_key: `+mockKey+`
    responses_api: native
    timeout: {{TIMEOUT}}
models:
  - name: az-o3
    targets:
      - {provider: az, model: o3-deployment}
`, time.Minute)
	c := g.client()
	p := responseParams("az-o3", "Hello")
	p.Reasoning = shared.ReasoningParam{Effort: shared.ReasoningEffortLow}
	got, err := c.Responses.New(context.Background(), p)
	if err != nil {
		t.Fatalf("Responses.New: %v", err)
	}
	up := g.lastUpstream(t)
	body := upstreamBody(t, up)
	if up.Path != "/openai/v1/responses" || up.Header.Get("Api-Key") != mockKey || string(body["model"]) != `"o3-deployment"` ||
		string(body["reasoning"]) != `{"effort":"low"}` {
		t.Errorf("upstream %s api-key %q body %s: want Azure's v1 responses with the deployment", up.Path, up.Header.Get("Api-Key"), up.Body)
	}
	if got.Usage.OutputTokensDetails.ReasoningTokens != 8 || got.OutputText() == "" {
		t.Errorf("response %s: want the upstream's answer with 8 reasoning tokens", got.RawJSON())
	}
	if _, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "az-o3",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}}); err != nil {
		t.Fatalf("chat: %v", err)
	}
	if up := g.lastUpstream(t); !strings.HasPrefix(up.Path, "/openai/deployments/o3-deployment/chat/completions") {
		t.Errorf("chat went to %s, want the deployment path", up.Path)
	}
}

// TestResponsesNativeStreamCostTrailer: a native stream's cost, known at its end, comes as a
// trailer, like a chat stream's.
func TestResponsesNativeStreamCostTrailer(t *testing.T) {
	g := start(t, nativeConfig, time.Minute)
	resp, err := post(g.URL+"/v1/responses", "application/json", strings.NewReader(`{"model":"smart","stream":true,"input":"hi [[mock tokens=3]]"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "event: response.completed") {
		t.Fatalf("stream did not complete: %s", body)
	}
	if v, err := strconv.ParseFloat(resp.Trailer.Get("X-Sluice-Cost-Usd"), 64); err != nil || v <= 0 {
		t.Errorf("trailer x-sluice-cost-usd = %q, want a positive cost", resp.Trailer.Get("X-Sluice-Cost-Usd"))
	}
}

// TestResponsesUntranslatableSkipsTranslatedTargets: a request only a native target can carry
// passes over the targets that would need a translation, without counting an attempt.
func TestResponsesUntranslatableSkipsTranslatedTargets(t *testing.T) {
	g := start(t, nativeConfig, time.Minute)
	c := g.client()
	var h *http.Response
	if _, err := c.Responses.New(context.Background(), responseParams("claude-then-smart", "Hello"), option.WithResponseInto(&h)); err != nil ||
		h.Header.Get("X-Sluice-Provider") != "claude" {
		t.Fatalf("plain request: %v, provider %q; want tier 1, claude", err, h.Header.Get("X-Sluice-Provider"))
	}
	p := responseParams("claude-then-smart", "Search")
	p.Tools = []responses.ToolUnionParam{{OfWebSearch: &responses.WebSearchToolParam{Type: responses.WebSearchToolTypeWebSearch}}}
	if _, err := c.Responses.New(context.Background(), p, option.WithResponseInto(&h)); err != nil {
		t.Fatalf("built-in tool: %v", err)
	}
	if h.Header.Get("X-Sluice-Provider") != "openai" || h.Header.Get("X-Sluice-Attempts") != "1" || g.lastUpstream(t).Path != "/v1/responses" {
		t.Errorf("built-in tool: provider %q after %s attempts, upstream %s; want openai natively at the first attempt",
			h.Header.Get("X-Sluice-Provider"), h.Header.Get("X-Sluice-Attempts"), g.lastUpstream(t).Path)
	}
}

// TestResponsesConversationCrossesProviders: because Sluice keeps the conversation, a native
// OpenAI answer (with its reasoning item) can be continued on Anthropic, translated.
func TestResponsesConversationCrossesProviders(t *testing.T) {
	g := start(t, nativeConfig, time.Minute)
	c := g.client()
	fp := responseParams("smart", "Name a colour")
	fp.Reasoning = shared.ReasoningParam{Effort: shared.ReasoningEffortLow}
	first, err := c.Responses.New(context.Background(), fp)
	if err != nil {
		t.Fatalf("first: %v", err)
	}
	p := responseParams("claude", "And another")
	p.PreviousResponseID = openai.String(first.ID)
	second, err := c.Responses.New(context.Background(), p)
	if err != nil {
		t.Fatalf("continued on claude: %v", err)
	}
	up := g.lastUpstream(t)
	var msgs struct {
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(up.Body, &msgs); err != nil {
		t.Fatal(err)
	}
	if up.Path != "/v1/messages" || len(msgs.Messages) != 3 || msgs.Messages[1].Role != "assistant" ||
		!strings.Contains(string(msgs.Messages[1].Content), first.OutputText()) {
		t.Errorf("upstream %s %s: want Anthropic to get question, OpenAI's answer, question", up.Path, up.Body)
	}
	if second.PreviousResponseID != first.ID || second.OutputText() == "" {
		t.Errorf("second response %s", second.RawJSON())
	}
}

// Background mode and the Conversations API would keep the conversation at the provider, which
// a native target never holds for Sluice: both are refused by name before any provider is asked.
func TestResponsesNativeRefusesProviderHeldState(t *testing.T) {
	g := start(t, nativeConfig, time.Minute)
	before := len(g.Mock.Server().Requests())
	for _, member := range []string{`"background":true`, `"conversation":"conv_123"`} {
		status, _, e := rawPost(t, g.URL+"/v1/responses", `{"model":"smart","input":"hi",`+member+`}`)
		name := member[1 : strings.Index(member[1:], `"`)+1]
		if status != http.StatusBadRequest || e["error"]["param"] != name {
			t.Errorf("%s: status %d error %v, want 400 naming %s", member, status, e, name)
		}
	}
	if after := len(g.Mock.Server().Requests()); after != before {
		t.Errorf("the provider received %d requests, want none", after-before)
	}
}
