package mockllm

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// behavior is the resolved set of knobs for one request: the server's Options, then x-mock-<knob>
// headers, then [[mock key=value ...]] directives in the last message, each overriding the one
// before. It is independent of the wire format that renders the response.
type behavior struct {
	Latency    time.Duration // before response headers, on every endpoint
	TTFT       time.Duration // after headers, before the first stream chunk; added to Latency otherwise
	TokenDelay time.Duration // between stream chunks
	Tokens     int           // completion tokens per choice
	Status     int           // when non-zero, answer with this error status
	RetryAfter int           // seconds, sent as retry-after with Status 429
	Hang       bool          // never answer; wait for the client to go away
	CutAfter   int           // abort the stream after this many content chunks; noKnob when off
	ErrorAfter int           // send an in-stream error after this many content chunks; noKnob when off
	ToolCalls  []string      // functions to call instead of answering with text
	Usage      bool          // include token usage in responses
	// RateLimit allows this many requests per model per RateLimitWindow, announcing the
	// remaining count in rate-limit headers, then answers 429; 0 is off.
	RateLimit       int
	RateLimitWindow time.Duration
	Reply           string // exact reply text instead of generated words (reply.go)
	ChunkBytes      int    // split Reply into pieces of this many bytes; 0: at spaces

	// The other mid-stream faults, each after this many content chunks; noKnob when off.
	ResetAfter     int // reset the TCP connection (RST), as a crashed proxy does
	EOFAfter       int // end the body cleanly but without the format's terminal event
	StallAfter     int // stop sending and hold the connection open until the client goes away
	MalformedAfter int // send one chunk the format's decoder cannot read, then end
}

// noKnob marks an integer knob that is switched off.
const noKnob = -1

// Limits that keep a typo in a knob from exhausting memory or sleeping for days.
const (
	maxKnobTokens   = 100_000
	maxKnobDuration = time.Hour
	maxRetryAfter   = 86_400
)

const (
	defaultTokens     = 16
	defaultRetryAfter = 1
)

// knobHeaderPrefix starts the per-request override headers, e.g. "x-mock-latency: 50ms".
const knobHeaderPrefix = "X-Mock-"

func (o Options) behavior() behavior {
	tokens := o.Tokens
	if tokens <= 0 {
		tokens = defaultTokens
	}
	return behavior{
		Latency:    o.Latency,
		TTFT:       o.TTFT,
		TokenDelay: o.TokenDelay,
		Tokens:     tokens,
		RetryAfter: defaultRetryAfter,
		CutAfter:   noKnob,
		ErrorAfter: noKnob,
		Usage:      true,

		RateLimitWindow: defaultRateLimitWindow,
		ResetAfter:      noKnob,
		EOFAfter:        noKnob,
		StallAfter:      noKnob,
		MalformedAfter:  noKnob,
	}
}

// setting is one key=value pair of a directive or header. Bare is true for a key without "=",
// which switches a boolean knob on.
type setting struct {
	Key, Value string
	Bare       bool
}

// applyHeaders applies every x-mock-<knob> header. Header and directive keys may use "-" or "_".
func (b *behavior) applyHeaders(h http.Header) error {
	for name, values := range h {
		if len(name) <= len(knobHeaderPrefix) || !strings.EqualFold(name[:len(knobHeaderPrefix)], knobHeaderPrefix) {
			continue
		}
		if len(values) == 0 {
			continue
		}
		v := values[len(values)-1]
		s := setting{Key: name[len(knobHeaderPrefix):], Value: v, Bare: v == ""}
		if err := b.apply(s); err != nil {
			return fmt.Errorf("header %s: %w", name, err)
		}
	}
	return nil
}

// applyDirectives applies every [[mock ...]] directive found in text, in order.
func (b *behavior) applyDirectives(text string) error {
	settings, err := parseDirectives(text)
	if err != nil {
		return err
	}
	for _, s := range settings {
		if err := b.apply(s); err != nil {
			return fmt.Errorf("directive: %w", err)
		}
	}
	return nil
}

// apply sets one knob, validating its value.
func (b *behavior) apply(s setting) error {
	key := strings.ToLower(strings.ReplaceAll(s.Key, "-", "_"))
	if s.Bare && key != "hang" && key != "usage" {
		return fmt.Errorf("knob %q needs a value (%s=...)", key, key)
	}
	var err error
	switch key {
	case "latency":
		b.Latency, err = parseDuration(s.Value)
	case "ttft":
		b.TTFT, err = parseDuration(s.Value)
	case "token_delay":
		b.TokenDelay, err = parseDuration(s.Value)
	case "tokens":
		b.Tokens, err = parseInt(s.Value, 0, maxKnobTokens)
	case "status":
		b.Status, err = parseInt(s.Value, 400, 599)
	case "retry_after":
		b.RetryAfter, err = parseInt(s.Value, 0, maxRetryAfter)
	case "hang":
		b.Hang, err = parseBool(s)
	case "usage":
		b.Usage, err = parseBool(s)
	case "cut_after":
		b.CutAfter, err = parseInt(s.Value, 0, maxKnobTokens)
	case "error_after":
		b.ErrorAfter, err = parseInt(s.Value, 0, maxKnobTokens)
	case "reset_after":
		b.ResetAfter, err = parseInt(s.Value, 0, maxKnobTokens)
	case "eof_after":
		b.EOFAfter, err = parseInt(s.Value, 0, maxKnobTokens)
	case "stall_after":
		b.StallAfter, err = parseInt(s.Value, 0, maxKnobTokens)
	case "malformed_after":
		b.MalformedAfter, err = parseInt(s.Value, 0, maxKnobTokens)
	case "tool_call":
		b.ToolCalls, err = parseNames(s.Value)
	case "ratelimit":
		b.RateLimit, err = parseInt(s.Value, 0, maxKnobTokens)
	case "ratelimit_window":
		b.RateLimitWindow, err = parseDuration(s.Value)
	case "reply":
		b.Reply, err = parseReply(s.Value)
	case "chunk_bytes":
		b.ChunkBytes, err = parseInt(s.Value, 0, maxReplyBytes)
	case "batch_polls":
		// Read by the batch APIs when a batch is created (batches.go); a provider configured
		// with it sends it on every request, so the other endpoints accept and ignore it.
		_, err = parseInt(s.Value, 0, maxKnobTokens)
	default:
		return fmt.Errorf("unknown knob %q (known: latency, ttft, token_delay, tokens, status, retry_after, hang, cut_after, error_after, reset_after, eof_after, stall_after, malformed_after, tool_call, usage, ratelimit, ratelimit_window, reply, chunk_bytes, batch_polls)", s.Key)
	}
	if err != nil {
		return fmt.Errorf("knob %s: %w", key, err)
	}
	return nil
}

// parseDuration accepts Go duration syntax ("50ms", "1.5s") or a bare integer meaning milliseconds.
func parseDuration(v string) (time.Duration, error) {
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > maxKnobDuration.Milliseconds() {
			return 0, fmt.Errorf("%q is outside 0..%s", v, maxKnobDuration)
		}
		d = time.Duration(n) * time.Millisecond
	} else {
		d, err = time.ParseDuration(v)
		if err != nil {
			return 0, fmt.Errorf("%q is neither a duration (50ms) nor milliseconds (50)", v)
		}
	}
	if d < 0 || d > maxKnobDuration {
		return 0, fmt.Errorf("%q is outside 0..%s", v, maxKnobDuration)
	}
	return d, nil
}

func parseInt(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", v)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is outside %d..%d", n, lo, hi)
	}
	return n, nil
}

func parseBool(s setting) (bool, error) {
	if s.Bare {
		return true, nil
	}
	v, err := strconv.ParseBool(s.Value)
	if err != nil {
		return false, fmt.Errorf("%q is not a boolean", s.Value)
	}
	return v, nil
}

// parseNames splits a comma-separated list of function names; an empty value clears the list.
func parseNames(v string) ([]string, error) {
	if v == "" {
		return nil, nil
	}
	names := strings.Split(v, ",")
	for _, n := range names {
		if n == "" {
			return nil, fmt.Errorf("%q has an empty function name", v)
		}
	}
	return names, nil
}

const (
	directiveOpen  = "[[mock"
	directiveClose = "]]"
)

var errUnterminatedDirective = errors.New("unterminated " + directiveOpen + " directive: missing " + directiveClose)

// parseDirectives finds every "[[mock key=value key=value]]" in text and returns its settings in
// order. Fields are separated by white space; a field without "=" is a bare key. Text such as
// "[[mockery]]" is not a directive.
func parseDirectives(text string) ([]setting, error) {
	var out []setting
	for {
		i := strings.Index(text, directiveOpen)
		if i < 0 {
			return out, nil
		}
		rest := text[i+len(directiveOpen):]
		if rest != "" && !isSpace(rest[0]) && !strings.HasPrefix(rest, directiveClose) {
			text = rest
			continue
		}
		j := strings.Index(rest, directiveClose)
		if j < 0 {
			return nil, errUnterminatedDirective
		}
		for _, f := range strings.Fields(rest[:j]) {
			k, v, found := strings.Cut(f, "=")
			if k == "" {
				return nil, fmt.Errorf("directive field %q has no key", f)
			}
			out = append(out, setting{Key: k, Value: v, Bare: !found})
		}
		text = rest[j+len(directiveClose):]
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// streamFault is what a stream must do instead of sending its next chunk.
type streamFault int

const (
	faultNone      streamFault = iota
	faultCut                   // abort the connection (no chunked terminator: an unexpected EOF)
	faultError                 // send an in-stream error and end
	faultReset                 // reset the TCP connection
	faultEOF                   // end the body cleanly, without the terminal event
	faultStall                 // send nothing more until the client goes away
	faultMalformed             // send an unreadable chunk and end
)

// faultAt reports the fault due before content chunk number sent (counting from 0), or before the
// finish chunk when last is true; a knob beyond the last content chunk fires there.
func (b *behavior) faultAt(sent int, last bool) streamFault {
	due := func(n int) bool { return n != noKnob && (n == sent || last && n > sent) }
	switch {
	case due(b.CutAfter):
		return faultCut
	case due(b.ResetAfter):
		return faultReset
	case due(b.EOFAfter):
		return faultEOF
	case due(b.StallAfter):
		return faultStall
	case due(b.MalformedAfter):
		return faultMalformed
	case due(b.ErrorAfter):
		return faultError
	}
	return faultNone
}
