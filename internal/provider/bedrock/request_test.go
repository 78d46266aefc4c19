package bedrock

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
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

const tools = `"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]`

func TestUntranslatableRequestsAre400sNamingTheParameter(t *testing.T) {
	for _, tc := range []struct {
		name, body, param string
	}{
		{"n > 1", `{"n":2}`, "n"},
		{"presence penalty", `{"presence_penalty":0.5}`, "presence_penalty"},
		{"frequency penalty", `{"frequency_penalty":-1}`, "frequency_penalty"},
		{"logprobs", `{"logprobs":true}`, "logprobs"},
		{"logit bias", `{"logit_bias":{"50256":-100}}`, "logit_bias"},
		{"audio output", `{"audio":{"voice":"alloy","format":"wav"}}`, "audio"},
		{"web image URL", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}]}`, "messages[0].content[0].image_url.url"},
		{"unsupported image type", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/bmp;base64,Qk0="}}]}]}`, "messages[0].content[0].image_url.url"},
		{"audio input", `{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"x","format":"wav"}}]}]}`, "messages[0].content[0]"},
		{"image in system", `{"messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}]}]}`, "messages[0].content[0]"},
		{"function role", `{"messages":[{"role":"function","name":"f","content":"x"}]}`, "messages[0].role"},
		{"arguments not an object", `{"messages":[{"role":"assistant","tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}`, "messages[0].tool_calls[0].function.arguments"},
		{"arguments not JSON", `{"messages":[{"role":"assistant","tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"{"}}]}]}`, "messages[0].tool_calls[0].function.arguments"},
		{"non-function tool", `{"tools":[{"type":"custom","custom":{"name":"x"}}]}`, "tools[0].type"},
		{"required without tools", `{"tool_choice":"required"}`, "tool_choice"},
		{"unknown tool_choice", `{"tool_choice":"sometimes",` + tools + `}`, "tool_choice"},
		{"allowed_tools choice", `{"tool_choice":{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[]}},` + tools + `}`, "tool_choice"},
		{"none after tool calls", `{"tool_choice":"none",` + tools + `,"messages":[{"role":"assistant","tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"1","content":"ok"}]}`, "tool_choice"},
		{"json_object", `{"response_format":{"type":"json_object"}}`, "response_format"},
		{"json_schema without schema", `{"response_format":{"type":"json_schema","json_schema":{"name":"x"}}}`, "response_format.json_schema.schema"},
		{"unknown response_format", `{"response_format":{"type":"yaml"}}`, "response_format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := chatRequest(t, tc.body)
			if req.Messages == nil {
				req.Messages = []api.Message{{Role: "user", Content: api.TextContent("hi")}}
			}
			_, err := testAdapter.NewChatRequest(context.Background(), testTarget(), req)
			var e *api.Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Code != "invalid_request" || e.Param != tc.param {
				t.Fatalf("NewChatRequest(%s) = %v, want a 400 invalid_request with param %q", tc.body, err, tc.param)
			}
			if !strings.Contains(e.Message, tc.param) {
				t.Errorf("message %q does not name %s", e.Message, tc.param)
			}
		})
	}
}

func TestHarmlessParametersAreDroppedNotRefused(t *testing.T) {
	req := chatRequest(t, `{"messages":[{"role":"user","content":"hi"}],"n":1,"presence_penalty":0,"frequency_penalty":0,
		"seed":1,"user":"u","logprobs":false,"logit_bias":{},"audio":null,"parallel_tool_calls":true,"store":true,
		"metadata":{"k":"v"},"response_format":{"type":"text"},"tool_choice":"none",`+tools+`}`)
	body := converseBody(t, req)
	for _, k := range []string{"toolConfig", "outputConfig", "inferenceConfig", "seed", "user", "store", "metadata"} {
		if _, ok := body[k]; ok {
			t.Errorf("upstream body has %q: %v", k, body[k])
		}
	}
}

func TestToolChoiceAutoLeavesConverseDefault(t *testing.T) {
	body := converseBody(t, chatRequest(t, `{"messages":[{"role":"user","content":"hi"}],"tool_choice":"auto",`+tools+`}`))
	tc, _ := body["toolConfig"].(map[string]any)
	if tc == nil || tc["tools"] == nil {
		t.Fatalf("toolConfig = %v, want the tools", body["toolConfig"])
	}
	if _, ok := tc["toolChoice"]; ok {
		t.Errorf("toolChoice = %v, want none sent for auto", tc["toolChoice"])
	}
}

func TestConsecutiveSameRoleMessagesMerge(t *testing.T) {
	body := converseBody(t, chatRequest(t, `{"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},
		{"role":"assistant","content":"c"},{"role":"system","content":"s"},{"role":"assistant","content":[{"type":"text","text":"d"}]}]}`))
	msgs, _ := body["messages"].([]any)
	if len(msgs) != 2 {
		t.Fatalf("messages = %v, want two turns", body["messages"])
	}
	for i, want := range []int{2, 2} {
		if n := len(msgs[i].(map[string]any)["content"].([]any)); n != want {
			t.Errorf("messages[%d] has %d blocks, want %d", i, n, want)
		}
	}
}

func converseBody(t *testing.T, req *api.ChatRequest) map[string]any {
	t.Helper()
	r, err := testAdapter.NewChatRequest(context.Background(), testTarget(), req)
	if err != nil {
		t.Fatalf("NewChatRequest: %v", err)
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body
}

func TestSigningNeedsCredentialsAndRegion(t *testing.T) {
	req := chatRequest(t, `{"messages":[{"role":"user","content":"hi"}]}`)
	noKey := testTarget()
	noKey.Settings.AWSAccessKeyID = secret.Secret{}
	noRegion := testTarget()
	noRegion.Settings.Region = ""
	for name, target := range map[string]*provider.Target{"no key id": noKey, "no region": noRegion} {
		_, err := testAdapter.NewChatRequest(context.Background(), target, req)
		if e := api.AsError(err); e.Code != "upstream_auth_error" || !strings.Contains(e.Message, `"bedrock"`) {
			t.Errorf("%s: NewChatRequest = %v, want upstream_auth_error naming the provider", name, err)
		}
	}
}

func TestSessionTokenIsSentAndSigned(t *testing.T) {
	target := testTarget()
	target.Settings.AWSSessionToken = secret.New("session-token")
	target.Headers = http.Header{"X-Amz-Date": {"static"}}
	r, err := testAdapter.NewChatRequest(context.Background(), target, chatRequest(t, `{"messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Header.Get("X-Amz-Security-Token"); got != "session-token" {
		t.Errorf("X-Amz-Security-Token = %q", got)
	}
	if auth := r.Header.Get("Authorization"); !strings.Contains(auth, "x-amz-security-token") {
		t.Errorf("Authorization %q does not sign the session token", auth)
	}
	if target.Headers.Get("X-Amz-Date") != "static" {
		t.Errorf("signing overwrote the target's shared static headers: %v", target.Headers)
	}
}

func TestModelIDIsEscapedAsOnePathSegment(t *testing.T) {
	target := testTarget()
	target.Model = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0"
	r, err := testAdapter.NewChatRequest(context.Background(), target, chatRequest(t, `{"messages":[{"role":"user","content":"hi"}],"stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	want := "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream"
	if got := r.URL.EscapedPath(); got != want {
		t.Errorf("path = %s\nwant   %s", got, want)
	}
}

// FuzzConverseRequest translates arbitrary request JSON: it must never panic, and what it
// accepts must encode.
func FuzzConverseRequest(f *testing.F) {
	f.Add(`{"messages":[{"role":"user","content":"hi"}]}`)
	f.Add(`{"messages":[{"role":"assistant","tool_calls":[{"id":"1","function":{"name":"f","arguments":"{\"a\":1}"}}]},{"role":"tool","tool_call_id":"1","content":"x"}],` + tools + `,"tool_choice":{"type":"function","function":{"name":"f"}}}`)
	f.Add(`{"reasoning_effort":"medium","thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a","thinking_blocks":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"redacted_thinking","data":"ZA=="}]},{"role":"user","content":"b"}]}`)
	f.Add(`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}]}],"response_format":{"type":"json_schema","json_schema":{"schema":{}}}}`)
	f.Fuzz(func(t *testing.T, body string) {
		var req api.ChatRequest
		if jsonx.Unmarshal([]byte(body), &req) != nil {
			return
		}
		out, err := toConverse("anthropic.claude-sonnet-4-5-v1:0", &req)
		if err != nil {
			if e := api.AsError(err); e.Status != http.StatusBadRequest {
				t.Fatalf("toConverse(%s) = %v, want a 400 or success", body, err)
			}
			return
		}
		if _, err := jsonx.Marshal(out); err != nil {
			t.Fatalf("encode %s: %v", body, err)
		}
	})
}

// TestChangedSecretChangesTheSignature guards against the AWS signer's key cache, which is keyed
// by access key id and day: a secret changed by a config reload must take effect at once.
func TestChangedSecretChangesTheSignature(t *testing.T) {
	req := chatRequest(t, `{"messages":[{"role":"user","content":"hi"}]}`)
	sign := func(secretKey string) string {
		target := testTarget()
		target.Settings.AWSSecretAccessKey = secret.New(secretKey)
		r, err := testAdapter.NewChatRequest(context.Background(), target, req)
		if err != nil {
			t.Fatal(err)
		}
		return r.Header.Get("Authorization")
	}
	if a, b := sign("secret-one"), sign("secret-two"); a == b {
		t.Fatalf("two secrets gave the same signature %q", a)
	}
}
