package mockllm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Gemini streaming. With alt=sse each event is "data: <GenerateContentResponse>\r\n\r\n" (CRLF,
// as Google's front end sends it; the SDKs split on either line ending), without it the same
// objects form one JSON array written piece by piece. Text comes a piece per event, a function
// call whole in one; every event carries the cumulative usageMetadata, and each candidate's last
// event its finishReason (with an empty text part, as gemini-2.5 sends it). The body then ends:
// there is no terminal marker. A failure mid-stream is an event holding Google's error object.
// https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent

type gmStreamWriter struct {
	eventWriter
	sse   bool
	count int // events written, for the array's separators
}

func (st *gmStreamWriter) event(v any) {
	if st.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		st.err = fmt.Errorf("encode chunk: %w", err)
		return
	}
	var out []byte
	switch {
	case st.sse:
		out = append(append([]byte("data: "), b...), "\r\n\r\n"...)
	case st.count == 0:
		out = append([]byte("["), b...)
	default:
		out = append([]byte(",\r\n"), b...)
	}
	st.count++
	st.write(out)
}

// close ends the array form; an event stream just ends.
func (st *gmStreamWriter) close() {
	switch {
	case st.sse:
	case st.count == 0:
		st.write([]byte("[]"))
	default:
		st.write([]byte("]"))
	}
}

// gmStep is one content event: a part of one candidate, worth tokens completion tokens.
type gmStep struct {
	choice int
	part   gmPart
	tokens int
}

// gmSteps orders the content events of all candidates round-robin.
func gmSteps(plans []choicePlan) []gmStep {
	per := make([][]gmStep, len(plans))
	total := 0
	for i := range plans {
		p := &plans[i]
		for _, piece := range p.pieces {
			text := piece
			per[i] = append(per[i], gmStep{choice: i, part: gmPart{Text: &text}, tokens: 1})
		}
		for k, part := range p.gmParts() {
			if part.FunctionCall != nil {
				c := p.calls[k]
				per[i] = append(per[i], gmStep{choice: i, part: part, tokens: estimateTokens(c.name) + estimateTokens(c.args)})
			}
		}
		total += len(per[i])
	}
	out := make([]gmStep, 0, total)
	for step := 0; len(out) < total; step++ {
		for i := range per {
			if step < len(per[i]) {
				out = append(out, per[i][step])
			}
		}
	}
	return out
}

// gmStream writes the stream: headers, TTFT, content events paced by token_delay (with the
// cut_after and error_after faults), then each candidate's finish event.
func (s *Server) gmStream(ctx context.Context, w http.ResponseWriter, r *http.Request, b *behavior, rp *gmReply) error {
	st := &gmStreamWriter{eventWriter: newEventWriter(w), sse: r.URL.Query().Get("alt") == "sse"}
	if st.sse {
		w.Header().Set("Content-Type", "text/event-stream")
	} else {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	}
	w.WriteHeader(http.StatusOK)
	if b.TTFT > 0 {
		st.flush()
		if err := s.wait(ctx, b.TTFT); err != nil {
			return err
		}
	}
	steps := gmSteps(rp.plans)
	emitted := 0
	for k := 0; ; k++ {
		last := k == len(steps)
		switch f := b.faultAt(k, last); f {
		case faultNone:
		case faultError:
			st.event(gmErrorBody{Error: gmError{Code: http.StatusInternalServerError, Message: gmInternalMessage, Status: "INTERNAL"}})
			st.close()
			st.flush()
			return st.err
		default:
			malformed := []byte(`data: {"candidates":[{"content":{"role":"model","parts":[{"text":"tru` + "\r\n\r\n")
			if !st.sse {
				malformed = []byte(`,{"candidates":[{"content":{"role":"model","parts":[{"tex`)
			}
			if done, err := s.endStream(ctx, w, f, st, malformed); done {
				return err
			}
		}
		if last {
			break
		}
		if k > 0 && b.TokenDelay > 0 {
			if err := s.wait(ctx, b.TokenDelay); err != nil {
				return err
			}
		}
		step := steps[k]
		emitted += step.tokens
		st.event(rp.chunk(step.choice, []gmPart{step.part}, "", emitted))
		if b.TokenDelay > 0 {
			st.flush()
		}
		if st.err != nil {
			return st.err
		}
	}
	empty := ""
	for i := range rp.plans {
		st.event(rp.chunk(i, []gmPart{{Text: &empty}}, gmFinishReason(rp.plans[i].finish), emitted))
	}
	st.close()
	st.flush()
	return st.err
}

func (rp *gmReply) chunk(choice int, parts []gmPart, finish string, emitted int) gmResponse {
	return gmResponse{
		Candidates:    []gmCandidate{{Content: gmContent{Role: "model", Parts: parts}, FinishReason: finish, Index: choice}},
		UsageMetadata: rp.usage(emitted),
		ModelVersion:  rp.model,
		ResponseID:    rp.id,
	}
}
