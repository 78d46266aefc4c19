package mockllm

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// The providers' batch APIs: OpenAI's Files and Batch APIs (openai_batch.go), Anthropic's
// Message Batches (anthropic_batch.go) and Gemini's Batch Mode (gemini_batch.go). Each request
// of a batch is answered when the batch is created, by the same handler that serves it alone —
// knobs and directives included, so a line with [[mock status=400]] is an errored request —
// and the results are released after the batch has been retrieved a number of times: the
// x-mock-batch-polls header on the create request (default 2), standing in for the time a
// real batch takes.

// batchPollsHeader sets how many retrievals a batch stays in progress.
const batchPollsHeader = "X-Mock-Batch-Polls"

const defaultBatchPolls = 2

// batchStore holds the files and batches of both APIs; the zero value is ready.
type batchStore struct {
	mu    sync.Mutex
	files map[string]*mockFile
	oa    map[string]*oaMockBatch
	an    map[string]*anMockBatch
	gm    map[string]*gmMockBatch // by name, "batches/{id}"
}

type mockFile struct {
	ID, Purpose, Filename string
	Created               int64
	Content               []byte
}

func (b *batchStore) putFile(f *mockFile) {
	if b.files == nil {
		b.files = map[string]*mockFile{}
	}
	b.files[f.ID] = f
}

// batchPolls reads the polls knob of a create request.
func batchPolls(r *http.Request) int {
	if n, err := strconv.Atoi(r.Header.Get(batchPollsHeader)); err == nil && n >= 0 {
		return n
	}
	return defaultBatchPolls
}

// inner answers one request of a batch with serve, as if it had arrived alone with the
// batch request's headers, and returns its status and body.
func inner(r *http.Request, path string, body []byte, serve func(http.ResponseWriter, *http.Request, []byte) error) (int, []byte) {
	req := httptest.NewRequestWithContext(r.Context(), http.MethodPost, path, bytes.NewReader(body))
	req.Header = r.Header.Clone()
	req.Header.Del(batchPollsHeader)
	req.Header.Del("Content-Length")
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	if err := serve(rec, req, body); err != nil && rec.Body.Len() == 0 {
		return http.StatusInternalServerError, []byte(`{"error":{"message":"the mock failed this request","type":"server_error"}}`)
	}
	return rec.Code, rec.Body.Bytes()
}

func nowUnix() int64 { return time.Now().Unix() }
