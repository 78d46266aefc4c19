package openairesponses

import (
	"fmt"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/inbound/responses"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider/openaiwire"
)

// DecodeChatResponse reads a response object as a chat completion.
func (Adapter) DecodeChatResponse(resp *http.Response) (*api.ChatResponse, error) {
	a, err := openaiwire.DecodeResponsesResponse(resp)
	if err != nil {
		return nil, err
	}
	var r responses.Response
	if err := jsonx.Unmarshal(a.Body, &r); err != nil {
		return nil, api.NewError("upstream_error", "the provider's response is not a response object", fmt.Errorf("openairesponses: decode response: %w", err))
	}
	if r.Status == responses.StatusFailed {
		return nil, failedError(r.Error)
	}
	return responses.ToChatResponse(&r, a.Usage), nil
}

// failedError is a response that failed upstream (status failed, or response.failed).
func failedError(re *responses.ResponseError) *api.Error {
	msg := "the provider failed the response"
	code := ""
	if re != nil {
		msg, code = re.Message, re.Code
	}
	e := api.NewError("upstream_error", msg, fmt.Errorf("openairesponses: response failed: %s", code))
	if code != "" {
		e.Code = code
	}
	e.Retryable = false
	return e
}
