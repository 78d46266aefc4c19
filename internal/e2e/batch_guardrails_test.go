package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
)

// batchGuardrailsConfig is batchConfig with a policy that redacts e-mail addresses (restoring
// them in answers), blocks secrets in requests and blocks a keyword in answers.
const batchGuardrailsConfig = batchConfig + `
guardrails:
  policies:
    - name: default
      restore: true
      checks:
        - {name: pii, kind: pii, action: redact, apply: both}
        - {name: no-secrets, kind: secrets, action: block, apply: input}
        - {name: codename, kind: keyword, action: block, apply: output, keywords: ["project bluebird"]}
  attach:
    org: [default]
`

// A batch is not a way around the content policies: each line passes the same input and
// output checks as the request sent on its own, whichever way it runs.
func TestBatchLinesPassTheGuardrails(t *testing.T) {
	for _, model := range []string{"native-gpt", "fast"} {
		t.Run(model, func(t *testing.T) {
			g := start(t, batchGuardrailsConfig, time.Minute)
			c := g.client()
			b := submitBatch(t, c, jsonl("/v1/chat/completions",
				[2]string{model, "Email jane.doe@example.com the summary. " + replyDirective("Done: sent to [EMAIL_1].", 0)},
				[2]string{model, "deploy with AKIAIOSFODNN7EXAMPLE please"},
				[2]string{model, "status? " + replyDirective("all about project bluebird", 0)}))
			b = awaitBatch(t, c, b.ID)
			if b.Status != openai.BatchStatusCompleted || b.RequestCounts.Completed != 1 || b.RequestCounts.Failed != 2 {
				t.Fatalf("batch = %s %+v, want completed with 1 of 3 completed", b.Status, b.RequestCounts)
			}
			for _, r := range g.Mock.Server().Requests() {
				if body := string(r.Body); strings.Contains(body, "jane.doe@example.com") || strings.Contains(body, "AKIAIOSFODNN7EXAMPLE") {
					t.Errorf("the provider saw %s with an address or a secret: %.300s", r.Path, body)
				}
			}
			out, errs := readBatchFile(t, c, b.OutputFileID), readBatchFile(t, c, b.ErrorFileID)
			var chat openai.ChatCompletion
			if l := out["req-0"]; l.Response == nil || json.Unmarshal(l.Response.Body, &chat) != nil ||
				chat.Choices[0].Message.Content != "Done: sent to jane.doe@example.com." {
				t.Errorf("req-0 = %+v, want the answer with the address restored", l)
			}
			for id, rule := range map[string]string{"req-1": "no-secrets", "req-2": "codename"} {
				l := errs[id]
				if l.Response == nil || l.Response.StatusCode != 400 || !strings.Contains(string(l.Response.Body), "content_policy_violation") ||
					!strings.Contains(string(l.Response.Body), rule) || strings.Contains(string(l.Response.Body), "AKIA") {
					t.Errorf("%s = %+v, want a 400 content_policy_violation naming %s without the secret", id, l, rule)
				}
			}
			recs := batchLogs(t, g, b.ID, 3)
			fired := map[string]bool{}
			for _, r := range recs {
				vs, _ := r["guardrails"].([]any)
				for _, v := range vs {
					fired[v.(map[string]any)["rule"].(string)] = true
				}
			}
			for _, rule := range []string{"pii", "no-secrets", "codename"} {
				if !fired[rule] {
					t.Errorf("no request-log record of the batch has the verdict of rule %s: %v", rule, recs)
				}
			}
		})
	}
}
