package jsonx_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/jsonx"
)

// stops is a member that accepts one string or an array, as OpenAI's stop does.
type stops []string

func (s *stops) UnmarshalJSONFrom(dec *jsonx.Decoder) error {
	return jsonx.UnmarshalStringOrArray(dec, (*[]string)(s), func(v string) string { return "<" + v + ">" }, "stop: bad")
}

func TestUnmarshalStringOrArray(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		null bool
		err  string
	}{
		{in: `null`, null: true},
		{in: `"a"`, want: []string{"<a>"}},
		{in: `["a","b"]`, want: []string{"a", "b"}},
		{in: `[]`, want: []string{}},
		{in: `5`, err: "stop: bad"},
	} {
		var v struct {
			Stop stops `json:"stop"`
		}
		err := jsonx.Unmarshal([]byte(`{"stop":`+tc.in+`}`), &v)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if (v.Stop == nil) != tc.null || len(v.Stop) != len(tc.want) {
			t.Errorf("%s: got %#v, want %#v (nil %v)", tc.in, v.Stop, tc.want, tc.null)
			continue
		}
		for i := range tc.want {
			if v.Stop[i] != tc.want[i] {
				t.Errorf("%s: got %#v, want %#v", tc.in, v.Stop, tc.want)
			}
		}
	}
}

func TestReplaceMembersKeepsOrderAndOthers(t *testing.T) {
	got, err := jsonx.ReplaceMembers(jsonx.Value(`{"id":"up_1","object":"response","store":false,"nested":{"id":"keep"},"drop":1}`),
		map[string]jsonx.Value{"id": jsonx.Value(`"resp_2"`), "store": jsonx.Value(`true`), "drop": nil, "previous_response_id": jsonx.Value(`null`)})
	if err != nil {
		t.Fatalf("ReplaceMembers: %v", err)
	}
	want := `{"id":"resp_2","object":"response","store":true,"nested":{"id":"keep"},"previous_response_id":null}`
	if string(got) != want {
		t.Errorf("ReplaceMembers:\n got  %s\n want %s", got, want)
	}
	if _, err := jsonx.ReplaceMembers(jsonx.Value(`[1]`), nil); err == nil {
		t.Error("ReplaceMembers([1]): no error for a non-object")
	}
}
