package e2e

import (
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
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sluicehq/sluice/internal/mockllm"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/sqlite"
)

// The stream fault conformance suite: every inbound streaming API × every upstream wire format ×
// every fault, driven through the real gateway against mockllm's fault knobs. Each case pins
// what the client receives in the inbound API's own terms (the status, the error body, and the
// event sequence: content, then the terminal event or that API's error ending), the one
// request-log record it leaves, and that the upstream request is finished or cancelled. The
// README's "Stream fault contract" tables are generated from faultCases and
// conformanceSurfaces (TestREADMEStreamFaultContract).

// conformanceFormat is an upstream wire format and what its provider error event must look like
// to the client: the provider's own error type and message, and the status Sluice gives it
// (which the Anthropic and Gemini surfaces render as their own error type).
type conformanceFormat struct {
	name, yaml, model string
	errType, errMsg   string
	errStatus         int
}

var conformanceFormats = []conformanceFormat{
	{name: "openai", yaml: "type: openai, base_url: \"%s/v1\", api_key: " + mockKey, model: "gpt-4o-mini",
		errType: "server_error", errMsg: "The server had an error while processing your request", errStatus: 502},
	{name: "anthropic", yaml: "type: anthropic, base_url: \"%s/v1\", api_key: " + mockKey, model: "claude-sonnet-4-5",
		errType: "overloaded_error", errMsg: "Overloaded", errStatus: 503},
	{name: "gemini", yaml: "type: gemini, base_url: \"%s/v1beta\", api_key: " + mockKey, model: "gemini-2.5-flash",
		errType: "INTERNAL", errMsg: "An internal error has occurred", errStatus: 502},
	{name: "bedrock", yaml: "type: bedrock, base_url: \"%s\", region: us-east-1, aws_access_key_id: " + mockAWSKeyID +
		", aws_secret_access_key: \"" + mockAWSSecret + "\"", model: "anthropic.claude-3-5-sonnet-20240620-v1:0",
		errType: "ModelStreamErrorException", errMsg: "The model stream returned an error", errStatus: 502},
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
		Sees: "the content, then the terminal event"},
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
		Sees: "the content so far, an error ending, no terminal event"},
	{Fault: "connection reset (TCP RST)", When: "mid-stream", Directive: "[[mock tokens=8 token_delay=5ms reset_after=3]]",
		Status: 200, Code: "stream_interrupted", LogStatus: 200, LogCode: "stream_interrupted", Usage: usageEstimated,
		Sees: "the content so far, an error ending, no terminal event"},
	{Fault: "clean EOF without the terminal event", When: "mid-stream", Directive: "[[mock tokens=8 eof_after=3]]", Status: 200,
		Code: "stream_interrupted", LogStatus: 200, LogCode: "stream_interrupted", Usage: usageEstimated,
		Sees: "the content so far, an error ending, no terminal event"},
	{Fault: "malformed chunk", When: "mid-stream", Directive: "[[mock tokens=8 malformed_after=3]]", Status: 200,
		Code: "stream_interrupted", LogStatus: 200, LogCode: "stream_interrupted", Usage: usageEstimated,
		Sees: "the content so far, an error ending, no terminal event"},
	{Fault: "provider error event", When: "mid-stream", Directive: "[[mock tokens=8 error_after=3]]", Status: 200,
		Code: "provider", LogStatus: 200, LogCode: "provider", Usage: usageEstimated,
		Sees: "the content so far, an error ending with the provider's message (and type, where the API has a free-form one), no terminal event"},
	{Fault: "stall (hang mid-stream)", When: "mid-stream", Directive: "[[mock tokens=8 stall_after=3]]", Status: 200,
		Code: "upstream_timeout", LogStatus: 200, LogCode: "upstream_timeout", Usage: usageEstimated,
		Sees: "the content so far, an error ending after `idle_timeout`, no terminal event"},
	{Fault: "client disconnect", When: "mid-stream", Directive: "[[mock tokens=400 token_delay=5ms]]", Client: disconnect,
		Status: 200, LogStatus: 499, LogCode: "client_closed_request", Usage: usageEstimated,
		Sees: "— (gone); the upstream request is cancelled at once"},
	{Fault: "slow client", When: "mid-stream", Route: "-long", Client: readsSlow, // the directive: slowClientDirective
		Status: 200, LogStatus: 200, Usage: usageProvider, Sees: "the complete stream; Sluice reads upstream only as fast as the client reads"},
}

// slowClientTokens makes a stream (10–19 MB upstream) longer than the socket buffers between
// mock, Sluice and client can hold, so that a relay that buffered would let the upstream finish
// while the client reads nothing. Those buffers hold 7–8 MB of upstream bytes when what Sluice
// writes is about as long as what it reads; an API whose events are shorter than the upstream's
// (Anthropic's, from Anthropic's) holds more of the upstream in Sluice's send buffer and needs
// a longer stream (conformanceSurface.slowTokens).
const slowClientTokens = 60_000

// conformanceMaxTokens is every request's token limit: at least any stream's length, else
// the limit would cut the slow client's stream.
const conformanceMaxTokens = 100_000

// slowClientDirective asks the mock for the slow-client case's long stream.
func slowClientDirective(s conformanceSurface) string {
	n := slowClientTokens
	if s.slowTokens > 0 {
		n = s.slowTokens
	}
	return fmt.Sprintf("[[mock tokens=%d]]", n)
}

// slowReadBuffer is the test client's socket receive buffer, set small so that the kernel's
// buffering on the client side does not hide whether Sluice buffers.
const slowReadBuffer = 32 << 10

// conformanceConfig declares, for each format (names prefixed with the format's), the provider
// "up" on the mock, providers whose requests fail before the first byte (by mockllm header
// knobs, so a fallback's identical request is unaffected), and a healthy OpenAI fallback.
func conformanceConfig(formats []conformanceFormat, mockURL, db string) string {
	var b strings.Builder
	b.WriteString("routing:\n  retry_backoff: 10ms\n  cooldown_failures: 1000\nstore:\n  path: " + db + "\nproviders:\n")
	fmt.Fprintf(&b, "  healthy: {type: openai, base_url: \"%s/v1\", api_key: %s}\n", mockURL, mockKey)
	for _, f := range formats {
		up := fmt.Sprintf(f.yaml, mockURL)
		fmt.Fprintf(&b, "  %s-up: {%s}\n", f.name, up)
		fmt.Fprintf(&b, "  %s-up-refused: {%s}\n", f.name, fmt.Sprintf(f.yaml, "http://127.0.0.1:1"))
		fmt.Fprintf(&b, "  %s-up-429: {%s, headers: {x-mock-status: \"429\", x-mock-retry-after: \"0\"}}\n", f.name, up)
		fmt.Fprintf(&b, "  %s-up-500: {%s, headers: {x-mock-status: \"500\"}}\n", f.name, up)
		fmt.Fprintf(&b, "  %s-up-hang: {%s, headers: {x-mock-hang: \"true\"}}\n", f.name, up)
	}
	b.WriteString("models:\n")
	// Short enough to keep the suite quick, long enough that a busy CI machine running -race
	// never trips them on a healthy stream.
	const timeouts = "idle_timeout: 1s, ttft_timeout: 1s"
	for _, f := range formats {
		n := f.name
		fmt.Fprintf(&b, "  - {name: %s-m, max_attempts: 1, idle_timeout: 1s, targets: [{provider: %s-up, model: %q}]}\n", n, n, f.model)
		// A long stream takes the mock a while to plan: no TTFT limit.
		fmt.Fprintf(&b, "  - {name: %s-m-long, max_attempts: 1, targets: [{provider: %s-up, model: %q}]}\n", n, n, f.model)
		for _, p := range []string{"refused", "429", "500", "hang"} {
			limits := "" // only a hang needs the TTFT limit to end
			if p == "hang" {
				limits = ", " + timeouts
			}
			fmt.Fprintf(&b, "  - {name: %s-m-%s, max_attempts: 1%s, targets: [{provider: %s-up-%s, model: %q}]}\n", n, p, limits, n, p, f.model)
			fmt.Fprintf(&b, "  - {name: %s-m-%s-fb, max_attempts: 2%s, targets: [{provider: %s-up-%s, model: %q, priority: 1}, "+
				"{provider: healthy, model: gpt-4o-mini, priority: 2}]}\n", n, p, limits, n, p, f.model)
		}
	}
	return b.String()
}

// TestStreamFaultConformance runs every fault case against every wire format, on every inbound
// streaming API. The APIs run concurrently, each with its own gateway and mock; within one, the
// cases run one at a time, so that the mock's counters belong to the case. The APIs run from
// goroutines rather than as parallel subtests because -parallel (GOMAXPROCS, 2 in CI) would run
// them two by two, though they mostly wait for the timeouts the cases provoke.
func TestStreamFaultConformance(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	t.Run("surfaces", func(t *testing.T) {
		var wg sync.WaitGroup
		for _, s := range conformanceSurfaces {
			wg.Go(func() { t.Run(s.name, func(t *testing.T) { runConformanceSurface(t, s) }) })
		}
		wg.Wait()
	})
}

// runConformanceSurface runs every case against every format on one inbound API, then stops
// the gateway and checks the request log: exactly one record per request.
func runConformanceSurface(t *testing.T, s conformanceSurface) {
	db := filepath.Join(t.TempDir(), "logs.db")
	g := start(t, conformanceConfig(conformanceFormats, "{{MOCK}}", db), 10*time.Second)
	client := &http.Client{Transport: &http.Transport{DialContext: smallReadBufferDial}}
	defer client.CloseIdleConnections()
	ids := make([][]string, len(conformanceFormats))
	for i, f := range conformanceFormats {
		ids[i] = make([]string, len(faultCases))
		t.Run(f.name, func(t *testing.T) {
			for j, tc := range faultCases {
				t.Run(tc.Fault, func(t *testing.T) {
					if !conformanceRuns(s, f, tc) {
						t.Skip("the slow-client case runs once per API and once per format (slowClientFormat)")
					}
					ids[i][j] = runFaultCase(t, g, client, s, f, tc)
				})
			}
		})
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
	requests := 0
	for i, f := range conformanceFormats {
		for j, tc := range faultCases {
			if conformanceRuns(s, f, tc) {
				requests++
			}
			if ids[i][j] == "" {
				continue // the case was skipped, or failed before it had a request id
			}
			recs := byID[ids[i][j]]
			if len(recs) != 1 {
				t.Errorf("%s/%s/%s: %d request-log records for %s, want exactly 1", s.name, f.name, tc.Fault, len(recs), ids[i][j])
				continue
			}
			checkFaultRecord(t, f, tc, recs[0])
		}
	}
	if len(page.Items) != requests {
		t.Errorf("%s: %d request-log records for %d requests", s.name, len(page.Items), requests)
	}
}

// conformanceRuns says whether a case runs for a surface and format: all do, except the
// slow-client case, which streams megabytes and costs tens of seconds under -race, so it runs
// once per API and once per format, each API paired with one format (slowClientFormat). Whether
// Sluice reads upstream only as fast as the client reads depends on the format's decoder and
// on the API's relay, and the pairs cover each of both.
func conformanceRuns(s conformanceSurface, f conformanceFormat, tc faultCase) bool {
	return tc.Client != readsSlow || slowClientFormat[s.name] == f.name
}

var slowClientFormat = map[string]string{"chat": "openai", "messages": "anthropic", "responses": "bedrock", "gemini": "gemini"}

// runFaultCase sends one request and checks what the client sees; it returns the request id.
func runFaultCase(t *testing.T, g *gateway, client *http.Client, s conformanceSurface, f conformanceFormat, tc faultCase) string {
	mock := g.Mock.Server()
	before := mock.Stats()
	directive := tc.Directive
	if tc.Client == readsSlow {
		directive = slowClientDirective(s)
	}
	path, body, header := s.request(f.name+"-m"+tc.Route, "Tell me a story. "+directive)
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, g.URL+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	req.Header.Set("Content-Type", "application/json")
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
	if fb := resp.Header.Get("X-Sluice-Fallback"); (tc.Attempts > 1) != (fb == "true") {
		t.Errorf("x-sluice-fallback = %q after %d attempts", fb, tc.Attempts)
	}
	wantType := "text/event-stream"
	if tc.Status != 200 {
		wantType = "application/json"
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, wantType) {
		t.Errorf("content-type %q, want %s", ct, wantType)
	}
	switch {
	case tc.Status != 200:
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("reading the error response: %v", err)
		}
		s.checkError(t, f, tc, raw)
	case tc.Client == disconnect:
		events := readNamedEvents(t, resp.Body, 3)
		resp.Body.Close()
		if len(events) < 3 {
			t.Fatalf("only %d events before disconnecting", len(events))
		}
		waitFor(t, "the upstream request to be cancelled", func() bool { return mock.Stats().Canceled > before.Canceled })
	case tc.Client == readsSlow:
		checkBackpressure(t, g, before)
		s.checkStream(t, f, tc, readNamedEvents(t, resp.Body, 0))
		t.Logf("the whole stream was %d bytes upstream", mock.Stats().BytesWritten-before.BytesWritten)
	default:
		s.checkStream(t, f, tc, readNamedEvents(t, resp.Body, 0))
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

// errorEnvelope is Sluice's error shape, as a response body or as a stream's last event.
type errorEnvelope struct {
	Error *struct{ Message, Type, Code string }
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
				status += " + error ending"
			default:
				status += " + `" + tc.Code + "` ending"
			}
		} else if tc.Code != "" && tc.Code != "provider" {
			status += " `" + tc.Code + "`"
		}
		usage := [...]string{usageNone: "none", usageProvider: "provider's", usageEstimated: "estimated, marked"}[tc.Usage]
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", tc.Fault, tc.When, status, tc.Sees, logged, usage)
	}
	return b.String()
}

// surfaceContractTable renders the README's table of how each API ends a stream, from
// conformanceSurfaces.
func surfaceContractTable() string {
	var b strings.Builder
	b.WriteString("| API | a complete stream ends with | a stream that fails after it started ends with | an error before the first byte |\n|---|---|---|---|\n")
	for _, s := range conformanceSurfaces {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", s.endpoint, s.complete, s.failed, s.before)
	}
	return b.String()
}

// TestREADMEStreamFaultContract keeps the README's contract tables generated from the suite.
func TestREADMEStreamFaultContract(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"fault": faultContractTable(), "API": surfaceContractTable()} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README.md's stream fault contract (%s table) is out of date; replace it with:\n\n%s", name, want)
		}
	}
}
