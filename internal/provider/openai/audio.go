package openai

import (
	"context"
	"net/http"

	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/openaiwire"
)

// NewTranscriptionRequest builds POST {base}/audio/transcriptions, the client's multipart form
// with the model replaced (https://platform.openai.com/docs/api-reference/audio/createTranscription).
func (Adapter) NewTranscriptionRequest(ctx context.Context, t *provider.Target, form provider.Form) (*http.Request, error) {
	return openaiwire.NewTranscriptionRequest(ctx, endpoint{}, t, form)
}

// NewSpeechRequest builds POST {base}/audio/speech
// (https://platform.openai.com/docs/api-reference/audio/createSpeech).
func (Adapter) NewSpeechRequest(ctx context.Context, t *provider.Target, req *provider.SpeechRequest) (*http.Request, error) {
	return openaiwire.NewSpeechRequest(ctx, endpoint{}, t, req)
}

// DecodeAudioResponse relays the audio, or the transcript in the format the client asked for.
func (Adapter) DecodeAudioResponse(resp *http.Response) (*provider.Media, error) {
	return openaiwire.DecodeAudioResponse(resp)
}
