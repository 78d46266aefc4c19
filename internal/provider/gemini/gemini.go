// Package gemini is the adapter for the Google Gemini API (generativelanguage.googleapis.com,
// https://ai.google.dev/api): chat through models/{model}:generateContent and
// :streamGenerateContent?alt=sse, embeddings through :batchEmbedContents. Gemini's wire format
// differs from OpenAI's in every part, so everything is translated both ways; what Gemini cannot
// express is refused with a 400 that names the parameter, never dropped silently, except the
// few hints listed in request.go that have no effect on the answer's shape.
//
// Files: wire.go (Gemini's structs), request.go and messages.go, tools.go, schema.go (OpenAI
// request to Gemini), response.go and stream.go (Gemini answer to OpenAI), errors.go,
// embeddings.go. Imported by the app's registry only.
package gemini

import (
	"time"

	"github.com/sluicehq/sluice/internal/provider"
)

// Adapter implements provider.Adapter and provider.EmbeddingsAdapter for the Gemini API.
type Adapter struct{}

var (
	_ provider.Adapter           = Adapter{}
	_ provider.EmbeddingsAdapter = Adapter{}
)

// Type is the config name of this format.
func (Adapter) Type() string { return "gemini" }

// Presets are the providers known to speak this format.
var Presets = []provider.Preset{
	{Name: "gemini", BaseURL: "https://generativelanguage.googleapis.com/v1beta", KeyEnv: "GEMINI_API_KEY"},
}

// Format is this adapter's registry entry.
func Format() provider.Format {
	return provider.Format{Adapter: Adapter{}, Presets: Presets, Capabilities: provider.Capabilities{
		Chat: true, Stream: true, Tools: true, Vision: true, JSONMode: true, Embeddings: true,
	}}
}

// maxResponseBytes bounds a non-streaming body: far above any real completion, well below
// what would hurt the gateway.
const maxResponseBytes = 64 << 20

// now is the clock for "created" when the provider's Date header is missing; tests fix it.
var now = time.Now
