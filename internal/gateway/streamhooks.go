package gateway

import (
	"context"
	"net/http"
	"slices"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/guardrail"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// externalChecks is the part of a stream guard that serves the webhook and judge checks. A
// remote call per chunk would stall the stream, so they judge the complete answer once, when
// the provider's stream ends, and what the client gets before their verdict depends on the
// checks' stream mode: in buffer mode nothing (every event is held from the start), in final
// mode everything up to the first finish_reason (the finishes, the usage and the text the
// local checks still held wait). A pass releases what was held; a block drops it and ends
// the stream as a local block does.
//
// OpenAI chunks are held encoded. The other APIs' encoders keep state (a Responses encoder
// builds the response it stores and reports on failure), so for them the chunks are held and
// encoded only after a pass: a blocked answer never reaches the encoder.
type externalChecks struct {
	mode    guardrail.StreamMode
	holding bool             // events for the client wait for the verdict
	held    []byte           // encoded OpenAI events, in order
	chunks  []*api.ChatChunk // other APIs' chunks, in order
	texts   map[slot]string
	choices []int // choice indexes seen, for the content_filter finishes of a block
}

func (x *externalChecks) start(c *call) {
	x.mode = c.guard.StreamHookMode()
	x.holding = x.mode == guardrail.StreamBuffer
}

// see notes a chunk's choice; its finish starts the hold in final mode.
func (x *externalChecks) see(cc *api.ChunkChoice) {
	if x.mode == guardrail.StreamOff {
		return
	}
	if !slices.Contains(x.choices, cc.Index) {
		x.choices = append(x.choices, cc.Index)
	}
	if cc.FinishReason != nil {
		x.holding = true
	}
}

// ending starts the hold when the provider's stream ended without a finish.
func (x *externalChecks) ending() {
	if x.mode != guardrail.StreamOff {
		x.holding = true
	}
}

// keep takes the complete text of one slot, as the local checks left it.
func (x *externalChecks) keep(s slot, f *guardrail.StreamFilter) {
	if x.mode == guardrail.StreamOff {
		return
	}
	if x.texts == nil {
		x.texts = map[slot]string{}
	}
	x.texts[s] = f.Text()
}

// blocked is the choices a block finishes: the one a local check stopped, or every choice
// when choice is negative.
func (x *externalChecks) blocked(choice int) []int {
	if choice >= 0 {
		return []int{choice}
	}
	if len(x.choices) == 0 {
		return []int{0}
	}
	return x.choices
}

// send writes one encoded event to the client, or holds it while the external verdict is
// pending; nil-safe. False when the client is gone.
func (sg *streamGuard) send(c *call, w http.ResponseWriter, rc *http.ResponseController, buf []byte) bool {
	if sg != nil && sg.ext.holding {
		sg.ext.held = append(sg.ext.held, buf...)
		return true
	}
	return c.send(w, rc, buf)
}

// verdict runs the external checks over the complete answer, once every slot was flushed
// (finish). On a pass it stops holding and returns the held events for the caller to send
// before the stream's end; on a block (*guardrail.Blocked) they are dropped. Nil-safe.
func (sg *streamGuard) verdict(ctx context.Context) ([]byte, error) {
	if sg == nil || sg.ext.mode == guardrail.StreamOff {
		return nil, nil
	}
	slots := make([]slot, 0, len(sg.ext.texts))
	for s := range sg.ext.texts {
		slots = append(slots, s)
	}
	slices.SortFunc(slots, func(a, b slot) int {
		if a.choice != b.choice {
			return a.choice - b.choice
		}
		return a.tool - b.tool
	})
	texts := make([]string, len(slots))
	for i, s := range slots {
		texts[i] = sg.ext.texts[s]
	}
	err := sg.sc.StreamHooks(ctx, texts)
	held := sg.ext.held
	sg.ext.held, sg.ext.holding = nil, false
	if err != nil {
		return nil, err
	}
	return held, nil
}

// holding reports whether chunks must wait for the external verdict; nil-safe.
func (sg *streamGuard) holding() bool { return sg != nil && sg.ext.holding }

// holdChunk keeps a copy of ch (the provider's stream reuses it) to encode after the verdict.
func (sg *streamGuard) holdChunk(ch *api.ChatChunk) error {
	b, err := jsonx.Marshal(ch)
	if err != nil {
		return err
	}
	held := new(api.ChatChunk)
	if err := jsonx.Unmarshal(b, held); err != nil {
		return err
	}
	sg.ext.chunks = append(sg.ext.chunks, held)
	return nil
}

// appendEnd encodes the end of a stream rendered by enc: what the local checks still held
// and, once the external checks passed the complete answer, the chunks held for them. A
// block comes back as the client's error, for that format's error event. Nil-safe.
func (sg *streamGuard) appendEnd(ctx context.Context, dst []byte, enc chunkEncoder) ([]byte, error) {
	if sg == nil {
		return dst, nil
	}
	last, _, err := sg.finish()
	if err != nil {
		return dst, guardrail.APIError(err)
	}
	if last != nil {
		sg.ext.chunks = append(sg.ext.chunks, last)
	}
	if _, err := sg.verdict(ctx); err != nil {
		return dst, guardrail.APIError(err)
	}
	chunks := sg.ext.chunks
	sg.ext.chunks = nil
	for _, ch := range chunks {
		if dst, err = enc.AppendChunk(dst, ch); err != nil {
			return dst, err
		}
	}
	return dst, nil
}
