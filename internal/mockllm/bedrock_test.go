package mockllm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
)

// The Bedrock routes are tested through the official AWS SDK client: its SigV4 signer signs the
// requests, its deserializers and event stream decoder (which checks every CRC) read the answers.

const (
	brKeyID    = "AKIDMOCKTEST"
	brSecret   = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYMOCKTEST"
	brModel    = "anthropic.claude-3-5-sonnet-20240620-v1:0"
	brARNModel = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0"
)

func brServer(t *testing.T) *Instance {
	return start(t, Options{AWSAccessKeyID: brKeyID, AWSSecretAccessKey: brSecret})
}

// brClient is the SDK pointed at inst with the given key pair, without retries.
func brClient(inst *Instance, keyID, secret, token string) *bedrockruntime.Client {
	return bedrockruntime.New(bedrockruntime.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(inst.URL()),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: token, Source: "test"}, nil
		}),
		Retryer: aws.NopRetryer{},
	})
}

func brUser(text string) types.Message {
	return types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: text}}}
}

func brConverseInput(model, text string) *bedrockruntime.ConverseInput {
	return &bedrockruntime.ConverseInput{ModelId: aws.String(model), Messages: []types.Message{brUser(text)}}
}

func brText(t *testing.T, out *bedrockruntime.ConverseOutput) string {
	t.Helper()
	msg, ok := out.Output.(*types.ConverseOutputMemberMessage)
	if !ok || len(msg.Value.Content) == 0 {
		t.Fatalf("output = %#v, want a message", out.Output)
	}
	text, ok := msg.Value.Content[0].(*types.ContentBlockMemberText)
	if !ok {
		t.Fatalf("content[0] = %#v, want text", msg.Value.Content[0])
	}
	return text.Value
}

func TestBedrockConverseWithSignedRequests(t *testing.T) {
	inst := brServer(t)
	ctx := context.Background()
	for _, model := range []string{brModel, brARNModel} {
		out, err := brClient(inst, brKeyID, brSecret, "").Converse(ctx, brConverseInput(model, "Hello [[mock tokens=5]]"))
		if err != nil {
			t.Fatalf("Converse(%s): %v", model, err)
		}
		if text := brText(t, out); len(strings.Fields(text)) != 5 || out.StopReason != types.StopReasonEndTurn {
			t.Errorf("Converse(%s) = %q, %s; want 5 words and end_turn", model, text, out.StopReason)
		}
		if u := out.Usage; u == nil || *u.OutputTokens != 5 || *u.InputTokens <= 0 || *u.TotalTokens != *u.InputTokens+5 {
			t.Errorf("usage = %+v", out.Usage)
		}
		reqs := inst.Server().Requests()
		if got := reqs[len(reqs)-1].Header.Get("Authorization"); !strings.Contains(got, "/bedrock/aws4_request") {
			t.Errorf("Authorization = %q, want a SigV4 signature for bedrock", got)
		}
	}
	// A session token is signed along.
	if _, err := brClient(inst, brKeyID, brSecret, "session-token").Converse(ctx, brConverseInput(brModel, "hi")); err != nil {
		t.Fatalf("Converse with a session token: %v", err)
	}
}

func TestBedrockSignatureIsVerified(t *testing.T) {
	inst := brServer(t)
	for _, tc := range []struct {
		name, keyID, secret, code string
	}{
		{"wrong secret", brKeyID, "not-the-secret", "InvalidSignatureException"},
		{"unknown key id", "AKIDOTHER", brSecret, "UnrecognizedClientException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := brClient(inst, tc.keyID, tc.secret, "").Converse(context.Background(), brConverseInput(brModel, "hi"))
			var apiErr smithy.APIError
			var re interface{ HTTPStatusCode() int }
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.code || !errors.As(err, &re) || re.HTTPStatusCode() != 403 {
				t.Fatalf("Converse = %v, want 403 %s", err, tc.code)
			}
		})
	}
	status, h, body := post(t, inst.URL()+"/model/m/converse", `{"messages":[]}`, nil)
	if status != 403 || !strings.HasPrefix(h.Get("X-Amzn-Errortype"), "MissingAuthenticationTokenException:") {
		t.Errorf("unsigned request = %d %s %s, want 403 MissingAuthenticationTokenException", status, h.Get("X-Amzn-Errortype"), body)
	}
}

func TestBedrockConverseStreamMatchesConverse(t *testing.T) {
	inst := brServer(t)
	client := brClient(inst, brKeyID, brSecret, "")
	ctx := context.Background()
	whole, err := client.Converse(ctx, brConverseInput(brModel, "stream me"))
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	out, err := client.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{ModelId: aws.String(brModel), Messages: []types.Message{brUser("stream me")}})
	if err != nil {
		t.Fatalf("ConverseStream: %v", err)
	}
	stream := out.GetStream()
	defer stream.Close()
	var (
		kinds []string
		text  strings.Builder
		usage *types.TokenUsage
	)
	for ev := range stream.Events() {
		switch v := ev.(type) {
		case *types.ConverseStreamOutputMemberMessageStart:
			kinds = append(kinds, "start:"+string(v.Value.Role))
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			if d, ok := v.Value.Delta.(*types.ContentBlockDeltaMemberText); ok {
				text.WriteString(d.Value)
			}
		case *types.ConverseStreamOutputMemberContentBlockStop:
			kinds = append(kinds, "block-stop")
		case *types.ConverseStreamOutputMemberMessageStop:
			kinds = append(kinds, "stop:"+string(v.Value.StopReason))
		case *types.ConverseStreamOutputMemberMetadata:
			kinds, usage = append(kinds, "metadata"), v.Value.Usage
		default:
			t.Errorf("unexpected event %T", ev)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if got := strings.Join(kinds, ","); got != "start:assistant,block-stop,stop:end_turn,metadata" {
		t.Errorf("events = %s", got)
	}
	if text.String() != brText(t, whole) {
		t.Errorf("streamed %q != converse %q", text.String(), brText(t, whole))
	}
	if usage == nil || *usage.OutputTokens != *whole.Usage.OutputTokens || *usage.InputTokens != *whole.Usage.InputTokens {
		t.Errorf("stream usage %+v != converse usage %+v", usage, whole.Usage)
	}
}

func TestBedrockToolUse(t *testing.T) {
	inst := brServer(t)
	client := brClient(inst, brKeyID, brSecret, "")
	schema := document.NewLazyDocument(map[string]any{"type": "object", "properties": map[string]any{"sign": map[string]any{"type": "string"}}})
	in := brConverseInput(brModel, "What is the most popular song on WZPZ?")
	in.ToolConfig = &types.ToolConfiguration{
		Tools:      []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{Name: aws.String("top_song"), InputSchema: &types.ToolInputSchemaMemberJson{Value: schema}}}},
		ToolChoice: &types.ToolChoiceMemberAny{},
	}
	out, err := client.Converse(context.Background(), in)
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	msg := out.Output.(*types.ConverseOutputMemberMessage).Value
	use, ok := msg.Content[0].(*types.ContentBlockMemberToolUse)
	if !ok || *use.Value.Name != "top_song" || !strings.HasPrefix(*use.Value.ToolUseId, "tooluse_") || out.StopReason != types.StopReasonToolUse {
		t.Fatalf("content = %#v, stop %s; want a top_song toolUse and tool_use", msg.Content, out.StopReason)
	}
	var input map[string]string
	if err := use.Value.Input.UnmarshalSmithyDocument(&input); err != nil || input["sign"] == "" {
		t.Errorf("input = %v (%v), want a sign", input, err)
	}

	// The streamed call: its start, then argument fragments that join into the same input.
	stream, err := client.ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{ModelId: in.ModelId, Messages: in.Messages, ToolConfig: in.ToolConfig})
	if err != nil {
		t.Fatalf("ConverseStream: %v", err)
	}
	var args strings.Builder
	var name string
	for ev := range stream.GetStream().Events() {
		switch v := ev.(type) {
		case *types.ConverseStreamOutputMemberContentBlockStart:
			name = *v.Value.Start.(*types.ContentBlockStartMemberToolUse).Value.Name
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			args.WriteString(*v.Value.Delta.(*types.ContentBlockDeltaMemberToolUse).Value.Input)
		}
	}
	var streamed map[string]string
	if err := json.Unmarshal([]byte(args.String()), &streamed); err != nil || name != "top_song" || streamed["sign"] != input["sign"] {
		t.Errorf("streamed call %s(%s) (%v), want top_song with the same input", name, args.String(), err)
	}
}

func TestBedrockErrorsParseAsSDKTypes(t *testing.T) {
	inst := brServer(t)
	client := brClient(inst, brKeyID, brSecret, "")
	for _, tc := range []struct {
		knob   string
		target any
	}{
		{"status=429", new(*types.ThrottlingException)},
		{"status=400", new(*types.ValidationException)},
		{"status=403", new(*types.AccessDeniedException)},
		{"status=404", new(*types.ResourceNotFoundException)},
		{"status=408", new(*types.ModelTimeoutException)},
		{"status=424", new(*types.ModelErrorException)},
		{"status=500", new(*types.InternalServerException)},
		{"status=503", new(*types.ServiceUnavailableException)},
	} {
		t.Run(tc.knob, func(t *testing.T) {
			_, err := client.Converse(context.Background(), brConverseInput(brModel, "[[mock "+tc.knob+"]]"))
			if !errors.As(err, tc.target) {
				t.Fatalf("Converse = %v, want %T", err, tc.target)
			}
		})
	}
}

func TestBedrockValidation(t *testing.T) {
	inst := brServer(t)
	client := brClient(inst, brKeyID, brSecret, "")
	assistant := types.Message{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "x"}}}
	use := types.Message{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{
		ToolUseId: aws.String("t1"), Name: aws.String("f"), Input: document.NewLazyDocument(map[string]any{})}}}}
	for _, tc := range []struct {
		name     string
		messages []types.Message
		inMsg    string
	}{
		{"starts with assistant", []types.Message{assistant}, "must start with a user message"},
		{"roles do not alternate", []types.Message{brUser("a"), brUser("b")}, "must alternate"},
		{"blank text", []types.Message{brUser(" ")}, "is blank"},
		{"toolUse without toolConfig", []types.Message{brUser("a"), use, brUser("b")}, "toolConfig field must be defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String(brModel), Messages: tc.messages})
			var ve *types.ValidationException
			if !errors.As(err, &ve) || !strings.Contains(ve.ErrorMessage(), tc.inMsg) {
				t.Fatalf("Converse = %v, want a ValidationException about %q", err, tc.inMsg)
			}
		})
	}
	// A member Bedrock does not know is refused (the SDK cannot send one; a raw request can).
	open := start(t, Options{})
	status, h, body := post(t, open.URL()+"/model/m/converse", `{"messages":[{"role":"user","content":[{"text":"hi"}]}],"temperature":1}`, nil)
	if status != 400 || !strings.HasPrefix(h.Get("X-Amzn-Errortype"), "ValidationException:") || !strings.Contains(body, "extraneous key [temperature]") {
		t.Errorf("unknown member = %d %s %s", status, h.Get("X-Amzn-Errortype"), body)
	}
	if status, _, _ := post(t, open.URL()+"/model/m/chat", `{}`, nil); status != 404 {
		t.Errorf("unknown operation = %d, want 404", status)
	}
}

func TestBedrockStreamFaults(t *testing.T) {
	inst := brServer(t)
	client := brClient(inst, brKeyID, brSecret, "")
	// The SDK reads a frame cut short as the end of the stream; what tells a client the answer is
	// incomplete is the missing messageStop and metadata.
	for _, tc := range []struct {
		knob       string
		wantDeltas int
		exception  bool
	}{
		{"error_after=2", 2, true},
		{"cut_after=2", 2, false},
		{"cut_after=99", 5, false},
	} {
		t.Run(tc.knob, func(t *testing.T) {
			out, err := client.ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{
				ModelId: aws.String(brModel), Messages: []types.Message{brUser("[[mock tokens=5 " + tc.knob + "]]")}})
			if err != nil {
				t.Fatalf("ConverseStream: %v", err)
			}
			stream := out.GetStream()
			deltas, ended := 0, false
			for ev := range stream.Events() {
				switch ev.(type) {
				case *types.ConverseStreamOutputMemberContentBlockDelta:
					deltas++
				case *types.ConverseStreamOutputMemberMessageStop, *types.ConverseStreamOutputMemberMetadata:
					ended = true
				}
			}
			var mse *types.ModelStreamErrorException
			if err := stream.Err(); ended || deltas != tc.wantDeltas || errors.As(err, &mse) != tc.exception {
				t.Fatalf("stream: %d deltas, end events %v, error %v; want %d deltas, no end, exception %v",
					deltas, ended, err, tc.wantDeltas, tc.exception)
			}
		})
	}
}

func TestBedrockCutAfterBreaksAFrame(t *testing.T) {
	inst := start(t, Options{})
	resp, err := http.Post(inst.URL()+"/model/m/converse-stream", "application/json",
		strings.NewReader(`{"messages":[{"role":"user","content":[{"text":"[[mock cut_after=1]]"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	dec := eventstream.NewDecoder()
	var frames int
	for ; ; frames++ {
		if _, err = dec.Decode(resp.Body, nil); err != nil {
			break
		}
	}
	if frames != 2 || err == io.EOF {
		t.Fatalf("read %d whole frames, then %v; want messageStart and one delta, then a broken frame", frames, err)
	}
}

func TestBedrockEmbeddings(t *testing.T) {
	inst := brServer(t)
	client := brClient(inst, brKeyID, brSecret, "")
	ctx := context.Background()
	titan, err := client.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: aws.String("amazon.titan-embed-text-v2:0"),
		ContentType: aws.String("application/json"), Body: []byte(`{"inputText":"Hello world","dimensions":256}`)})
	if err != nil {
		t.Fatalf("InvokeModel titan: %v", err)
	}
	var tr struct {
		Embedding           []float64 `json:"embedding"`
		InputTextTokenCount int       `json:"inputTextTokenCount"`
	}
	if err := json.Unmarshal(titan.Body, &tr); err != nil || len(tr.Embedding) != 256 || tr.InputTextTokenCount <= 0 {
		t.Errorf("titan answer %d floats, %d tokens, %v", len(tr.Embedding), tr.InputTextTokenCount, err)
	}
	cohere, err := client.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: aws.String("cohere.embed-english-v3"),
		Body: []byte(`{"texts":["a","Hello world"],"input_type":"search_document"}`)})
	if err != nil {
		t.Fatalf("InvokeModel cohere: %v", err)
	}
	var cr struct {
		Embeddings   [][]float64 `json:"embeddings"`
		ResponseType string      `json:"response_type"`
	}
	if err := json.Unmarshal(cohere.Body, &cr); err != nil || len(cr.Embeddings) != 2 || len(cr.Embeddings[1]) != 1024 || cr.ResponseType != "embeddings_floats" {
		t.Fatalf("cohere answer %s (%v)", cohere.Body, err)
	}
	// The same text gives the same vector whatever the batch, as with the OpenAI route.
	titan2, _ := client.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: aws.String("cohere.embed-english-v3"),
		Body: []byte(`{"texts":["Hello world"],"input_type":"search_query"}`)})
	var cr2 struct {
		Embeddings [][]float64 `json:"embeddings"`
	}
	if json.Unmarshal(titan2.Body, &cr2) != nil || cr2.Embeddings[0][0] != cr.Embeddings[1][0] {
		t.Errorf("the same text embedded differently in another batch")
	}
	_, err = client.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: aws.String("cohere.embed-english-v3"), Body: []byte(`{"texts":["a"]}`)})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || !strings.Contains(ve.ErrorMessage(), "input_type") {
		t.Errorf("cohere without input_type = %v, want a ValidationException", err)
	}
}

func TestBedrockUsageKnobAndHeaders(t *testing.T) {
	inst := start(t, Options{})
	status, h, body := post(t, inst.URL()+"/model/"+strings.ReplaceAll(brModel, ":", "%3A")+"/converse",
		`{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`, map[string]string{"X-Mock-Usage": "false"})
	if status != http.StatusOK || h.Get("X-Amzn-Requestid") == "" || strings.Contains(body, `"usage"`) {
		t.Errorf("usage=false answer = %d %v %s", status, h, body)
	}
}
