package e2e

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

func withResponse(dst **http.Response) option.RequestOption { return option.WithResponseInto(dst) }

func TestEmbeddingsFloatAndBase64Agree(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	client := g.client()
	ctx := context.Background()
	params := openai.EmbeddingNewParams{
		Model:      "mock/text-embedding-3-small",
		Input:      openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"alpha", "beta"}},
		Dimensions: openai.Int(8),
	}
	floats, err := client.Embeddings.New(ctx, params)
	if err != nil {
		t.Fatalf("Embeddings.New: %v", err)
	}
	if len(floats.Data) != 2 || len(floats.Data[0].Embedding) != 8 || floats.Usage.PromptTokens <= 0 {
		t.Fatalf("unexpected embeddings: %+v", floats)
	}
	params.EncodingFormat = openai.EmbeddingNewParamsEncodingFormatBase64
	var raw struct {
		Data []struct {
			Embedding string `json:"embedding"`
		} `json:"data"`
	}
	if _, err := client.Embeddings.New(ctx, params, option.WithResponseBodyInto(&raw)); err != nil {
		t.Fatalf("Embeddings.New base64: %v", err)
	}
	assertSameVector(t, raw.Data[1].Embedding, floats.Data[1].Embedding)
}

func TestModelsList(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	client := g.client()
	page, err := client.Models.List(context.Background())
	if err != nil {
		t.Fatalf("Models.List: %v", err)
	}
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
		if m.Object != "model" || m.Created == 0 {
			t.Errorf("model %+v lacks object or created", m)
		}
	}
	if strings.Join(ids, ",") != "fast,mock/gpt-4o-mini" {
		t.Errorf("models = %v, want the alias then the provider's listed models", ids)
	}
	m, err := client.Models.Get(context.Background(), "mock/gpt-4o-mini")
	if err != nil || m.ID != "mock/gpt-4o-mini" {
		t.Fatalf("Models.Get(mock/gpt-4o-mini) = %+v, %v", m, err)
	}
	_, err = client.Models.Get(context.Background(), "nope")
	if e := apiError(t, err); e.StatusCode != 404 || e.Code != "model_not_found" {
		t.Fatalf("Models.Get(nope) = %d %q", e.StatusCode, e.Code)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(g.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s = %d", path, resp.StatusCode)
		}
	}
}

func TestClientDisconnectCancelsUpstream(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	client := g.client()
	for _, stream := range []bool{false, true} {
		before := g.Mock.Server().Stats().Canceled
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			waitFor(t, "the request to reach the mock", func() bool { return g.Mock.Server().Stats().InFlight > 0 })
			cancel()
		}()
		if stream {
			s := client.Chat.Completions.NewStreaming(ctx, userMsg("[[mock tokens=1000 token_delay=20ms]]"))
			for s.Next() {
			}
		} else {
			_, _ = client.Chat.Completions.New(ctx, userMsg("[[mock hang=true]]"))
		}
		waitFor(t, "the upstream request to be cancelled", func() bool { return g.Mock.Server().Stats().Canceled > before })
		waitFor(t, "no request left in flight", func() bool { return g.Mock.Server().Stats().InFlight == 0 })
	}
}

func TestShutdownDrainsInFlightStreams(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	client := g.client()
	params := userMsg("[[mock tokens=10 token_delay=100ms]]")
	stream := client.Chat.Completions.NewStreaming(context.Background(), params)
	if !stream.Next() {
		t.Fatalf("no first chunk: %v", stream.Err())
	}
	stopped := make(chan struct{})
	go func() { g.stop(t); close(stopped) }()

	waitFor(t, "readiness to report draining", func() bool {
		resp, err := http.Get(g.URL + "/readyz")
		if err != nil {
			return true // listener already closed: also not ready
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	n := 1
	for stream.Next() {
		n++
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("in-flight stream was cut by shutdown after %d chunks: %v", n, err)
	}
	if n < 11 {
		t.Errorf("got %d chunks, want all 10 tokens plus the final chunk", n)
	}
	<-stopped
}

// assertSameVector checks that a base64 embedding (little-endian float32, OpenAI's
// encoding_format=base64) holds the same numbers as its float form.
func assertSameVector(t *testing.T, b64 string, floats []float64) {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) != len(floats)*4 {
		t.Fatalf("base64 embedding: %d bytes for %d dims, %v", len(b), len(floats), err)
	}
	for i, want := range floats {
		got := float64(math.Float32frombits(binary.LittleEndian.Uint32(b[i*4:])))
		if math.Abs(got-want) > 1e-6 {
			t.Fatalf("dim %d: base64 %v != float %v", i, got, want)
		}
	}
}
