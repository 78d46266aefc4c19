package gemini

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/secret"
)

func chatRequest(t *testing.T, body string) *api.ChatRequest {
	t.Helper()
	var req api.ChatRequest
	if err := jsonx.Unmarshal([]byte(body), &req); err != nil {
		t.Fatalf("request %s: %v", body, err)
	}
	return &req
}

// upstreamBody builds the upstream request for body and returns it decoded generically.
func upstreamBody(t *testing.T, body string) (*http.Request, map[string]any) {
	t.Helper()
	r, err := Adapter{}.NewChatRequest(context.Background(), testTarget(), chatRequest(t, body))
	if err != nil {
		t.Fatalf("NewChatRequest(%s): %v", body, err)
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("upstream body is not JSON: %s", raw)
	}
	return r, out
}

func TestRequestsGeminiCannotExpressAreRefused(t *testing.T) {
	const user = `{"role":"user","content":"hi"}`
	tests := []struct {
		name, body, param string
	}{
		{"logprobs", `{"model":"m","messages":[` + user + `],"logprobs":true}`, "logprobs"},
		{"top_logprobs", `{"model":"m","messages":[` + user + `],"top_logprobs":3}`, "top_logprobs"},
		{"logit_bias", `{"model":"m","messages":[` + user + `],"logit_bias":{"50256":-100}}`, "logit_bias"},
		{"audio output", `{"model":"m","messages":[` + user + `],"modalities":["text","audio"],"audio":{"voice":"alloy","format":"wav"}}`, "audio"},
		{"prediction", `{"model":"m","messages":[` + user + `],"prediction":{"type":"content","content":"x"}}`, "prediction"},
		{"web search", `{"model":"m","messages":[` + user + `],"web_search_options":{"search_context_size":"low"}}`, "web_search_options"},
		{"seed beyond int32", `{"model":"m","messages":[` + user + `],"seed":4294967296}`, "seed"},
		{"unknown role", `{"model":"m","messages":[{"role":"critic","content":"x"}]}`, "messages[0].role"},
		{"image of unknown type", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/picture"}}]}]}`, "messages[0].content[0].image_url.url"},
		{"image by ftp", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://example.com/a.png"}}]}]}`, "messages[0].content[0].image_url.url"},
		{"data URL not base64", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,abc"}}]}]}`, "messages[0].content[0].image_url.url"},
		{"file by id", `{"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-abc"}}]}]}`, "messages[0].content[0].file"},
		{"audio format", `{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAAA","format":"flac"}}]}]}`, "messages[0].content[0].input_audio.format"},
		{"unknown part", `{"model":"m","messages":[{"role":"user","content":[{"type":"video_url","video_url":{"url":"x"}}]}]}`, "messages[0].content[0].type"},
		{"image in system", `{"model":"m","messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://x/a.png"}}]},` + user + `]}`, "messages[0].content[0].type"},
		{"custom tool call", `{"model":"m","messages":[` + user + `,{"role":"assistant","tool_calls":[{"id":"c","type":"custom","custom":{"name":"x","input":"y"}}]}]}`, "messages[1].tool_calls[0].type"},
		{"arguments not an object", `{"model":"m","messages":[` + user + `,{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}`, "messages[1].tool_calls[0].function.arguments"},
		{"result for no call", `{"model":"m","messages":[` + user + `,{"role":"tool","tool_call_id":"nope","content":"x"}]}`, "messages[1].tool_call_id"},
		{"custom tool", `{"model":"m","messages":[` + user + `],"tools":[{"type":"custom","custom":{"name":"x"}}]}`, "tools[0].type"},
		{"schema with allOf", `{"model":"m","messages":[` + user + `],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"allOf":[{"type":"string"}]}}}}}]}`, "tools[0].function.parameters"},
		{"tool_choice unknown", `{"model":"m","messages":[` + user + `],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"sometimes"}`, "tool_choice"},
		{"tool_choice allowed_tools", `{"model":"m","messages":[` + user + `],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[]}}}`, "tool_choice"},
		{"required without tools", `{"model":"m","messages":[` + user + `],"tool_choice":"required"}`, "tool_choice"},
		{"response_format type", `{"model":"m","messages":[` + user + `],"response_format":{"type":"xml"}}`, "response_format.type"},
		{"json_schema without schema", `{"model":"m","messages":[` + user + `],"response_format":{"type":"json_schema","json_schema":{"name":"x"}}}`, "response_format.json_schema.schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Adapter{}.NewChatRequest(context.Background(), testTarget(), chatRequest(t, tt.body))
			var e *api.Error
			if !errors.As(err, &e) {
				t.Fatalf("NewChatRequest(%s) = %v, want an *api.Error", tt.body, err)
			}
			if e.Status != http.StatusBadRequest || e.Code != "invalid_request" || e.Param != tt.param {
				t.Errorf("NewChatRequest(%s): got %d %s param %q (%s), want 400 invalid_request param %q",
					tt.body, e.Status, e.Code, e.Param, e.Message, tt.param)
			}
		})
	}
}

func TestAudioFilesAndLegacyFunctionMessagesTranslate(t *testing.T) {
	_, body := upstreamBody(t, `{"model":"m","messages":[
		{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}},
			{"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,JVBERi0="}}]},
		{"role":"assistant","content":"","function_call":{"name":"lookup","arguments":"{}"}},
		{"role":"function","name":"lookup","content":"{\"found\":true}"}]}`)
	got, _ := json.Marshal(body["contents"])
	want := `[{"parts":[{"inlineData":{"data":"UklGRg==","mimeType":"audio/wav"}},{"inlineData":{"data":"JVBERi0=","mimeType":"application/pdf"}}],"role":"user"},` +
		`{"parts":[{"functionCall":{"args":{},"name":"lookup"},"thoughtSignature":"` + skipSignature + `"}],"role":"model"},` +
		`{"parts":[{"functionResponse":{"name":"lookup","response":{"found":true}}}],"role":"user"}]`
	if string(got) != want {
		t.Errorf("contents:\n got  %s\n want %s", got, want)
	}
}

func TestRequestURLAndHeaders(t *testing.T) {
	tests := []struct {
		name, model, body, wantURL string
	}{
		{"plain model", "gemini-2.5-pro", `{"model":"m","messages":[{"role":"user","content":"x"}]}`,
			"https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:generateContent"},
		{"tuned model resource", "tunedModels/my-model-7", `{"model":"m","messages":[{"role":"user","content":"x"}]}`,
			"https://generativelanguage.googleapis.com/v1beta/tunedModels/my-model-7:generateContent"},
		{"stream", "gemini-2.5-flash", `{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}`,
			"https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := testTarget()
			target.Model = tt.model
			r, err := Adapter{}.NewChatRequest(context.Background(), target, chatRequest(t, tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if r.URL.String() != tt.wantURL {
				t.Errorf("URL = %s, want %s", r.URL, tt.wantURL)
			}
		})
	}
	target := testTarget()
	target.APIKey = secret.Secret{}
	r, err := Adapter{}.NewChatRequest(context.Background(), target, chatRequest(t, `{"model":"m","messages":[{"role":"user","content":"x"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Header.Get("x-goog-api-key"); got != "" {
		t.Errorf("x-goog-api-key = %q without a configured key, want none", got)
	}
}

func TestToolChoiceMapping(t *testing.T) {
	tools := `"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"}}}}}]`
	tests := []struct {
		choice string
		want   string // toolConfig as JSON, "" when absent
	}{
		{`"auto"`, `{"functionCallingConfig":{"mode":"AUTO"}}`},
		{`"none"`, `{"functionCallingConfig":{"mode":"NONE"}}`},
		{`"required"`, `{"functionCallingConfig":{"mode":"ANY"}}`},
		{`{"type":"function","function":{"name":"f"}}`, `{"functionCallingConfig":{"allowedFunctionNames":["f"],"mode":"ANY"}}`},
		{`null`, ``},
	}
	for _, tt := range tests {
		_, body := upstreamBody(t, `{"model":"m","messages":[{"role":"user","content":"x"}],`+tools+`,"tool_choice":`+tt.choice+`}`)
		got := ""
		if tc, ok := body["toolConfig"]; ok {
			b, _ := json.Marshal(tc)
			got = string(b)
		}
		if got != tt.want {
			t.Errorf("tool_choice %s: toolConfig = %s, want %s", tt.choice, got, tt.want)
		}
	}
	_, body := upstreamBody(t, `{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"none"}`)
	if _, ok := body["toolConfig"]; ok {
		t.Errorf("tool_choice none without tools: toolConfig sent: %v", body["toolConfig"])
	}
}

func TestEmptyAssistantTurnsAreSkippedAndTextIsKept(t *testing.T) {
	_, body := upstreamBody(t, `{"model":"m","messages":[{"role":"user","content":""},{"role":"assistant","content":null},{"role":"user","content":"again"}]}`)
	got, _ := json.Marshal(body["contents"])
	want := `[{"parts":[{"text":""}],"role":"user"},{"parts":[{"text":"again"}],"role":"user"}]`
	if string(got) != want {
		t.Errorf("contents:\n got  %s\n want %s", got, want)
	}
	if strings.Contains(string(got), `"model"`) {
		t.Error("an empty assistant message became a model turn")
	}
}
