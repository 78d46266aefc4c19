package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"testing"

	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/secret"
)

func mediaTarget(model string) *provider.Target {
	return &provider.Target{Provider: "openai", Model: model, BaseURL: "https://api.openai.com/v1",
		APIKey: secret.New("sk-test"), Adapter: Adapter{}}
}

func sameJSON(t *testing.T, what string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v in %s", what, err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: want: %v", what, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got  %s\n want %s", what, got, want)
	}
}

// Cases follow https://platform.openai.com/docs/api-reference/images/create: the alias becomes
// the target's model, unknown parameters (background) travel on, and both answer shapes —
// GPT image's base64 with token usage, DALL·E 3's URL with revised_prompt — come back whole.
func TestImages(t *testing.T) {
	for _, tc := range []struct {
		name, model, request, wantBody, response string
	}{
		{"gpt-image base64 with usage", "gpt-image-1",
			`{"model":"img","prompt":"A cute baby sea otter","n":1,"size":"1024x1024","quality":"high","background":"transparent"}`,
			`{"model":"gpt-image-1","prompt":"A cute baby sea otter","n":1,"size":"1024x1024","quality":"high","background":"transparent"}`,
			`{"created":1713833628,"data":[{"b64_json":"iVBORw0KGgo="}],"usage":{"total_tokens":100,"input_tokens":50,"output_tokens":50,"input_tokens_details":{"text_tokens":10,"image_tokens":40}},"background":"transparent","output_format":"png","quality":"high","size":"1024x1024"}`},
		{"dall-e-3 url with revised prompt", "dall-e-3",
			`{"model":"img","prompt":"a white siamese cat","size":"1024x1024","style":"vivid","response_format":"url","user":"u-1"}`,
			`{"model":"dall-e-3","prompt":"a white siamese cat","size":"1024x1024","style":"vivid","response_format":"url","user":"u-1"}`,
			`{"created":1589478378,"data":[{"url":"https://oaidalleapiprodscus.blob.core.windows.net/private/img-1.png","revised_prompt":"A white Siamese cat with striking blue eyes."}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var req provider.ImagesRequest
			if err := jsonx.Unmarshal([]byte(tc.request), &req); err != nil {
				t.Fatal(err)
			}
			r, err := Adapter{}.NewImagesRequest(context.Background(), mediaTarget(tc.model), &req)
			if err != nil {
				t.Fatal(err)
			}
			if r.URL.String() != "https://api.openai.com/v1/images/generations" || r.Method != http.MethodPost {
				t.Errorf("request = %s %s", r.Method, r.URL)
			}
			if got := r.Header.Get("Authorization"); got != "Bearer sk-test" {
				t.Errorf("Authorization = %q", got)
			}
			body, _ := io.ReadAll(r.Body)
			sameJSON(t, "upstream body", body, []byte(tc.wantBody))

			resp := &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader([]byte(tc.response)))}
			out, err := Adapter{}.DecodeImagesResponse(resp)
			if err != nil {
				t.Fatal(err)
			}
			enc, err := jsonx.Marshal(out)
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, "decoded response", enc, []byte(tc.response))
		})
	}
}

func TestImagesErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     int
		wantStatus int
		wantCode   string
	}{
		{"content policy", `{"error":{"code":"content_policy_violation","message":"Your request was rejected as a result of our safety system.","param":null,"type":"invalid_request_error"}}`,
			400, 400, "content_policy_violation"},
		{"not JSON", `<html>bad gateway</html>`, 502, 502, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := Adapter{}.DecodeError(&http.Response{StatusCode: tc.status, Header: http.Header{},
				Body: io.NopCloser(bytes.NewReader([]byte(tc.body)))})
			if e.Status != tc.wantStatus || e.Code != tc.wantCode {
				t.Errorf("DecodeError = %d %q, want %d %q", e.Status, e.Code, tc.wantStatus, tc.wantCode)
			}
		})
	}
	_, err := Adapter{}.DecodeImagesResponse(&http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader([]byte(`{"data":`)))})
	if err == nil {
		t.Error("DecodeImagesResponse accepted a truncated body")
	}
}
