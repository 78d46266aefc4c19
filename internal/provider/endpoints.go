package provider

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/sluicehq/sluice/internal/jsonx"
)

// ImagesAdapter is implemented by formats that offer image generation
// (POST /v1/images/generations). The router asks for it per request and refuses a format
// without it with a 400 naming the provider.
type ImagesAdapter interface {
	NewImagesRequest(ctx context.Context, t *Target, req *ImagesRequest) (*http.Request, error)
	DecodeImagesResponse(resp *http.Response) (*ImagesResponse, error)
}

// AudioAdapter is implemented by formats that offer speech to text
// (POST /v1/audio/transcriptions) and text to speech (POST /v1/audio/speech).
type AudioAdapter interface {
	NewTranscriptionRequest(ctx context.Context, t *Target, form Form) (*http.Request, error)
	NewSpeechRequest(ctx context.Context, t *Target, req *SpeechRequest) (*http.Request, error)
	// DecodeAudioResponse hands over a successful answer to relay as it arrives: audio bytes,
	// or a transcript in the format the client asked for (JSON, text, SRT, WebVTT, SSE).
	DecodeAudioResponse(resp *http.Response) (*Media, error)
}

// ImagesRequest is the body of POST /v1/images/generations. The fields below are the ones
// OpenAI documents for every image model; the rest travel in Extra.
type ImagesRequest struct {
	Model          string      `json:"model"`
	Prompt         string      `json:"prompt"`
	N              *int        `json:"n,omitzero"`
	Size           string      `json:"size,omitzero"`
	Quality        string      `json:"quality,omitzero"`
	Style          string      `json:"style,omitzero"`
	ResponseFormat string      `json:"response_format,omitzero"` // "url" or "b64_json"
	User           string      `json:"user,omitzero"`
	Extra          jsonx.Value `json:",embed"`
}

// Validate checks the fields every upstream needs.
func (r *ImagesRequest) Validate() error {
	switch {
	case r.Model == "":
		return errors.New("model is required")
	case r.Prompt == "":
		return errors.New("prompt is required")
	}
	return nil
}

// ImagesResponse is the answer to an image generation request.
type ImagesResponse struct {
	Created int64   `json:"created"`
	Data    []Image `json:"data"`
	// Usage is kept raw: GPT image models count input and output tokens in a shape of their
	// own, DALL·E reports none.
	Usage jsonx.Value `json:"usage,omitzero"`
	Extra jsonx.Value `json:",embed"`
}

// Image is one generated image: a URL or base64 PNG, as response_format asked.
type Image struct {
	URL           string      `json:"url,omitzero"`
	B64JSON       string      `json:"b64_json,omitzero"`
	RevisedPrompt string      `json:"revised_prompt,omitzero"`
	Extra         jsonx.Value `json:",embed"`
}

// SpeechRequest is the body of POST /v1/audio/speech.
type SpeechRequest struct {
	Model string `json:"model"`
	Input string `json:"input"`
	// Voice is a name ("alloy") or, for custom voices, an object ({"id": ...}).
	Voice          jsonx.Value `json:"voice"`
	ResponseFormat string      `json:"response_format,omitzero"` // mp3, opus, aac, flac, wav, pcm
	Speed          *float64    `json:"speed,omitzero"`
	Extra          jsonx.Value `json:",embed"`
}

// Validate checks the fields every upstream needs.
func (r *SpeechRequest) Validate() error {
	switch {
	case r.Model == "":
		return errors.New("model is required")
	case r.Input == "":
		return errors.New("input is required")
	case len(r.Voice) == 0 || string(r.Voice) == "null":
		return errors.New("voice is required")
	}
	return nil
}

// Form is a multipart/form-data request (an audio upload) on its way upstream. The gateway
// reads only its model field; everything else, file included, is passed on as the client
// sent it, streamed rather than copied.
type Form interface {
	// Encode returns the form with its model field set to model, as a body that can be read
	// once, with its Content-Type and length (-1 when unknown: the file is still arriving).
	Encode(model string) (body io.Reader, contentType string, length int64)
}

// Media is an upstream answer relayed to the client byte for byte as it arrives.
type Media struct {
	ContentType string
	Length      int64 // -1 when unknown
	Body        io.ReadCloser
}

// MediaFromResponse is the DecodeAudioResponse of formats whose answers need no
// translation: the upstream's body and Content-Type, as they are.
func MediaFromResponse(resp *http.Response) *Media {
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		ct = "application/octet-stream"
	}
	return &Media{ContentType: ct, Length: resp.ContentLength, Body: resp.Body}
}
