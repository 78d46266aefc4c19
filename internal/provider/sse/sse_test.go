package sse

import (
	"errors"
	"io"
	"strings"
	"testing"
)

type ev struct{ name, data string }

func readAll(t *testing.T, in string) ([]ev, error) {
	t.Helper()
	r := NewReader(strings.NewReader(in))
	var out []ev
	for {
		e, err := r.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		out = append(out, ev{string(e.Name), string(e.Data)})
	}
}

func TestReaderEvents(t *testing.T) {
	long := strings.Repeat("x", 100<<10)
	for _, tc := range []struct {
		name string
		in   string
		want []ev
	}{
		{"openai", "data: {\"a\":1}\n\ndata: [DONE]\n\n", []ev{{"", `{"a":1}`}, {"", "[DONE]"}}},
		{"named events", "event: message_start\ndata: {}\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n", []ev{{"message_start", "{}"}, {"ping", `{"type": "ping"}`}}},
		{"crlf", "data: a\r\n\r\ndata: b\r\n\r\n", []ev{{"", "a"}, {"", "b"}}},
		{"multi-line data", "data: a\ndata: b\n\n", []ev{{"", "a\nb"}}},
		{"comments and blank lines", ": keep-alive\n\n\n\ndata: x\n\n", []ev{{"", "x"}}},
		{"no space after colon", "data:x\n\n", []ev{{"", "x"}}},
		{"missing final blank line", "data: a\n\ndata: b", []ev{{"", "a"}, {"", "b"}}},
		{"id and retry ignored", "id: 1\nretry: 10\ndata: z\n\n", []ev{{"", "z"}}},
		{"line longer than buffer", "data: " + long + "\n\n", []ev{{"", long}}},
		{"empty stream", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(t, tc.in)
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d events %v, want %d", len(got), got, len(tc.want))
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("event %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestReaderRejectsOversizedEvent(t *testing.T) {
	in := "data: " + strings.Repeat("y", MaxEventBytes+10) + "\n\n"
	if _, err := readAll(t, in); !errors.Is(err, ErrEventTooLarge) {
		t.Fatalf("err = %v, want ErrEventTooLarge", err)
	}
}

func FuzzReader(f *testing.F) {
	f.Add("data: {\"a\":1}\n\ndata: [DONE]\n\n")
	f.Add("event: x\r\ndata: y\r\n\r\n: c\n")
	f.Fuzz(func(t *testing.T, in string) {
		r := NewReader(strings.NewReader(in))
		for range len(in) + 2 {
			e, err := r.Next()
			if err != nil {
				return
			}
			if len(e.Data) > len(in) {
				t.Fatalf("event data longer than input")
			}
		}
		t.Fatalf("reader did not terminate on %q", in)
	})
}
