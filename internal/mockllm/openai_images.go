package mockllm

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// OpenAI image generation: POST /v1/images/generations answers with deterministic tiny PNGs,
// base64 in the body or as URLs that GET /v1/images/files/img-<seed>.png serves.
// See https://platform.openai.com/docs/api-reference/images/create.

const (
	maxImages          = 10 // the API's limit for n
	defaultImageModel  = "dall-e-2"
	imageFilesPath     = "/v1/images/files/"
	pngSide            = 8 // pixels; enough to be a real image, small enough to be cheap
	imageOutputTokens  = 272
	revisedPromptIntro = "A detailed, high-quality rendering of: "
)

type oaImagesRequest struct {
	Model          string  `json:"model"`
	Prompt         *string `json:"prompt"`
	N              *int    `json:"n"`
	Size           string  `json:"size"`
	ResponseFormat string  `json:"response_format"`
}

type oaImagesResponse struct {
	Created int64          `json:"created"`
	Data    []oaImage      `json:"data"`
	Usage   *oaImagesUsage `json:"usage,omitempty"`
}

type oaImage struct {
	URL           string `json:"url,omitempty"`
	B64JSON       string `json:"b64_json,omitempty"`
	RevisedPrompt string `json:"revised_prompt,omitempty"`
}

// oaImagesUsage is the token accounting GPT image models report; DALL·E reports none.
type oaImagesUsage struct {
	TotalTokens        int `json:"total_tokens"`
	InputTokens        int `json:"input_tokens"`
	OutputTokens       int `json:"output_tokens"`
	InputTokensDetails struct {
		TextTokens  int `json:"text_tokens"`
		ImageTokens int `json:"image_tokens"`
	} `json:"input_tokens_details"`
}

// imageGenerations serves an image request. deployment, when set, is the Azure deployment the
// request was addressed to: it names the model, whatever the body says.
func (s *Server) imageGenerations(w http.ResponseWriter, r *http.Request, body []byte, deployment string) error {
	f := openaiFormat{}
	var req oaImagesRequest
	if fl := decodeJSON(body, &req); fl != nil {
		return f.writeError(w, *fl)
	}
	if deployment != "" {
		req.Model = deployment
	}
	n, fl := req.validate()
	if fl != nil {
		return f.writeError(w, *fl)
	}
	b := s.defaults
	if err := b.applyHeaders(r.Header); err != nil {
		return f.writeError(w, invalidKnob(err))
	}
	if err := b.applyDirectives(*req.Prompt); err != nil {
		return f.writeError(w, invalidKnob(err))
	}
	if done, err := s.inject(r.Context(), w, f, &b, req.Model); done {
		return err
	}
	if err := s.wait(r.Context(), b.TTFT); err != nil {
		return err
	}
	gptImage := strings.HasPrefix(req.Model, "gpt-image")
	resp := oaImagesResponse{Created: time.Now().Unix(), Data: make([]oaImage, n)}
	for i := range resp.Data {
		seed := req.seed(i)
		img := &resp.Data[i]
		if gptImage || req.ResponseFormat == "b64_json" { // GPT image models only answer in base64
			img.B64JSON = base64.StdEncoding.EncodeToString(tinyPNG(seed))
		} else {
			img.URL = fmt.Sprintf("http://%s%simg-%016x.png", r.Host, imageFilesPath, seed)
		}
		if req.Model == "dall-e-3" {
			img.RevisedPrompt = revisedPromptIntro + *req.Prompt
		}
	}
	if gptImage && b.Usage {
		u := &oaImagesUsage{InputTokens: estimateTokens(*req.Prompt), OutputTokens: imageOutputTokens * n}
		u.InputTokensDetails.TextTokens = u.InputTokens
		u.TotalTokens = u.InputTokens + u.OutputTokens
		resp.Usage = u
	}
	return writeJSON(w, http.StatusOK, resp)
}

func (req *oaImagesRequest) validate() (int, *failure) {
	if req.Model == "" {
		req.Model = defaultImageModel // the API's default
	}
	if req.Prompt == nil || *req.Prompt == "" {
		return 0, missingParam("prompt")
	}
	n := 1
	if req.N != nil {
		if n = *req.N; n < 1 || n > maxImages {
			return 0, outOfRange("n", n, 1, maxImages)
		}
	}
	switch req.ResponseFormat {
	case "", "url", "b64_json":
	default:
		return 0, &failure{Status: http.StatusBadRequest, Param: "response_format", Code: "invalid_value",
			Message: fmt.Sprintf("Invalid value: '%s'. Supported values are: 'url' and 'b64_json'.", req.ResponseFormat)}
	}
	return n, nil
}

// seed decides image i: the same prompt, model and size always draw the same picture.
func (req *oaImagesRequest) seed(i int) uint64 {
	h := newHasher()
	h.add(req.Model)
	h.add(*req.Prompt)
	h.add(req.Size)
	return choiceSeed(h.sum(), i)
}

// imageFile serves GET /v1/images/files/img-<seed>.png, the URLs image responses hand out.
func (s *Server) imageFile(w http.ResponseWriter, name string) error {
	hex, ok := strings.CutPrefix(name, "img-")
	hex, ok2 := strings.CutSuffix(hex, ".png")
	seed, err := strconv.ParseUint(hex, 16, 64)
	if !ok || !ok2 || err != nil {
		return openaiFormat{}.writeError(w, failure{Status: http.StatusNotFound, Message: "No such image: " + name})
	}
	return writeBody(w, http.StatusOK, "image/png", tinyPNG(seed))
}

// tinyPNG encodes a pngSide×pngSide image whose pixels are drawn from seed.
func tinyPNG(seed uint64) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, pngSide, pngSide))
	rnd := rng(seed)
	for y := range pngSide {
		for x := range pngSide {
			v := rnd.next()
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(v), G: uint8(v >> 8), B: uint8(v >> 16), A: 0xff})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err) // encoding an in-memory image to a buffer cannot fail
	}
	return buf.Bytes()
}
