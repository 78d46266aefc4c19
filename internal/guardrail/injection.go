package guardrail

import (
	"regexp"
	"strings"
)

// TypeInjection is the finding type of the prompt-injection check.
const TypeInjection = "INJECTION"

// heuristic is one known attack phrasing: a literal trigger found by the phrase set, then an
// RE2 pattern anchored at the trigger over a short window, and the weight it adds.
type heuristic struct {
	trigger string
	pattern *regexp.Regexp // nil: the trigger alone is the evidence
	weight  float64
}

// injectionWindow bounds the text an anchored pattern reads after its trigger.
const injectionWindow = 200

func h(trigger, pattern string, weight float64) heuristic {
	var re *regexp.Regexp
	if pattern != "" {
		re = regexp.MustCompile(`^(?is:` + pattern + `)`)
	}
	return heuristic{trigger: trigger, pattern: re, weight: weight}
}

const (
	reTargets = `(?:instructions?|prompts?|rules|directions|directives|guidelines|messages|context|commands)`
	reEarlier = `(?:all\s+|any\s+|the\s+|your\s+|my\s+|of\s+|these\s+|those\s+)*(?:previous|prior|above|earlier|preceding|former|original|system|initial|existing)`
)

// heuristics are role-override attempts, known jailbreak phrasings and hidden-instruction
// markers. Weights are the evidence each gives; a mention ("what is a jailbreak?") scores
// below the default threshold, an instruction to act on it above.
var heuristics = []heuristic{
	h("ignore", `ignore\s+`+reEarlier+`\s+`+reTargets, 0.9),
	h("disregard", `disregard\s+`+reEarlier+`\s+`+reTargets, 0.9),
	h("forget", `forget\s+(?:all\s+|everything\s+|about\s+)?(?:your\s+|the\s+|previous\s+|prior\s+|above\s+)*(?:instructions?|rules|guidelines|training|programming|you\s+(?:were|have\s+been)\s+told)`, 0.8),
	h("override", `override\s+(?:your\s+|the\s+|all\s+|any\s+)*(?:instructions|safety|guidelines|system\s+prompt|rules|restrictions|filters)`, 0.8),
	h("bypass", `bypass\s+(?:your\s+|the\s+|all\s+|any\s+)*(?:safety|guidelines|restrictions|filters|content\s+policy|rules)`, 0.7),
	h("you are now", `you\s+are\s+now\s+(?:dan\b|an?\s+(?:unrestricted|unfiltered|uncensored|jailbroken|evil)|in\s+(?:developer|god|jailbreak)\s+mode|free\s+from|no\s+longer)`, 0.85),
	h("do anything now", "", 0.8),
	h("developer mode", `developer\s+mode\s+(?:enabled|activated|on)\b`, 0.75),
	h("enable developer mode", "", 0.75),
	h("jailbreak", "", 0.4),
	h("jailbroken", "", 0.5),
	h("no longer bound", "", 0.6),
	h("without any restrictions", "", 0.5),
	h("without restrictions", "", 0.4),
	h("pretend", `pretend\s+(?:that\s+|to\s+be\s+)?(?:you\s+(?:are|have)\s+)?(?:no\s+(?:rules|restrictions|guidelines|filters)|an?\s+(?:unrestricted|unfiltered|uncensored|evil)|not\s+(?:bound|restricted))`, 0.75),
	h("act as", `act\s+as\s+(?:an?\s+)?(?:unrestricted|unfiltered|uncensored|jailbroken|evil|dan\b)`, 0.75),
	h("reveal", `reveal\s+(?:me\s+)?(?:your|the)\s+(?:full\s+|entire\s+|original\s+|hidden\s+|initial\s+|secret\s+)*(?:system\s+prompt|instructions|initial\s+prompt|hidden\s+prompt|prompt)`, 0.75),
	h("print", `print\s+(?:out\s+)?(?:your|the)\s+(?:full\s+|entire\s+|original\s+|hidden\s+|initial\s+)*(?:system\s+prompt|initial\s+prompt|hidden\s+prompt|instructions\s+above)`, 0.75),
	h("repeat", `repeat\s+(?:everything|the\s+(?:text|words)|all\s+(?:text|words))\s+above`, 0.7),
	h("what is your system prompt", "", 0.6),
	h("new instructions:", "", 0.6),
	h("system override", "", 0.8),
	h("<|im_start|>", "", 0.8),
	h("<|system|>", "", 0.8),
	h("<|endoftext|>", "", 0.6),
	h("[inst]", "", 0.6),
	h("<<sys>>", "", 0.8),
	h("###", `###\s*(?:system|instruction|new\s+instructions)\b`, 0.6),
	h("<!--", `<!--.{0,120}?\b(?:ignore|assistant|ai\s+model|language\s+model|instructions?|you\s+must)\b`, 0.6),
	h("note to", `note\s+to\s+(?:the\s+)?(?:ai|assistant|llm|language\s+model|chatbot|model)\b`, 0.6),
	h("instructions for", `instructions\s+for\s+(?:the\s+)?(?:ai|assistant|llm|language\s+model|chatbot|model)\b`, 0.6),
	h("attention", `attention\s*,?\s+(?:ai|assistant|llm|language\s+model|chatbot)\b`, 0.5),
	h("ignore", `ignore\s+(?:the\s+|what\s+the\s+)?user'?s?\s+(?:question|request|instructions?|message|prompt)`, 0.7),
	h("forward all", `forward\s+all\s+(?:e-?mails|messages|files|data|conversations)`, 0.45),
	h("exfiltrate", "", 0.5),
	h("important:", `important:\s+(?:the\s+)?(?:ai|assistant|model)\s+(?:must|should)\b`, 0.6),
}

var injectionPhrases = func() *phraseSet {
	triggers := make([]string, len(heuristics))
	for i, hh := range heuristics {
		triggers[i] = hh.trigger
	}
	return newPhraseSet(triggers)
}()

// injectionDetector scores text against the heuristics and reports one finding when the
// combined score reaches threshold. Scores combine as independent evidence, 1-Π(1-w), each
// heuristic counted once.
func injectionDetector(threshold float64) detector {
	return func(s string, dst []Finding) []Finding {
		score, start, end := injectionScore(s)
		if score >= threshold && end > start {
			dst = append(dst, Finding{Type: TypeInjection, Start: start, End: end, Score: score})
		}
		return dst
	}
}

// InjectionScore is the prompt-injection score of s in [0,1].
func InjectionScore(s string) float64 {
	score, _, _ := injectionScore(s)
	return score
}

func injectionScore(s string) (score float64, start, end int) {
	var seen uint64 // heuristics counted; there are fewer than 64
	miss := 1.0
	start, end = len(s), 0
	injectionPhrases.scan(s, func(idx, i, j int) {
		if seen&(1<<idx) != 0 {
			return
		}
		hh := &heuristics[idx]
		if hh.pattern != nil {
			loc := hh.pattern.FindStringIndex(s[i:min(len(s), i+injectionWindow)])
			if loc == nil {
				return
			}
			j = i + loc[1]
		}
		seen |= 1 << idx
		miss *= 1 - hh.weight
		start, end = min(start, i), max(end, j)
	})
	if w, i, j := invisibleText(s); w > 0 {
		miss *= 1 - w
		start, end = min(start, i), max(end, j)
	}
	return 1 - miss, start, end
}

// invisibleText finds characters a reader cannot see but a model reads: Unicode tag
// characters (U+E0000-U+E007F, used to smuggle ASCII) weigh 0.9; zero-width characters
// (U+200B-U+200F, U+2060-U+2064) in a run of three or more weigh 0.5.
func invisibleText(s string) (weight float64, start, end int) {
	if strings.IndexByte(s, 0xF3) < 0 && strings.IndexByte(s, 0xE2) < 0 {
		return 0, 0, 0
	}
	start = -1
	zw := 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == 0xF3 && i+3 < len(s) && s[i+1] == 0xA0 && (s[i+2] == 0x80 || s[i+2] == 0x81):
			if start < 0 {
				start = i
			}
			weight, end = 0.9, i+4
		case s[i] == 0xE2 && i+2 < len(s) && ((s[i+1] == 0x80 && s[i+2] >= 0x8B && s[i+2] <= 0x8F) || (s[i+1] == 0x81 && s[i+2] >= 0xA0 && s[i+2] <= 0xA4)):
			zw++
			if zw >= 3 && weight < 0.5 {
				weight = 0.5
			}
			if start < 0 {
				start = i
			}
			end = i + 3
		}
	}
	if weight == 0 {
		return 0, 0, 0
	}
	return weight, start, end
}
