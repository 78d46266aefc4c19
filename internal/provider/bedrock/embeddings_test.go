package bedrock

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

func embedRequest(t *testing.T, body string) *api.EmbeddingsRequest {
	t.Helper()
	var req api.EmbeddingsRequest
	if err := jsonx.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	return &req
}

// roundTrip builds the request for model, checks its body, and decodes answer as its response.
func roundTrip(t *testing.T, model, reqBody, wantBody string, answer string, header http.Header) *api.EmbeddingsResponse {
	t.Helper()
	target := testTarget()
	target.Model = model
	r, err := testAdapter.NewEmbeddingsRequest(context.Background(), target, embedRequest(t, reqBody))
	if err != nil {
		t.Fatalf("NewEmbeddingsRequest(%s): %v", reqBody, err)
	}
	if !strings.HasSuffix(r.URL.EscapedPath(), "/invoke") || r.Header.Get("Authorization") == "" {
		t.Errorf("request %s %v is not a signed InvokeModel call", r.URL, r.Header)
	}
	got, _ := io.ReadAll(r.Body)
	if !sameJSON(t, got, []byte(wantBody)) {
		t.Errorf("upstream body = %s, want %s", got, wantBody)
	}
	resp := &http.Response{StatusCode: 200, Header: header, Body: io.NopCloser(strings.NewReader(answer)), Request: r}
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	out, err := testAdapter.DecodeEmbeddingsResponse(resp)
	if err != nil {
		t.Fatalf("DecodeEmbeddingsResponse: %v", err)
	}
	if out.Object != "list" || out.Model != model {
		t.Errorf("response object %q model %q", out.Object, out.Model)
	}
	return out
}

func sameJSON(t *testing.T, a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		t.Fatalf("not JSON: %s / %s", a, b)
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

func TestTitanEmbeddings(t *testing.T) {
	out := roundTrip(t, "amazon.titan-embed-text-v2:0",
		`{"model":"e","input":["Hello world"],"dimensions":256}`,
		`{"inputText":"Hello world","dimensions":256}`,
		`{"embedding":[0.5,-0.25,0.125],"inputTextTokenCount":3}`, nil)
	if len(out.Data) != 1 || string(out.Data[0].Embedding) != "[0.5,-0.25,0.125]" || out.Data[0].Object != "embedding" {
		t.Errorf("data = %+v", out.Data)
	}
	if out.Usage.PromptTokens != 3 || out.Usage.TotalTokens != 3 {
		t.Errorf("usage = %+v, want Titan's inputTextTokenCount", out.Usage)
	}
}

func TestCohereEmbeddingsBatchAndBase64(t *testing.T) {
	out := roundTrip(t, "cohere.embed-english-v3",
		`{"model":"e","input":["a","b"],"encoding_format":"base64","input_type":"search_query"}`,
		`{"texts":["a","b"],"input_type":"search_query"}`,
		`{"embeddings":[[1,2],[0.5,-1]],"id":"x","response_type":"embeddings_floats","texts":["a","b"]}`,
		http.Header{"X-Amzn-Bedrock-Input-Token-Count": {"4"}})
	if len(out.Data) != 2 || out.Data[1].Index != 1 || out.Usage.PromptTokens != 4 {
		t.Fatalf("response = %+v", out)
	}
	var b64 string
	if err := json.Unmarshal(out.Data[1].Embedding, &b64); err != nil {
		t.Fatalf("embedding %s is not a base64 string", out.Data[1].Embedding)
	}
	raw, _ := base64.StdEncoding.DecodeString(b64)
	if len(raw) != 8 || math.Float32frombits(binary.LittleEndian.Uint32(raw[4:])) != -1 {
		t.Errorf("base64 vector %q does not decode to [0.5 -1] as little-endian float32", b64)
	}
}

func TestCohereDefaultsAndTypedAnswer(t *testing.T) {
	out := roundTrip(t, "us.cohere.embed-v4:0", `{"model":"e","input":"doc","dimensions":512}`,
		`{"texts":["doc"],"input_type":"search_document","output_dimension":512}`,
		`{"embeddings":{"float":[[0.1,0.2]]},"response_type":"embeddings_by_type"}`, nil)
	if len(out.Data) != 1 || string(out.Data[0].Embedding) != "[0.1,0.2]" || out.Usage.PromptTokens != 0 {
		t.Errorf("response = %+v", out)
	}
}

func TestEmbeddingRefusals(t *testing.T) {
	for _, tc := range []struct{ name, model, body, code, param string }{
		{"titan with several inputs", "amazon.titan-embed-text-v2:0", `{"input":["a","b"]}`, "invalid_request", "input"},
		{"token ids", "cohere.embed-english-v3", `{"input":[1,2,3]}`, "invalid_request", "input"},
		{"empty array", "cohere.embed-english-v3", `{"input":[]}`, "invalid_request", "input"},
		{"unknown encoding", "cohere.embed-english-v3", `{"input":"a","encoding_format":"int8"}`, "invalid_request", "encoding_format"},
		{"chat model", "anthropic.claude-3-5-sonnet-20240620-v1:0", `{"input":"a"}`, "unsupported_endpoint", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := testTarget()
			target.Model = tc.model
			_, err := testAdapter.NewEmbeddingsRequest(context.Background(), target, embedRequest(t, tc.body))
			if e := api.AsError(err); e.Status != 400 || e.Code != tc.code || e.Param != tc.param {
				t.Fatalf("NewEmbeddingsRequest(%s, %s) = %v, want 400 %s param %q", tc.model, tc.body, err, tc.code, tc.param)
			}
		})
	}
}

func TestEmbeddingAnswerWithoutVectorsIsAnUpstreamError(t *testing.T) {
	_, err := testAdapter.DecodeEmbeddingsResponse(&http.Response{StatusCode: 200, Header: http.Header{},
		Body: io.NopCloser(strings.NewReader(`{"something":"else"}`))})
	if e := api.AsError(err); e.Code != "upstream_error" || e.Retryable {
		t.Fatalf("DecodeEmbeddingsResponse = %v, want a non-retryable upstream_error", err)
	}
}
