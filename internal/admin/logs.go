package admin

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/store"
)

// logView is one request log record as the API shows it.
type logView struct {
	ID                  string            `json:"id"`
	At                  time.Time         `json:"at"`
	KeyID               string            `json:"key_id,omitempty"`
	UserID              string            `json:"user_id,omitempty"`
	TeamID              string            `json:"team_id,omitempty"`
	ProjectID           string            `json:"project_id,omitempty"`
	Model               string            `json:"model"`
	Provider            string            `json:"provider,omitempty"`
	UpstreamModel       string            `json:"upstream_model,omitempty"`
	Route               string            `json:"route,omitempty"`
	Attempts            int               `json:"attempts"`
	Fallback            bool              `json:"fallback"`
	Status              int               `json:"status"`
	ErrorType           string            `json:"error_type,omitempty"`
	ErrorCode           string            `json:"error_code,omitempty"`
	PromptTokens        int64             `json:"prompt_tokens"`
	CompletionTokens    int64             `json:"completion_tokens"`
	CachedTokens        int64             `json:"cached_tokens"`
	CacheCreationTokens int64             `json:"cache_creation_tokens"`
	ReasoningTokens     int64             `json:"reasoning_tokens"`
	TokensEstimated     bool              `json:"tokens_estimated"` // counted by Sluice: the provider reported none
	CostMicroUSD        int64             `json:"cost_micro_usd"`
	LatencyMs           int64             `json:"latency_ms"`
	TTFTMs              int64             `json:"ttft_ms,omitzero"`
	Stream              bool              `json:"stream"`
	Metadata            map[string]string `json:"metadata,omitempty"`
	// Guardrails are the guardrail rules that fired, never the matched text.
	Guardrails []store.GuardrailVerdict `json:"guardrails,omitempty"`
}

func viewLog(l store.RequestLog) logView {
	return logView{ID: l.ID, At: l.At, KeyID: l.KeyID, UserID: l.UserID, TeamID: l.TeamID, ProjectID: l.ProjectID,
		Model: l.Model, Provider: l.Provider, UpstreamModel: l.UpstreamModel, Route: l.Route, Attempts: l.Attempts,
		Fallback: l.Fallback, Status: l.Status, ErrorType: l.ErrorType, ErrorCode: l.ErrorCode,
		PromptTokens: l.PromptTokens, CompletionTokens: l.CompletionTokens, CachedTokens: l.CachedTokens,
		CacheCreationTokens: l.CacheCreationTokens, ReasoningTokens: l.ReasoningTokens, TokensEstimated: l.TokensEstimated, CostMicroUSD: l.CostMicroUSD,
		LatencyMs: l.LatencyMs, TTFTMs: l.TTFTMs, Stream: l.Stream, Metadata: l.Metadata, Guardrails: l.Guardrails}
}

// logFilter reads the query; non-admins see only their teams' requests.
func logFilter(r *http.Request, p *auth.Principal) (store.RequestLogFilter, error) {
	q := r.URL.Query()
	f := store.RequestLogFilter{KeyID: q.Get("key_id"), TeamID: q.Get("team_id"), Model: q.Get("model"),
		Provider: q.Get("provider"), ErrorType: q.Get("error_type"), UserID: q.Get("user_id")}
	if err := metadataFilter(q, &f); err != nil {
		return f, err
	}
	if s := q.Get("status"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return f, api.Errorf("invalid_request", "status must be an HTTP status code")
		}
		f.Status = n
	}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, api.Errorf("invalid_request", "%s must be an RFC 3339 time", name)
			}
			*dst = t
		}
	}
	if !p.IsAdmin() {
		if f.TeamID == "" {
			f.TeamID = p.TeamID
		}
		if !canManageTeam(p, f.TeamID) {
			return f, forbidden("reading request logs needs admin, or team_admin with ?team_id= of your team")
		}
	}
	return f, nil
}

func (a *API) listLogs(r *http.Request, p *auth.Principal) (int, any, error) {
	f, err := logFilter(r, p)
	if err != nil {
		return 0, nil, err
	}
	opts, err := listOptions(r)
	if err != nil {
		return 0, nil, err
	}
	pg, err := a.store.ListRequestLogs(r.Context(), f, opts)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(pg, viewLog), nil
}

var logCSVHeader = []string{"id", "at", "key_id", "team_id", "model", "provider", "upstream_model", "route", "status",
	"error_code", "prompt_tokens", "completion_tokens", "cached_tokens", "cost_micro_usd", "latency_ms", "ttft_ms", "stream",
	"tokens_estimated"}

// exportLogs streams every matching record as JSON lines (default) or CSV (?format=csv).
func (a *API) exportLogs(w http.ResponseWriter, r *http.Request) {
	p, err := a.auth.Authenticate(r)
	var f store.RequestLogFilter
	if err == nil {
		f, err = logFilter(r, p)
	}
	if err != nil {
		writeError(w, api.AsError(err))
		return
	}
	asCSV := r.URL.Query().Get("format") == "csv"
	var cw *csv.Writer
	if asCSV {
		w.Header().Set("Content-Type", "text/csv")
		cw = csv.NewWriter(w)
		_ = cw.Write(logCSVHeader)
	} else {
		w.Header().Set("Content-Type", "application/x-ndjson")
	}
	opts := store.ListOptions{Limit: store.MaxLimit}
	for {
		pg, err := a.store.ListRequestLogs(r.Context(), f, opts)
		if err != nil {
			a.log.Error("request log export failed", "err", err)
			return
		}
		for _, l := range pg.Items {
			if asCSV {
				i := strconv.FormatInt
				_ = cw.Write([]string{l.ID, l.At.Format(time.RFC3339Nano), l.KeyID, l.TeamID, l.Model, l.Provider,
					l.UpstreamModel, l.Route, strconv.Itoa(l.Status), l.ErrorCode, i(l.PromptTokens, 10),
					i(l.CompletionTokens, 10), i(l.CachedTokens, 10), i(l.CostMicroUSD, 10), i(l.LatencyMs, 10),
					i(l.TTFTMs, 10), strconv.FormatBool(l.Stream), strconv.FormatBool(l.TokensEstimated)})
				continue
			}
			line, _ := jsonx.Marshal(viewLog(l))
			_, _ = w.Write(append(line, '\n'))
		}
		if cw != nil {
			cw.Flush()
		}
		if pg.Next == "" {
			return
		}
		opts.After = pg.Next
	}
}
