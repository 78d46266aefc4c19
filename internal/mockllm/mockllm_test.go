package mockllm

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// start listens on a free port and closes the instance when the test ends.
func start(t *testing.T, opts Options) *Instance {
	t.Helper()
	inst, err := Listen("127.0.0.1:0", opts)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := inst.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return inst
}

// newClient is the official SDK pointed at inst, without retries so each call is one request.
func newClient(inst *Instance, opts ...option.RequestOption) openai.Client {
	base := []option.RequestOption{
		option.WithBaseURL(inst.URL() + "/v1"),
		option.WithAPIKey("test-key"),
		option.WithMaxRetries(0),
	}
	return openai.NewClient(append(base, opts...)...)
}

func chatParams(text string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    "gpt-4o",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text)},
	}
}

// post sends a raw request, for what the SDK will not send.
func post(t *testing.T, url, body string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST %s: read body: %v", url, err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestAPIKeyIsEnforcedWhenConfigured(t *testing.T) {
	inst := start(t, Options{APIKey: "sk-right"})
	tests := []struct {
		name   string
		opts   []option.RequestOption
		status int // 0 when the call must succeed
	}{
		{"right key", []option.RequestOption{option.WithAPIKey("sk-right")}, 0},
		{"wrong key", []option.RequestOption{option.WithAPIKey("sk-wrong")}, http.StatusUnauthorized},
		{"no key", []option.RequestOption{option.WithHeaderDel("Authorization")}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(inst, tt.opts...)
			_, err := c.Chat.Completions.New(t.Context(), chatParams("hi"))
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("Chat.Completions.New: got error %v, want success", err)
				}
				return
			}
			apiErr, ok := errors.AsType[*openai.Error](err)
			if !ok {
				t.Fatalf("Chat.Completions.New: got error %v, want *openai.Error", err)
			}
			if apiErr.StatusCode != tt.status || apiErr.Code != "invalid_api_key" || apiErr.Type != "invalid_request_error" {
				t.Errorf("got status %d type %q code %q, want %d invalid_request_error invalid_api_key",
					apiErr.StatusCode, apiErr.Type, apiErr.Code, tt.status)
			}
		})
	}
}

func TestHangEndsWhenClientTimesOutAndCountsAsCanceled(t *testing.T) {
	inst := start(t, Options{})
	c := newClient(inst)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Chat.Completions.New(ctx, chatParams("wait [[mock hang]]"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Chat.Completions.New with hang: got %v, want context.DeadlineExceeded", err)
	}
	waitFor(t, func() bool { return inst.Server().Stats().Canceled == 1 })
	if got := inst.Server().Stats(); got.InFlight != 0 || got.Received != 1 || got.Completed != 0 {
		t.Errorf("Stats after hang: got %+v, want Received 1, Canceled 1, Completed 0, InFlight 0", got)
	}
}

func TestCloseReleasesHungRequests(t *testing.T) {
	inst, err := Listen("127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	c := newClient(inst)
	go func() {
		_, err := c.Chat.Completions.New(context.Background(), chatParams("[[mock hang]]"))
		errc <- err
	}()
	waitFor(t, func() bool { return inst.Server().Stats().InFlight == 1 })
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := inst.Close(ctx); err != nil {
		t.Fatalf("Close with a hung request: %v", err)
	}
	if err := <-errc; err == nil {
		t.Error("hung request after Close: got success, want an error")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLatencyKnobDelaysTheResponse(t *testing.T) {
	inst := start(t, Options{})
	c := newClient(inst)
	tests := []struct {
		name string
		call func() error
	}{
		{"directive", func() error {
			_, err := c.Chat.Completions.New(t.Context(), chatParams("hi [[mock latency=200ms]]"))
			return err
		}},
		{"header in milliseconds", func() error {
			_, err := c.Models.List(t.Context(), option.WithHeader("x-mock-latency", "200"))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			begin := time.Now()
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			if took := time.Since(begin); took < 200*time.Millisecond {
				t.Errorf("request with latency 200ms took %v, want >= 200ms", took)
			}
		})
	}
}

func TestRequestsAreRecordedNewestLast(t *testing.T) {
	inst := start(t, Options{})
	c := newClient(inst)
	if _, err := c.Models.List(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chat.Completions.New(t.Context(), chatParams("recorded")); err != nil {
		t.Fatal(err)
	}
	got := inst.Server().Requests()
	if len(got) != 2 {
		t.Fatalf("Requests: got %d, want 2", len(got))
	}
	if got[0].Method != http.MethodGet || got[0].Path != "/v1/models" {
		t.Errorf("Requests()[0]: got %s %s, want GET /v1/models", got[0].Method, got[0].Path)
	}
	if got[1].Path != "/v1/chat/completions" || !strings.Contains(string(got[1].Body), "recorded") {
		t.Errorf("Requests()[1]: got %s body %s, want /v1/chat/completions with the prompt", got[1].Path, got[1].Body)
	}
	if got[1].Header.Get("Authorization") != "Bearer test-key" {
		t.Errorf("Requests()[1].Header Authorization: got %q, want %q", got[1].Header.Get("Authorization"), "Bearer test-key")
	}
	if s := inst.Server().Stats(); s.Received != 2 || s.Completed != 2 || s.InFlight != 0 {
		t.Errorf("Stats: got %+v, want Received 2, Completed 2, InFlight 0", s)
	}
}

func TestRequestsKeepsOnlyTheLast256(t *testing.T) {
	s := New(Options{})
	for i := range maxRecorded + 10 {
		r := httptest.NewRequest(http.MethodGet, "/v1/models/m"+string(rune('a'+i%26)), nil)
		s.ServeHTTP(httptest.NewRecorder(), r)
	}
	got := s.Requests()
	if len(got) != maxRecorded {
		t.Fatalf("Requests after %d requests: got %d, want %d", maxRecorded+10, len(got), maxRecorded)
	}
	// Request number maxRecorded+9 (0-based) is the newest.
	if want := "/v1/models/m" + string(rune('a'+(maxRecorded+9)%26)); got[len(got)-1].Path != want {
		t.Errorf("newest recorded path: got %q, want %q", got[len(got)-1].Path, want)
	}
}

func TestHealthz(t *testing.T) {
	inst := start(t, Options{APIKey: "k"})
	resp, err := http.Get(inst.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz: got %d, want 200", resp.StatusCode)
	}
	if n := len(inst.Server().Requests()); n != 0 {
		t.Errorf("Requests after /healthz: got %d, want 0 (health checks are not recorded)", n)
	}
}
