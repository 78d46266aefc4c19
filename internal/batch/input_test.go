package batch

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

const okLine = `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[]}}`

func TestParseReadsLinesAndSkipsBlankOnes(t *testing.T) {
	emb := `{"custom_id":"b","method":"POST","url":"/v1/embeddings","body":{"model":"e","input":"x"}}`
	lines, err := Parse([]byte("\n"+okLine+"\r\n\n"+emb), "")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(lines) != 2 || lines[0].N != 2 || lines[0].Model != "m" || lines[1].N != 4 || lines[1].URL != "/v1/embeddings" || lines[1].CustomID != "b" {
		t.Fatalf("Parse = %+v, want lines 2 and 4 with their models", lines)
	}
}

func TestParseNamesTheBadLine(t *testing.T) {
	for _, tc := range []struct {
		name, data, endpoint string
		line                 int
		want                 string
	}{
		{"not JSON", okLine + "\n{", "", 2, "not a JSON object"},
		{"duplicate custom_id", okLine + "\n" + okLine, "", 2, `custom_id "a" is also used on line 1`},
		{"no custom_id", strings.Replace(okLine, `"a"`, `""`, 1), "", 1, "custom_id is required"},
		{"method", strings.Replace(okLine, `"POST"`, `"PUT"`, 1), "", 1, `method must be POST, not "PUT"`},
		{"url", strings.Replace(okLine, `/v1/chat/completions`, `/v1/completions`, 1), "", 1, `url "/v1/completions" is not supported`},
		{"endpoint", okLine, "/v1/embeddings", 1, `differs from the batch's endpoint "/v1/embeddings"`},
		{"body not an object", strings.Replace(okLine, `{"model":"m","messages":[]}`, `"x"`, 1), "", 1, "body must be a JSON object"},
		{"no model", strings.Replace(okLine, `"model":"m",`, ``, 1), "", 1, "body.model is required"},
		{"empty", " \n\n", "", 1, "no requests"},
	} {
		_, err := Parse([]byte(tc.data), tc.endpoint)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Line != tc.line || !strings.Contains(ie.Message, tc.want) {
			t.Errorf("%s: Parse = %v, want line %d: ...%s", tc.name, err, tc.line, tc.want)
		}
	}
}

func TestParseRefusesMoreThanMaxLines(t *testing.T) {
	var b strings.Builder
	for i := range MaxLines + 1 {
		b.WriteString(strings.Replace(okLine, `"a"`, `"`+"x"+strconv.Itoa(i)+`"`, 1))
		b.WriteByte('\n')
	}
	_, err := Parse([]byte(b.String()), "")
	var ie *InputError
	if !errors.As(err, &ie) || ie.Line != MaxLines+1 {
		t.Fatalf("Parse(%d lines) = %v, want an error on line %d", MaxLines+1, err, MaxLines+1)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(okLine))
	f.Add([]byte(okLine + "\n" + okLine))
	f.Add([]byte("{\"custom_id\":1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, err := Parse(data, "")
		if err == nil {
			seen := map[string]bool{}
			for _, l := range lines {
				if l.Model == "" || l.Method != "POST" || !Endpoints[l.URL] || seen[l.CustomID] {
					t.Fatalf("Parse accepted an invalid line: %+v", l)
				}
				seen[l.CustomID] = true
			}
		} else if !errors.As(err, new(*InputError)) {
			t.Fatalf("Parse error %v is not an *InputError", err)
		}
	})
}
