package eventstream

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	awses "github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

func encode(t testing.TB, msgs ...awses.Message) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := awses.NewEncoder()
	for _, m := range msgs {
		if err := enc.Encode(&buf, m); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func event(typ, payload string) awses.Message {
	var m awses.Message
	m.Headers.Set(":event-type", awses.StringValue(typ))
	m.Headers.Set(":content-type", awses.StringValue("application/json"))
	m.Headers.Set(":message-type", awses.StringValue("event"))
	m.Payload = []byte(payload)
	return m
}

func TestReaderReadsEventsThenCleanEOF(t *testing.T) {
	exc := awses.Message{Payload: []byte(`{"message":"slow down"}`)}
	exc.Headers.Set(":exception-type", awses.StringValue("throttlingException"))
	exc.Headers.Set(":message-type", awses.StringValue("exception"))
	raw := encode(t, event("messageStart", `{"role":"assistant"}`), exc)

	r := NewReader(bytes.NewReader(raw))
	m, err := r.Next()
	if err != nil || m.Type != TypeEvent || m.EventType != "messageStart" || m.ContentType != "application/json" ||
		string(m.Payload) != `{"role":"assistant"}` {
		t.Fatalf("Next() = %+v, %v; want the messageStart event", m, err)
	}
	m, err = r.Next()
	if err != nil || m.Type != TypeException || m.ExceptionType != "throttlingException" {
		t.Fatalf("Next() = %+v, %v; want the throttlingException", m, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("Next() at the end = %v, want io.EOF", err)
	}
}

func TestReaderRejectsBrokenFrames(t *testing.T) {
	good := encode(t, event("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hi"}}`))
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)-6] ^= 0xff // a payload byte: the message CRC no longer matches
	huge := bytes.Clone(good)
	binary.BigEndian.PutUint32(huge, MaxFrameBytes+1)
	badHeaders := bytes.Clone(good)
	binary.BigEndian.PutUint32(badHeaders[4:], uint32(len(good))) // headers longer than the frame
	for _, tc := range []struct {
		name string
		raw  []byte
		want error
	}{
		{"cut inside the prelude", good[:5], ErrTruncated},
		{"cut inside the payload", good[:len(good)-10], ErrTruncated},
		{"cut before the message CRC", good[:len(good)-4], ErrTruncated},
		{"payload CRC mismatch", corrupt, ErrMalformed},
		{"frame beyond the size limit", huge, ErrMalformed},
		{"headers longer than the frame", badHeaders, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(tc.raw)).Next()
			if !errors.Is(err, tc.want) {
				t.Fatalf("Next() = %v, want %v", err, tc.want)
			}
			if errors.Is(err, io.EOF) {
				t.Errorf("Next() = %v wraps io.EOF, which callers read as a clean end", err)
			}
		})
	}
}

func TestReaderPassesReadErrorsThrough(t *testing.T) {
	boom := errors.New("connection reset")
	_, err := NewReader(io.MultiReader(bytes.NewReader([]byte{0, 0}), errReader{boom})).Next()
	if !errors.Is(err, boom) {
		t.Fatalf("Next() = %v, want it to wrap the read error", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// FuzzReader feeds arbitrary bytes: the reader must never panic nor allocate beyond its limit,
// and must end with io.EOF only at a frame boundary.
func FuzzReader(f *testing.F) {
	f.Add(encode(f, event("messageStart", `{"role":"assistant"}`), event("messageStop", `{"stopReason":"end_turn"}`)))
	f.Add([]byte{0, 0, 0, 16, 0, 0, 0, 0, 5, 194, 72, 235, 125, 152, 200, 255})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		for range 1000 {
			m, err := r.Next()
			if err != nil {
				if err != io.EOF && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed) {
					t.Fatalf("unexpected error class: %v", err)
				}
				return
			}
			if len(m.Payload) > MaxFrameBytes {
				t.Fatalf("payload of %d bytes", len(m.Payload))
			}
		}
	})
}
