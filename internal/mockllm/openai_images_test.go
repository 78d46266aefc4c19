package mockllm

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

func TestImagesBase64ParseAndDecodeAsPNG(t *testing.T) {
	inst := start(t, Options{APIKey: "test-key"})
	c := newClient(inst)
	params := openai.ImageGenerateParams{Model: "gpt-image-1", Prompt: "a lighthouse at dusk", N: openai.Int(2)}
	got, err := c.Images.Generate(t.Context(), params)
	if err != nil {
		t.Fatalf("Images.Generate: %v", err)
	}
	if got.Created == 0 || len(got.Data) != 2 || got.Usage.OutputTokens == 0 || got.Usage.TotalTokens != got.Usage.InputTokens+got.Usage.OutputTokens {
		t.Fatalf("response: %s", got.RawJSON())
	}
	for i, img := range got.Data {
		raw, err := base64.StdEncoding.DecodeString(img.B64JSON)
		if err != nil {
			t.Fatalf("data[%d].b64_json: %v", i, err)
		}
		if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
			t.Errorf("data[%d] is not a PNG: %v", i, err)
		}
	}
	if got.Data[0].B64JSON == got.Data[1].B64JSON {
		t.Error("the two images of one request are identical")
	}
	again, err := c.Images.Generate(t.Context(), params)
	if err != nil {
		t.Fatal(err)
	}
	if again.Data[0].B64JSON != got.Data[0].B64JSON {
		t.Error("the same request drew a different image")
	}
}

func TestImagesURLsServeThePNG(t *testing.T) {
	inst := start(t, Options{APIKey: "test-key"})
	c := newClient(inst)
	got, err := c.Images.Generate(t.Context(), openai.ImageGenerateParams{Model: "dall-e-3", Prompt: "a red fox",
		ResponseFormat: openai.ImageGenerateParamsResponseFormatURL})
	if err != nil {
		t.Fatalf("Images.Generate: %v", err)
	}
	img := got.Data[0]
	if !strings.HasPrefix(img.URL, inst.URL()+"/v1/images/files/") || img.RevisedPrompt == "" || got.JSON.Usage.Valid() {
		t.Fatalf("dall-e-3 image: %s", got.RawJSON())
	}
	req, _ := http.NewRequest(http.MethodGet, img.URL, nil)
	req.Header.Set("Authorization", "Bearer test-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("GET %s: %d %s", img.URL, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if _, err := png.Decode(bytes.NewReader(body)); err != nil {
		t.Errorf("GET %s is not a PNG: %v", img.URL, err)
	}
}

func TestImagesRejectLikeTheAPI(t *testing.T) {
	inst := start(t, Options{})
	c := newClient(inst)
	for _, tc := range []struct {
		name   string
		params openai.ImageGenerateParams
		opts   []option.RequestOption
		status int
		param  string
	}{
		{"missing prompt", openai.ImageGenerateParams{Model: "dall-e-2"}, nil, 400, "prompt"},
		{"n too large", openai.ImageGenerateParams{Prompt: "x", N: openai.Int(11)}, nil, 400, "n"},
		{"bad response_format", openai.ImageGenerateParams{Prompt: "x", ResponseFormat: "png"}, nil, 400, "response_format"},
		{"injected status", openai.ImageGenerateParams{Prompt: "x"}, []option.RequestOption{option.WithHeader("x-mock-status", "503")}, 503, ""},
		{"directive in the prompt", openai.ImageGenerateParams{Prompt: "x [[mock status=429]]"}, nil, 429, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Images.Generate(t.Context(), tc.params, tc.opts...)
			e := sdkError(t, err)
			if e.StatusCode != tc.status || e.Param != tc.param {
				t.Errorf("Images.Generate = %d param %q, want %d %q: %s", e.StatusCode, e.Param, tc.status, tc.param, e.RawJSON())
			}
		})
	}
}

// sdkError returns err as the OpenAI SDK's API error, failing the test otherwise.
func sdkError(t *testing.T, err error) *openai.Error {
	t.Helper()
	e, ok := errors.AsType[*openai.Error](err)
	if !ok {
		t.Fatalf("err = %v (%T), want *openai.Error", err, err)
	}
	return e
}
