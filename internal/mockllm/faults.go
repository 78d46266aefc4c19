package mockllm

import (
	"context"
	"errors"
	"net"
	"net/http"
)

// streamWriter is what every wire format's stream writer offers the shared fault steps.
type streamWriter interface {
	write(b []byte)
	flush()
	failed() error // the first write error, nil while the client is there
}

// errReset reports a connection the handler reset itself; net/http must not touch it again.
var errReset = errors.New("mockllm: connection reset by knob")

// endStream carries out a fault that ends a stream the same way in every wire format —
// everything but the provider's own error event, which each format renders itself. malformed is
// the format's unreadable chunk. It reports whether the stream has ended, and how.
func (s *Server) endStream(ctx context.Context, w http.ResponseWriter, f streamFault, st streamWriter, malformed []byte) (bool, error) {
	switch f {
	case faultCut:
		st.flush()
		return true, errAbort
	case faultReset:
		st.flush()
		return true, resetConn(w)
	case faultEOF:
		// The handler returns normally, so net/http ends the body cleanly: only the missing
		// terminal event tells the client the answer is incomplete.
		st.flush()
		return true, st.failed()
	case faultStall:
		st.flush()
		return true, s.hang(ctx)
	case faultMalformed:
		st.write(malformed)
		st.flush()
		return true, st.failed()
	}
	return false, nil
}

// resetConn takes the connection from net/http and closes it with SO_LINGER 0, so the kernel
// sends a TCP RST instead of a FIN: the client's next read fails with "connection reset by
// peer", as when a load balancer or the provider's process dies mid-answer.
func resetConn(w http.ResponseWriter) error {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return errAbort // HTTP/2 or a test recorder: break the response the ordinary way
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
	return errReset
}
