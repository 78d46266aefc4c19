package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	anoption "github.com/anthropics/anthropic-sdk-go/option"
)

// The rest of the Messages API surface agents use: count_tokens, anthropic-beta, cache_control.

func TestMessagesCountTokens(t *testing.T) {
	g := start(t, anthropicConfig, time.Minute)
	c := g.anthropicClient()
	count := func(text string) int64 {
		t.Helper()
		res, err := c.Messages.CountTokens(context.Background(), anthropic.MessageCountTokensParams{
			Model:    "claude",
			System:   anthropic.MessageCountTokensParamsSystemUnion{OfString: anthropic.String("Be brief.")},
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(text))},
		})
		if err != nil {
			t.Fatalf("CountTokens: %v", err)
		}
		return res.InputTokens
	}
	short, long := count("Hello"), count(strings.Repeat("Hello there, world. ", 20))
	if short <= 0 || long <= short+40 {
		t.Errorf("counts short %d long %d: want positive and growing with the text", short, long)
	}
	if n := len(g.Mock.Server().Requests()); n != 0 {
		t.Errorf("counting sent %d requests upstream, want none", n)
	}
	_, err := c.Messages.CountTokens(context.Background(), anthropic.MessageCountTokensParams{Model: "no-such-model",
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("x"))}})
	anthropicError(t, err, 404, "not_found_error")
}

func TestMessagesBetaHeaderAndCacheControlReachAnthropic(t *testing.T) {
	for _, up := range messagesUpstreams {
		t.Run(up.name, func(t *testing.T) {
			g := start(t, up.cfg, time.Minute)
			c := g.anthropicClient(anoption.WithHeader("anthropic-beta", "extended-cache-ttl-2025-04-11"))
			p := messagesParams(up.model, "Say hello")
			p.System = []anthropic.TextBlockParam{{Text: "Long, stable instructions.", CacheControl: anthropic.NewCacheControlEphemeralParam()}}
			msg, err := c.Messages.New(context.Background(), p)
			if err != nil {
				t.Fatalf("Messages.New: %v", err)
			}
			if !msg.Usage.JSON.CacheReadInputTokens.Valid() || !msg.Usage.JSON.CacheCreationInputTokens.Valid() {
				t.Errorf("usage %s: want cache_read_input_tokens and cache_creation_input_tokens", msg.Usage.RawJSON())
			}
			up := g.lastUpstream(t)
			if g.Mock.Server().Requests()[0].Path != "/v1/messages" {
				// Other providers cache on their own terms and may refuse members they do not know.
				if strings.Contains(string(up.Body), "cache_control") || up.Header.Get("Anthropic-Beta") != "" {
					t.Errorf("upstream %s got Anthropic's cache_control or anthropic-beta: %s", up.Path, up.Body)
				}
				return
			}
			if got := up.Header.Get("Anthropic-Beta"); got != "extended-cache-ttl-2025-04-11" {
				t.Errorf("upstream anthropic-beta = %q, want the client's", got)
			}
			var body struct{ System []map[string]any }
			if err := json.Unmarshal(up.Body, &body); err != nil || len(body.System) != 1 || jsonAt(body.System[0]["cache_control"]) != `{"type":"ephemeral"}` {
				t.Errorf("upstream system = %s (%v), want the block with its cache_control", up.Body, err)
			}
		})
	}
}
