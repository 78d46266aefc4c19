package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sluicehq/sluice/internal/mockllm"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/sqlite"
)

// The stream fault conformance suite: every upstream wire format × every fault, driven through
// the real gateway against mockllm's fault knobs. Each case pins what the client receives (the
// status, and the event sequence: chunks, then [DONE] or one error event), the one request-log
// record it leaves, and that the upstream request is finished or cancelled. The README's
// "Stream fault contract" table is generated from faultCases (TestREADMEStreamFaultContract).

// conformanceFormat is an upstream wire format and what its provider error event must look like
// to the client: the provider's own error type and message.
type conformanceFormat struct {
	name, yaml, model string
	errType, errMsg   string
}

var conformanceFormats = []conformanceFormat{
	{name: "openai", yaml: "type: openai, base_url: \"%s/v1\", api_key: " + mockKey, model: "gpt-4o-mini",
		errType: "server_error", errMsg: "The server had an error while processing your request"},
	{name: "anthropic", yaml: "type: anthropic, base_url: \"%s/v1\", api_key: " + mockKey, model: "claude-sonnet-4-5",
		errType: "overloaded_error", errMsg: "Overloaded"},
	{name: "gemini", yaml: "type: gemini, base_url: \"%s/v1beta\", api_key: " + mockKey, model: "gemini-2.5-flash",
		errType: "INTERNAL", errMsg: "An internal error has occurred"},
	{name: "bedrock", yaml: "type: bedrock, base_url: \"%s\", region: us-east-1, aws_access_key_id: " + mockAWSKeyID +
		", aws_secret_access_key: \"" + mockAWSSecret + "\"", model: "anthropic.claude-3-5-sonnet-20240620-v1:0",
		errType: "ModelStreamErrorException", errMsg: "The model stream returned an error"},
}

// clientKind is how the test client reads the stream.
type clientKind int

const (
	readsAll   clientKind = iota
	disconnect            // reads a few events, then closes the connection
	readsSlow             // stops reading until the upstream blocks, then reads the rest
)

// usageKind is where the logged token counts come from.
type usageKind int

const (
	usageNone      usageKind = iota // no provider answered: nothing to count
	usageProvider                   // the provider's own figures
	usageEstimated                  // counted by Sluice from the prompt and the text streamed
)

// faultCase is one row of the contract. Status and Code are what the client sees: an error
// response before the stream starts, else a 200 and, when Code is set, a final error event
// ("provider" = the provider's own type and message) and no [DONE].
type faultCase struct {
	Fault, When string
	Directive   string // mockllm knobs in the last message, for mid-stream faults
	Route       string // the model suffix, for faults the provider's headers set up
	Client      clientKind

	Status    int
	Code      string
	LogStatus int
	LogCode   string
	Usage     usageKind
	Attempts  int // 0: do not check
	Sees      string
}

var faultCases = []faultCase{
	{Fault: "none", When: "—", Directive: "[[mock tokens=5]]", Status: 200, LogStatus: 200, Usage: usageProvider, Attempts: 1,
		Sees: "the chunks, then `data: [DONE]`"},
	{Fault: "connect refused, a fallback target", When: "before first byte", Route: "-refused-fb", Status: 200, LogStatus: 200,
		Usage: usageProvider, Attempts: 2, Sees: "the fallback's complete stream; `x-sluice-fallback: true`"},
	{Fault: "connect refused, every target", When: "before first byte", Route: "-refused", Status: 502, Code: "upstream_unreachable",
		LogStatus: 502, LogCode: "upstream_unreachable", Usage: usageNone, Sees: "an error response"},
	{Fault: "429, a fallback target", When: "before first byte", Route: "-429-fb", Status: 200, LogStatus: 200,
		Usage: usageProvider, Attempts: 2, Sees: "the fallback's complete stream"},
	{Fault: "429, every target", When: "before first byte", Route: "-429", Status: 429, Code: "provider", LogStatus: 429,
		LogCode: "provider", Usage: usageNone, Sees: "the provider's 429 (type and message kept)"},
	{Fault: "500, a fallback target", When: "before first byte", Route: "-500-fb", Status: 200, LogStatus: 200,
		Usage: usageProvider, Attempts: 2, Sees: "the fallback's complete stream"},
	{Fault: "500, every target", When: "before first byte", Route: "-500", Status: 502, Code: "provider", LogStatus: 502,
		LogCode: "provider", Usage: usageNone, Sees: "502 with the provider's error"},
	{Fault: "hang before headers, a fallback target", When: "before first byte", Route: "-hang-fb", Status: 200,
		LogStatus: 200, Usage: usageProvider, Attempts: 2, Sees: "the fallback's complete stream after `ttft_timeout`"},
	{Fault: "hang before headers, every target", When: "before first byte", Route: "-hang", Status: 504, Code: "upstream_timeout",
		LogStatus: 504, LogCode: "upstream_timeout", Usage: usageNone, Sees: "an error response after `ttft_timeout`"},
	{Fault: "connection cut (no chunk terminator)", When: "mid-stream", Directive: "[[mock tokens=8 cut_after=3]]", Status: 200,
		Code: "stream_interrupted", LogStatus: 200, LogCode: "stream_interrupted", Usage: usageEstimated,
		Sees: "the chunks so far, an error event, no `[DONE]`"},
	{Fault: "connection reset (TCP RST)", When: "mid-stream", Directive: "[[mock tokens=8 token_delay=5ms reset_after=3]]",
		Status: 200, Code: "stream_interrupted", LogStatus: 200, LogCode: "stream_interrupted", Usage: usageEstimated,
		Sees: "the chunks so far, an error event, no `[DONE]`"},
	{Fault: "clean EOF without the terminal event", When: "mid-stream", Directive: "[[mock tokens=8 eof_after=3]]", Status: 200,
		Code: "stream_interrupted", LogStatus: 200, LogCode: "stream_interrupted", Usage: usageEstimated,
		Sees: "the chunks so far, an error event, no `[DONE]`"},
	{Fault: "malformed chunk", When: "mid-stream", Directive: "[[mock tokens=8 malformed_after=3]]", Status: 200,
		Code: "stream_interrupted", LogStatus: 200, LogCode: "stream_interrupted", Usage: usageEstimated,
		Sees: "the chunks so far, an error event, no `[DONE]`"},
	{Fault: "provider error event", When: "mid-stream", Directive: "[[mock tokens=8 error_after=3]]", Status: 200,
		Code: "provider", LogStatus: 200, LogCode: "provider", Usage: usageEstimated,
		Sees: "the chunks so far, an error event with the provider's type and message, no `[DONE]`"},
	{Fault: "stall (hang mid-stream)", When: "mid-stream", Directive: "[[mock tokens=8 stall_after=3]]", Status: 200,
		Code: "upstream_timeout", LogStatus: 200, LogCode: "upstream_timeout", Usage: usageEstimated,
		Sees: "the chunks so far, an error event after `idle_timeout`, no `[DONE]`"},
	{Fault: "client disconnect", When: "mid-stream", Directive: "[[mock tokens=400 token_delay=5ms]]", Client: disconnect,
		Status: 200, LogStatus: 499, LogCode: "client_closed_request", Usage: usageEstimated,
		Sees: "— (gone); the upstream request is cancelled at once"},
	{Fault: "slow client", When: "mid-stream", Directive: "[[mock tokens=" + fmt.Sprint(slowClientTokens) + "]]", Route: "-long", Client: readsSlow,
		Status: 200, LogStatus: 200, Usage: usageProvider, Sees: "the complete stream; Sluice reads upstream only as fast as the client reads"},
}

// slowClientTokens makes a stream (9–18 MB upstream) longer than the socket buffers between
// mock, Sluice and client can hold, so that a relay that buffered would let the upstream finish
// while the client reads nothing.
const slowClientTokens = 60_000

// slowReadBuffer is the test client's socket receive buffer, set small so that the kernel's
// buffering on the client side does not hide whether Sluice buffers.
const slowReadBuffer = 32 << 10

// conformanceConfig declares, for one format, the provider "up" on the mock, providers whose
// requests fail before the first byte (by mockllm header knobs, so a fallback's identical
// request is unaffected), and a healthy OpenAI fallback.
func conformanceConfig(f conformanceFormat, mockURL, db string) string {
	var b strings.Builder
	b.WriteString("routing:\n  retry_backoff: 10ms\n  cooldown_failures: 1000\nstore:\n  path: " + db + "\nproviders:\n")
	up := fmt.Sprintf(f.yaml, mockURL)
	fmt.Fprintf(&b, "  up: {%s}\n", up)
	fmt.Fprintf(&b, "  up-refused: {%s}\n", fmt.Sprintf(f.yaml, "http://127.0.0.1:1"))
	fmt.Fprintf(&b, "  up-429: {%s, headers: {x-mock-status: \"429\", x-mock-retry-after: \"0\"}}\n", up)
	fmt.Fprintf(&b, "  up-500: {%s, headers: {x-mock-status: \"500\"}}\n", up)
	fmt.Fprintf(&b, "  up-hang: {%s, headers: {x-mock-hang: \"true\"}}\n", up)
	fmt.Fprintf(&b, "  healthy: {type: openai, base_url: \"%s/v1\", api_key: %s}\n", mockURL, mockKey)
	b.WriteString("models:\n")
	// Short enough to keep the suite quick, long enough that a busy CI machine running -race
	// never trips them on a healthy stream.
	const timeouts = "idle_timeout: 1s, ttft_timeout: 1s"
	fmt.Fprintf(&b, "  - {name: m, max_attempts: 1, idle_timeout: 1s, targets: [{provider: up, model: %q}]}\n", f.model)
	// A long stream takes the mock a while to plan: no TTFT limit.
	fmt.Fprintf(&b, "  - {name: m-long, max_attempts: 1, targets: [{provider: up, model: %q}]}\n", f.model)
	for _, p := range []string{"refused", "429", "500", "hang"} {
		limits := "" // only a hang needs the TTFT limit to end
		if p == "hang" {
			limits = ", " + timeouts
		}
		fmt.Fprintf(&b, "  - {name: m-%s, max_attempts: 1%s, targets: [{provider: up-%s, model: %q}]}\n", p, limits, p, f.model)
		fmt.Fprintf(&b, "  - {name: m-%s-fb, max_attempts: 2%s, targets: [{provider: up-%s, model: %q, priority: 1}, "+
			"{provider: healthy, model: gpt-4o-mini, priority: 2}]}\n", p, limits, p, f.model)
	}
	return b.String()
}

// TestStreamFaultConformance runs every fault case against every wire format.
func TestStreamFaultConformance(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	t.Run("formats", func(t *testing.T) {
		for _, f := range conformanceFormats {
			t.Run(f.name, func(t *testing.T) {
				t.Parallel()
				runConformanceFormat(t, f)
			})
		}
	})
}

// runConformanceFormat runs every case against one format, one case at a time (so the mock's
// counters belong to that case), then stops the gateway and checks the request log.
func runConformanceFormat(t *testing.T, f conformanceFormat) {
	db := filepath.Join(t.TempDir(), "logs.db")
	g := start(t, conformanceConfig(f, "{{MOCK}}", db), 10*time.Second)
	client := &http.Client{Transport: &http.Transport{DialContext: smallReadBufferDial}}
	defer client.CloseIdleConnections()
	ids := make([]string, len(faultCases))
	for i, tc := range faultCases {
		t.Run(tc.Fault, func(t *testing.T) { ids[i] = runFaultCase(t, g, client, f, tc) })
	}
	g.stop(t) // flushes the request log
	_ = g.Mock.Close(context.Background())

	ctx := context.Background()
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.ListRequestLogs(ctx, store.RequestLogFilter{}, store.ListOptions{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string][]store.RequestLog{}
	for _, rec := range page.Items {
		byID[rec.ID] = append(byID[rec.ID], rec)
	}
	for i, tc := range faultCases {
		if ids[i] == "" {
			continue // the case failed before it had a request id
		}
		recs := byID[ids[i]]
		if len(recs) != 1 {
			t.Errorf("%s/%s: %d request-log records for %s, want exactly 1", f.name, tc.Fault, len(recs), ids[i])
			continue
		}
		checkFaultRecord(t, f, tc, recs[0])
	}
	if len(page.Items) != len(faultCases) {
		t.Errorf("%s: %d request-log records for %d requests", f.name, len(page.Items), len(faultCases))
	}
}

// runFaultCase sends one request and checks what the client sees; it returns the request id.
func runFaultCase(t *testing.T, g *gateway, client *http.Client, f conformanceFormat, tc faultCase) string {
	mock := g.Mock.Server()
	before := mock.Stats()
	// max_tokens, else Anthropic's translation defaults it to 4096 and cuts the long stream.
	body, _ := json.Marshal(map[string]any{"model": "m" + tc.Route, "stream": true, "max_tokens": slowClientTokens,
		"messages": []map[string]string{{"role": "user", "content": "Tell me a story. " + tc.Directive}}})
	req, err := http.NewRequest(http.MethodPost, g.URL+"/v1/chat/completions", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+clientKey)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	id := resp.Header.Get("X-Request-Id")
	if resp.StatusCode != tc.Status {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.Status, raw)
	}
	if tc.Attempts > 0 && resp.Header.Get("X-Sluice-Attempts") != fmt.Sprint(tc.Attempts) {
		t.Errorf("x-sluice-attempts = %q, want %d", resp.Header.Get("X-Sluice-Attempts"), tc.Attempts)
	}
	switch {
	case tc.Status != 200:
		checkErrorResponse(t, f, tc, resp)
	case tc.Client == disconnect:
		events := readEvents(t, resp.Body, 3)
		resp.Body.Close()
		if len(events) < 3 {
			t.Fatalf("only %d events before disconnecting", len(events))
		}
		waitFor(t, "the upstream request to be cancelled", func() bool { return mock.Stats().Canceled > before.Canceled })
	case tc.Client == readsSlow:
		checkBackpressure(t, g, before)
		checkEventSequence(t, f, tc, readEvents(t, resp.Body, 0))
	default:
		checkEventSequence(t, f, tc, readEvents(t, resp.Body, 0))
	}
	// Whatever happened, the upstream request is over: finished, or cancelled by Sluice.
	waitFor(t, "no upstream request in flight", func() bool { return mock.Stats().InFlight == 0 })
	return id
}

// smallReadBufferDial dials with a receive buffer of slowReadBuffer bytes.
func smallReadBufferDial(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		if err := tc.SetReadBuffer(slowReadBuffer); err != nil {
			conn.Close()
			return nil, fmt.Errorf("set read buffer: %w", err)
		}
	}
	return conn, nil
}

// readEvents returns the data of each event; with max > 0 it stops after max events.
func readEvents(t *testing.T, body io.Reader, max int) []string {
	t.Helper()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var out []string
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, d)
			if max > 0 && len(out) == max {
				return out
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading the stream: %v (Sluice must end a failed stream with an event, not a broken connection)", err)
	}
	return out
}

// checkEventSequence: chat.completion.chunk events with some content, then [DONE] for a
// complete stream, or one error event and no [DONE] for a failed one.
func checkEventSequence(t *testing.T, f conformanceFormat, tc faultCase, events []string) {
	t.Helper()
	if len(events) < 2 {
		t.Fatalf("events = %q, want chunks and an ending", events)
	}
	last := events[len(events)-1]
	chunks := events[:len(events)-1]
	content := 0
	for _, ev := range chunks {
		var c struct {
			Object  string
			Choices []struct{ Delta struct{ Content string } }
		}
		if err := json.Unmarshal([]byte(ev), &c); err != nil || c.Object != "chat.completion.chunk" {
			t.Fatalf("event %q is not a chat.completion.chunk (before the end: %q)", ev, last)
		}
		for _, ch := range c.Choices {
			content += len(ch.Delta.Content)
		}
	}
	if content == 0 {
		t.Errorf("no content before the end: %q", events)
	}
	if tc.Code == "" {
		if last != "[DONE]" {
			t.Fatalf("a complete stream must end with [DONE], ends with %q", last)
		}
		return
	}
	var e errorEnvelope
	if err := json.Unmarshal([]byte(last), &e); err != nil || e.Error == nil || e.Error.Message == "" || e.Error.Type == "" {
		t.Fatalf("last event %q is not an error event {\"error\":{message,type,code}}", last)
	}
	checkErrorBody(t, f, tc, e.Error.Type, e.Error.Code, e.Error.Message)
}

// errorEnvelope is Sluice's error shape, as a response body or as a stream's last event.
type errorEnvelope struct {
	Error *struct{ Message, Type, Code string }
}

func checkErrorResponse(t *testing.T, f conformanceFormat, tc faultCase, resp *http.Response) {
	t.Helper()
	var e errorEnvelope
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || e.Error == nil || e.Error.Message == "" {
		t.Fatalf("error response is not {\"error\":{...}}: %v", err)
	}
	checkErrorBody(t, f, tc, e.Error.Type, e.Error.Code, e.Error.Message)
}

// checkErrorBody checks Sluice's own code, or for "provider" that the provider's type and
// message came through (for a 429 or 500 before the stream, its HTTP error body; mid-stream,
// its error event).
func checkErrorBody(t *testing.T, f conformanceFormat, tc faultCase, typ, code, msg string) {
	t.Helper()
	switch {
	case tc.Code != "provider":
		if code != tc.Code {
			t.Errorf("error code %q (type %q, message %q), want %q", code, typ, msg, tc.Code)
		}
	case tc.When == "mid-stream":
		if typ != f.errType || !strings.Contains(msg, f.errMsg) {
			t.Errorf("error event type %q message %q, want the provider's %q / %q", typ, msg, f.errType, f.errMsg)
		}
	default:
		if typ == "" || msg == "" {
			t.Errorf("error type %q message %q: the provider's error was lost", typ, msg)
		}
	}
}

// checkBackpressure holds the client still until the upstream has stopped writing, and then
// requires the upstream to be unfinished: Sluice buffered only what the sockets hold, instead
// of draining the provider into memory.
func checkBackpressure(t *testing.T, g *gateway, before mockllm.Stats) {
	t.Helper()
	mock := g.Mock.Server()
	// Polled, not timed: under -race on a busy machine the upstream takes a while to fill the
	// buffers, hence the generous deadline; the check is what happens once it stops.
	last, still := int64(-1), 0
	for deadline := time.Now().Add(time.Minute); still < 20; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the upstream never stopped writing the unread stream (%d bytes so far)", last-before.BytesWritten)
		}
		n := mock.Stats().BytesWritten
		if n == last && n > before.BytesWritten {
			still++
		} else {
			still = 0
		}
		last = n
	}
	if mock.Stats().InFlight != 1 {
		t.Fatalf("the upstream finished while the client read nothing: Sluice buffered the whole stream")
	}
	t.Logf("upstream blocked after %d bytes with the client reading nothing", last-before.BytesWritten)
}

// checkFaultRecord checks the one log record a case left.
func checkFaultRecord(t *testing.T, f conformanceFormat, tc faultCase, rec store.RequestLog) {
	t.Helper()
	where := f.name + "/" + tc.Fault
	if rec.Status != tc.LogStatus {
		t.Errorf("%s: logged status %d, want %d", where, rec.Status, tc.LogStatus)
	}
	switch tc.LogCode {
	case "provider":
		if tc.When == "mid-stream" && rec.ErrorType != f.errType || rec.ErrorType == "" {
			t.Errorf("%s: logged error type %q, want the provider's (mid-stream: %q)", where, rec.ErrorType, f.errType)
		}
	case "":
		if tc.LogStatus == 200 && (rec.ErrorType != "" || rec.ErrorCode != "") {
			t.Errorf("%s: a complete stream logged error %q/%q", where, rec.ErrorType, rec.ErrorCode)
		}
	default:
		if rec.ErrorCode != tc.LogCode {
			t.Errorf("%s: logged error code %q (type %q), want %q", where, rec.ErrorCode, rec.ErrorType, tc.LogCode)
		}
	}
	counted := rec.PromptTokens > 0 && rec.CompletionTokens > 0
	switch tc.Usage {
	case usageNone:
		if rec.PromptTokens != 0 || rec.CompletionTokens != 0 || rec.TokensEstimated {
			t.Errorf("%s: usage %d/%d (estimated %v) logged for a request no provider answered", where,
				rec.PromptTokens, rec.CompletionTokens, rec.TokensEstimated)
		}
	case usageProvider:
		if !counted || rec.TokensEstimated {
			t.Errorf("%s: usage %d/%d estimated=%v, want the provider's figures", where, rec.PromptTokens, rec.CompletionTokens, rec.TokensEstimated)
		}
	case usageEstimated:
		if !counted || !rec.TokensEstimated {
			t.Errorf("%s: usage %d/%d estimated=%v, want an estimate marked as such", where, rec.PromptTokens, rec.CompletionTokens, rec.TokensEstimated)
		}
	}
}

// faultContractTable renders the README's table from faultCases.
func faultContractTable() string {
	var b strings.Builder
	b.WriteString("| fault | when | status | the client sees | request log | usage logged |\n|---|---|---|---|---|---|\n")
	for _, tc := range faultCases {
		logged := fmt.Sprint(tc.LogStatus)
		switch tc.LogCode {
		case "":
		case "provider":
			logged += ", the provider's error type"
		default:
			logged += ", `" + tc.LogCode + "`"
		}
		status := fmt.Sprint(tc.Status)
		if tc.Code != "" && tc.Status == 200 {
			switch tc.Code {
			case "provider":
				status += " + error event"
			default:
				status += " + `" + tc.Code + "` event"
			}
		} else if tc.Code != "" && tc.Code != "provider" {
			status += " `" + tc.Code + "`"
		}
		usage := [...]string{usageNone: "none", usageProvider: "provider's", usageEstimated: "estimated, marked"}[tc.Usage]
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", tc.Fault, tc.When, status, tc.Sees, logged, usage)
	}
	return b.String()
}

// TestREADMEStreamFaultContract keeps the README's contract table generated from the suite.
func TestREADMEStreamFaultContract(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := faultContractTable(); !strings.Contains(string(readme), want) {
		t.Errorf("README.md's stream fault contract is out of date; replace it with:\n\n%s", want)
	}
}
