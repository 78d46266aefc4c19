package mockllm

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
)

func brThinkingInput(text string) *bedrockruntime.ConverseInput {
	in := brConverseInput(brModel, text)
	in.InferenceConfig = &types.InferenceConfiguration{MaxTokens: aws.Int32(2048)}
	in.AdditionalModelRequestFields = document.NewLazyDocument(map[string]any{"thinking": map[string]any{"type": "enabled", "budget_tokens": 1024}})
	return in
}

// TestBedrockReasoningRoundTripWithSDK: with Claude's thinking on, the answer starts with a
// signed reasoningContent block (streamed as text deltas and a signature), which verifies when
// sent back and is refused when altered.
func TestBedrockReasoningRoundTripWithSDK(t *testing.T) {
	inst := brServer(t)
	client := brClient(inst, brKeyID, brSecret, "")
	ctx := context.Background()
	in := brThinkingInput("Hello " + anRedactedTrigger)
	out, err := client.Converse(ctx, in)
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	msg := out.Output.(*types.ConverseOutputMemberMessage).Value
	rc, ok := msg.Content[0].(*types.ContentBlockMemberReasoningContent)
	if !ok || len(msg.Content) != 3 {
		t.Fatalf("content = %#v, want reasoning text, redacted reasoning, text", msg.Content)
	}
	rt, ok := rc.Value.(*types.ReasoningContentBlockMemberReasoningText)
	if !ok || rt.Value.Text == nil || rt.Value.Signature == nil || !anVerify(*rt.Value.Text, *rt.Value.Signature) {
		t.Fatalf("reasoning = %#v, want signed text", rc.Value)
	}
	if _, ok := msg.Content[1].(*types.ContentBlockMemberReasoningContent).Value.(*types.ReasoningContentBlockMemberRedactedContent); !ok {
		t.Errorf("content[1] = %#v, want redacted reasoning", msg.Content[1])
	}

	stream, err := client.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{ModelId: in.ModelId, Messages: in.Messages,
		InferenceConfig: in.InferenceConfig, AdditionalModelRequestFields: in.AdditionalModelRequestFields})
	if err != nil {
		t.Fatalf("ConverseStream: %v", err)
	}
	var text, sig strings.Builder
	redacted := 0
	for ev := range stream.GetStream().Events() {
		d, ok := ev.(*types.ConverseStreamOutputMemberContentBlockDelta)
		if !ok {
			continue
		}
		if r, ok := d.Value.Delta.(*types.ContentBlockDeltaMemberReasoningContent); ok {
			switch v := r.Value.(type) {
			case *types.ReasoningContentBlockDeltaMemberText:
				text.WriteString(v.Value)
			case *types.ReasoningContentBlockDeltaMemberSignature:
				sig.WriteString(v.Value)
			case *types.ReasoningContentBlockDeltaMemberRedactedContent:
				redacted++
			}
		}
	}
	if err := stream.GetStream().Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if text.String() != *rt.Value.Text || sig.String() != *rt.Value.Signature || redacted != 1 {
		t.Errorf("streamed reasoning %q / %q / %d redacted, want %q / %q / 1", text.String(), sig.String(), redacted, *rt.Value.Text, *rt.Value.Signature)
	}

	next := *in
	next.Messages = []types.Message{in.Messages[0], msg, brUser("Go on.")}
	if _, err := client.Converse(ctx, &next); err != nil {
		t.Fatalf("Converse with the reasoning sent back: %v", err)
	}
	altered := *rt
	altered.Value.Text = aws.String(*rt.Value.Text + " Not.")
	tampered := types.Message{Role: msg.Role, Content: append([]types.ContentBlock{&types.ContentBlockMemberReasoningContent{Value: &altered}}, msg.Content[1:]...)}
	next.Messages = []types.Message{in.Messages[0], tampered, brUser("Go on.")}
	_, err = client.Converse(ctx, &next)
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ValidationException" || !strings.Contains(api.ErrorMessage(), "Invalid `signature`") {
		t.Errorf("Converse with altered reasoning: %v, want a ValidationException about the signature", err)
	}
}
