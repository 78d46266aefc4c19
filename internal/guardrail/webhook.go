package guardrail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/internal/config"
)

// Hook is an external guardrail service.
type Hook interface {
	Check(ctx context.Context, stage Stage, texts []string) (HookVerdict, error)
}

// HookVerdict is a hook's answer: allow, flag or block, and a reason for the log.
type HookVerdict struct {
	Action string `json:"action"`
	Reason string `json:"reason,omitempty"`
	// Type names the kind of finding in verdicts (a judge's category); HOOK when empty.
	Type string `json:"-"`
}

// HookRequest is the body POSTed to a webhook.
type HookRequest struct {
	Check string   `json:"check"`
	Stage string   `json:"stage"`
	Texts []string `json:"texts"`
}

// DefaultHookTimeout bounds a webhook call when the check sets none.
const DefaultHookTimeout = 500 * time.Millisecond

// maxHookResponse bounds what is read of a hook's answer.
const maxHookResponse = 64 << 10

type webhook struct {
	name       string
	url        string
	timeout    time.Duration
	failClosed bool
	client     *http.Client
}

func newWebhook(cc config.GuardrailCheck) *webhook {
	t := cc.Timeout
	if t <= 0 {
		t = DefaultHookTimeout
	}
	return &webhook{name: cc.Name, url: cc.URL, timeout: t, failClosed: cc.FailClosed,
		client: &http.Client{Timeout: t}}
}

func (w *webhook) failsClosed() bool { return w.failClosed }

// Check POSTs the texts and reads the verdict. Any failure is returned; the caller applies
// fail-open or fail-closed.
func (w *webhook) Check(ctx context.Context, stage Stage, texts []string) (HookVerdict, error) {
	body, err := json.Marshal(HookRequest{Check: w.name, Stage: stage.String(), Texts: texts})
	if err != nil {
		return HookVerdict{}, fmt.Errorf("webhook %s: encode: %w", w.name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return HookVerdict{}, fmt.Errorf("webhook %s: %w", w.name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return HookVerdict{}, fmt.Errorf("webhook %s: %w", w.name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return HookVerdict{}, fmt.Errorf("webhook %s: status %d", w.name, resp.StatusCode)
	}
	var v HookVerdict
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxHookResponse)).Decode(&v); err != nil {
		return HookVerdict{}, fmt.Errorf("webhook %s: decode verdict: %w", w.name, err)
	}
	switch v.Action {
	case "allow", "flag", "block":
		return v, nil
	}
	return HookVerdict{}, fmt.Errorf("webhook %s: unknown action %q", w.name, v.Action)
}
