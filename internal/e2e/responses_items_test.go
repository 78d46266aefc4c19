package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
)

// GET /v1/responses/{id}/input_items lists what a stored response answered — the conversation
// it continued, then its own input — through openai-go's paginating client, newest first by
// default, and only to the response's own tenant.
func TestResponsesInputItemsArePagedPerTenant(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	c := g.client()
	ctx := context.Background()
	first, err := c.Responses.New(ctx, responseParams("fast", "Remember: blue"))
	if err != nil {
		t.Fatalf("Responses.New: %v", err)
	}
	p := responseParams("fast", "What colour?")
	p.PreviousResponseID = openai.String(first.ID)
	second, err := c.Responses.New(ctx, p)
	if err != nil {
		t.Fatalf("Responses.New with previous_response_id: %v", err)
	}

	// The second response answered three items: the first's input, its answer, the new input.
	var texts, ids []string
	iter := c.Responses.InputItems.ListAutoPaging(ctx, second.ID, responses.InputItemListParams{
		Limit: openai.Int(2), Order: responses.InputItemListParamsOrderAsc})
	for iter.Next() {
		it := iter.Current()
		if it.ID == "" || it.Type != "message" {
			t.Errorf("item %s: id %q type %q, want an id and type message", it.RawJSON(), it.ID, it.Type)
		}
		var msg struct {
			Content []struct{ Text string }
		}
		if err := json.Unmarshal([]byte(it.RawJSON()), &msg); err != nil {
			t.Fatalf("item %s: %v", it.RawJSON(), err)
		}
		var text string
		for _, part := range msg.Content {
			text += part.Text
		}
		texts, ids = append(texts, it.Role+": "+text), append(ids, it.ID)
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("InputItems.List: %v", err)
	}
	want := []string{"user: Remember: blue", "assistant: " + first.OutputText(), "user: What colour?"}
	if len(texts) != len(want) {
		t.Fatalf("input items = %q, want %q", texts, want)
	}
	for i := range want {
		if texts[i] != want[i] {
			t.Errorf("item %d = %q, want %q", i, texts[i], want[i])
		}
	}

	// The default order is newest first, with the same ids on every listing.
	page, err := c.Responses.InputItems.List(ctx, second.ID, responses.InputItemListParams{})
	if err != nil || len(page.Data) != 3 || page.Data[0].ID != ids[2] || page.Data[2].ID != ids[0] || page.HasMore {
		t.Fatalf("default listing = %v, %v; want the three items newest first with stable ids %v", page, err, ids)
	}

	// Another tenant learns nothing.
	team := mustAdmin(t, g, clientKey, "POST", "/admin/v1/teams", map[string]any{"name": "other"}, 201)
	key := mustAdmin(t, g, clientKey, "POST", "/admin/v1/keys", map[string]any{"owner_kind": "team", "owner_id": team["id"]}, 201)
	other := keyClient(g, key["key"].(string))
	_, err = other.Responses.InputItems.List(ctx, second.ID, responses.InputItemListParams{})
	wantNotFound(t, "other tenant's input_items", err)

	_, err = c.Responses.InputItems.List(ctx, second.ID, responses.InputItemListParams{Limit: openai.Int(101)})
	if e := apiError(t, err); e.StatusCode != 400 || e.Param != "limit" {
		t.Errorf("limit=101: %d param %q, want 400 naming limit", e.StatusCode, e.Param)
	}
}
