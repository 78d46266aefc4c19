package gemini

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

func embeddingsRequest(t *testing.T, body string) (*http.Request, error) {
	t.Helper()
	var req api.EmbeddingsRequest
	if err := jsonx.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	target := testTarget()
	target.Model = "gemini-embedding-001"
	return Adapter{}.NewEmbeddingsRequest(context.Background(), target, &req)
}

func TestEmbeddingsRequestIsABatch(t *testing.T) {
	r, err := embeddingsRequest(t, `{"model":"emb","input":["first text","second"],"dimensions":768,"user":"u"}`)
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents"; r.URL.String() != want {
		t.Errorf("URL = %s, want %s", r.URL, want)
	}
	body, _ := io.ReadAll(r.Body)
	want := `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"first text"}]},"outputDimensionality":768},` +
		`{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"second"}]},"outputDimensionality":768}]}`
	if string(body) != want {
		t.Errorf("body:\n got  %s\n want %s", body, want)
	}
	if r.Header.Get("x-goog-api-key") != "gm-test-key" {
		t.Errorf("x-goog-api-key = %q", r.Header.Get("x-goog-api-key"))
	}
}

func TestEmbeddingsRequestsGeminiCannotServe(t *testing.T) {
	many, _ := json.Marshal(make([]string, 101))
	tests := []struct{ name, body, param string }{
		{"token ids", `{"model":"e","input":[1,2,3]}`, "input"},
		{"token id arrays", `{"model":"e","input":[[1,2],[3]]}`, "input"},
		{"too many", `{"model":"e","input":` + string(many) + `}`, "input"},
		{"none", `{"model":"e","input":[]}`, "input"},
		{"format", `{"model":"e","input":"x","encoding_format":"int8"}`, "encoding_format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := embeddingsRequest(t, tt.body)
			var e *api.Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Param != tt.param {
				t.Errorf("NewEmbeddingsRequest(%.80s) = %v, want a 400 for %s", tt.body, err, tt.param)
			}
		})
	}
}

func TestEmbeddingsResponseFloatAndBase64(t *testing.T) {
	const answer = `{"embeddings":[{"values":[0.25,-0.5,1e-3]},{"values":[1,0]}]}`
	decode := func(format string) *api.EmbeddingsResponse {
		t.Helper()
		r, err := embeddingsRequest(t, `{"model":"e","input":["abcdefgh","xyz"],"encoding_format":"`+format+`"}`)
		if err != nil {
			t.Fatal(err)
		}
		resp := response(200, answer, nil)
		resp.Request = r
		out, err := Adapter{}.DecodeEmbeddingsResponse(resp)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	floats := decode("float")
	if floats.Object != "list" || floats.Model != "gemini-embedding-001" || len(floats.Data) != 2 {
		t.Fatalf("response envelope = %+v", floats)
	}
	if string(floats.Data[0].Embedding) != "[0.25,-0.5,1e-3]" || floats.Data[1].Index != 1 || floats.Data[1].Object != "embedding" {
		t.Errorf("float data = %s / %+v, want the values passed through", floats.Data[0].Embedding, floats.Data[1])
	}
	// No usage from Gemini: 4 bytes a token, rounded up, per input: 2 + 1.
	if floats.Usage.PromptTokens != 3 || floats.Usage.TotalTokens != 3 {
		t.Errorf("usage = %+v, want the estimate 3", floats.Usage)
	}
	b64 := decode("base64")
	var s string
	if err := json.Unmarshal(b64.Data[0].Embedding, &s); err != nil {
		t.Fatalf("base64 embedding is not a string: %s", b64.Data[0].Embedding)
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != 12 {
		t.Fatalf("base64 embedding decodes to %d bytes (%v), want 12", len(raw), err)
	}
	for i, want := range []float32{0.25, -0.5, 1e-3} {
		if got := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])); got != want {
			t.Errorf("value %d = %v, want %v", i, got, want)
		}
	}
}

func TestEmbeddingsUsageFromStatistics(t *testing.T) {
	out, err := Adapter{}.DecodeEmbeddingsResponse(response(200,
		`{"embeddings":[{"values":[1],"statistics":{"tokenCount":7}},{"values":[1],"statistics":{"tokenCount":2}}]}`, nil))
	if err != nil {
		t.Fatal(err)
	}
	if out.Usage.PromptTokens != 9 {
		t.Errorf("prompt tokens = %d, want the reported 9", out.Usage.PromptTokens)
	}
	_, err = Adapter{}.DecodeEmbeddingsResponse(response(200, `<html>`, nil))
	if !strings.Contains(api.AsError(err).Message, "not valid JSON") {
		t.Errorf("HTML body: got %v", err)
	}
}
