package anthropic

import (
	"net/http"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/providertest"
	"github.com/sluicehq/sluice/internal/secret"
)

// pinNow fixes the created timestamp, which Anthropic's answers lack, for the test's duration.
func pinNow(t *testing.T) {
	t.Helper()
	saved := now
	now = func() time.Time { return time.Unix(1700000000, 0) }
	t.Cleanup(func() { now = saved })
}

func testTarget() *provider.Target {
	return &provider.Target{
		Provider: "claude",
		Model:    "claude-sonnet-4-20250514",
		BaseURL:  "https://api.anthropic.com/v1",
		APIKey:   secret.New("sk-ant-test"),
		Headers:  http.Header{"Anthropic-Beta": {"token-efficient-tools-2025-02-19"}},
		Timeout:  time.Minute,
		Adapter:  Adapter{},
	}
}

func TestChatGolden(t *testing.T) {
	pinNow(t)
	providertest.RunChatCases(t, "testdata/chat", testTarget())
}
