package provider

import (
	"context"
	"net/http"
)

// forwardKey carries headers a client sent for one provider's API through the router to
// that provider's adapter, which alone knows whether its upstream understands them.
type forwardKey struct{}

// WithForwardedHeaders returns ctx carrying h for the adapter of the target the request
// reaches; adapters of other formats ignore it.
func WithForwardedHeaders(ctx context.Context, h http.Header) context.Context {
	if len(h) == 0 {
		return ctx
	}
	return context.WithValue(ctx, forwardKey{}, h)
}

// ForwardedHeaders returns the headers WithForwardedHeaders put in ctx, or nil.
func ForwardedHeaders(ctx context.Context) http.Header {
	h, _ := ctx.Value(forwardKey{}).(http.Header)
	return h
}
