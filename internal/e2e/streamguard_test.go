package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/sqlite"
)

// verdictHook is a guardrail webhook on 127.0.0.1: it blocks texts that say "forbidden",
// answers texts that say "slowly" only after the caller gave up, and allows the rest. It
// keeps every request it was sent.
type verdictHook struct {
	mu   sync.Mutex
	got  []map[string]any
	URL  string
	srv  *httptest.Server
	slow chan struct{} // closed when the test ends, to release slow answers
}

func newVerdictHook(t *testing.T) *verdictHook {
	t.Helper()
	h := &verdictHook{slow: make(chan struct{})}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		h.mu.Lock()
		h.got = append(h.got, in)
		h.mu.Unlock()
		texts := fmt.Sprint(in["texts"])
		switch {
		case strings.Contains(texts, "slowly"):
			select { // the gateway's timeout closes the connection first
			case <-r.Context().Done():
			case <-h.slow:
			}
		case strings.Contains(texts, "forbidden"):
			_, _ = w.Write([]byte(`{"action":"block","reason":"policy"}`))
		default:
			_, _ = w.Write([]byte(`{"action":"allow"}`))
		}
	}))
	h.URL = h.srv.URL
	t.Cleanup(func() { close(h.slow); h.srv.Close() })
	return h
}

func (h *verdictHook) requests() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.got)
}

// streamGuardConfig routes "final" and "buffered" through an output webhook in each stream
// mode, and "judged" through a judge that asks the model "judge"; the team ml has a USD budget.
func streamGuardConfig(hook, storePath string) string {
	route := func(name string) string {
		return "  - name: " + name + "\n    targets:\n      - provider: mock\n        model: gpt-4o-mini\n"
	}
	return defaultConfig + route("final") + route("buffered") + route("judged") + route("judged-quick") + route("judge") + `
guardrails:
  policies:
    - name: hook-final
      checks:
        - {name: hook, kind: webhook, action: block, apply: output, url: "` + hook + `", timeout: 200ms}
    - name: hook-buffer
      checks:
        - {name: hook, kind: webhook, action: block, apply: output, url: "` + hook + `", timeout: 200ms, stream: buffer}
    - name: judged
      checks:
        - {name: moderation, kind: judge, model: judge, action: block, apply: output}
    - name: judged-quick
      checks:
        - {name: quick, kind: judge, model: judge, action: block, apply: output, timeout: 300ms}
  attach:
    routes:
      final: [hook-final]
      buffered: [hook-buffer]
      judged: [judged]
      judged-quick: [judged-quick]
budgets:
  - id: ml-usd
    name: ML spend
    scope: team
    scope_id: ml
    limit_usd: 100
    period: monthly
store:
  path: ` + storePath + `
`
}

// chatStream posts a streaming chat completion with key and returns each data payload.
func chatStream(t *testing.T, g *gateway, key, model, content string) []string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"model": model, "stream": true,
		"messages": []map[string]string{{"role": "user", "content": content}}})
	req, _ := http.NewRequest(http.MethodPost, g.URL+"/v1/chat/completions", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream %s: status %d", model, resp.StatusCode)
	}
	var out []string
	for _, ev := range readNamedEvents(t, resp.Body, 0) {
		out = append(out, ev.data)
	}
	return out
}

// streamedChat is what a client read from a chat stream.
type streamedChat struct {
	content  string
	finishes []string
	err      *struct{ Code, Message string }
	done     bool
}

func readChat(t *testing.T, events []string) streamedChat {
	t.Helper()
	var s streamedChat
	for i, ev := range events {
		if ev == "[DONE]" {
			s.done = true
			continue
		}
		var c sseChunk
		if err := json.Unmarshal([]byte(ev), &c); err != nil {
			t.Fatalf("event %q: %v", ev, err)
		}
		for _, ch := range c.Choices {
			s.content += ch.Delta.Content
			if ch.FinishReason != nil {
				s.finishes = append(s.finishes, *ch.FinishReason)
			}
		}
		if c.Error != nil {
			if i != len(events)-1 {
				t.Errorf("error event %s is not the last of %q", ev, events)
			}
			s.err = c.Error
		}
	}
	return s
}

// requestLogs stops the gateway (which drains the log) and reads every record.
func requestLogs(t *testing.T, g *gateway, db string) []store.RequestLog {
	t.Helper()
	g.stop(t)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.ListRequestLogs(ctx, store.RequestLogFilter{}, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func TestStreamWebhookFinalModeBlockEndsWithContentFilterAndLogsVerdict(t *testing.T) {
	hook := newVerdictHook(t)
	db := filepath.Join(t.TempDir(), "sluice.db")
	g := start(t, streamGuardConfig(hook.URL, db), time.Minute)
	reply := "Here is the forbidden recipe, step by step: mix, stir, wait."
	s := readChat(t, chatStream(t, g, clientKey, "final", "Recipe? "+replyDirective(reply, 5)))

	// Final mode streams the text as it comes (it cannot be unsent), then holds the finish
	// for the verdict: the block replaces it with content_filter and an error event.
	if s.content != reply {
		t.Errorf("streamed %q, want the whole answer before the verdict", s.content)
	}
	if s.done || !slices.Equal(s.finishes, []string{"content_filter"}) {
		t.Errorf("finishes %q, [DONE] %v: want only content_filter and no [DONE]", s.finishes, s.done)
	}
	if s.err == nil || s.err.Code != "content_policy_violation" || !strings.Contains(s.err.Message, `rule "hook" (HOOK)`) {
		t.Errorf("error event = %+v, want content_policy_violation naming hook (HOOK)", s.err)
	}
	reqs := hook.requests()
	if len(reqs) != 1 || reqs[0]["stage"] != "output" || fmt.Sprint(reqs[0]["texts"]) != fmt.Sprint([]string{reply}) {
		t.Errorf("webhook got %v, want one output check of the complete answer", reqs)
	}

	logs := requestLogs(t, g, db)
	if len(logs) != 1 {
		t.Fatalf("request log has %d records, want 1", len(logs))
	}
	rec := logs[0]
	want := []store.GuardrailVerdict{{Rule: "hook", Type: "HOOK", Action: "block", Stage: "output", Count: 1}}
	if rec.Status != 200 || rec.ErrorCode != "content_policy_violation" || fmt.Sprint(rec.Guardrails) != fmt.Sprint(want) {
		t.Errorf("record: status %d code %q verdicts %+v, want 200 content_policy_violation %+v", rec.Status, rec.ErrorCode, rec.Guardrails, want)
	}
}

func TestStreamWebhookBufferModeNeverSendsBlockedText(t *testing.T) {
	hook := newVerdictHook(t)
	g := start(t, streamGuardConfig(hook.URL, filepath.Join(t.TempDir(), "sluice.db")), time.Minute)
	reply := "Here is the forbidden recipe, step by step: mix, stir, wait."
	events := chatStream(t, g, clientKey, "buffered", "Recipe? "+replyDirective(reply, 5))
	for _, ev := range events {
		if strings.Contains(ev, "forbidden") || strings.Contains(ev, "recipe") {
			t.Fatalf("event %s carries blocked text", ev)
		}
	}
	s := readChat(t, events)
	if s.content != "" || s.done || !slices.Equal(s.finishes, []string{"content_filter"}) ||
		s.err == nil || s.err.Code != "content_policy_violation" {
		t.Errorf("blocked buffered stream: content %q finishes %q done %v error %+v, want no text, content_filter, an error event",
			s.content, s.finishes, s.done, s.err)
	}

	list := mustAdmin(t, g, clientKey, "GET", "/admin/v1/guardrails", nil, http.StatusOK)
	modes := map[string]any{}
	for _, p := range list["data"].([]any) {
		p := p.(map[string]any)
		modes[p["name"].(string)] = p["checks"].([]any)[0].(map[string]any)["stream"]
	}
	if modes["hook-buffer"] != "buffer" || modes["hook-final"] != "final" || modes["judged"] != "final" {
		t.Errorf("GET /admin/v1/guardrails shows stream modes %v, want buffer for hook-buffer, final (the default) for the others", modes)
	}

	// An allowed answer arrives whole, in its chunks, after the verdict.
	ok := "A harmless answer about bread."
	events = chatStream(t, g, clientKey, "buffered", "Bread? "+replyDirective(ok, 4))
	s = readChat(t, events)
	if s.content != ok || !s.done || !slices.Equal(s.finishes, []string{"stop"}) || s.err != nil {
		t.Errorf("allowed buffered stream: content %q finishes %q done %v error %+v", s.content, s.finishes, s.done, s.err)
	}
	if len(events) < 5 {
		t.Errorf("allowed buffered stream came as %d events, want its chunks kept", len(events))
	}
}

func TestStreamWebhookTimeoutFailsOpenAndRecordsTheFailure(t *testing.T) {
	hook := newVerdictHook(t)
	db := filepath.Join(t.TempDir(), "sluice.db")
	g := start(t, streamGuardConfig(hook.URL, db), time.Minute)
	reply := "The hook will answer slowly, so this goes through."
	for _, model := range []string{"final", "buffered"} {
		s := readChat(t, chatStream(t, g, clientKey, model, "Go? "+replyDirective(reply, 6)))
		if s.content != reply || !s.done || s.err != nil {
			t.Errorf("%s: content %q done %v error %+v, want the whole answer and [DONE]", model, s.content, s.done, s.err)
		}
	}
	logs := requestLogs(t, g, db)
	if len(logs) != 2 {
		t.Fatalf("request log has %d records, want 2", len(logs))
	}
	want := fmt.Sprint([]store.GuardrailVerdict{{Rule: "hook", Type: "HOOK_FAILURE", Action: "flag", Stage: "output", Count: 1}})
	for _, rec := range logs {
		if rec.ErrorCode != "" || fmt.Sprint(rec.Guardrails) != want {
			t.Errorf("%s record: error %q verdicts %+v, want no error and %s", rec.Route, rec.ErrorCode, rec.Guardrails, want)
		}
	}
}

// judgeReply is an answer that carries a reply directive for the judge: the judge's request
// quotes the answer, so the mock answers the judge with verdict.
func judgeReply(text, verdict string) string {
	return text + " " + replyDirective(verdict, 0)
}

func TestStreamJudgeCallIsLoggedAndChargedToTheCallersTeam(t *testing.T) {
	hook := newVerdictHook(t)
	db := filepath.Join(t.TempDir(), "sluice.db")
	g := start(t, streamGuardConfig(hook.URL, db), time.Minute)
	team := mustAdmin(t, g, clientKey, "POST", "/admin/v1/teams", map[string]any{"name": "ml"}, http.StatusCreated)
	issued := mustAdmin(t, g, clientKey, "POST", "/admin/v1/keys",
		map[string]any{"name": "ml-app", "owner_kind": "team", "owner_id": team["id"]}, http.StatusCreated)
	key := issued["key"].(string)

	answer := judgeReply("Bread needs flour.", `{"flagged":false,"category":"","score":0.01}`)
	s := readChat(t, chatStream(t, g, key, "judged", "Bread? "+replyDirective(answer, 7)))
	if !s.done || s.err != nil || !strings.HasPrefix(s.content, "Bread needs flour.") {
		t.Fatalf("allowed judged stream: content %q done %v error %+v", s.content, s.done, s.err)
	}
	blocked := judgeReply("Do the harmful thing.", `{"flagged":true,"category":"violence","score":0.9}`)
	s = readChat(t, chatStream(t, g, key, "judged", "Harm? "+replyDirective(blocked, 7)))
	if s.done || s.err == nil || !strings.Contains(s.err.Message, `"moderation" (VIOLENCE)`) {
		t.Fatalf("flagged judged stream: done %v error %+v, want blocked by moderation (VIOLENCE)", s.done, s.err)
	}
	// A judge that times out fails open: the answer goes through, the failure is flagged,
	// and the call is logged with its error and charged nothing.
	slow := "Slow to judge. [[mock latency=2s]]" // the judge call, which quotes it, is delayed
	s = readChat(t, chatStream(t, g, key, "judged-quick", "Slow? "+replyDirective(slow, 7)))
	if !s.done || s.err != nil {
		t.Fatalf("judge timeout: done %v error %+v, want the stream through", s.done, s.err)
	}
	status := mustAdmin(t, g, clientKey, "GET", "/admin/v1/budgets/ml-usd/status", nil, http.StatusOK)
	spent := int64(status["spent"].(float64))

	logs := requestLogs(t, g, db)
	if len(logs) != 6 {
		t.Fatalf("request log has %d records, want 3 requests and 3 judge calls", len(logs))
	}
	parents := map[string]store.RequestLog{}
	for _, rec := range logs {
		if rec.Route != "judge" {
			parents[rec.ID] = rec
		}
	}
	var total int64
	for _, rec := range logs {
		total += rec.CostMicroUSD
		if rec.Route != "judge" {
			if rec.Metadata["guardrail_judge_for"] != "" {
				t.Errorf("request %s is marked as a judge call", rec.ID)
			}
			continue
		}
		parent, ok := parents[rec.Metadata["guardrail_judge_for"]]
		if !ok {
			t.Errorf("record %+v: want a judge call linked to a logged request", rec)
			continue
		}
		if parent.Route == "judged-quick" {
			flagged := fmt.Sprint([]store.GuardrailVerdict{{Rule: "quick", Type: "HOOK_FAILURE", Action: "flag", Stage: "output", Count: 1}})
			if rec.Status != http.StatusGatewayTimeout || rec.ErrorCode != "upstream_timeout" || rec.CostMicroUSD != 0 ||
				fmt.Sprint(parent.Guardrails) != flagged {
				t.Errorf("timed-out judge record: status %d code %q cost %d, request verdicts %+v; want 504 upstream_timeout, no cost, %s",
					rec.Status, rec.ErrorCode, rec.CostMicroUSD, parent.Guardrails, flagged)
			}
			continue
		}
		if rec.Route != "judge" || rec.Model != "judge" || rec.Status != 200 || rec.Stream {
			t.Errorf("judge record: route %q model %q status %d stream %v, want route and model judge, 200, not streamed",
				rec.Route, rec.Model, rec.Status, rec.Stream)
		}
		if rec.KeyID != parent.KeyID || rec.TeamID != parent.TeamID || rec.TeamID != team["id"] {
			t.Errorf("judge record key %q team %q, want the caller's %q %q", rec.KeyID, rec.TeamID, parent.KeyID, parent.TeamID)
		}
		if rec.PromptTokens == 0 || rec.CompletionTokens == 0 || rec.CostMicroUSD <= 0 {
			t.Errorf("judge record tokens %d+%d cost %d, want its usage priced", rec.PromptTokens, rec.CompletionTokens, rec.CostMicroUSD)
		}
		if len(rec.Guardrails) != 0 {
			t.Errorf("judge record carries verdicts %+v; they belong to the request", rec.Guardrails)
		}
	}
	if len(parents) != 3 {
		t.Errorf("logged %d judged requests, want 3", len(parents))
	}
	if spent != total {
		t.Errorf("team budget spent %d micro-USD, want the requests' and the judge calls' cost %d", spent, total)
	}
}

// TestStreamWebhookModesOnEverySurface blocks a buffered answer on every streaming API and
// lets an allowed one through: no surface sends blocked text or its completion events. In
// final mode the text was streamed, but the stream still ends with the block.
func TestStreamWebhookModesOnEverySurface(t *testing.T) {
	hook := newVerdictHook(t)
	g := start(t, streamGuardConfig(hook.URL, filepath.Join(t.TempDir(), "sluice.db")), time.Minute)
	complete := map[string]string{"chat": "[DONE]", "messages": "message_stop", "responses": "response.completed", "gemini": "finishReason"}
	for _, sf := range conformanceSurfaces {
		t.Run(sf.name, func(t *testing.T) {
			run := func(reply string, model ...string) string {
				m := "buffered"
				if len(model) > 0 {
					m = model[0]
				}
				path, body, h := sf.request(m, "Go? "+replyDirective(reply, 100)) // one delta, so the text is whole in the events
				raw, _ := json.Marshal(body)
				req, _ := http.NewRequest(http.MethodPost, g.URL+path, strings.NewReader(string(raw)))
				req.Header = h
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var all strings.Builder
				for _, ev := range readNamedEvents(t, resp.Body, 0) {
					all.WriteString(ev.name + " " + ev.data + "\n")
				}
				return all.String()
			}
			got := run("Here is the forbidden plan.")
			if strings.Contains(got, "forbidden") || strings.Contains(got, complete[sf.name]) ||
				!strings.Contains(got, `blocked by guardrail rule \"hook\"`) {
				t.Errorf("blocked stream sent:\n%s\nwant no text, no %s, and the block", got, complete[sf.name])
			}
			got = run("Here is the forbidden plan.", "final")
			if !strings.Contains(got, "forbidden plan") || strings.Contains(got, complete[sf.name]) ||
				!strings.Contains(got, `blocked by guardrail rule \"hook\"`) {
				t.Errorf("blocked final-mode stream sent:\n%s\nwant the text, no %s, and the block", got, complete[sf.name])
			}
			got = run("An allowed plan.")
			if !strings.Contains(got, "allowed plan") || !strings.Contains(got, complete[sf.name]) {
				t.Errorf("allowed stream sent:\n%s\nwant the text and %s", got, complete[sf.name])
			}
		})
	}
}
