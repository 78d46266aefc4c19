package budget

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestWebhookRetriesAndFormats(t *testing.T) {
	var calls atomic.Int32
	var last atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		last.Store(string(b))
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway) // the first attempt fails
		}
	}))
	defer srv.Close()
	a := &Alert{Type: "budget.threshold", BudgetID: "b", Threshold: 80, Message: "Budget \"b\" reached 80%", At: time.Unix(0, 0)}

	if err := post(t.Context(), srv.Client(), Webhook{URL: srv.URL}, a); err != nil {
		t.Fatalf("post after one failure: %v", err)
	}
	if calls.Load() != 2 {
		t.Fatalf("webhook got %d calls, want 2 (a failure, then the retry)", calls.Load())
	}
	var got Alert
	if err := json.Unmarshal([]byte(last.Load().(string)), &got); err != nil || got.BudgetID != "b" || got.Threshold != 80 {
		t.Fatalf("JSON body = %s (%v)", last.Load(), err)
	}

	if err := post(t.Context(), srv.Client(), Webhook{URL: srv.URL, Slack: true}, a); err != nil {
		t.Fatal(err)
	}
	if body := last.Load().(string); body != `{"text":"Budget \"b\" reached 80%"}` {
		t.Fatalf("Slack body = %s", body)
	}
}

func TestWebhookErrorDoesNotLeakURL(t *testing.T) {
	err := postOnce(t.Context(), http.DefaultClient, "http://127.0.0.1:1/services/SECRET-TOKEN", []byte("{}"))
	if err == nil || strings.Contains(err.Error(), "SECRET-TOKEN") {
		t.Fatalf("postOnce error = %v; it must not contain the hook URL", err)
	}
}
