package openaiwire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/sse"
)

// DecodeChatStream reads an SSE stream of chat.completion.chunk events ending in [DONE].
func DecodeChatStream(resp *http.Response) (provider.Stream, error) {
	return &stream{body: resp.Body, events: sse.NewReader(resp.Body)}, nil
}

type stream struct {
	body   io.ReadCloser
	events *sse.Reader
	chunk  api.ChatChunk // reused: a chunk is valid until the next call to Next
	done   bool
}

var doneMarker = []byte("[DONE]")

// Next returns the next chunk. The stream is complete only at [DONE]; an end of body before
// it is an interrupted stream, never a silent success.
func (s *stream) Next() (*api.ChatChunk, error) {
	if s.done {
		return nil, io.EOF
	}
	for {
		ev, err := s.events.Next()
		if err != nil {
			return nil, interrupted(err)
		}
		data := bytes.TrimSpace(ev.Data)
		switch {
		case len(data) == 0:
			continue
		case bytes.Equal(data, doneMarker):
			s.done = true
			return nil, io.EOF
		case string(ev.Name) == "error" || bytes.HasPrefix(data, []byte(`{"error"`)):
			s.done = true
			return nil, streamError(data)
		}
		s.chunk = api.ChatChunk{}
		if err := jsonx.Unmarshal(data, &s.chunk); err != nil {
			s.done = true
			return nil, api.NewError("stream_interrupted", "the provider sent a malformed stream chunk",
				fmt.Errorf("openaiwire: decode chunk: %w", err))
		}
		return &s.chunk, nil
	}
}

func (s *stream) Close() error { return s.body.Close() }

func interrupted(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err // the caller's deadline or the client leaving, not the provider's fault
	}
	if errors.Is(err, io.EOF) {
		// Not wrapping io.EOF itself: callers read io.EOF as a clean end.
		return api.NewError("stream_interrupted", "the provider's stream ended before [DONE]", io.ErrUnexpectedEOF)
	}
	return api.NewError("stream_interrupted", "the connection to the provider broke mid-stream", fmt.Errorf("openaiwire: read stream: %w", err))
}

// streamError maps an in-stream error event, keeping the provider's type and message.
func streamError(data []byte) error {
	var body errorBody
	if err := jsonx.Unmarshal(data, &body); err != nil || body.Error.Message == "" {
		return api.NewError("upstream_error", "the provider reported an error mid-stream", fmt.Errorf("openaiwire: stream error event: %s", provider.Snippet(data)))
	}
	e := body.toAPIError(http.StatusBadGateway)
	e.Retryable = false
	return e
}
