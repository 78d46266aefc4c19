package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/router"
)

var chunkBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

var doneEvent = []byte("data: [DONE]\n\n")

// relayStream forwards a streaming completion chunk by chunk, flushing each as it arrives.
// Failures before the provider answers are ordinary error responses. After that the status is
// sent, so a failure becomes an error event and the stream ends without [DONE]: a client can
// always tell a complete answer from a cut one.
func (g *Gateway) relayStream(ctx context.Context, w http.ResponseWriter, r *http.Request, table *router.Table, route *router.Route, req *api.ChatRequest, c *call) error {
	stream, res, err := table.ChatStream(ctx, route, req)
	c.res = res
	setRoutingHeaders(w, res)
	if err != nil {
		return err
	}
	defer stream.Close() // cancels the upstream request if the client left early

	rc := startSSE(w)

	bufp := chunkBufPool.Get().(*[]byte)
	defer chunkBufPool.Put(bufp)
	wantUsage := req.WantsUsage()
	sg := newStreamGuard(c)
	for {
		chunk, err := stream.Next()
		if errors.Is(err, io.EOF) {
			if !g.flushStreamGuard(w, rc, r, c, sg) {
				return nil
			}
			g.setCostTrailer(w, c)
			// Stored before [DONE]: a client that repeats the request as soon as the stream
			// ends must find it (a memory store costs microseconds, Redis one round trip).
			g.cacheStream(ctx, c)
			_, _ = w.Write(doneEvent)
			_ = rc.Flush()
			return nil
		}
		if err != nil {
			if c.failed(r, err) {
				g.writeStreamError(w, rc, r, err)
			}
			return nil
		}
		c.observe(chunk)
		c.cache.collect(chunk)
		if chunk.Usage != nil && !wantUsage {
			// Sluice asked the provider for usage on the client's behalf; a client that did
			// not ask must not see the extra chunk.
			if chunk.IsUsageOnly() {
				continue
			}
			chunk.Usage = nil
		}
		if sg != nil {
			if send, stop := g.guardChunk(w, rc, r, c, sg, chunk); stop {
				return nil
			} else if !send {
				continue
			}
		}
		buf := append((*bufp)[:0], "data: "...)
		buf, err = jsonx.AppendMarshal(buf, chunk)
		if err != nil {
			c.failed(r, err)
			g.writeStreamError(w, rc, r, err)
			return nil
		}
		buf = append(buf, '\n', '\n')
		*bufp = buf
		if !sg.send(c, w, rc, buf) {
			return nil // client gone; the deferred Close cancels upstream
		}
	}
}

// startSSE sends the status and the event-stream headers, and returns what flushes them.
func startSSE(w http.ResponseWriter) *http.ResponseController {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // tell nginx-style proxies in front not to buffer
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	return rc
}

// observe keeps what the log needs from a chunk: its usage, copied because the stream reuses
// the chunk on its next read, and its text, in case the usage never comes.
func (c *call) observe(chunk *api.ChatChunk) {
	c.answered = true
	c.text.addChunk(chunk)
	if chunk.Usage != nil {
		u := *chunk.Usage
		c.usage = &u
	}
}

// failed records why a started stream ended early. It reports false when the client left,
// since then there is nobody to send an error event to.
func (c *call) failed(r *http.Request, err error) bool {
	if r.Context().Err() != nil {
		c.err = r.Context().Err()
		return false
	}
	c.err = err
	return true
}

// send writes one event and flushes it, noting when the first one left; false when the client
// is gone.
func (c *call) send(w http.ResponseWriter, rc *http.ResponseController, buf []byte) bool {
	if _, err := w.Write(buf); err != nil || rc.Flush() != nil {
		c.err = context.Canceled
		return false
	}
	if c.ttft == 0 {
		c.ttft = time.Since(c.start)
	}
	return true
}

func (g *Gateway) writeStreamError(w http.ResponseWriter, rc *http.ResponseController, r *http.Request, err error) {
	e := api.AsError(err)
	g.log.LogAttrs(r.Context(), slog.LevelWarn, "stream failed",
		slog.String("code", e.Code), slog.Any("err", e.Err))
	buf := append([]byte("data: "), e.AppendJSON(nil)...)
	buf = append(buf, '\n', '\n')
	_, _ = w.Write(buf)
	_ = rc.Flush()
}
