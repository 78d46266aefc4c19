package mockllm

import (
	"fmt"
	"net/http"
)

// eventWriter is the shared part of the formats' stream writers: it writes a streaming answer
// and keeps the first error, so once the client is gone later writes and flushes are skipped
// and the format's loop stops on failed().
type eventWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	err error
}

func newEventWriter(w http.ResponseWriter) eventWriter {
	return eventWriter{w: w, rc: http.NewResponseController(w)}
}

func (st *eventWriter) write(b []byte) {
	if st.err != nil {
		return
	}
	if _, err := st.w.Write(b); err != nil {
		st.err = fmt.Errorf("write: %w: %w", errClientGone, err)
	}
}

func (st *eventWriter) flush() {
	if st.err != nil {
		return
	}
	if err := st.rc.Flush(); err != nil {
		st.err = fmt.Errorf("flush: %w: %w", errClientGone, err)
	}
}

func (st *eventWriter) failed() error { return st.err }
