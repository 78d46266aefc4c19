package gateway

import (
	"context"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/internal/auth"
)

// requestState follows one API request from the outer wrapper (handleWith) through the
// endpoint, so that a request the endpoint never logged — refused before its record was
// set up (authentication, a malformed or oversized body) or served by an endpoint without
// a record of its own (images, audio) — still gets one.
type requestState struct {
	start  time.Time
	p      *auth.Principal // set by authenticated
	logged bool            // set by record
}

type stateKey struct{}

// withState starts r's state; without a recorder there is nothing to follow.
// Only POSTs are API calls: GET /v1/models and unknown paths are not logged.
func (g *Gateway) withState(r *http.Request) (*http.Request, *requestState) {
	if g.recorder == nil || r.Method != http.MethodPost || r.Pattern == "/" {
		return r, nil
	}
	st := &requestState{start: time.Now()}
	return r.WithContext(context.WithValue(r.Context(), stateKey{}, st)), st
}

func stateOf(r *http.Request) *requestState {
	st, _ := r.Context().Value(stateKey{}).(*requestState)
	return st
}

// recordUnlogged logs a request its endpoint did not, with what the gateway knows: who
// (when authenticated), the outcome and the time taken.
func (g *Gateway) recordUnlogged(w http.ResponseWriter, r *http.Request, st *requestState, err error) {
	if st == nil || st.logged {
		return
	}
	if st.p != nil {
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, st.p))
	}
	c := &call{start: st.start}
	if meta, merr := metadata(r); merr == nil {
		c.meta = meta
	}
	g.record(w, r, c, err)
}

// withUser adds the request body's OpenAI "user" field to the client's tags, where the
// request log and analytics can group by it (metadata.user).
func withUser(meta map[string]string, user string) map[string]string {
	if user == "" {
		return meta
	}
	if meta == nil {
		meta = make(map[string]string, 1)
	}
	if _, set := meta["user"]; !set { // an explicit x-sluice-metadata tag wins
		meta["user"] = user
	}
	return meta
}
