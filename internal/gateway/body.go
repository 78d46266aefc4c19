package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// bodyReadTimeout bounds how long a client may take to send its body once headers are in, so
// a trickling client cannot hold a handler forever. It is set per request, not as the server's
// ReadTimeout, which would also cut long streams.
const bodyReadTimeout = 60 * time.Second

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// decodeJSON reads at most limit bytes of body and decodes them into v.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if r.ContentLength > limit {
		return tooLarge(limit)
	}
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 1<<20 { // don't pin rare huge bodies in the pool
			bodyPool.Put(buf)
		}
	}()
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(bodyReadTimeout))
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	_ = rc.SetReadDeadline(time.Time{})
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(limit)
		}
		return api.NewError("request_aborted", "the request body could not be read", err)
	}
	if buf.Len() == 0 {
		return api.Errorf("invalid_json", "the request body is empty; send a JSON object")
	}
	if err := jsonx.Unmarshal(buf.Bytes(), v); err != nil {
		return api.NewError("invalid_json", "invalid JSON in request body: "+err.Error(), err)
	}
	return nil
}

func tooLarge(limit int64) error {
	return api.Errorf("request_too_large", "the request body exceeds the limit of %s", formatBytes(limit))
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// writeJSON encodes v into a pooled buffer and writes it with its length.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bodyPool.Put(buf)
	if err := jsonx.MarshalWrite(buf, v); err != nil {
		return fmt.Errorf("gateway: encode response: %w", err)
	}
	writeRaw(w, status, buf.Bytes())
	return nil
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
