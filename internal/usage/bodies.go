package usage

import (
	"fmt"

	"github.com/sluicehq/sluice/internal/store"
)

// captureBodies runs the deferred body capture (encoding and redaction, which the gateway
// leaves to this goroutine so they cost the request nothing) of every record in batch, once,
// before the first write attempt.
func (r *Recorder) captureBodies(batch []store.RequestLog) {
	for i := range batch {
		b := batch[i].Bodies
		if b == nil || b.Capture == nil {
			continue
		}
		if err := capture(b); err != nil {
			// The log row is still worth writing; only the bodies are lost.
			r.log.Error("usage: request bodies not captured", "request_id", batch[i].ID, "err", err)
			batch[i].Bodies = nil
		}
	}
}

// capture calls b.Capture and clears it, turning a panic into an error: a bug in one body's
// encoding must not stop the writer that every request's log depends on.
func capture(b *store.RequestBodies) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("capture panicked: %v", p)
		}
	}()
	fn := b.Capture
	b.Capture = nil
	fn(b)
	return nil
}
