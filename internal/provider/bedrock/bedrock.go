// Package bedrock is the adapter for Amazon Bedrock: chat through the Converse and
// ConverseStream APIs (one request shape for every chat model Bedrock hosts), embeddings through
// InvokeModel with Amazon Titan or Cohere embedding models. Requests are signed with AWS
// Signature Version 4; streams arrive as AWS event stream frames (see provider/eventstream).
//
// What OpenAI features map where, and what is refused with a 400, is documented on the
// functions of request.go and embeddings.go. API reference:
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
package bedrock

import (
	"context"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/internal/provider"
)

// Adapter implements provider.Adapter and provider.EmbeddingsAdapter for Bedrock.
type Adapter struct {
	// clock dates signatures and responses; nil means the wall clock. Tests fix it so that
	// signed requests and decoded answers are byte-stable.
	clock clock
}

// clock is an interface rather than a func so that Adapter stays comparable.
type clock interface{ Now() time.Time }

var (
	_ provider.Adapter           = Adapter{}
	_ provider.EmbeddingsAdapter = Adapter{}
)

// Type is the config name of this format.
func (Adapter) Type() string { return "bedrock" }

// Format is this adapter's registry entry. JSONMode is true because Converse enforces
// response_format json_schema natively (outputConfig.textFormat); json_object alone, which has
// no schema to enforce, is refused.
func Format() provider.Format {
	return provider.Format{Adapter: Adapter{}, Presets: Presets, Capabilities: provider.Capabilities{
		Chat: true, Stream: true, Tools: true, Vision: true, JSONMode: true, Embeddings: true,
	}}
}

// Presets names Bedrock itself; the router fills {region} from the account's region. There is
// no key variable: Bedrock authenticates with an AWS key pair, not an API key.
var Presets = []provider.Preset{
	{Name: "bedrock", BaseURL: "https://bedrock-runtime.{region}.amazonaws.com"},
}

func (a Adapter) now() time.Time {
	if a.clock == nil {
		return time.Now()
	}
	return a.clock.Now()
}

// maxResponseBytes bounds a non-streaming body: far above any real completion, well below
// what would hurt the gateway.
const maxResponseBytes = 64 << 20

// call is what the response decoders need to know about the request that was sent. It rides
// on the request's context, which the response keeps (resp.Request), because a decoder sees
// only the response.
type call struct {
	model  string
	base64 bool // embeddings: the client asked for encoding_format base64
}

type callKey struct{}

func withCall(ctx context.Context, c call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

func callOf(resp *http.Response) call {
	if resp.Request == nil {
		return call{}
	}
	c, _ := resp.Request.Context().Value(callKey{}).(call)
	return c
}
