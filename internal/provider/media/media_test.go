package media

import "testing"

func TestParseDataURL(t *testing.T) {
	for _, tc := range []struct {
		in, typ, data string
		ok            bool
	}{
		{"data:image/png;base64,iVBOR", "image/png", "iVBOR", true},
		{"data:image/jpeg;base64,", "image/jpeg", "", true},
		{"data:text/plain,hello", "", "", false},
		{"data:;base64,AAA", "", "", false},
		{"https://x/a.png", "", "", false},
		{"data:image/png;base64", "", "", false},
	} {
		typ, data, ok := ParseDataURL(tc.in)
		if typ != tc.typ || data != tc.data || ok != tc.ok {
			t.Errorf("ParseDataURL(%q) = %q, %q, %v; want %q, %q, %v", tc.in, typ, data, ok, tc.typ, tc.data, tc.ok)
		}
	}
}

func TestTypeFromURL(t *testing.T) {
	for in, want := range map[string]string{"https://h/a.PNG?x=1": "image/png", "https://h/b.jpeg": "image/jpeg",
		"https://h/c": "", "https://h/d.webp#f": "image/webp"} {
		if got := TypeFromURL(in); got != want {
			t.Errorf("TypeFromURL(%q) = %q, want %q", in, got, want)
		}
	}
}
