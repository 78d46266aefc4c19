package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// benchKey is mockllm's API key, and the key sluice is configured to send.
const benchKey = "bench-key"

// The two targets get the same request except for the model name: sluice
// is asked for its route name and forwards it as the upstream model, and
// mockllm is asked for that upstream model directly. mockllm derives its
// reply from the model and messages, so both runs make it do exactly the
// same work and return the same words; the names have the same length, so
// the bodies are the same size too.
const (
	gatewayModel  = "bench-model"
	upstreamModel = "gpt-4o-mini"
)

// chatBody is a small two-message chat request, marshaled once per target
// so the hot loop only wraps it in a bytes.Reader.
func chatBody(model string, stream bool) []byte {
	type message struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	b, err := json.Marshal(struct {
		Model     string    `json:"model"`
		Messages  []message `json:"messages"`
		MaxTokens int       `json:"max_tokens"`
		Stream    bool      `json:"stream,omitempty"`
	}{
		Model: model,
		Messages: []message{
			{Role: "system", Content: "You are a concise assistant."},
			{Role: "user", Content: "Summarise the benefits of an AI gateway in one sentence."},
		},
		MaxTokens: 64,
		Stream:    stream,
	})
	if err != nil {
		panic(err) // a fixed literal always marshals
	}
	return b
}

func newTarget(name, addr, model string, stream bool) *target {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Authorization", "Bearer "+benchKey)
	if stream {
		h.Set("Accept", "text/event-stream")
	}
	return &target{
		name:   name,
		url:    "http://" + addr + "/v1/chat/completions",
		body:   chatBody(model, stream),
		header: h,
		stream: stream,
	}
}

// issueKey creates a team through the admin API with the master key, then a key owned by it.
func issueKey(ctx context.Context, client *http.Client, addr string) (string, error) {
	var team struct{ ID string }
	if err := adminPost(ctx, client, addr, "/admin/v1/teams", `{"name":"bench"}`, &team); err != nil {
		return "", err
	}
	var issued struct{ Key string }
	body := fmt.Sprintf(`{"owner_kind":"team","owner_id":%q,"name":"bench"}`, team.ID)
	if err := adminPost(ctx, client, addr, "/admin/v1/keys", body, &issued); err != nil {
		return "", err
	}
	return issued.Key, nil
}

func adminPost(ctx context.Context, client *http.Client, addr, path, body string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+benchKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("admin %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("admin %s: status %d: %s", path, resp.StatusCode, raw)
	}
	return json.Unmarshal(raw, out)
}

// withKey makes a target authenticate with key.
func withKey(t *target, key string) *target {
	t.header.Set("Authorization", "Bearer "+key)
	return t
}
