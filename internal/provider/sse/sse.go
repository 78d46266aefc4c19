// Package sse decodes server-sent events (https://html.spec.whatwg.org/multipage/server-sent-events.html)
// as providers send them, without allocating per event. Used by provider adapters.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxEventBytes bounds one event so a broken or hostile upstream cannot exhaust memory.
const MaxEventBytes = 8 << 20

// ErrEventTooLarge is returned when an event exceeds MaxEventBytes.
var ErrEventTooLarge = errors.New("sse: event exceeds size limit")

// Event is one dispatched event. Its slices are valid only until the next call to Next.
type Event struct {
	Name []byte // the "event:" field, empty for the default "message"
	Data []byte // the "data:" lines joined with "\n"
}

// Reader reads events from a stream.
type Reader struct {
	br      *bufio.Reader
	data    []byte
	name    []byte
	line    []byte
	hasData bool
}

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 4<<10)} // chunks are small; longer lines grow r.line
}

// Next returns the next event. At the end of the stream it returns io.EOF; an event cut off
// by the end of the stream without its blank line is still returned first, since several
// servers omit the final blank line — whether the stream was complete is the caller's call
// (its provider's terminal event).
func (r *Reader) Next() (Event, error) {
	r.data, r.name, r.hasData = r.data[:0], r.name[:0], false
	for {
		line, err := r.readLine()
		if err != nil {
			if errors.Is(err, io.EOF) && (r.hasData || len(r.name) > 0) {
				return Event{Name: r.name, Data: r.data}, nil
			}
			return Event{}, err
		}
		if len(line) == 0 {
			if r.hasData || len(r.name) > 0 {
				return Event{Name: r.name, Data: r.data}, nil
			}
			continue // blank line with nothing pending
		}
		if line[0] == ':' {
			continue // comment, e.g. keep-alive
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if r.hasData {
				r.data = append(r.data, '\n')
			}
			r.data, r.hasData = append(r.data, value...), true
			if len(r.data) > MaxEventBytes {
				return Event{}, ErrEventTooLarge
			}
		case "event":
			r.name = append(r.name[:0], value...)
		}
		// id and retry do not matter to a proxy that never reconnects a generation.
	}
}

// readLine returns one line without its terminator (LF or CRLF).
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == nil {
		return trimEOL(line), nil
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		if errors.Is(err, io.EOF) && len(line) > 0 {
			return trimEOL(line), nil // last line without a terminator
		}
		return nil, err
	}
	// Long line: accumulate beyond the buffer.
	r.line = append(r.line[:0], line...)
	for {
		line, err = r.br.ReadSlice('\n')
		r.line = append(r.line, line...)
		if len(r.line) > MaxEventBytes {
			return nil, ErrEventTooLarge
		}
		switch {
		case err == nil:
			return trimEOL(r.line), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return trimEOL(r.line), nil
		default:
			return nil, fmt.Errorf("sse: read: %w", err)
		}
	}
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}
