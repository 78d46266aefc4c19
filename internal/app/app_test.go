package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExampleConfigIsValid keeps the documented configuration reference loadable.
func TestExampleConfigIsValid(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-example")
	example, err := filepath.Abs("../../sluice.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // the default store file is created in the working directory
	a, err := New(context.Background(), Options{ConfigPath: example})
	if err != nil {
		t.Fatalf("sluice.example.yaml: %v", err)
	}
	r, err := a.gw.Snapshot().Routes.Resolve("chat-default")
	if err != nil || len(r.Targets) != 2 {
		t.Fatalf("chat-default = %v, %v", r, err)
	}
}

func TestMissingConfigUsesEnvironment(t *testing.T) {
	t.Chdir(t.TempDir()) // no sluice.yaml here
	t.Setenv("OPENAI_API_KEY", "sk-env")
	t.Setenv("GROQ_API_KEY", "")
	a, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	table := a.gw.Snapshot().Routes
	if r, err := table.Resolve("openai/gpt-4o-mini"); err != nil || r.Targets[0].APIKey.Reveal() != "sk-env" ||
		r.Targets[0].BaseURL != "https://api.openai.com/v1" {
		t.Fatalf("openai/gpt-4o-mini = %+v, %v", r, err)
	}
	if _, err := table.Resolve("groq/llama"); err == nil {
		t.Errorf("groq enabled without a key")
	}
}

func TestBadConfigFailsWithLocatedProblems(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // the default store file is created in the working directory
	path := dir + "/bad.yaml"
	writeFile(t, path, "providers:\n  x:\n    type: nope\n    base_url: http://h\n")
	_, err := New(context.Background(), Options{ConfigPath: path})
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:3: providers.x.type: unknown provider type \"nope\"") {
		t.Fatalf("err = %v", err)
	}
}
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestREADMECapabilityMatrix keeps the README's matrix generated from the adapters.
func TestREADMECapabilityMatrix(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := CapabilityMatrix(); !strings.Contains(string(readme), want) {
		t.Errorf("README.md's compatibility matrix is out of date; replace it with:\n\n%s", want)
	}
}
