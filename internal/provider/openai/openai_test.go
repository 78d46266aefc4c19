package openai

import (
	"net/http"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/providertest"
	"github.com/sluicehq/sluice/internal/secret"
)

func TestChatGolden(t *testing.T) {
	providertest.RunChatCases(t, "testdata/chat", &provider.Target{
		Provider: "openai",
		Model:    "gpt-4o-mini",
		BaseURL:  "https://api.openai.com/v1",
		APIKey:   secret.New("sk-test"),
		Headers:  http.Header{"Openai-Organization": {"org-1"}},
		Timeout:  time.Minute,
		Adapter:  Adapter{},
	})
}
