// Package eventstream reads the AWS event stream framing (application/vnd.amazon.eventstream)
// that Bedrock's streaming APIs answer with: binary frames of a prelude, typed headers and a
// payload, each guarded by CRC32 checksums. Decoding and checksum checks are the AWS SDK's
// (github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream); this package adds what a gateway
// needs around it: a bound on frame size, a clean end told apart from a truncated frame, and the
// well-known headers read once. Adapters may import it; it imports nothing of Sluice.
//
// Frame layout: https://docs.aws.amazon.com/transcribe/latest/dg/event-stream.html
package eventstream

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	awses "github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// Message types of the :message-type header.
const (
	TypeEvent     = "event"
	TypeException = "exception"
	TypeError     = "error"
)

// Frame size limits, those of the reference implementation (aws-c-event-stream's
// AWS_EVENT_STREAM_MAX_MESSAGE_SIZE and _MAX_HEADERS_SIZE). A length beyond them is a corrupt
// prelude, not a large message, and must not make the gateway allocate it.
const (
	MaxFrameBytes   = 16 << 20
	MaxHeadersBytes = 128 << 10
	preludeBytes    = 12 // total length, headers length, prelude CRC
	minFrameBytes   = preludeBytes + 4
)

var (
	// ErrTruncated reports a stream that ended inside a frame. It deliberately does not wrap
	// io.EOF: callers read io.EOF as a clean end.
	ErrTruncated = errors.New("eventstream: stream ended inside a frame")
	// ErrMalformed reports a frame that is not valid: a checksum mismatch, impossible lengths or
	// undecodable headers.
	ErrMalformed = errors.New("eventstream: malformed frame")
)

// Message is one decoded frame with its well-known headers. Payload is valid until the next
// call to Reader.Next.
type Message struct {
	Type          string // :message-type: event, exception or error
	EventType     string // :event-type, for events
	ExceptionType string // :exception-type, for exceptions
	ErrorCode     string // :error-code, for errors
	ErrorMessage  string // :error-message, for errors
	ContentType   string // :content-type
	Payload       []byte
}

// Reader reads messages one frame at a time. It is not safe for concurrent use.
type Reader struct {
	r       io.Reader
	dec     *awses.Decoder
	frame   []byte // reused frame buffer
	payload []byte // reused payload buffer
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: r, dec: awses.NewDecoder()}
}

// Next returns the next message: io.EOF at a clean end between frames, an error wrapping
// ErrTruncated or ErrMalformed for a broken stream, or the underlying read error.
func (r *Reader) Next() (Message, error) {
	var prelude [8]byte
	n, err := io.ReadFull(r.r, prelude[:])
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		return Message{}, io.EOF
	case err != nil:
		return Message{}, readError(err)
	}
	total := binary.BigEndian.Uint32(prelude[0:4])
	headers := binary.BigEndian.Uint32(prelude[4:8])
	if total < minFrameBytes || total > MaxFrameBytes || headers > MaxHeadersBytes || headers > total-minFrameBytes {
		return Message{}, fmt.Errorf("%w: frame of %d bytes with %d bytes of headers", ErrMalformed, total, headers)
	}
	if cap(r.frame) < int(total) {
		r.frame = make([]byte, total)
	}
	frame := r.frame[:total]
	copy(frame, prelude[:])
	if _, err := io.ReadFull(r.r, frame[len(prelude):]); err != nil {
		return Message{}, readError(err)
	}
	// The whole frame is in memory, so any decoding error is the frame's, not the connection's.
	m, err := r.dec.Decode(bytes.NewReader(frame), r.payload[:0])
	if err != nil {
		return Message{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	r.payload = m.Payload
	return Message{
		Type:          header(m.Headers, ":message-type"),
		EventType:     header(m.Headers, ":event-type"),
		ExceptionType: header(m.Headers, ":exception-type"),
		ErrorCode:     header(m.Headers, ":error-code"),
		ErrorMessage:  header(m.Headers, ":error-message"),
		ContentType:   header(m.Headers, ":content-type"),
		Payload:       m.Payload,
	}, nil
}

func readError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %w", ErrTruncated, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("eventstream: read frame: %w", err)
}

func header(hs awses.Headers, name string) string {
	if v := hs.Get(name); v != nil {
		return v.String()
	}
	return ""
}
