package mockllm

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strings"
)

// Extended thinking on the Messages API
// (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking). With thinking on,
// the answer starts with a thinking block of deterministic text and a signature the mock can
// verify; the magic string Anthropic documents for testing adds a redacted_thinking block. A
// later turn that carries thinking back has it verified, so a client or gateway that changes,
// drops or reorders a byte is refused, as the real API refuses it.

// anRedactedTrigger in the last user message makes the answer include a redacted_thinking
// block (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking#thinking-redaction).
const anRedactedTrigger = "ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_46C9A13E193C177646C7398A98432ECCCE4C1253"

// anThinkingKey signs the mock's thinking. It is fixed so that answers are reproducible and
// any mock instance accepts another's blocks.
var anThinkingKey = []byte("mockllm extended thinking")

const (
	anMinThinkingBudget = 1024
	anMACSize           = sha256.Size
)

// anThinking is the request's thinking object.
type anThinking struct {
	Type         string `json:"type"`
	BudgetTokens *int   `json:"budget_tokens"`
	Display      string `json:"display"`
}

func anMAC(kind string, payload []byte) []byte {
	m := hmac.New(sha256.New, anThinkingKey)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write(payload)
	return m.Sum(nil)
}

// anSign returns the signature of a thinking text: the MAC and the text, base64, so that it
// verifies even when the text was omitted from the answer (display "omitted").
func anSign(text string) string {
	return base64.StdEncoding.EncodeToString(append(anMAC("thinking", []byte(text)), text...))
}

// anVerify reports whether sig signs thinking, or signs some text when thinking is empty.
func anVerify(thinking, sig string) bool {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(raw) < anMACSize {
		return false
	}
	text := raw[anMACSize:]
	if !hmac.Equal(raw[:anMACSize], anMAC("thinking", text)) {
		return false
	}
	return thinking == "" || thinking == string(text)
}

// anRedactedData returns opaque redacted thinking: a nonce and its MAC, base64.
func anRedactedData(seed uint64) string {
	nonce := binary.BigEndian.AppendUint64(nil, seed)
	return base64.StdEncoding.EncodeToString(append(nonce, anMAC("redacted", nonce)...))
}

func anVerifyRedacted(data string) bool {
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil || len(raw) != 8+anMACSize {
		return false
	}
	return hmac.Equal(raw[8:], anMAC("redacted", raw[:8]))
}

// thinkingOn reports whether the answer thinks: enabled, or adaptive (the mock always decides
// to think).
func (req *anRequest) thinkingOn() bool {
	return req.Thinking != nil && (req.Thinking.Type == "enabled" || req.Thinking.Type == "adaptive")
}

// validateThinking checks the thinking object and the thinking blocks sent back, with the
// API's rules and messages.
func (req *anRequest) validateThinking() *failure {
	if th := req.Thinking; th != nil {
		switch th.Type {
		case "enabled":
			switch {
			case th.BudgetTokens == nil:
				return anInvalid("thinking.enabled.budget_tokens: Field required")
			case *th.BudgetTokens < anMinThinkingBudget:
				return anInvalid("thinking.enabled.budget_tokens: Input should be greater than or equal to %d", anMinThinkingBudget)
			case *th.BudgetTokens >= *req.MaxTokens:
				return anInvalid("`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size")
			}
		case "disabled", "adaptive", "between_tools":
		default:
			return anInvalid("thinking: Input tag '%s' found using 'type' does not match any of the expected tags: 'adaptive', 'between_tools', 'disabled', 'enabled'", th.Type)
		}
		if req.thinkingOn() {
			if req.Temperature != nil && *req.Temperature != 1 {
				return anInvalid("`temperature` may only be set to 1 when thinking is enabled or in adaptive mode. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility")
			}
			if c := req.ToolChoice; c != nil && (c.Type == "any" || c.Type == "tool") {
				return anInvalid("Thinking may not be enabled when tool_choice forces tool use.")
			}
		}
	}
	for i, m := range req.Messages {
		for j, b := range m.Content.blocks {
			if fl := anCheckThinkingBlock(i, j, m.Role, b); fl != nil {
				return fl
			}
		}
	}
	return req.checkThinkingFirst()
}

func anCheckThinkingBlock(i, j int, role string, b anBlock) *failure {
	switch {
	case b.Type != "thinking" && b.Type != "redacted_thinking":
		return nil
	case role != "assistant":
		return anInvalid("messages.%d.content.%d: `%s` blocks are only allowed in assistant messages", i, j, b.Type)
	case b.Type == "redacted_thinking" && !anVerifyRedacted(b.Data):
		return anInvalid("messages.%d.content.%d: Invalid `data` in `redacted_thinking` block", i, j)
	case b.Type == "redacted_thinking":
		return nil
	case b.Thinking == nil:
		return anInvalid("messages.%d.content.%d.thinking.thinking: Field required", i, j)
	case b.Signature == nil:
		return anInvalid("messages.%d.content.%d.thinking.signature: Field required", i, j)
	case !anVerify(*b.Thinking, *b.Signature):
		return anInvalid("messages.%d.content.%d: Invalid `signature` in `thinking` block", i, j)
	}
	return nil
}

// checkThinkingFirst enforces that, with thinking enabled, the assistant turn that made the
// last tool calls starts with its thinking, which a client must therefore send back.
func (req *anRequest) checkThinkingFirst() *failure {
	n := len(req.Messages)
	if req.Thinking == nil || req.Thinking.Type != "enabled" || n < 2 || len(blockIDs(req.Messages[n-1], "tool_result")) == 0 {
		return nil
	}
	prev := req.Messages[n-2]
	if prev.Role != "assistant" || len(prev.Content.blocks) == 0 {
		return nil
	}
	if t := prev.Content.blocks[0].Type; t != "thinking" && t != "redacted_thinking" {
		return anInvalid("messages.%d.content.0.type: Expected `thinking` or `redacted_thinking`, but found `%s`. "+
			"When `thinking` is enabled, a final `assistant` message must start with a thinking block "+
			"(preceeding the lastmost set of `tool_use` and `tool_result` blocks). "+
			"We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`.", n-2, t)
	}
	return nil
}

// thinkingText is what the mock thinks: fixed sentences that name the tools it calls.
func thinkingText(calls []plannedCall) string {
	if len(calls) == 0 {
		return "The request is clear. I will answer it directly and briefly."
	}
	names := make([]string, len(calls))
	for i, c := range calls {
		names[i] = c.name
	}
	return "To answer, I need data I do not have. I will call " + strings.Join(names, " and ") + " first."
}

// planThinking adds the thinking blocks to out and their tokens to the output count, which
// bills thinking as output.
func (req *anRequest) planThinking(out *anOutcome, seed uint64) {
	if !req.thinkingOn() {
		return
	}
	text := thinkingText(out.plan.calls)
	shown, sig := text, anSign(text)
	if req.Thinking.Display == "omitted" {
		shown = ""
	}
	out.thinking = append(out.thinking, anBlockOut{Type: "thinking", Thinking: &shown, Signature: &sig})
	out.usage.OutputTokens += estimateTokens(text)
	if n := len(req.Messages); strings.Contains(req.Messages[n-1].Content.text, anRedactedTrigger) {
		out.thinking = append(out.thinking, anBlockOut{Type: "redacted_thinking", Data: anRedactedData(seed)})
		out.usage.OutputTokens += 16
	}
}

// writeThinking streams the thinking blocks first: a thinking block opens empty, takes its text
// in thinking_delta events and its signature in one signature_delta; a redacted_thinking block
// comes whole in its content_block_start. It returns the index of the next block.
func writeThinking(st *anStream, blocks []anBlockOut) int {
	for i, b := range blocks {
		st.begin("content_block_start")
		st.appendIndex("content_block_start", i)
		if b.Type == "redacted_thinking" {
			st.buf = append(st.buf, `,"content_block":{"type":"redacted_thinking","data":`...)
			st.buf = appendJSONString(st.buf, b.Data)
			st.buf = append(st.buf, "}}"...)
			st.end()
			st.blockStop(i)
			continue
		}
		st.buf = append(st.buf, `,"content_block":{"type":"thinking","thinking":"","signature":""}}`...)
		st.end()
		for _, piece := range anThinkingPieces(*b.Thinking) {
			st.thinkingDelta(i, "thinking_delta", "thinking", piece)
		}
		st.thinkingDelta(i, "signature_delta", "signature", *b.Signature)
		st.blockStop(i)
	}
	return len(blocks)
}

// anThinkingPieces splits thinking into sentence-sized deltas, as the API streams it.
func anThinkingPieces(text string) []string {
	if text == "" {
		return nil
	}
	return strings.SplitAfter(text, ". ")
}

func (st *anStream) thinkingDelta(index int, typ, member, value string) {
	st.begin("content_block_delta")
	st.appendIndex("content_block_delta", index)
	st.buf = append(st.buf, `,"delta":{"type":"`...)
	st.buf = append(st.buf, typ...)
	st.buf = append(st.buf, `","`...)
	st.buf = append(st.buf, member...)
	st.buf = append(st.buf, `":`...)
	st.buf = appendJSONString(st.buf, value)
	st.buf = append(st.buf, "}}"...)
	st.end()
}
