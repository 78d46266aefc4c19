package gemini

import (
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/providertest"
	"github.com/sluicehq/sluice/internal/secret"
)

func TestMain(m *testing.M) {
	// Stream cases carry no Date header; a fixed clock keeps their "created" stable.
	now = func() time.Time { return time.Unix(1700000000, 0) }
	os.Exit(m.Run())
}

func testTarget() *provider.Target {
	return &provider.Target{
		Provider: "gemini",
		Model:    "gemini-2.5-flash",
		BaseURL:  "https://generativelanguage.googleapis.com/v1beta",
		APIKey:   secret.New("gm-test-key"),
		Headers:  http.Header{"X-Goog-User-Project": {"proj-1"}},
		Timeout:  time.Minute,
		Adapter:  Adapter{},
	}
}

func TestChatGolden(t *testing.T) {
	providertest.RunChatCases(t, "testdata/chat", testTarget())
}
