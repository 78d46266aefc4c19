package openai

import (
	"context"
	"net/http"

	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/openaiwire"
)

// NewImagesRequest builds POST {base}/images/generations
// (https://platform.openai.com/docs/api-reference/images/create).
func (Adapter) NewImagesRequest(ctx context.Context, t *provider.Target, req *provider.ImagesRequest) (*http.Request, error) {
	return openaiwire.NewImagesRequest(ctx, endpoint{}, t, req)
}

// DecodeImagesResponse reads {created, data:[{url|b64_json, revised_prompt}], usage}.
func (Adapter) DecodeImagesResponse(resp *http.Response) (*provider.ImagesResponse, error) {
	return openaiwire.DecodeImagesResponse(resp)
}
