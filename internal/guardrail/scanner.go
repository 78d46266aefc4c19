package guardrail

import (
	"context"
	"log/slog"

	"github.com/sluicehq/sluice/internal/api"
)

// TypeHook is the finding type of webhook verdicts, and TypeHookFailure of failed calls.
const (
	TypeHook        = "HOOK"
	TypeHookFailure = "HOOK_FAILURE"
)

// Scanner applies a Set to one request and its answer. It holds the request's redaction
// state, so input placeholders can be restored in the output, and its Verdict.
type Scanner struct {
	set     Set
	red     Redactor
	Verdict Verdict
	buf     []Finding
	log     *slog.Logger
}

// NewScanner starts the guardrail state of one request.
func NewScanner(set Set, log *slog.Logger) *Scanner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scanner{set: set, log: log}
}

// Set is the policies the scanner applies.
func (sc *Scanner) Set() *Set { return &sc.set }

// Text applies the checks of stage to s: it returns s with redactions applied, or a
// *Blocked error.
func (sc *Scanner) Text(s string, stage Stage) (string, error) {
	fs := sc.set.Scan(s, stage, sc.buf[:0])
	defer func() { sc.buf = fs[:0] }()
	if len(fs) == 0 {
		return s, nil
	}
	n := 0
	for i := range fs {
		f := &fs[i]
		sc.Verdict.note(f, stage)
		switch f.Action {
		case Block:
			return "", &Blocked{Rule: f.Rule, Type: f.Type, Stage: stage}
		case Redact:
			fs[n] = *f
			n++
		}
	}
	return sc.red.Apply(s, fs[:n]), nil
}

// Input applies input checks to every text the model will read: message content (string or
// text parts), tool results, and the arguments of earlier tool calls. Redactions are written
// into req.
func (sc *Scanner) Input(ctx context.Context, req *api.ChatRequest) error {
	if !sc.set.Has(Input) {
		return nil
	}
	for i := range req.Messages {
		m := &req.Messages[i]
		if err := sc.content(&m.Content, Input); err != nil {
			return err
		}
		for k := range m.ToolCalls {
			a := &m.ToolCalls[k].Function.Arguments
			var err error
			if *a, err = sc.Text(*a, Input); err != nil {
				return err
			}
		}
	}
	return sc.hooks(ctx, Input, nil, func(add func(string)) {
		for i := range req.Messages {
			m := &req.Messages[i]
			add(m.Content.String())
			for _, tc := range m.ToolCalls {
				add(tc.Function.Arguments)
			}
		}
	})
}

func (sc *Scanner) content(c *api.Content, stage Stage) error {
	var err error
	if c.Parts == nil {
		c.Text, err = sc.Text(c.Text, stage)
		return err
	}
	for j := range c.Parts {
		if p := &c.Parts[j]; p.Type == "text" {
			if p.Text, err = sc.Text(p.Text, stage); err != nil {
				return err
			}
		}
	}
	return nil
}

// Output applies output checks to a complete answer, then restores input placeholders when a
// policy asks for it.
func (sc *Scanner) Output(ctx context.Context, resp *api.ChatResponse) error {
	out := sc.set.Has(Output)
	restore := sc.set.Restore() && sc.red.Len() > 0
	if !out && !restore {
		return nil
	}
	for i := range resp.Choices {
		m := &resp.Choices[i].Message
		if out {
			if err := sc.content(&m.Content, Output); err != nil {
				return err
			}
			for k := range m.ToolCalls {
				a := &m.ToolCalls[k].Function.Arguments
				var err error
				if *a, err = sc.Text(*a, Output); err != nil {
					return err
				}
			}
		}
	}
	if out {
		err := sc.hooks(ctx, Output, nil, func(add func(string)) {
			for _, c := range resp.Choices {
				add(c.Message.Content.String())
				for _, tc := range c.Message.ToolCalls {
					add(tc.Function.Arguments)
				}
			}
		})
		if err != nil {
			return err
		}
	}
	if restore {
		for i := range resp.Choices {
			m := &resp.Choices[i].Message
			sc.restoreContent(&m.Content)
			for k := range m.ToolCalls {
				a := &m.ToolCalls[k].Function.Arguments
				*a = sc.red.Restore(*a)
			}
		}
	}
	return nil
}

func (sc *Scanner) restoreContent(c *api.Content) {
	if c.Parts == nil {
		c.Text = sc.red.Restore(c.Text)
		return
	}
	for j := range c.Parts {
		c.Parts[j].Text = sc.red.Restore(c.Parts[j].Text)
	}
}

// hooks calls the webhook checks of stage (those want accepts, when it is set) with the texts
// gather yields. A hook's block blocks; a failure blocks when the check fails closed and is
// flagged otherwise.
func (sc *Scanner) hooks(ctx context.Context, stage Stage, want func(*Check) bool, gather func(add func(string))) error {
	var texts []string
	for _, p := range sc.set.policies[:sc.set.n] {
		if !p.hooks {
			continue
		}
		for _, c := range p.Checks {
			if c.hook == nil || c.Stage&stage == 0 || (want != nil && !want(c)) {
				continue
			}
			if texts == nil {
				gather(func(s string) {
					if s != "" {
						texts = append(texts, s)
					}
				})
				if texts == nil {
					return nil
				}
			}
			v, err := c.hook.Check(ctx, stage, texts)
			f := Finding{Rule: c.Name, Type: TypeHook, Action: c.Action}
			if err != nil {
				sc.log.LogAttrs(ctx, slog.LevelWarn, "guardrail webhook failed", slog.String("check", c.Name), slog.Any("err", err))
				f.Type = TypeHookFailure
				if fc, ok := c.hook.(interface{ failsClosed() bool }); ok && fc.failsClosed() {
					f.Action = Block
				} else {
					f.Action = Flag
				}
			} else {
				switch v.Action {
				case "allow":
					continue
				case "flag":
					f.Action = Flag
				case "block":
					f.Action = c.Action
				}
				if v.Type != "" {
					f.Type = v.Type
				}
			}
			sc.Verdict.note(&f, stage)
			if f.Action == Block {
				return &Blocked{Rule: c.Name, Type: f.Type, Stage: stage}
			}
		}
	}
	return nil
}
