package guardrail

import (
	"context"
	"fmt"

	"github.com/sluicehq/sluice/internal/config"
)

// StreamMode is how a webhook or judge check treats a streamed answer. A remote call per
// chunk would stall the stream, so an external check sees a streamed answer once, whole; the
// mode says what the client gets before the verdict.
type StreamMode uint8

const (
	// StreamFinal streams the answer as it comes and holds back only its end (the last
	// window and the finish) until the verdict: a block ends the stream there, but what was
	// sent before stays sent.
	StreamFinal StreamMode = iota
	// StreamBuffer holds the whole answer until the verdict: the client receives no blocked
	// text, and the time to first token becomes the time to the complete answer.
	StreamBuffer
	// StreamOff leaves streamed answers to the local checks.
	StreamOff
)

func (m StreamMode) String() string {
	switch m {
	case StreamFinal:
		return config.StreamFinal
	case StreamBuffer:
		return config.StreamBuffer
	case StreamOff:
		return config.StreamOff
	}
	return "unknown"
}

// ParseStreamMode reads a check's stream setting; empty means final, which keeps streaming
// latency and still puts every streamed answer before the external check.
func ParseStreamMode(s string) (StreamMode, error) {
	switch s {
	case config.StreamFinal, "":
		return StreamFinal, nil
	case config.StreamBuffer:
		return StreamBuffer, nil
	case config.StreamOff:
		return StreamOff, nil
	}
	return 0, fmt.Errorf("unknown stream mode %q (known: final, buffer, off)", s)
}

// StreamHookMode is what the request's webhook and judge output checks ask of a stream: buffer
// when any of them buffers, else final when any checks the final text, else off.
func (sc *Scanner) StreamHookMode() StreamMode {
	mode := StreamOff
	for _, p := range sc.set.policies[:sc.set.n] {
		if !p.hooks {
			continue
		}
		for _, c := range p.Checks {
			if c.hook == nil || c.Stage&Output == 0 {
				continue
			}
			switch c.Stream {
			case StreamBuffer:
				return StreamBuffer
			case StreamFinal:
				mode = StreamFinal
			}
		}
	}
	return mode
}

// StreamHooks runs the webhook and judge output checks whose stream mode is not off over a
// streamed answer's complete texts (each choice's content and tool-call arguments, as the
// local checks left them). It returns a *Blocked error as Output does; verdicts and
// failures are noted like theirs, with fail-open or fail-closed as each check says.
func (sc *Scanner) StreamHooks(ctx context.Context, texts []string) error {
	return sc.hooks(ctx, Output, func(c *Check) bool { return c.Stream != StreamOff }, func(add func(string)) {
		for _, t := range texts {
			add(t)
		}
	})
}
