package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/store"
)

// instrumentation names the tracer, as the OpenTelemetry convention asks: the package
// that makes the spans.
const instrumentation = "github.com/sluicehq/sluice/internal/telemetry"

// otlpDefaultTimeout bounds one export when telemetry.otlp.timeout is unset.
const otlpDefaultTimeout = 10 * time.Second

// genAISystemKey is the attribute older GenAI conventions (before gen_ai.provider.name)
// use; both are set so either kind of backend groups spans by provider.
const genAISystemKey = attribute.Key("gen_ai.system")

// Tracing makes OpenTelemetry spans: a server span per API request, following an incoming
// W3C traceparent, and a client span per upstream HTTP attempt. With no exporter
// configured it still honours traceparent, so request logs carry the caller's trace id,
// but records nothing.
type Tracing struct {
	provider trace.TracerProvider
	sdk      *sdktrace.TracerProvider // nil when no exporter is configured
	tracer   trace.Tracer
	prop     propagation.TextMapPropagator
}

// NewTracing sets tracing up from cfg. version is the service.version resource attribute.
func NewTracing(ctx context.Context, cfg config.Telemetry, version string) (*Tracing, error) {
	t := &Tracing{prop: propagation.TraceContext{}, provider: noop.NewTracerProvider()}
	if cfg.Enabled() {
		exp, err := newExporter(ctx, cfg.OTLP)
		if err != nil {
			return nil, err
		}
		name := cfg.ServiceName
		if name == "" {
			name = "sluice"
		}
		res := resource.NewSchemaless(semconv.ServiceName(name), semconv.ServiceVersion(version))
		t.sdk = sdktrace.NewTracerProvider(
			sdktrace.WithBatcher(exp),
			sdktrace.WithResource(res),
			sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.Ratio()))),
		)
		t.provider = t.sdk
	}
	t.tracer = t.provider.Tracer(instrumentation)
	return t, nil
}

func newExporter(ctx context.Context, o config.OTLP) (*otlptrace.Exporter, error) {
	headers := make(map[string]string, len(o.Headers))
	for k, v := range o.Headers {
		headers[k] = v.Reveal()
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = otlpDefaultTimeout
	}
	url := strings.Contains(o.Endpoint, "://")
	var exp *otlptrace.Exporter
	var err error
	if o.Protocol == "grpc" {
		opts := []otlptracegrpc.Option{otlptracegrpc.WithHeaders(headers), otlptracegrpc.WithTimeout(timeout)}
		if url {
			opts = append(opts, otlptracegrpc.WithEndpointURL(o.Endpoint))
		} else {
			opts = append(opts, otlptracegrpc.WithEndpoint(o.Endpoint))
		}
		if o.Insecure {
			opts = append(opts, otlptracegrpc.WithInsecure())
		}
		exp, err = otlptracegrpc.New(ctx, opts...)
	} else {
		opts := []otlptracehttp.Option{otlptracehttp.WithHeaders(headers), otlptracehttp.WithTimeout(timeout)}
		if url {
			opts = append(opts, otlptracehttp.WithEndpointURL(strings.TrimRight(o.Endpoint, "/")+"/v1/traces"))
		} else {
			opts = append(opts, otlptracehttp.WithEndpoint(o.Endpoint))
		}
		if o.Insecure {
			opts = append(opts, otlptracehttp.WithInsecure())
		}
		exp, err = otlptracehttp.New(ctx, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("telemetry: otlp %s exporter: %w", o.Protocol, err)
	}
	return exp, nil
}

// Shutdown exports the spans still buffered, within ctx.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil || t.sdk == nil {
		return nil
	}
	if err := t.sdk.Shutdown(ctx); err != nil {
		return fmt.Errorf("telemetry: flush spans: %w", err)
	}
	return nil
}

type operationKey struct{}

// Middleware runs h inside the request's server span. The span is named after the route
// pattern until Finish renames it "{operation} {model}" as the GenAI conventions ask.
func (t *Tracing) Middleware(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if r.Header.Get("Traceparent") != "" {
			ctx = t.prop.Extract(ctx, propagation.HeaderCarrier(r.Header))
		} else if t.sdk == nil {
			h.ServeHTTP(w, r) // no exporter and no trace to join: nothing to record
			return
		}
		ctx, span := t.tracer.Start(ctx, r.Pattern, trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		if span.IsRecording() {
			op := operation(r.URL.Path)
			span.SetAttributes(semconv.HTTPRequestMethodKey.String(r.Method), semconv.URLPath(r.URL.Path),
				semconv.GenAIOperationNameKey.String(op))
			ctx = context.WithValue(ctx, operationKey{}, op)
		}
		if ctx != r.Context() {
			r = r.WithContext(ctx)
		}
		h.ServeHTTP(w, r)
	})
}

// operation is the gen_ai.operation.name of an endpoint.
func operation(path string) string {
	switch {
	case strings.HasSuffix(path, "/chat/completions"), strings.HasSuffix(path, "/messages"):
		return "chat"
	case strings.HasSuffix(path, "/embeddings"):
		return "embeddings"
	case strings.HasPrefix(path, "/v1/images/"), strings.HasPrefix(path, "/v1/audio/"):
		return "generate_content"
	}
	return "other"
}

// Finish copies the request's outcome onto its server span and its trace id into rec.
func (t *Tracing) Finish(ctx context.Context, rec *store.RequestLog) {
	span := trace.SpanFromContext(ctx)
	if sc := span.SpanContext(); sc.HasTraceID() && rec.TraceID == "" {
		rec.TraceID = sc.TraceID().String()
	}
	if !span.IsRecording() {
		return
	}
	if op, _ := ctx.Value(operationKey{}).(string); op != "" && rec.Model != "" {
		span.SetName(op + " " + rec.Model)
	}
	attrs := make([]attribute.KeyValue, 0, 12)
	attrs = append(attrs, semconv.HTTPResponseStatusCode(rec.Status), attribute.String("sluice.request_id", rec.ID))
	if rec.Model != "" {
		attrs = append(attrs, semconv.GenAIRequestModel(rec.Model))
	}
	if rec.Provider != "" {
		attrs = append(attrs, attribute.String("sluice.provider", rec.Provider), semconv.GenAIResponseModel(rec.UpstreamModel),
			attribute.String("sluice.route", rec.Route), attribute.Int("sluice.attempts", rec.Attempts),
			attribute.Bool("sluice.fallback", rec.Fallback))
	}
	if rec.PromptTokens > 0 || rec.CompletionTokens > 0 {
		attrs = append(attrs, semconv.GenAIUsageInputTokens(int(rec.PromptTokens)),
			semconv.GenAIUsageOutputTokens(int(rec.CompletionTokens)))
	}
	if rec.ErrorType != "" {
		errType := rec.ErrorCode
		if errType == "" {
			errType = rec.ErrorType
		}
		attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
		// A server span is in error only for the server's faults; a 4xx is the client's.
		if rec.Status >= 500 {
			span.SetStatus(codes.Error, errType)
		}
	}
	span.SetAttributes(attrs...)
}

// Transport wraps one provider account's transport so each upstream HTTP attempt is a
// client span, a child of the request's span, with the W3C traceparent sent upstream.
// provider is the account name, format its wire format (openai, anthropic, ...). Without an
// exporter it returns rt itself.
func (t *Tracing) Transport(provider, format string, rt http.RoundTripper) http.RoundTripper {
	if t == nil || t.sdk == nil {
		return rt
	}
	return &tracingTransport{next: rt, t: t, provider: provider, system: genAIProvider(provider, format)}
}

// genAIProvider is the well-known gen_ai.provider.name for an account, else its format.
func genAIProvider(name, format string) string {
	switch name {
	case "groq", "deepseek", "perplexity", "cohere":
		return name
	case "mistral":
		return "mistral_ai"
	case "xai":
		return "x_ai"
	}
	switch format {
	case "gemini":
		return "gcp.gemini"
	case "bedrock":
		return "aws.bedrock"
	case "azure":
		return "azure.ai.openai"
	}
	return format
}

type tracingTransport struct {
	next     http.RoundTripper
	t        *Tracing
	provider string
	system   string
}

func (tt *tracingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	parent := trace.SpanFromContext(req.Context())
	if parent.IsRecording() {
		// The last attempt's provider is the one that served, or failed, the request.
		parent.SetAttributes(semconv.GenAIProviderNameKey.String(tt.system), genAISystemKey.String(tt.system))
	}
	ctx, span := tt.t.tracer.Start(req.Context(), req.Method, trace.WithSpanKind(trace.SpanKindClient))
	if !span.IsRecording() {
		span.End()
		return tt.next.RoundTrip(req)
	}
	span.SetAttributes(semconv.HTTPRequestMethodKey.String(req.Method), semconv.ServerAddress(req.URL.Hostname()),
		// The query is left out: some providers (Gemini) accept the API key there.
		semconv.URLFull(req.URL.Scheme+"://"+req.URL.Host+req.URL.Path),
		semconv.GenAIProviderNameKey.String(tt.system), genAISystemKey.String(tt.system),
		attribute.String("sluice.provider", tt.provider))
	if p := req.URL.Port(); p != "" {
		if n, err := strconv.Atoi(p); err == nil {
			span.SetAttributes(semconv.ServerPort(n))
		}
	}
	// A RoundTripper must not modify its request: send a copy carrying the span.
	out := req.WithContext(ctx)
	out.Header = req.Header.Clone()
	tt.t.prop.Inject(ctx, propagation.HeaderCarrier(out.Header))
	resp, err := tt.next.RoundTrip(out)
	if err != nil {
		errType := "_OTHER"
		if errors.Is(err, context.DeadlineExceeded) {
			errType = "timeout"
		} else if errors.Is(err, context.Canceled) {
			errType = "canceled"
		}
		span.SetAttributes(semconv.ErrorTypeKey.String(errType))
		span.SetStatus(codes.Error, err.Error())
		span.End()
		return nil, err
	}
	span.SetAttributes(semconv.HTTPResponseStatusCode(resp.StatusCode))
	if resp.StatusCode >= 400 {
		code := strconv.Itoa(resp.StatusCode)
		span.SetAttributes(semconv.ErrorTypeKey.String(code))
		span.SetStatus(codes.Error, code)
	}
	// The attempt lasts until its body is read (a stream's last event), not its headers.
	resp.Body = &spanBody{ReadCloser: resp.Body, span: span}
	return resp, nil
}

// spanBody ends the attempt's span when the body is closed.
type spanBody struct {
	io.ReadCloser
	span trace.Span
	done bool
}

func (b *spanBody) Close() error {
	err := b.ReadCloser.Close()
	if !b.done {
		b.done = true
		b.span.End()
	}
	return err
}
