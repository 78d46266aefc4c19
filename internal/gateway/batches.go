package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/batch"
	"github.com/sluicehq/sluice/internal/budget"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/store"
)

// batchRequest is the body of POST /v1/batches.
type batchRequest struct {
	InputFileID      string            `json:"input_file_id"`
	Endpoint         string            `json:"endpoint"`
	CompletionWindow string            `json:"completion_window"`
	Metadata         map[string]string `json:"metadata"`
	Extra            jsonx.Value       `json:",unknown"` // output_expires_after and future fields, ignored
}

// maxBatchMetadata is OpenAI's bound on metadata pairs.
const maxBatchMetadata = 16

// createBatch serves POST /v1/batches: the input file is checked again (the routes or the
// caller's access may have changed since the upload), the caller's budgets must not be spent,
// and the batch is stored for the worker, which starts it at once.
func (g *Gateway) createBatch(w http.ResponseWriter, r *http.Request) error {
	var req batchRequest
	if err := decodeJSON(w, r, g.snapshot.Load().MaxBodyBytes, &req); err != nil {
		return err
	}
	switch {
	case req.InputFileID == "":
		return param(api.Errorf("invalid_request", "input_file_id is required"), "input_file_id")
	case !batch.Endpoints[req.Endpoint]:
		return param(api.Errorf("invalid_request", "endpoint %q is not supported; use /v1/chat/completions, /v1/embeddings or /v1/responses", req.Endpoint), "endpoint")
	case req.CompletionWindow != batch.Window:
		return param(api.Errorf("invalid_request", "completion_window must be %q", batch.Window), "completion_window")
	case len(req.Metadata) > maxBatchMetadata:
		return param(api.Errorf("invalid_request", "metadata holds at most %d pairs", maxBatchMetadata), "metadata")
	}
	tenant := tenantOf(principal(r))
	f, err := g.loadFile(r, req.InputFileID)
	if err != nil {
		return err
	}
	if f.Purpose != "batch" {
		return param(api.Errorf("invalid_request", "file %s has purpose %q; a batch's input file needs purpose \"batch\"", f.ID, f.Purpose), "input_file_id")
	}
	content, err := g.batches.store.FileContent(r.Context(), tenant, f.ID)
	if err != nil {
		return fmt.Errorf("gateway: read batch input %q: %w", f.ID, err)
	}
	lines, err := batch.Parse(content, req.Endpoint)
	if err != nil {
		return param(api.AsError(fileError(err)), "input_file_id")
	}
	if err := g.checkLines(r, lines); err != nil {
		return param(api.AsError(err), "input_file_id")
	}
	if err := g.batchBudget(r); err != nil {
		return err
	}
	tags, err := metadata(r)
	if err != nil {
		return err
	}
	p := principal(r)
	state, err := batch.NewState(batch.Owner{KeyID: p.KeyID, UserID: p.UserID, TeamID: p.TeamID,
		TeamName: p.TeamName, ProjectID: p.ProjectID, BudgetID: p.BudgetID, Tags: tags})
	if err != nil {
		return err
	}
	now := time.Now()
	obj := batch.NewObject(store.NewID(store.PrefixBatch), req.Endpoint, f.ID, len(lines), req.Metadata, now)
	record, err := jsonx.Marshal(obj)
	if err != nil {
		return err
	}
	if _, err := g.batches.store.CreateBatch(r.Context(), store.Batch{ID: obj.ID, Tenant: tenant, Status: obj.Status,
		Record: record, State: state, CreatedAt: now}); err != nil {
		return fmt.Errorf("gateway: store batch: %w", err)
	}
	if g.batches.wake != nil {
		g.batches.wake()
	}
	return writeJSON(w, http.StatusOK, obj)
}

// batchBudget refuses a batch when a budget covering the caller is already spent. The batch's
// cost is unknown until it runs, so nothing is reserved; its lines are charged as they finish.
func (g *Gateway) batchBudget(r *http.Request) error {
	if g.budgets == nil {
		return nil
	}
	p := principal(r)
	who := budget.Who{KeyID: p.KeyID, UserID: p.UserID, TeamID: p.TeamID, TeamName: p.TeamName,
		ProjectID: p.ProjectID, BudgetID: p.BudgetID}
	// The smallest estimate there is: one token, or one micro-dollar, must still fit.
	res, err := g.budgets.Admit(&who, &budget.Estimate{PromptTokens: 1, PromptPerMTok: 1, NoCompletion: true})
	if err != nil {
		return budgetError(err)
	}
	g.budgets.Settle(&res, budget.Amount{})
	return nil
}

func (g *Gateway) loadBatch(r *http.Request, id string) (*batch.Object, error) {
	b, err := g.batches.store.GetBatch(r.Context(), tenantOf(principal(r)), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, api.Errorf("batch_not_found", "No such Batch object: %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("gateway: read batch %q: %w", id, err)
	}
	return batch.Decode(&b)
}

// getBatch serves GET /v1/batches/{id}.
func (g *Gateway) getBatch(w http.ResponseWriter, r *http.Request) error {
	obj, err := g.loadBatch(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, obj)
}

// listBatches serves GET /v1/batches: the tenant's batches, newest first, with after and limit.
func (g *Gateway) listBatches(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := listLimit(q.Get("limit"), 20, 100)
	if err != nil {
		return err
	}
	page, err := g.batches.store.ListBatches(r.Context(), tenantOf(principal(r)),
		store.ListOptions{Limit: limit, After: q.Get("after")})
	if err != nil {
		return fmt.Errorf("gateway: list batches: %w", err)
	}
	data := make([]*batch.Object, 0, len(page.Items))
	for i := range page.Items {
		obj, err := batch.Decode(&page.Items[i])
		if err != nil {
			return fmt.Errorf("gateway: decode batch %q: %w", page.Items[i].ID, err)
		}
		data = append(data, obj)
	}
	return writeJSON(w, http.StatusOK, newList(data, page.Next != "", func(o *batch.Object) string { return o.ID }))
}

// cancelBatch serves POST /v1/batches/{id}/cancel: the batch shows "cancelling" at once, and
// the worker stops it (and any provider job) at its next step, then writes what finished.
func (g *Gateway) cancelBatch(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	b, err := g.batches.store.RequestBatchCancel(r.Context(), tenantOf(principal(r)), id, time.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return api.Errorf("batch_not_found", "No such Batch object: %s", id)
	case errors.Is(err, store.ErrConflict):
		return api.Errorf("batch_not_cancellable", "Batch %s has already finished and cannot be cancelled.", id)
	case err != nil:
		return fmt.Errorf("gateway: cancel batch %q: %w", id, err)
	}
	if g.batches.wake != nil {
		g.batches.wake()
	}
	obj, err := batch.Decode(&b)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, obj)
}
