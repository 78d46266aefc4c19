package bedrock

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	awses "github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"golang.org/x/tools/txtar"

	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/providertest"
	"github.com/sluicehq/sluice/internal/secret"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// testAdapter signs as of a fixed instant, so golden requests carry stable signatures.
var testAdapter = Adapter{clock: fixedClock{time.Date(2024, 6, 20, 12, 0, 0, 0, time.UTC)}}

// testTarget uses the example key pair of the AWS documentation.
func testTarget() *provider.Target {
	return &provider.Target{
		Provider: "bedrock",
		Model:    "anthropic.claude-3-5-sonnet-20240620-v1:0",
		BaseURL:  "https://bedrock-runtime.us-east-1.amazonaws.com",
		Timeout:  time.Minute,
		Adapter:  testAdapter,
		Settings: provider.Settings{
			Region:             "us-east-1",
			AWSAccessKeyID:     secret.New("AKIDEXAMPLE"),
			AWSSecretAccessKey: secret.New("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
		},
	}
}

func TestChatGolden(t *testing.T) {
	providertest.RunChatCases(t, "testdata/chat", testTarget())
}

// TestStreamGolden runs the stream cases of testdata/stream. Their upstream answer is binary, so
// the cases hold it readably as upstream.events, one frame per line:
//
//	{"event":"contentBlockDelta","payload":{...}}        an event frame
//	{"exception":"throttlingException","payload":{...}}  an exception frame
//	{"event":...,"cut":20}                               only the frame's first 20 bytes, then the end
//	{"event":...,"corrupt":true}                         the frame with a payload byte flipped
//
// The test encodes them with the AWS SDK's encoder into upstream.stream and runs the shared
// golden runner on the result; -update writes the expectations back here. txtar ends every
// section with a newline, so each case ends at a terminal event or inside a frame, where that
// byte is never read or changes nothing.
func TestStreamGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/stream/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no stream cases (%v)", err)
	}
	tmp := t.TempDir()
	for _, f := range files {
		ar, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bin := txtar.Archive{Comment: ar.Comment}
		for _, s := range ar.Files {
			if s.Name == "upstream.events" {
				s = txtar.File{Name: "upstream.stream", Data: encodeEvents(t, f, s.Data)}
			}
			bin.Files = append(bin.Files, s)
		}
		if err := os.WriteFile(filepath.Join(tmp, filepath.Base(f)), txtar.Format(&bin), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	providertest.RunChatCases(t, tmp, testTarget())
	if u := flag.Lookup("update"); u != nil && u.Value.String() == "true" {
		for _, f := range files {
			writeBack(t, f, filepath.Join(tmp, filepath.Base(f)))
		}
	}
}

type frameSpec struct {
	Event     string          `json:"event"`
	Exception string          `json:"exception"`
	Payload   json.RawMessage `json:"payload"`
	Cut       int             `json:"cut"`
	Corrupt   bool            `json:"corrupt"`
}

func encodeEvents(t *testing.T, file string, lines []byte) []byte {
	var out bytes.Buffer
	enc := awses.NewEncoder()
	for _, line := range bytes.Split(bytes.TrimSpace(lines), []byte("\n")) {
		var spec frameSpec
		if err := json.Unmarshal(line, &spec); err != nil {
			t.Fatalf("%s: upstream.events line %q: %v", file, line, err)
		}
		var m awses.Message
		if spec.Exception != "" {
			m.Headers.Set(":exception-type", awses.StringValue(spec.Exception))
			m.Headers.Set(":content-type", awses.StringValue("application/json"))
			m.Headers.Set(":message-type", awses.StringValue("exception"))
		} else {
			m.Headers.Set(":event-type", awses.StringValue(spec.Event))
			m.Headers.Set(":content-type", awses.StringValue("application/json"))
			m.Headers.Set(":message-type", awses.StringValue("event"))
		}
		m.Payload = spec.Payload
		var frame bytes.Buffer
		if err := enc.Encode(&frame, m); err != nil {
			t.Fatal(err)
		}
		b := frame.Bytes()
		if spec.Corrupt {
			b[len(b)-5] ^= 0xff // the last payload byte
		}
		if spec.Cut > 0 {
			out.Write(b[:spec.Cut])
			break
		}
		out.Write(b)
	}
	return out.Bytes()
}

// writeBack copies the expectations the runner rewrote in tmp into the source case.
func writeBack(t *testing.T, src, tmp string) {
	ar, err := txtar.ParseFile(src)
	if err != nil {
		t.Fatal(err)
	}
	got, err := txtar.ParseFile(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range got.Files {
		if g.Name == "upstream.stream" {
			continue
		}
		found := false
		for i := range ar.Files {
			if ar.Files[i].Name == g.Name {
				ar.Files[i].Data, found = g.Data, true
			}
		}
		if !found {
			ar.Files = append(ar.Files, g)
		}
	}
	if err := os.WriteFile(src, txtar.Format(ar), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFormatDeclaresCapabilitiesAndPreset(t *testing.T) {
	f := Format()
	c := f.Capabilities
	if !c.Chat || !c.Stream || !c.Tools || !c.Vision || !c.Embeddings || !c.JSONMode || c.Images || c.Audio {
		t.Errorf("Capabilities = %+v", c)
	}
	if len(f.Presets) != 1 || f.Presets[0].Name != "bedrock" || !strings.Contains(f.Presets[0].BaseURL, "{region}") || f.Presets[0].KeyEnv != "" {
		t.Errorf("Presets = %+v, want bedrock with a {region} URL and no key variable", f.Presets)
	}
}
