package guardrail

import (
	"fmt"
)

// Action is what a check does when it fires.
type Action uint8

const (
	// Flag lets the content through and records the verdict.
	Flag Action = iota + 1
	// Redact replaces each match with a typed placeholder.
	Redact
	// Block refuses the request, or ends the stream.
	Block
)

func (a Action) String() string {
	switch a {
	case Flag:
		return "flag"
	case Redact:
		return "redact"
	case Block:
		return "block"
	}
	return "unknown"
}

// ParseAction reads an action's configuration name.
func ParseAction(s string) (Action, error) {
	switch s {
	case "flag":
		return Flag, nil
	case "redact":
		return Redact, nil
	case "block":
		return Block, nil
	}
	return 0, fmt.Errorf("unknown action %q (known: block, redact, flag)", s)
}

// Stage says which direction a check applies to; a bit set.
type Stage uint8

const (
	Input  Stage = 1 << iota // what the client sends to the model
	Output                   // what the model answers
	Both   = Input | Output
)

func (s Stage) String() string {
	switch s {
	case Input:
		return "input"
	case Output:
		return "output"
	case Both:
		return "both"
	}
	return "none"
}

// ParseStage reads a stage's configuration name; empty means both.
func ParseStage(s string) (Stage, error) {
	switch s {
	case "input":
		return Input, nil
	case "output":
		return Output, nil
	case "both", "":
		return Both, nil
	}
	return 0, fmt.Errorf("unknown apply %q (known: input, output, both)", s)
}

// Finding is one match of one check: which rule, what kind of data, where (byte offsets into
// the scanned text), and for scored checks the score.
type Finding struct {
	Rule   string
	Type   string // EMAIL, CREDIT_CARD, SECRET, KEYWORD, INJECTION, ...
	Action Action
	Start  int
	End    int
	Score  float64
}

// detector is a scanner: it appends the spans it finds in s to dst. Spans carry Type, Start,
// End and Score; the check fills in the rule and action.
type detector func(s string, dst []Finding) []Finding
