package mockllm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// ConverseStream: an AWS event stream (application/vnd.amazon.eventstream) of binary frames, each
// with :event-type, :content-type and :message-type headers and a JSON payload, in the order
// messageStart, per content block (contentBlockStart for a tool call) contentBlockDelta...
// contentBlockStop, then messageStop and metadata. Each payload carries a "p" member of
// filler characters, as Bedrock pads events to hide their lengths. Frames are encoded with the
// AWS SDK's encoder, so preludes, headers and CRCs are valid.
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html

type brStream struct {
	w     http.ResponseWriter
	rc    *http.ResponseController
	enc   *eventstream.Encoder
	frame bytes.Buffer
	err   error // first write error; later writes are skipped
}

// brPadding is where "p" values are cut from.
const brPadding = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// brFrame is one event of the stream, encoded when it is sent.
type brFrame struct {
	event   string
	payload brPayload
	content bool // a content chunk, counted by cut_after and error_after
}

// brPayload holds the members of every event kind; each event sets its own.
type brPayload struct {
	Role              string     `json:"role,omitempty"`
	ContentBlockIndex *int       `json:"contentBlockIndex,omitempty"`
	Start             *brStart   `json:"start,omitempty"`
	Delta             *brDelta   `json:"delta,omitempty"`
	StopReason        string     `json:"stopReason,omitempty"`
	Usage             *brUsage   `json:"usage,omitempty"`
	Metrics           *brMetrics `json:"metrics,omitempty"`
	P                 string     `json:"p"`
}

type brStart struct {
	ToolUse brToolStart `json:"toolUse"`
}

type brToolStart struct {
	ToolUseID string `json:"toolUseId"`
	Name      string `json:"name"`
}

type brDelta struct {
	Text             *string           `json:"text,omitempty"`
	ToolUse          *brToolPart       `json:"toolUse,omitempty"`
	ReasoningContent *brReasoningDelta `json:"reasoningContent,omitempty"`
}

type brToolPart struct {
	Input string `json:"input"`
}

func (st *brStream) encode(m eventstream.Message) []byte {
	st.frame.Reset()
	if err := st.enc.Encode(&st.frame, m); err != nil && st.err == nil {
		st.err = fmt.Errorf("encode frame: %w", err)
	}
	return st.frame.Bytes()
}

func (st *brStream) eventFrame(f brFrame) []byte {
	f.payload.P = brPadding[:len(f.event)%len(brPadding)+1]
	payload, err := json.Marshal(&f.payload)
	if err != nil && st.err == nil {
		st.err = fmt.Errorf("encode %s: %w", f.event, err)
	}
	var m eventstream.Message
	m.Headers.Set(":event-type", eventstream.StringValue(f.event))
	m.Headers.Set(":content-type", eventstream.StringValue("application/json"))
	m.Headers.Set(":message-type", eventstream.StringValue("event"))
	m.Payload = payload
	return st.encode(m)
}

// exception writes the frame Bedrock sends when the model fails mid-answer; the SDKs raise it as
// a ModelStreamErrorException.
func (st *brStream) exception() {
	var m eventstream.Message
	m.Headers.Set(":exception-type", eventstream.StringValue("modelStreamErrorException"))
	m.Headers.Set(":content-type", eventstream.StringValue("application/json"))
	m.Headers.Set(":message-type", eventstream.StringValue("exception"))
	m.Payload = []byte(`{"message":"The model stream returned an error. Try your request again.",` +
		`"originalStatusCode":500,"originalMessage":"Internal server error (injected by mockllm error_after)"}`)
	st.write(st.encode(m))
}

func (st *brStream) write(b []byte) {
	if st.err != nil {
		return
	}
	if _, err := st.w.Write(b); err != nil {
		st.err = fmt.Errorf("write frame: %w: %w", errClientGone, err)
	}
}

func (st *brStream) failed() error { return st.err }

// corruptFrame is f's frame with one payload byte changed, so its message CRC no longer
// matches: what a bit flip on a proxy's path looks like to the SDK's decoder.
func (st *brStream) corruptFrame(f brFrame) []byte {
	frame := append([]byte(nil), st.eventFrame(f)...)
	frame[len(frame)-5] ^= 0x20 // the last payload byte, just before the 4-byte message CRC
	return frame
}

func (st *brStream) flush() {
	if st.err != nil {
		return
	}
	if err := st.rc.Flush(); err != nil {
		st.err = fmt.Errorf("flush: %w: %w", errClientGone, err)
	}
}

// brFrames lays out the whole stream after messageStart: the reasoning blocks, then the text
// deltas in one block, or one block per tool call with its start and its argument fragments;
// then messageStop and metadata.
func brFrames(out *brOutcome, withUsage bool) []brFrame {
	fs := reasoningFrames(out.reasoning)
	base := len(out.reasoning)
	block := func(k int) *int { return &k }
	if len(out.plan.calls) == 0 {
		for _, piece := range out.plan.pieces {
			fs = append(fs, brFrame{"contentBlockDelta", brPayload{ContentBlockIndex: block(base), Delta: &brDelta{Text: &piece}}, true})
		}
		fs = append(fs, brFrame{"contentBlockStop", brPayload{ContentBlockIndex: block(base)}, false})
	}
	for i, c := range out.plan.calls {
		k := base + i
		start := &brStart{ToolUse: brToolStart{ToolUseID: c.id, Name: c.name}}
		fs = append(fs, brFrame{"contentBlockStart", brPayload{ContentBlockIndex: block(k), Start: start}, true})
		for _, a := range splitArguments(c.args) {
			fs = append(fs, brFrame{"contentBlockDelta", brPayload{ContentBlockIndex: block(k), Delta: &brDelta{ToolUse: &brToolPart{Input: a}}}, true})
		}
		fs = append(fs, brFrame{"contentBlockStop", brPayload{ContentBlockIndex: block(k)}, false})
	}
	fs = append(fs, brFrame{"messageStop", brPayload{StopReason: out.stopReason}, false})
	meta := brPayload{Metrics: &brMetrics{LatencyMs: int64(len(fs))}}
	if withUsage {
		meta.Usage = &out.usage
	}
	return append(fs, brFrame{"metadata", meta, false})
}

// bedrockStream writes the stream: headers, TTFT, messageStart, content frames paced by
// token_delay with the cut_after (half a frame, then the connection breaks) and error_after
// (an exception frame) faults, then the closing frames.
func (s *Server) bedrockStream(ctx context.Context, w http.ResponseWriter, b *behavior, out *brOutcome) error {
	st := &brStream{w: w, rc: http.NewResponseController(w), enc: eventstream.NewEncoder()}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.amazon.eventstream")
	h.Set("X-Amzn-Requestid", brRequestID())
	w.WriteHeader(http.StatusOK)
	if b.TTFT > 0 {
		st.flush()
		if err := s.wait(ctx, b.TTFT); err != nil {
			return err
		}
	}
	st.write(st.eventFrame(brFrame{"messageStart", brPayload{Role: "assistant"}, false}))
	frames := brFrames(out, b.Usage)
	sent := 0 // content frames written
	for i, f := range frames {
		if f.content || f.event == "messageStop" {
			switch fault := b.faultAt(sent, !f.content); fault {
			case faultNone:
			case faultCut:
				frame := st.eventFrame(f)
				st.write(frame[:len(frame)/2])
				st.flush()
				return errAbort
			case faultError:
				st.exception()
				st.flush()
				return st.err
			default:
				if done, err := s.endStream(ctx, w, fault, st, st.corruptFrame(f)); done {
					return err
				}
			}
		}
		if f.content && sent > 0 && b.TokenDelay > 0 {
			if err := s.wait(ctx, b.TokenDelay); err != nil {
				return err
			}
		}
		st.write(st.eventFrame(f))
		if f.content {
			sent++
		}
		if b.TokenDelay > 0 || i == len(frames)-1 {
			st.flush()
		}
		if st.err != nil {
			return st.err
		}
	}
	return st.err
}
