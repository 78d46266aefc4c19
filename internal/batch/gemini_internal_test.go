package batch

import (
	"net/http"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/gemini"
)

// A line's google.rpc.Status carries a gRPC code; the client gets the error :generateContent
// would have answered with the matching HTTP status.
func TestGeminiLineErrorMapsGRPCCodesToTheAdaptersErrors(t *testing.T) {
	tg := &provider.Target{Provider: "g", Adapter: gemini.Adapter{}}
	for _, tc := range []struct {
		code       int
		wantStatus int
		wantType   string
		retryable  bool
	}{
		{3, http.StatusBadRequest, "INVALID_ARGUMENT", false},
		{5, http.StatusNotFound, "NOT_FOUND", false},
		{8, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", true},
		{13, http.StatusBadGateway, "INTERNAL", true},      // an upstream 5xx is a 502 at the gateway
		{16, http.StatusBadGateway, "server_error", false}, // the gateway's key, not the client's
		{99, http.StatusBadGateway, "UNKNOWN", true},
	} {
		e := api.AsError(gmLineError(tg, &gmStatus{Code: tc.code, Message: "m"}))
		if e.Status != tc.wantStatus || e.Type != tc.wantType || e.Retryable != tc.retryable {
			t.Errorf("gmLineError(code %d) = %d %s retryable=%v, want %d %s retryable=%v",
				tc.code, e.Status, e.Type, e.Retryable, tc.wantStatus, tc.wantType, tc.retryable)
		}
	}
}

// The state is read from the Operation's metadata (or a bare batch resource), in either of its
// spellings, and the responses from metadata.output or the Operation's response.
func TestGeminiOperationStateAndResponses(t *testing.T) {
	for _, tc := range []struct {
		name, body, wantState, wantKey string
	}{
		{"operation with metadata output", `{"name":"batches/a","done":true,"metadata":{"state":"BATCH_STATE_SUCCEEDED",
			"output":{"inlinedResponses":{"inlinedResponses":[{"response":{},"metadata":{"key":"r0"}}]}}}}`, "BATCH_STATE_SUCCEEDED", "r0"},
		{"output only as the response", `{"name":"batches/a","done":true,"metadata":{"state":"JOB_STATE_SUCCEEDED"},
			"response":{"@type":"x","inlinedResponses":{"inlinedResponses":[{"error":{"code":3},"metadata":{"key":"r4"}}]}}}`, "BATCH_STATE_SUCCEEDED", "r4"},
		{"bare resource, running", `{"name":"batches/a","state":"BATCH_STATE_RUNNING"}`, "BATCH_STATE_RUNNING", ""},
	} {
		var op gmOperation
		if err := jsonx.Unmarshal([]byte(tc.body), &op); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		key := ""
		if rs := op.responses(); len(rs) > 0 {
			key = rs[0].Metadata.Key
		}
		if op.state() != tc.wantState || key != tc.wantKey {
			t.Errorf("%s: state %q, first key %q; want %q, %q", tc.name, op.state(), key, tc.wantState, tc.wantKey)
		}
	}
}
