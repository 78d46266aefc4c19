package gemini

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// decode runs the gateway's two steps: JSON into GenerateContentRequest, then the translation.
func decode(body string) (*api.ChatRequest, error) {
	var in GenerateContentRequest
	if err := jsonx.Unmarshal([]byte(body), &in); err != nil {
		return nil, err
	}
	return ToChatRequest("m", &in, false)
}

const hi = `"contents":[{"parts":[{"text":"hi"}]}]`

func TestToChatRequestRefusesWhatItCannotCarry(t *testing.T) {
	for _, tc := range []struct{ name, body, param string }{
		{"no contents", `{"contents":[]}`, "contents"},
		{"candidateCount 2", `{` + hi + `,"generationConfig":{"candidateCount":2}}`, "generationConfig.candidateCount"},
		{"topK", `{` + hi + `,"generationConfig":{"topK":3}}`, "generationConfig.topK"},
		{"audio output", `{` + hi + `,"generationConfig":{"responseModalities":["AUDIO"]}}`, "generationConfig.responseModalities"},
		{"enum mime type", `{` + hi + `,"generationConfig":{"responseMimeType":"text/x.enum"}}`, "generationConfig.responseMimeType"},
		{"schema without json", `{` + hi + `,"generationConfig":{"responseSchema":{"type":"STRING"}}}`, "generationConfig.responseSchema"},
		{"cachedContent", `{` + hi + `,"cachedContent":"cachedContents/x"}`, "cachedContent"},
		{"google search", `{` + hi + `,"tools":[{"googleSearch":{}}]}`, "tools[0].googleSearch"},
		{"two allowed names", `{` + hi + `,"tools":[{"functionDeclarations":[{"name":"a"},{"name":"b"}]}],"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["a","b"]}}}`, "toolConfig.functionCallingConfig.allowedFunctionNames"},
		{"bad mode", `{` + hi + `,"tools":[{"functionDeclarations":[{"name":"a"}]}],"toolConfig":{"functionCallingConfig":{"mode":"SOMETIMES"}}}`, "toolConfig.functionCallingConfig.mode"},
		{"audio part", `{"contents":[{"parts":[{"inlineData":{"mimeType":"audio/wav","data":"AA=="}}]}]}`, "contents"},
		{"files api uri", `{"contents":[{"parts":[{"fileData":{"mimeType":"image/png","fileUri":"https://generativelanguage.googleapis.com/v1beta/files/x"}}]}]}`, ""},
		{"unknown role", `{"contents":[{"role":"system","parts":[{"text":"x"}]}]}`, "contents"},
		{"unanswerable response", `{"contents":[{"role":"user","parts":[{"functionResponse":{"name":"f","response":{}}}]}]}`, "contents"},
		{"call in user turn", `{"contents":[{"role":"user","parts":[{"functionCall":{"name":"f"}}]}]}`, "contents"},
		{"executable code part", `{"contents":[{"parts":[{"executableCode":{"code":"1"}}]}]}`, "contents[0].parts[0].executableCode"},
		{"image in system", `{` + hi + `,"systemInstruction":{"parts":[{"inlineData":{"mimeType":"image/png","data":"AA=="}}]}}`, "systemInstruction"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decode(tc.body)
			var e *api.Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Code != "invalid_request" {
				t.Fatalf("decode(%s) error = %v, want a 400 invalid_request", tc.body, err)
			}
			if tc.param != "" && e.Param != tc.param {
				t.Errorf("decode(%s) param = %q, want %q (message %q)", tc.body, e.Param, tc.param, e.Message)
			}
		})
	}
}

func TestFunctionResponsesPairWithTheirCalls(t *testing.T) {
	// Two calls of one function without ids, then one with an id, answered out of order.
	got, err := decode(`{"contents":[{"role":"user","parts":[{"text":"go"}]},` +
		`{"role":"model","parts":[{"functionCall":{"name":"f","args":{"n":1}}},{"functionCall":{"name":"f","args":{"n":2}}},{"functionCall":{"id":"x9","name":"g"}}]},` +
		`{"role":"user","parts":[{"functionResponse":{"id":"x9","name":"g","response":{"ok":true}}},{"functionResponse":{"name":"f","response":{"r":1}}},{"functionResponse":{"name":"f","response":{"r":2}}},{"text":"and?"}]}]}`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range got.Messages {
		if m.Role == "tool" {
			ids = append(ids, m.ToolCallID+"="+m.Content.Text)
		}
	}
	want := `x9={"ok":true} call_0={"r":1} call_1={"r":2}`
	if strings.Join(ids, " ") != want {
		t.Errorf("tool messages %v, want %s", ids, want)
	}
	if last := got.Messages[len(got.Messages)-1]; last.Role != "user" || last.Content.Text != "and?" {
		t.Errorf("last message %+v, want the user's text after the results", last)
	}
}

func TestStatusNames(t *testing.T) {
	for status, want := range map[int]string{400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
		404: "NOT_FOUND", 413: "INVALID_ARGUMENT", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 502: "UNAVAILABLE",
		503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED", 418: "FAILED_PRECONDITION"} {
		if got := Status(status); got != want {
			t.Errorf("Status(%d) = %q, want %q", status, got, want)
		}
	}
	body := string(AppendError(nil, api.Errorf("model_not_found", "no model \"x\"")))
	if body != `{"error":{"code":404,"message":"no model \"x\"","status":"NOT_FOUND"}}` {
		t.Errorf("AppendError = %s", body)
	}
}

func TestStreamErrorEndsTheStream(t *testing.T) {
	for _, tc := range []struct {
		framing Framing
		want    string
	}{
		{FramingSSE, "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Hi\"}]},\"index\":0}]}\r\n\r\n" +
			"data: {\"error\":{\"code\":502,\"message\":\"cut\",\"status\":\"UNAVAILABLE\"}}\r\n\r\n"},
		{FramingJSONArray, "[{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Hi\"}]},\"index\":0}]}" +
			",\r\n{\"error\":{\"code\":502,\"message\":\"cut\",\"status\":\"UNAVAILABLE\"}}]"},
	} {
		enc := NewStreamEncoder("", tc.framing)
		text := "Hi"
		out, err := enc.AppendChunk(nil, &api.ChatChunk{Choices: []api.ChunkChoice{{Delta: api.Delta{Content: &text}}}})
		if err != nil {
			t.Fatal(err)
		}
		out = enc.AppendError(out, api.Errorf("stream_interrupted", "cut"))
		if string(out) != tc.want {
			t.Errorf("framing %d:\ngot  %q\nwant %q", tc.framing, out, tc.want)
		}
	}
}

func TestEmbeddingsRequestChecksTheBatch(t *testing.T) {
	text := func(s string) Content { return Content{Parts: []Part{{Text: &s}}} }
	eight, four := 8, 4
	req, err := ToEmbeddingsRequest("e", []EmbedContentRequest{{Model: "models/e", Content: text("a"), OutputDimensionality: &eight, TaskType: "RETRIEVAL_QUERY"},
		{Content: text("b"), OutputDimensionality: &eight}})
	if err != nil || string(req.Input) != `["a","b"]` || *req.Dimensions != 8 || req.Model != "e" {
		t.Fatalf("ToEmbeddingsRequest = %+v, %v", req, err)
	}
	for name, reqs := range map[string][]EmbedContentRequest{
		"other model":      {{Model: "models/other", Content: text("a")}},
		"mixed dimensions": {{Content: text("a"), OutputDimensionality: &eight}, {Content: text("b"), OutputDimensionality: &four}},
		"image":            {{Content: Content{Parts: []Part{{InlineData: &Blob{MimeType: "image/png", Data: "AA=="}}}}}},
		"empty":            {},
	} {
		if _, err := ToEmbeddingsRequest("e", reqs); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzDecodeGenerateContent holds the decoder and the translation to never panic, whatever
// a client sends.
func FuzzDecodeGenerateContent(f *testing.F) {
	f.Add(`{` + hi + `}`)
	f.Add(`{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f","args":{}}}]},{"parts":[{"functionResponse":{"name":"f","response":{}}}]}],"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT","nullable":true,"properties":{"a":{"type":"ARRAY","items":{"type":"STRING"}}}}}]}]}`)
	f.Add(`{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"application/json","responseSchema":{"anyOf":[{"type":"INTEGER"}]}}}`)
	f.Fuzz(func(t *testing.T, body string) {
		_, _ = decode(body)
	})
}
