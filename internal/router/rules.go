package router

import (
	"net/http"
	"slices"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/config"
)

// rule is a compiled config.Rule.
type rule struct {
	name            string
	models          []string
	teams           []string
	keyTags         map[string]string
	headers         [][2]string // canonical name, value
	minPromptTokens int
	model           string
}

func compileRules(rs []config.Rule) []rule {
	out := make([]rule, 0, len(rs))
	for _, r := range rs {
		cr := rule{name: r.Name, models: r.Match.Models, teams: r.Match.Teams, keyTags: r.Match.KeyTags,
			minPromptTokens: r.Match.MinPromptTokens, model: r.Model}
		for k, v := range r.Match.Headers {
			cr.headers = append(cr.headers, [2]string{http.CanonicalHeaderKey(k), v})
		}
		out = append(out, cr)
	}
	return out
}

// Caller is what rules may know of who is calling.
type Caller struct {
	Team    string            // team name, "" when none
	KeyTags map[string]string // tags of the caller's key
}

// Rewrite applies the first matching rule to a requested model and returns the model to
// resolve, and the rule's name ("" when none matched). The prompt estimate is computed only if
// a rule asks for it.
func (t *Table) Rewrite(model string, h http.Header, who Caller, req *api.ChatRequest) (string, string) {
	estimate := -1
	for i := range t.rules {
		r := &t.rules[i]
		if len(r.models) > 0 && !slices.Contains(r.models, model) {
			continue
		}
		if len(r.teams) > 0 && !slices.Contains(r.teams, who.Team) {
			continue
		}
		if !tagsMatch(who.KeyTags, r.keyTags) {
			continue
		}
		if !headersMatch(h, r.headers) {
			continue
		}
		if r.minPromptTokens > 0 {
			if estimate < 0 {
				estimate = estimatePromptTokens(req)
			}
			if estimate < r.minPromptTokens {
				continue
			}
		}
		return r.model, r.name
	}
	return model, ""
}

func tagsMatch(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func headersMatch(h http.Header, want [][2]string) bool {
	for _, kv := range want {
		if h.Get(kv[0]) != kv[1] {
			return false
		}
	}
	return true
}

// estimatePromptTokens is a deliberately cheap estimate (4 characters per token, OpenAI's rule
// of thumb): routing needs a size class, not a bill.
func estimatePromptTokens(req *api.ChatRequest) int {
	if req == nil {
		return 0
	}
	chars := 0
	for i := range req.Messages {
		m := &req.Messages[i]
		if m.Content.IsArray() {
			for _, p := range m.Content.Parts {
				chars += len(p.Text)
			}
		} else {
			chars += len(m.Content.Text)
		}
		for _, tc := range m.ToolCalls {
			chars += len(tc.Function.Arguments)
		}
	}
	return chars / 4
}
