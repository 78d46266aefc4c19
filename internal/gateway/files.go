package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/batch"
	"github.com/sluicehq/sluice/internal/store"
)

// batchAPI is where files and batches are kept and how they are bounded; nil store: the Batch
// API is off.
type batchAPI struct {
	store        store.BatchStore
	maxFileBytes int64
	retention    time.Duration
	wake         func() // tells the worker a batch was created; may be nil
}

// WithBatches serves /v1/files and /v1/batches over st: files up to maxFileBytes, kept for
// retention (0: until deleted); wake, when set, is called after each batch is created.
func WithBatches(st store.BatchStore, maxFileBytes int64, retention time.Duration, wake func()) Option {
	return func(g *Gateway) {
		g.batches = batchAPI{store: st, maxFileBytes: maxFileBytes, retention: retention, wake: wake}
	}
}

func (g *Gateway) registerBatches(mux *http.ServeMux) {
	if g.batches.store == nil {
		return
	}
	mux.Handle("POST /v1/files", g.handle(g.authenticated(g.uploadFile)))
	mux.Handle("GET /v1/files", g.handle(g.authenticated(g.listFiles)))
	mux.Handle("GET /v1/files/{id}", g.handle(g.authenticated(g.getFile)))
	mux.Handle("DELETE /v1/files/{id}", g.handle(g.authenticated(g.deleteFile)))
	mux.Handle("GET /v1/files/{id}/content", g.handle(g.authenticated(g.fileContent)))
	mux.Handle("POST /v1/batches", g.handle(g.authenticated(g.createBatch)))
	mux.Handle("GET /v1/batches", g.handle(g.authenticated(g.listBatches)))
	mux.Handle("GET /v1/batches/{id}", g.handle(g.authenticated(g.getBatch)))
	mux.Handle("POST /v1/batches/{id}/cancel", g.handle(g.authenticated(g.cancelBatch)))
	mux.Handle("/v1/files", g.handle(methodNotAllowed))
	mux.Handle("/v1/batches", g.handle(methodNotAllowed))
}

// filePurposes are the purposes a client may upload with. Only "batch" files are read by
// Sluice; the others are kept for the client, as OpenAI's user_data is.
var filePurposes = map[string]bool{"batch": true, "user_data": true, "assistants": true, "vision": true,
	"fine-tune": true, "evals": true}

// fileObject is OpenAI's File object (https://platform.openai.com/docs/api-reference/files/object).
type fileObject struct {
	ID            string  `json:"id"`
	Object        string  `json:"object"` // "file"
	Bytes         int64   `json:"bytes"`
	CreatedAt     int64   `json:"created_at"`
	ExpiresAt     *int64  `json:"expires_at,omitempty"`
	Filename      string  `json:"filename"`
	Purpose       string  `json:"purpose"`
	Status        string  `json:"status"` // always "processed": files are checked on upload
	StatusDetails *string `json:"status_details"`
}

func newFileObject(f *store.File) *fileObject {
	o := &fileObject{ID: f.ID, Object: "file", Bytes: f.Bytes, CreatedAt: f.CreatedAt.Unix(), Filename: f.Filename,
		Purpose: f.Purpose, Status: "processed"}
	if !f.ExpiresAt.IsZero() {
		exp := f.ExpiresAt.Unix()
		o.ExpiresAt = &exp
	}
	return o
}

// multipartOverhead allows for the form around a file of the maximum size.
const multipartOverhead = 64 << 10

// uploadFile serves POST /v1/files: a multipart form with purpose and file. A batch file is
// checked line by line now, so a bad one is refused with the line named rather than failing
// a batch later.
func (g *Gateway) uploadFile(w http.ResponseWriter, r *http.Request) error {
	limit := g.batches.maxFileBytes
	if r.ContentLength > limit+multipartOverhead {
		return tooLarge(limit)
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(uploadReadTimeout))
	purpose, name, content, err := readFileForm(http.MaxBytesReader(w, r.Body, limit+multipartOverhead), r, limit)
	_ = rc.SetReadDeadline(time.Time{})
	if err != nil {
		return uploadError(err, limit)
	}
	if purpose == "batch" {
		lines, err := batch.Parse(content, "")
		if err != nil {
			return fileError(err)
		}
		if err := g.checkLines(r, lines); err != nil {
			return err
		}
	}
	now := time.Now()
	f := store.File{ID: store.NewID(store.PrefixFile), Tenant: tenantOf(principal(r)), Purpose: purpose,
		Filename: name, CreatedAt: now, Content: content}
	if g.batches.retention > 0 {
		f.ExpiresAt = now.Add(g.batches.retention)
	}
	stored, err := g.batches.store.PutFile(r.Context(), f)
	if err != nil {
		return fmt.Errorf("gateway: store file: %w", err)
	}
	return writeJSON(w, http.StatusOK, newFileObject(&stored))
}

// readFileForm reads the purpose field and the file part of an upload form.
func readFileForm(body io.Reader, r *http.Request, limit int64) (purpose, name string, content []byte, err error) {
	r.Body = io.NopCloser(body)
	mr, err := r.MultipartReader()
	if err != nil {
		return "", "", nil, err
	}
	var haveFile bool
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", "", nil, err
		}
		switch part.FormName() {
		case "purpose":
			b, err := io.ReadAll(io.LimitReader(part, 64))
			if err != nil {
				return "", "", nil, err
			}
			purpose = string(bytes.TrimSpace(b))
		case "file":
			var buf bytes.Buffer
			n, err := buf.ReadFrom(io.LimitReader(part, limit+1))
			if err != nil {
				return "", "", nil, err
			}
			if n > limit {
				return "", "", nil, tooLarge(limit)
			}
			name, content, haveFile = part.FileName(), buf.Bytes(), true
		}
		part.Close()
	}
	switch {
	case !haveFile:
		return "", "", nil, param(api.Errorf("invalid_request", "the form has no file part"), "file")
	case purpose == "":
		return "", "", nil, param(api.Errorf("invalid_request", "purpose is required"), "purpose")
	case !filePurposes[purpose]:
		return "", "", nil, param(api.Errorf("invalid_request", "purpose %q is not supported; use batch or user_data", purpose), "purpose")
	}
	if name == "" {
		name = "upload"
	}
	return purpose, name, content, nil
}

func param(e *api.Error, name string) *api.Error {
	e.Param = name
	return e
}

// fileError is the client's 400 for a batch file that does not parse, naming the line.
func fileError(err error) error {
	var ie *batch.InputError
	if errors.As(err, &ie) {
		return param(api.NewError("invalid_request", "invalid batch file: "+ie.Error(), err), "file")
	}
	return err
}

// checkLines checks that every line's model routes and that the caller may use it.
func (g *Gateway) checkLines(r *http.Request, lines []batch.Line) error {
	table := g.snapshot.Load().Routes
	p := principal(r)
	checked := map[string]bool{}
	for i := range lines {
		l := &lines[i]
		if checked[l.Model] {
			continue
		}
		err := auth.Authorize(p, l.Model)
		if err == nil {
			_, err = table.Resolve(l.Model)
		}
		if err != nil {
			return param(api.NewError("invalid_request", fmt.Sprintf("invalid batch file: line %d: %s", l.N, api.AsError(err).Message), err), "file")
		}
		checked[l.Model] = true
	}
	return nil
}

// listFiles serves GET /v1/files: the tenant's files, newest first, with purpose, limit and
// after.
func (g *Gateway) listFiles(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := listLimit(q.Get("limit"), 10_000, store.MaxLimit)
	if err != nil {
		return err
	}
	page, err := g.batches.store.ListFiles(r.Context(), tenantOf(principal(r)), q.Get("purpose"),
		store.ListOptions{Limit: limit, After: q.Get("after")})
	if err != nil {
		return fmt.Errorf("gateway: list files: %w", err)
	}
	data := make([]*fileObject, len(page.Items))
	for i := range page.Items {
		data[i] = newFileObject(&page.Items[i])
	}
	return writeJSON(w, http.StatusOK, newList(data, page.Next != "", func(f *fileObject) string { return f.ID }))
}

// list is OpenAI's cursor page: {object:"list", data, first_id, last_id, has_more}.
type list[T any] struct {
	Object  string  `json:"object"`
	Data    []T     `json:"data"`
	FirstID *string `json:"first_id"`
	LastID  *string `json:"last_id"`
	HasMore bool    `json:"has_more"`
}

func newList[T any](data []T, more bool, id func(T) string) *list[T] {
	l := &list[T]{Object: "list", Data: data, HasMore: more}
	if len(data) > 0 {
		first, last := id(data[0]), id(data[len(data)-1])
		l.FirstID, l.LastID = &first, &last
	}
	return l
}

// listLimit reads a limit parameter: def when absent, at most most.
func listLimit(s string, def, most int) (int, error) {
	if s == "" {
		return min(def, most), nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, param(api.Errorf("invalid_request", "limit must be a positive integer"), "limit")
	}
	return min(n, most), nil
}

func (g *Gateway) loadFile(r *http.Request, id string) (store.File, error) {
	f, err := g.batches.store.GetFile(r.Context(), tenantOf(principal(r)), id)
	if errors.Is(err, store.ErrNotFound) {
		return f, api.Errorf("file_not_found", "No such File object: %s", id)
	}
	if err != nil {
		return f, fmt.Errorf("gateway: read file %q: %w", id, err)
	}
	return f, nil
}

// getFile serves GET /v1/files/{id}.
func (g *Gateway) getFile(w http.ResponseWriter, r *http.Request) error {
	f, err := g.loadFile(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newFileObject(&f))
}

// fileContent serves GET /v1/files/{id}/content: the bytes as uploaded or produced.
func (g *Gateway) fileContent(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	data, err := g.batches.store.FileContent(r.Context(), tenantOf(principal(r)), id)
	if errors.Is(err, store.ErrNotFound) {
		return api.Errorf("file_not_found", "No such File object: %s", id)
	}
	if err != nil {
		return fmt.Errorf("gateway: read file content %q: %w", id, err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
	return nil
}

// deleteFile serves DELETE /v1/files/{id}.
func (g *Gateway) deleteFile(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	err := g.batches.store.DeleteFile(r.Context(), tenantOf(principal(r)), id)
	if errors.Is(err, store.ErrNotFound) {
		return api.Errorf("file_not_found", "No such File object: %s", id)
	}
	if err != nil {
		return fmt.Errorf("gateway: delete file %q: %w", id, err)
	}
	return writeJSON(w, http.StatusOK, &deletedFile{ID: id, Object: "file", Deleted: true})
}

type deletedFile struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}
