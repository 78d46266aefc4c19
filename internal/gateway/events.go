package gateway

import (
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/provider"
)

// eventEncoder renders chunks as another API's stream events (Anthropic, Gemini, Responses).
type eventEncoder interface {
	AppendChunk(dst []byte, c *api.ChatChunk) ([]byte, error)
	AppendFinish(dst []byte) ([]byte, error)
}

// streamEnd is how a relayed stream ended.
type streamEnd int

const (
	streamDone   streamEnd = iota // complete: the finish events were sent
	streamFailed                  // the provider or a guardrail failed it: an error event was sent
	streamGone                    // the client left; nothing more could be sent
)

// relayEvents relays stream through enc, one write and flush per chunk, with the output
// guardrails on it, for the surfaces that speak another API's stream. As in relayStream, once
// the status is sent a failure becomes that API's error event (appendError) and the stream ends
// without its finish events; a complete stream reports its cost in a trailer.
func (g *Gateway) relayEvents(w http.ResponseWriter, r *http.Request, rc *http.ResponseController, stream provider.Stream,
	c *call, enc eventEncoder, appendError func([]byte, *api.Error) []byte) streamEnd {
	bufp := chunkBufPool.Get().(*[]byte)
	defer chunkBufPool.Put(bufp)
	sg := newStreamGuard(c)
	for {
		chunk, err := stream.Next()
		buf := (*bufp)[:0]
		done := errors.Is(err, io.EOF)
		switch {
		case done:
			if buf, err = sg.appendEnd(c.guardContext(r.Context()), buf, enc); err == nil {
				buf, err = enc.AppendFinish(buf)
			}
		case err != nil: // the provider's failure, reported below
		default:
			c.observe(chunk)
			var send bool
			if send, err = sg.filter(chunk); send && err == nil {
				if sg.holding() {
					err = sg.holdChunk(chunk)
				} else {
					buf, err = enc.AppendChunk(buf, chunk)
				}
			}
		}
		if err != nil {
			if !c.failed(r, err) {
				return streamGone
			}
			e := api.AsError(err)
			g.log.LogAttrs(r.Context(), slog.LevelWarn, "stream failed",
				slog.String("code", e.Code), slog.Any("err", e.Err))
			_, _ = w.Write(appendError(buf[:0], e))
			_ = rc.Flush()
			return streamFailed
		}
		*bufp = buf
		if len(buf) > 0 && !c.send(w, rc, buf) {
			return streamGone // the caller's deferred Close cancels upstream
		}
		if done {
			g.setCostTrailer(w, c)
			return streamDone
		}
	}
}
