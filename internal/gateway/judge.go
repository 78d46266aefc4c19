package gateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/guardrail"
	"github.com/sluicehq/sluice/internal/router"
)

// judgeMaxTokens bounds a judge's answer: one small JSON object.
const judgeMaxTokens = 100

// RouterJudge answers guardrail judge checks with a model of the routing table in force, so a
// judge gets the route's retries, fallbacks and credentials like any request. The call is the
// gateway's own: it skips auth, admission and guardrails (a judge must not judge itself), and
// is not in the request log.
type RouterJudge struct {
	// Table returns the table in force; it is read per call so a reload applies.
	Table func() *router.Table
}

var _ guardrail.Judge = RouterJudge{}

// Complete implements guardrail.Judge.
func (j RouterJudge) Complete(ctx context.Context, model, system, user string) (string, error) {
	table := j.Table()
	if table == nil {
		return "", errors.New("no routing table")
	}
	route, err := table.Resolve(model)
	if err != nil {
		return "", fmt.Errorf("judge model %q: %w", model, err)
	}
	maxTokens, temperature := judgeMaxTokens, 0.0
	req := &api.ChatRequest{Model: model, MaxTokens: &maxTokens, Temperature: &temperature, Messages: []api.Message{
		{Role: "system", Content: api.TextContent(system)},
		{Role: "user", Content: api.TextContent(user)},
	}}
	resp, _, err := table.Chat(ctx, route, req)
	if err != nil {
		return "", err
	}
	if len(resp.Choices) == 0 {
		return "", errors.New("judge answered no choice")
	}
	return resp.Choices[0].Message.Content.Text, nil
}
