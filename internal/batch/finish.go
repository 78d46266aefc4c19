package batch

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/internal/budget"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/store"
)

// outputLine is one line of an output or error file, OpenAI's batch output shape
// (https://platform.openai.com/docs/guides/batch#5-retrieve-the-results).
type outputLine struct {
	ID       string          `json:"id"`
	CustomID string          `json:"custom_id"`
	Response *outputResponse `json:"response"`
	Error    *outputError    `json:"error"`
}

type outputResponse struct {
	StatusCode int         `json:"status_code"`
	RequestID  string      `json:"request_id"`
	Body       jsonx.Value `json:"body"`
}

type outputError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// finish writes the output and error files, the request log and the final status in one
// step, then charges the budgets. The request log rows have ids derived from the batch and
// line, so a finish repeated after a crash stores them once; the files and the final status
// commit together, so a finished batch is never finished again. Budgets are charged after
// that commit: a crash in between loses the charge rather than doubling it.
func (r *run) finish(ctx context.Context) error {
	lines, err := r.input(ctx)
	if err != nil {
		return err
	}
	now := r.w.now()
	status := store.BatchCompleted
	switch {
	case r.b.CancelRequestedAt != nil:
		status = store.BatchCancelled
	case r.expired():
		status = store.BatchExpired
	}
	var out, errs bytes.Buffer
	counts := RequestCounts{Total: len(lines)}
	usage := &Usage{}
	logs := make([]store.RequestLog, 0, len(lines))
	var spend budget.Amount
	for i := range lines {
		res := r.st.Results[i]
		if res == nil {
			res = r.unrun(now)
		}
		if err := r.guardOutput(ctx, &lines[i], res); err != nil {
			return err
		}
		line := outputLine{ID: r.lineID(i), CustomID: lines[i].CustomID}
		if res.Status != 0 {
			line.Response = &outputResponse{StatusCode: res.Status, RequestID: res.RequestID, Body: res.Body}
		} else {
			line.Error = &outputError{Code: res.Code, Message: res.Message}
		}
		dst := &errs
		if res.ok() {
			dst, counts.Completed = &out, counts.Completed+1
		} else if res.ran() {
			counts.Failed++
		}
		if err := jsonx.MarshalWrite(dst, &line); err != nil {
			return err
		}
		dst.WriteByte('\n')
		if res.Usage != nil {
			usage.add(res.Usage)
			spend.Tokens += int64(res.Usage.PromptTokens + res.Usage.CompletionTokens)
			spend.MicroUSD += res.Cost
		}
		if res.ran() {
			logs = append(logs, r.logRecord(i, &lines[i], res))
		}
	}
	if err := r.w.st.InsertRequestLogs(ctx, logs); err != nil {
		return err
	}
	var files []store.File
	if out.Len() > 0 {
		f := r.file("output", out.Bytes(), now)
		files, r.obj.OutputFileID = append(files, f), &f.ID
	}
	if errs.Len() > 0 {
		f := r.file("error", errs.Bytes(), now)
		files, r.obj.ErrorFileID = append(files, f), &f.ID
	}
	r.obj.Status, r.obj.RequestCounts, r.obj.Usage = status, counts, usage
	r.st.Results, r.st.Groups = nil, nil // the files hold them now; keep the row small
	r.obj.FinalizingAt = unix(now)
	switch status {
	case store.BatchCompleted:
		r.obj.CompletedAt = unix(now)
	case store.BatchCancelled:
		r.obj.CancelledAt = unix(now)
	case store.BatchExpired:
		r.obj.ExpiredAt = unix(now)
	}
	if err := r.save(ctx, 0, files...); err != nil {
		return err
	}
	r.w.log.LogAttrs(ctx, slog.LevelInfo, "batch finished", slog.String("batch_id", r.b.ID),
		slog.String("status", status), slog.Int("completed", counts.Completed), slog.Int("failed", counts.Failed),
		slog.Int64("cost_micro_usd", spend.MicroUSD))
	if r.w.budgets != nil {
		o := &r.st.Owner
		r.w.budgets.Charge(&budget.Who{KeyID: o.KeyID, UserID: o.UserID, TeamID: o.TeamID, TeamName: o.TeamName,
			ProjectID: o.ProjectID, BudgetID: o.BudgetID}, spend)
	}
	return nil
}

// file is an output or error file of the batch, owned by its tenant.
func (r *run) file(kind string, content []byte, now time.Time) store.File {
	f := store.File{ID: store.NewID(store.PrefixFile), Tenant: r.b.Tenant, Purpose: "batch_output",
		Filename: r.b.ID + "_" + kind + ".jsonl", CreatedAt: now, Content: content}
	if r.w.opts.Retention > 0 {
		f.ExpiresAt = now.Add(r.w.opts.Retention)
	}
	return f
}

// lineID is the id of line i's output, stable across retries: "batch_req_" and the batch's
// own id part with the line index.
func (r *run) lineID(i int) string {
	return "batch_req_" + r.b.ID[len(store.PrefixBatch):] + "_" + strconv.Itoa(i)
}

// logRecord is line i's request-log record. Its id is derived from the batch and the line,
// so inserting it twice stores it once.
func (r *run) logRecord(i int, l *Line, res *result) store.RequestLog {
	o := &r.st.Owner
	mode := "local"
	if res.Native {
		mode = "native"
	}
	rec := store.RequestLog{ID: "breq_" + r.b.ID[len(store.PrefixBatch):] + "_" + strconv.Itoa(i), At: res.At,
		KeyID: o.KeyID, UserID: o.UserID, TeamID: o.TeamID, ProjectID: o.ProjectID, Model: l.Model,
		Provider: res.Provider, UpstreamModel: res.UpstreamModel, Route: res.Route, Attempts: res.Attempts,
		Status: res.Status, ErrorType: res.ErrorType, ErrorCode: res.ErrorCode, CostMicroUSD: res.Cost,
		LatencyMs: res.LatencyMs, Metadata: make(map[string]string, len(o.Tags)+3), Guardrails: r.verdicts(l.N)}
	for k, v := range o.Tags {
		rec.Metadata[k] = v
	}
	rec.Metadata["batch_id"], rec.Metadata["batch_custom_id"], rec.Metadata["batch_mode"] = r.b.ID, l.CustomID, mode
	if rec.Status == 0 {
		rec.Status = http.StatusServiceUnavailable
	}
	if res.ok() {
		rec.ErrorType, rec.ErrorCode = "", ""
	}
	if u := res.Usage; u != nil {
		rec.PromptTokens, rec.CompletionTokens = int64(u.PromptTokens), int64(u.CompletionTokens)
		if d := u.PromptTokensDetails; d != nil {
			rec.CachedTokens, rec.CacheCreationTokens = int64(d.CachedTokens), int64(d.CacheCreationTokens)
		}
		if d := u.CompletionTokensDetails; d != nil {
			rec.ReasoningTokens = int64(d.ReasoningTokens)
		}
	}
	return rec
}
