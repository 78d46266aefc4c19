package azure

import (
	"fmt"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/openaiwire"
)

// DecodeChatStream reads Azure's chat stream: OpenAI's chunks, opened by a chunk of Azure's own
// that has no choices, an empty id and model, and only prompt_filter_results. Passed on as is,
// it would be the client's first chunk, without the assistant role, and some clients take an
// empty id for a new completion; so its annotations are carried over to the next chunk
// instead. Later chunks' content_filter_results stay where Azure put them.
func (Adapter) DecodeChatStream(resp *http.Response) (provider.Stream, error) {
	s, err := openaiwire.DecodeChatStream(resp)
	if err != nil {
		return nil, err
	}
	return &stream{Stream: s}, nil
}

type stream struct {
	provider.Stream
	held jsonx.Value // Extra of choiceless, usageless chunks, for the next chunk
}

func (s *stream) Next() (*api.ChatChunk, error) {
	for {
		c, err := s.Stream.Next()
		if err != nil {
			return nil, err // held annotations of a stream that ends here have nowhere to go
		}
		if len(c.Choices) == 0 && c.Usage == nil {
			if s.held, err = mergeObjects(s.held, c.Extra); err != nil {
				return nil, api.NewError("stream_interrupted", "the provider sent a malformed stream chunk", err)
			}
			continue
		}
		if len(s.held) > 0 {
			extra, err := mergeObjects(c.Extra, s.held)
			if err != nil {
				return nil, api.NewError("stream_interrupted", "the provider sent a malformed stream chunk", err)
			}
			c.Extra, s.held = extra, nil
		}
		return c, nil
	}
}

// mergeObjects returns the members of two JSON objects (either may be empty) as one object.
// On a name in both, dst's member wins: the chunk's own fields over carried-over ones.
func mergeObjects(dst, src jsonx.Value) (jsonx.Value, error) {
	if len(src) == 0 {
		return dst, nil
	}
	if len(dst) == 0 {
		return src, nil
	}
	var d, sm map[string]jsonx.Value
	if err := jsonx.Unmarshal(dst, &d); err != nil {
		return nil, fmt.Errorf("azure: merge chunk fields: %w", err)
	}
	if err := jsonx.Unmarshal(src, &sm); err != nil {
		return nil, fmt.Errorf("azure: merge chunk fields: %w", err)
	}
	for k, v := range sm {
		if _, ok := d[k]; !ok {
			d[k] = v
		}
	}
	out, err := jsonx.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("azure: merge chunk fields: %w", err)
	}
	return out, nil
}
