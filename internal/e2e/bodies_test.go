package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	anoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3/option"
)

// A prompt with an e-mail address and an OpenAI key, and a reply (the mock's reply knob) with
// another address: none of the three may reach the stored bodies.
const (
	bodyEmail  = "jane.doe@example.com"
	bodyAPIKey = "sk-proj-4f9Xq2LmN8vB7cD1eR5tY6uI0oP3aS"
	bodyReply  = "bob@example.org"
	bodyPrompt = "Contact " + bodyEmail + " with key " + bodyAPIKey + " [[mock reply=write%20to%20bob%40example.org]]"
)

// chatID sends the body prompt with key (streaming or not) and returns the request's ID.
func chatID(t *testing.T, g *gateway, key string, stream bool) string {
	t.Helper()
	client := keyClient(g, key)
	var resp *http.Response
	if stream {
		s := client.Chat.Completions.NewStreaming(context.Background(), userMsg(bodyPrompt), option.WithResponseInto(&resp))
		for s.Next() {
		}
		if err := s.Err(); err != nil {
			t.Fatalf("stream with key %s…: %v", key[:14], err)
		}
	} else if _, err := client.Chat.Completions.New(context.Background(), userMsg(bodyPrompt), option.WithResponseInto(&resp)); err != nil {
		t.Fatalf("chat with key %s…: %v", key[:14], err)
	}
	id := resp.Header.Get("X-Request-Id")
	if id == "" {
		t.Fatal("no X-Request-Id on the answer")
	}
	return id
}

// loggedRequest waits for the request's log to be written and returns it with its bodies.
func loggedRequest(t *testing.T, g *gateway, id string) map[string]any {
	t.Helper()
	var out map[string]any
	waitFor(t, "request log "+id, func() bool {
		var status int
		status, out = adminCall(t, g, clientKey, "GET", "/admin/v1/logs/"+id, nil)
		return status == http.StatusOK
	})
	return out
}

// bodiesTeamKey creates a team with metadata and issues a team key with tags.
func bodiesTeamKey(t *testing.T, g *gateway, name string, metadata, tags map[string]string) string {
	t.Helper()
	team := mustAdmin(t, g, clientKey, "POST", "/admin/v1/teams", map[string]any{"name": name, "metadata": metadata}, http.StatusCreated)
	key := mustAdmin(t, g, clientKey, "POST", "/admin/v1/keys",
		map[string]any{"owner_kind": "team", "owner_id": team["id"], "tags": tags}, http.StatusCreated)
	return key["key"].(string)
}

func TestRequestBodiesFollowTeamAndKeyPolicyRedacted(t *testing.T) {
	g := start(t, defaultConfig, time.Minute) // logging.bodies defaults to off
	quiet := bodiesTeamKey(t, g, "quiet", nil, nil)
	shape := bodiesTeamKey(t, g, "shape", map[string]string{"log_bodies": "metadata"}, nil)
	audit := bodiesTeamKey(t, g, "audit", map[string]string{"log_bodies": "full"}, nil)
	optOut := bodiesTeamKey(t, g, "audit-opt-out", map[string]string{"log_bodies": "full"}, map[string]string{"log_bodies": "off"})

	for name, key := range map[string]string{"org default off": quiet, "key tag off over team full": optOut} {
		if b := loggedRequest(t, g, chatID(t, g, key, false))["bodies"]; b != nil {
			t.Errorf("%s: bodies = %v, want null", name, b)
		}
	}

	meta := loggedRequest(t, g, chatID(t, g, shape, false))
	b, _ := meta["bodies"].(map[string]any)
	if b == nil || b["mode"] != "metadata" || !strings.Contains(b["request"].(string), `"messages":1`) ||
		!strings.Contains(b["response"].(string), `"finish_reasons":["stop"]`) {
		t.Errorf("metadata team: bodies = %v, want the shapes", meta["bodies"])
	}
	if s := b["request"].(string) + b["response"].(string); strings.Contains(s, "Contact") || strings.Contains(s, "write") {
		t.Errorf("metadata team: text in the stored shape: %s", s)
	}

	for _, stream := range []bool{false, true} {
		full := loggedRequest(t, g, chatID(t, g, audit, stream))
		b, _ := full["bodies"].(map[string]any)
		if b == nil || b["mode"] != "full" || b["truncated"] != false {
			t.Fatalf("full team (stream %v): bodies = %v", stream, full["bodies"])
		}
		req, resp := b["request"].(string), b["response"].(string)
		if !strings.Contains(req, "Contact [EMAIL_1] with key [SECRET_1]") {
			t.Errorf("full team (stream %v): stored request = %s, want the prompt with placeholders", stream, req)
		}
		if !strings.Contains(resp, "write to [EMAIL_2]") {
			t.Errorf("full team (stream %v): stored response = %s, want the answer with a placeholder", stream, resp)
		}
		for _, leak := range []string{bodyEmail, bodyAPIKey, bodyReply} {
			if strings.Contains(req+resp, leak) {
				t.Errorf("full team (stream %v): %q was stored", stream, leak)
			}
		}
		if full["team_id"] == "" || full["stream"] != stream {
			t.Errorf("full team (stream %v): log = %v", stream, full)
		}
	}

	// Team admins of another team may not read the bodies.
	other := chatID(t, g, audit, false)
	loggedRequest(t, g, other)
	if status, _ := adminCall(t, g, quiet, "GET", "/admin/v1/logs/"+other, nil); status != http.StatusForbidden {
		t.Errorf("another team's key reading a log = %d, want 403", status)
	}
	mustAdmin(t, g, clientKey, "GET", "/admin/v1/logs/req_missing", nil, http.StatusNotFound)
}

func TestRequestBodiesAreDeletedAfterRetention(t *testing.T) {
	g := start(t, defaultConfig+"\nlogging:\n  bodies: full\n  retention: 2s\n", time.Minute)
	id := chatID(t, g, clientKey, false)
	// The body is written within the writer's flush interval; it is then kept until the
	// retention passes, so it is seen here first (unless this machine stalls for 2s).
	if b := loggedRequest(t, g, id)["bodies"]; b == nil {
		t.Fatalf("bodies of a fresh request = null, want them kept for 2s")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, out := adminCall(t, g, clientKey, "GET", "/admin/v1/logs/"+id, nil)
		if status != http.StatusOK {
			t.Fatalf("the log itself went away with its bodies: %d %v", status, out)
		}
		if out["bodies"] == nil {
			break // purged; the log stays
		}
		if time.Now().After(deadline) {
			t.Fatalf("bodies still stored long after a 2s retention")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRequestBodiesOfAnthropicMessages: /v1/messages keeps its bodies too, in OpenAI chat form,
// redacted the same way, streamed or not.
func TestRequestBodiesOfAnthropicMessages(t *testing.T) {
	g := start(t, defaultConfig+"\nlogging:\n  bodies: full\n", time.Minute)
	c := g.anthropicClient()
	for _, stream := range []bool{false, true} {
		var resp *http.Response
		if stream {
			s := c.Messages.NewStreaming(context.Background(), messagesParams("fast", bodyPrompt), anoption.WithResponseInto(&resp))
			for s.Next() {
			}
			if err := s.Err(); err != nil {
				t.Fatalf("messages stream: %v", err)
			}
			s.Close()
		} else if _, err := c.Messages.New(context.Background(), messagesParams("fast", bodyPrompt), anoption.WithResponseInto(&resp)); err != nil {
			t.Fatalf("messages: %v", err)
		}
		out := loggedRequest(t, g, resp.Header.Get("X-Request-Id"))
		b, _ := out["bodies"].(map[string]any)
		if b == nil || b["mode"] != "full" {
			t.Fatalf("messages (stream %v): bodies = %v", stream, out["bodies"])
		}
		req, answer := b["request"].(string), b["response"].(string)
		if !strings.Contains(req, "Contact [EMAIL_1] with key [SECRET_1]") || !strings.Contains(answer, "write to [EMAIL_2]") {
			t.Errorf("messages (stream %v): stored\n%s\n%s\nwant the prompt and answer with placeholders", stream, req, answer)
		}
		for _, leak := range []string{bodyEmail, bodyAPIKey, bodyReply} {
			if strings.Contains(req+answer, leak) {
				t.Errorf("messages (stream %v): %q was stored", stream, leak)
			}
		}
	}
}
