package admin

import (
	"net/http"

	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/store"
)

// logDetailView is one request log record with the bodies kept for it.
type logDetailView struct {
	logView `json:",inline"`
	// Bodies is null when the policy kept none or retention has deleted them.
	Bodies *bodiesView `json:"bodies"`
}

// bodiesView is what the log kept of a request's prompt and answer. Request and Response are
// text: JSON in metadata mode; in full mode JSON unless Truncated cut it.
type bodiesView struct {
	Mode      string `json:"mode"`
	Request   string `json:"request"`
	Response  string `json:"response"`
	Truncated bool   `json:"truncated"`
}

// getLog returns one record with its bodies: to admins, and to team admins of its team.
func (a *API) getLog(r *http.Request, p *auth.Principal) (int, any, error) {
	l, err := a.store.GetRequestLog(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if !canManageTeam(p, l.TeamID) {
		return 0, nil, forbidden("reading request log %s needs admin, or team_admin of its team", l.ID)
	}
	v := logDetailView{logView: viewLog(l)}
	if b := l.Bodies; b != nil {
		v.Bodies = &bodiesView{Mode: b.Mode, Request: b.Request, Response: b.Response, Truncated: b.Truncated}
	}
	return http.StatusOK, v, nil
}

// requestLogDetailSchema is the OpenAPI schema of logDetailView.
func requestLogDetailSchema() map[string]any {
	return map[string]any{"allOf": []any{ref("RequestLog"), object(nil, map[string]any{
		"bodies": map[string]any{"type": []string{"object", "null"},
			"description": "what the body policy kept (logging.bodies, team metadata or key tag log_bodies); null when nothing was kept or retention deleted it",
			"required":    []string{"mode", "request", "response", "truncated"},
			"properties": map[string]any{
				"mode":      map[string]any{"type": "string", "enum": []string{store.BodiesMetadata, store.BodiesFull}},
				"request":   map[string]any{"type": "string", "description": "metadata: the request's shape as JSON; full: the request JSON with secrets and PII redacted"},
				"response":  map[string]any{"type": "string", "description": "as request, for the answer; a stream's is {streamed_text, streamed_bytes, kept_bytes}"},
				"truncated": map[string]any{"type": "boolean", "description": "a body was cut at logging.max_body_bytes and ends with a marker"},
			}}})}}
}
