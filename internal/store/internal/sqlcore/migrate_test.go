package sqlcore

import (
	"testing"
	"testing/fstest"
)

func TestLoadMigrationsAllowsGapsNotRepeats(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		want  []int // nil: an error is wanted
	}{
		{"in order", []string{"0001_a.sql", "0002_b.sql"}, []int{1, 2}},
		{"a gap, as when a later number lands first", []string{"0001_a.sql", "0003_c.sql", "0007_g.sql"}, []int{1, 3, 7}},
		{"a repeated version", []string{"0001_a.sql", "0001_b.sql"}, nil},
		{"an unnumbered file", []string{"0001_a.sql", "init.sql"}, nil},
		{"version zero", []string{"0000_a.sql"}, nil},
	} {
		fsys := fstest.MapFS{}
		for _, f := range tc.files {
			fsys[f] = &fstest.MapFile{Data: []byte("SELECT 1;")}
		}
		migs, err := loadMigrations(fsys)
		if tc.want == nil {
			if err == nil {
				t.Errorf("%s: loadMigrations(%v) = %v, want an error", tc.name, tc.files, migs)
			}
			continue
		}
		if err != nil || len(migs) != len(tc.want) {
			t.Fatalf("%s: loadMigrations(%v) = %v, %v; want versions %v", tc.name, tc.files, migs, err, tc.want)
		}
		for i, m := range migs {
			if m.version != tc.want[i] {
				t.Errorf("%s: migration %d has version %d, want %d", tc.name, i, m.version, tc.want[i])
			}
		}
	}
}
