package openaiwire

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
)

// FuzzChatStream feeds arbitrary bytes to the stream decoder: it must never panic, never
// return a nil chunk without an error, and report a clean end only after [DONE].
func FuzzChatStream(f *testing.F) {
	f.Add([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\ndata: [DONE]\n\n"))
	f.Add([]byte("event: error\ndata: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n"))
	f.Add([]byte("data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\"}}]}}]}\n\n"))
	f.Add([]byte("data: {not json}\n\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := DecodeChatStream(&http.Response{Body: io.NopCloser(bytes.NewReader(raw))})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for range 10_000 {
			c, err := s.Next()
			if errors.Is(err, io.EOF) {
				if !bytes.Contains(raw, doneMarker) {
					t.Fatalf("clean end without [DONE]")
				}
				return
			}
			if err != nil {
				if api.AsError(err).Code == "internal_error" {
					t.Fatalf("unclassified error: %v", err)
				}
				return
			}
			if c == nil {
				t.Fatal("nil chunk without error")
			}
		}
	})
}
