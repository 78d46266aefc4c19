// Package openaiwire encodes requests to and decodes answers from the OpenAI wire format. It is
// shared by the adapters whose providers speak that format — provider/openai (OpenAI and every
// OpenAI-compatible server) and provider/azure (Azure OpenAI) — which differ only in where a
// request goes and how it is authenticated: their Endpoint. Sluice's public API is this
// format, so translation is mostly renaming the model; unknown fields travel both ways
// untouched. Imported by those adapters only; like them it does no I/O.
package openaiwire

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/sluicehq/sluice/internal/provider"
)

// Endpoint is what differs between providers of the OpenAI format.
type Endpoint interface {
	// URL returns the address of the operation that OpenAI serves at path ("/chat/completions").
	URL(t *provider.Target, path string) string
	// Authorize sets the request's credentials.
	Authorize(r *http.Request, t *provider.Target)
}

// maxResponseBytes bounds a non-streaming body: far above any real completion or a batch of
// base64 images, well below what would hurt the gateway.
const maxResponseBytes = 64 << 20

// Accept values of the requests this package builds.
const (
	acceptJSON   = "application/json"
	acceptEvents = "text/event-stream"
	acceptAudio  = "application/octet-stream" // what the official SDKs send for speech
)

// newRequest builds POST URL(path) with the target's static headers and credentials.
func newRequest(ctx context.Context, ep Endpoint, t *provider.Target, path string, body io.Reader, contentType, accept string) (*http.Request, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL(t, path), body)
	if err != nil {
		return nil, fmt.Errorf("openaiwire: new request: %w", err)
	}
	for k, vs := range t.Headers {
		r.Header[k] = vs
	}
	r.Header.Set("Content-Type", contentType)
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	ep.Authorize(r, t)
	return r, nil
}

func newJSONRequest(ctx context.Context, ep Endpoint, t *provider.Target, path string, body []byte, accept string) (*http.Request, error) {
	return newRequest(ctx, ep, t, path, bytes.NewReader(body), "application/json", accept)
}
