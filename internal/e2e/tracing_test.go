package e2e

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3/option"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/sqlite"
)

// otlpReceiver collects the spans exported to it, over OTLP/HTTP or gRPC.
type otlpReceiver struct {
	collectortrace.UnimplementedTraceServiceServer
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (o *otlpReceiver) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			o.spans = append(o.spans, ss.Spans...)
		}
	}
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

// ServeHTTP is the OTLP/HTTP endpoint: binary protobuf at POST /v1/traces.
func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want POST /v1/traces application/x-protobuf", http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(r.Body)
	var req collectortrace.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(body, &req)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp, _ := o.Export(r.Context(), &req)
	out, _ := proto.Marshal(resp)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (o *otlpReceiver) all() []*tracepb.Span {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]*tracepb.Span(nil), o.spans...)
}

func attr(s *tracepb.Span, key string) *commonpb.AnyValue {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value
		}
	}
	return nil
}

func attrString(s *tracepb.Span, key string) string {
	if v := attr(s, key); v != nil {
		return v.GetStringValue()
	}
	return ""
}

func attrInt(s *tracepb.Span, key string) int64 {
	if v := attr(s, key); v != nil {
		return v.GetIntValue()
	}
	return -1
}

const (
	incomingTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	incomingSpanID  = "00f067aa0ba902b7"
)

// tracedConfig serves alias "fast" from a provider that cannot be reached (tier 1), then the
// mock (tier 2), so every request makes two upstream attempts.
const tracedConfig = `
server:
  max_body_bytes: 64KiB
  shutdown_timeout: 10s
providers:
  down:
    type: openai
    base_url: http://127.0.0.1:1/v1
    api_key: sk-nothing
  mock:
    type: openai
    base_url: {{MOCK}}/v1
    api_key: ` + mockKey + `
    timeout: {{TIMEOUT}}
models:
  - name: fast
    targets:
      - provider: down
        model: gpt-4o-mini
      - provider: mock
        model: gpt-4o-mini
        priority: 2
telemetry:
  service_name: sluice-test
  otlp:
    endpoint: {{OTLP}}
    protocol: {{PROTOCOL}}
    insecure: true
`

// TestTracesFollowTraceparentWithGenAIAttributes: a request with a W3C traceparent becomes a
// server span in the caller's trace, named and labelled by the GenAI conventions, with a
// client span per upstream attempt (the failed one in error), exported over OTLP/HTTP and
// OTLP/gRPC; the request log carries the same trace id.
func TestTracesFollowTraceparentWithGenAIAttributes(t *testing.T) {
	for _, protocol := range []string{"http", "grpc"} {
		t.Run(protocol, func(t *testing.T) {
			recv := &otlpReceiver{}
			var endpoint string
			if protocol == "http" {
				srv := httptest.NewServer(recv)
				t.Cleanup(srv.Close)
				endpoint = srv.URL
			} else {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				gs := grpc.NewServer()
				collectortrace.RegisterTraceServiceServer(gs, recv)
				go func() { _ = gs.Serve(ln) }()
				t.Cleanup(gs.Stop)
				endpoint = ln.Addr().String()
			}
			db := filepath.Join(t.TempDir(), "logs.db")
			cfg := strings.NewReplacer("{{OTLP}}", endpoint, "{{PROTOCOL}}", protocol).Replace(tracedConfig) +
				"\nstore:\n  path: " + db + "\n"
			g := start(t, cfg, time.Minute)
			ctx := context.Background()
			client := g.client()
			resp, err := client.Chat.Completions.New(ctx, userMsg("trace me"),
				option.WithHeader("Traceparent", "00-"+incomingTraceID+"-"+incomingSpanID+"-01"))
			if err != nil {
				t.Fatal(err)
			}
			g.stop(t) // shutdown flushes the span batch and the request log

			spans := recv.all()
			var server *tracepb.Span
			var clients []*tracepb.Span
			for _, s := range spans {
				switch s.Kind {
				case tracepb.Span_SPAN_KIND_SERVER:
					server = s
				case tracepb.Span_SPAN_KIND_CLIENT:
					clients = append(clients, s)
				}
			}
			if server == nil {
				t.Fatalf("no server span among %d exported", len(spans))
			}
			if got := hex.EncodeToString(server.TraceId); got != incomingTraceID {
				t.Errorf("server span trace id = %s, want the incoming %s", got, incomingTraceID)
			}
			if got := hex.EncodeToString(server.ParentSpanId); got != incomingSpanID {
				t.Errorf("server span parent = %s, want the incoming span %s", got, incomingSpanID)
			}
			if server.Name != "chat fast" {
				t.Errorf("server span name = %q, want %q", server.Name, "chat fast")
			}
			for key, want := range map[string]string{
				"gen_ai.operation.name": "chat", "gen_ai.request.model": "fast", "gen_ai.response.model": "gpt-4o-mini",
				"gen_ai.provider.name": "openai", "gen_ai.system": "openai", "sluice.provider": "mock",
			} {
				if got := attrString(server, key); got != want {
					t.Errorf("server span %s = %q, want %q", key, got, want)
				}
			}
			if got := attrInt(server, "gen_ai.usage.input_tokens"); got != resp.Usage.PromptTokens {
				t.Errorf("gen_ai.usage.input_tokens = %d, want %d", got, resp.Usage.PromptTokens)
			}
			if got := attrInt(server, "gen_ai.usage.output_tokens"); got != resp.Usage.CompletionTokens {
				t.Errorf("gen_ai.usage.output_tokens = %d, want %d", got, resp.Usage.CompletionTokens)
			}
			if got := attrInt(server, "http.response.status_code"); got != 200 {
				t.Errorf("server span http.response.status_code = %d, want 200", got)
			}
			if len(clients) != 2 {
				t.Fatalf("got %d client spans, want one per attempt (2)", len(clients))
			}
			byProvider := map[string]*tracepb.Span{}
			for _, c := range clients {
				if !bytes.Equal(c.ParentSpanId, server.SpanId) || !bytes.Equal(c.TraceId, server.TraceId) {
					t.Errorf("client span %q is not a child of the server span", c.Name)
				}
				byProvider[attrString(c, "sluice.provider")] = c
			}
			if down := byProvider["down"]; down == nil || down.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR || attrString(down, "error.type") == "" {
				t.Errorf("attempt at the unreachable provider = %v, want an error span with error.type", down)
			}
			if ok := byProvider["mock"]; ok == nil || attrInt(ok, "http.response.status_code") != 200 ||
				!strings.HasSuffix(attrString(ok, "url.full"), "/v1/chat/completions") {
				t.Errorf("attempt at the mock = %v, want status 200 at /v1/chat/completions", ok)
			}
			if up := g.lastUpstream(t); !strings.Contains(up.Header.Get("Traceparent"), incomingTraceID) {
				t.Errorf("upstream traceparent = %q, want the trace %s propagated", up.Header.Get("Traceparent"), incomingTraceID)
			}

			st, err := sqlite.Open(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			page, err := st.ListRequestLogs(ctx, store.RequestLogFilter{}, store.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 1 || page.Items[0].TraceID != incomingTraceID {
				t.Errorf("request log = %+v, want one record with trace id %s", page.Items, incomingTraceID)
			}
		})
	}
}

// TestTraceIDLoggedWithoutExporter: with tracing off, an incoming traceparent still ties
// the request log to the caller's trace.
func TestTraceIDLoggedWithoutExporter(t *testing.T) {
	db := filepath.Join(t.TempDir(), "logs.db")
	g := start(t, defaultConfig+"\nstore:\n  path: "+db+"\n", time.Minute)
	ctx := context.Background()
	client := g.client()
	if _, err := client.Chat.Completions.New(ctx, userMsg("hi"),
		option.WithHeader("Traceparent", "00-"+incomingTraceID+"-"+incomingSpanID+"-01")); err != nil {
		t.Fatal(err)
	}
	g.stop(t)
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.ListRequestLogs(ctx, store.RequestLogFilter{}, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].TraceID != incomingTraceID {
		t.Errorf("request log = %+v, want one record with trace id %s", page.Items, incomingTraceID)
	}
}
