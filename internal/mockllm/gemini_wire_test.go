package mockllm

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Wire details the SDK does not show: framing, field spelling, strictness, authentication forms.

// gmPost sends body and reads the answer whole, returning a read error instead of failing, for
// answers cut off on purpose.
func gmPost(t *testing.T, url, body string, header map[string]string) (int, string, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func TestGeminiStreamFraming(t *testing.T) {
	inst := start(t, Options{Tokens: 2})
	url := inst.URL() + "/v1beta/models/" + gmTestModel + ":streamGenerateContent"
	const body = `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`
	_, sse, err := gmPost(t, url+"?alt=sse", body, nil)
	if err != nil {
		t.Fatal(err)
	}
	events := strings.Split(strings.TrimSuffix(sse, "\r\n\r\n"), "\r\n\r\n")
	if len(events) != 3 || !strings.HasSuffix(sse, "\r\n\r\n") {
		t.Fatalf("alt=sse body %q: want 3 events each ending in CRLF CRLF", sse)
	}
	for _, ev := range events {
		var chunk struct {
			Candidates    []json.RawMessage `json:"candidates"`
			UsageMetadata json.RawMessage   `json:"usageMetadata"`
		}
		data, ok := strings.CutPrefix(ev, "data: ")
		if !ok || json.Unmarshal([]byte(data), &chunk) != nil || len(chunk.Candidates) != 1 || chunk.UsageMetadata == nil {
			t.Errorf("event %q: want data: and a response with one candidate and usage", ev)
		}
	}
	_, array, err := gmPost(t, url, body, nil)
	if err != nil {
		t.Fatal(err)
	}
	var chunks []json.RawMessage
	if err := json.Unmarshal([]byte(array), &chunks); err != nil || len(chunks) != 3 {
		t.Errorf("without alt=sse: %q is not a JSON array of 3 responses (%v)", array, err)
	}
}

func TestGeminiRequestsAreReadLikeTheAPI(t *testing.T) {
	inst := start(t, Options{APIKey: "gm-key"})
	base := inst.URL() + "/v1beta/models/"
	key := map[string]string{"x-goog-api-key": "gm-key"}
	tests := []struct {
		name, url, body string
		header          map[string]string
		status          int
		inBody          string
	}{
		{"key in the query", base + gmTestModel + ":generateContent?key=gm-key", `{"contents":[{"parts":[{"text":"hi"}]}]}`, nil, 200, `"candidates"`},
		{"snake_case names", base + gmTestModel + ":generateContent", `{"system_instruction":{"parts":[{"text":"be brief"}]},"contents":[{"role":"user","parts":[{"inline_data":{"mime_type":"image/png","data":"iVBORw0KGgo="}},{"text":"hi"}]}],"generation_config":{"max_output_tokens":2,"stop_sequences":["zzz"]}}`, key, 200, `"MAX_TOKENS"`},
		{"v1 path", inst.URL() + "/v1/models/" + gmTestModel + ":generateContent", `{"contents":[{"parts":[{"text":"hi"}]}]}`, key, 200, `"candidates"`},
		{"unknown member", base + gmTestModel + ":generateContent", `{"contents":[{"parts":[{"text":"hi"}]}],"temperature":1}`, key, 400, `Unknown name \"temperature\"`},
		{"JSON Schema keyword in a Schema", base + gmTestModel + ":generateContent", `{"contents":[{"parts":[{"text":"hi"}]}],"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}}]}]}`, key, 400, `Unknown name \"additionalProperties\"`},
		{"type list in a Schema", base + gmTestModel + ":generateContent", `{"contents":[{"parts":[{"text":"hi"}]}],"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"object","properties":{"a":{"type":["string","null"]}}}}]}]}`, key, 400, `INVALID_ARGUMENT`},
		{"object without properties", base + gmTestModel + ":generateContent", `{"contents":[{"parts":[{"text":"hi"}]}],"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT"}}]}]}`, key, 400, `should be non-empty for OBJECT type`},
		{"no contents", base + gmTestModel + ":generateContent", `{"contents":[]}`, key, 400, `contents is not specified`},
		{"empty parts", base + gmTestModel + ":generateContent", `{"contents":[{"role":"user","parts":[]}]}`, key, 400, `must not be empty`},
		{"bad role", base + gmTestModel + ":generateContent", `{"contents":[{"role":"assistant","parts":[{"text":"hi"}]}]}`, key, 400, `valid role`},
		{"too many candidates", base + gmTestModel + ":generateContent", `{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"candidateCount":9}}`, key, 400, `candidate_count`},
		{"unsigned call on Gemini 3", base + "gemini-3-pro-preview:generateContent", `{"contents":[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{}}}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"ok":true}}}]}]}`, key, 400, `thought_signature`},
		{"signed call on Gemini 3", base + "gemini-3-pro-preview:generateContent", `{"contents":[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{}},"thoughtSignature":"skip_thought_signature_validator"}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"ok":true}}}]}]}`, key, 200, `"candidates"`},
		{"unknown method", base + gmTestModel + ":predictTheFuture", `{}`, key, 404, `NOT_FOUND`},
		{"embed batch too big", base + "gemini-embedding-001:batchEmbedContents", `{"requests":[` + strings.Repeat(`{"content":{"parts":[{"text":"x"}]}},`, 100) + `{"content":{"parts":[{"text":"x"}]}}]}`, key, 400, `at most 100`},
		{"embed one", base + "text-embedding-004:embedContent", `{"content":{"parts":[{"text":"x"}]},"output_dimensionality":4}`, key, 200, `{"embedding":{"values":[`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, err := gmPost(t, tt.url, tt.body, tt.header)
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.status || !strings.Contains(body, tt.inBody) {
				t.Errorf("status %d body %s; want %d containing %s", status, body, tt.status, tt.inBody)
			}
		})
	}
}

func TestGeminiKnobsAndJSONMode(t *testing.T) {
	inst := start(t, Options{})
	url := inst.URL() + "/v1beta/models/" + gmTestModel + ":generateContent"
	var resp struct {
		Candidates []struct {
			Content struct {
				Parts []struct {
					Text string `json:"text"`
				} `json:"parts"`
			} `json:"content"`
		} `json:"candidates"`
		UsageMetadata *struct{} `json:"usageMetadata"`
	}
	_, body, _ := gmPost(t, url, `{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"responseMimeType":"application/json"}}`,
		map[string]string{"x-mock-tokens": "3", "x-mock-usage": "false"})
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	var obj map[string]string
	text := resp.Candidates[0].Content.Parts[0].Text
	if err := json.Unmarshal([]byte(text), &obj); err != nil || len(strings.Fields(obj["text"])) != 3 {
		t.Errorf("JSON mode text %q: want a JSON object holding 3 words (%v)", text, err)
	}
	if resp.UsageMetadata != nil {
		t.Errorf("usage=false: usageMetadata present in %s", body)
	}
}

func TestOpenAIRoutesStayOpenAIs(t *testing.T) {
	inst := start(t, Options{})
	resp, err := http.Get(inst.URL() + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), `"object":"list"`) {
		t.Errorf("GET /v1/models = %s, want OpenAI's model list", b)
	}
}
