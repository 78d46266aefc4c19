package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// inputItemList is OpenAI's list of a response's input items.
type inputItemList struct {
	Object  string        `json:"object"`
	Data    []jsonx.Value `json:"data"`
	FirstID *string       `json:"first_id"`
	LastID  *string       `json:"last_id"`
	HasMore bool          `json:"has_more"`
}

// listInputItems serves GET /v1/responses/{id}/input_items: the items the response answered
// — the conversation it continued, then its own input — as the API's ResponseItem objects,
// newest first unless order=asc, in pages of limit (1-100, default 20) after an item id.
func (g *Gateway) listInputItems(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit := 20
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			return param(api.Errorf("invalid_request", "limit must be an integer from 1 to 100"), "limit")
		}
		limit = n
	}
	order := q.Get("order")
	if order == "" {
		order = "desc"
	}
	if order != "asc" && order != "desc" {
		return param(api.Errorf("invalid_request", "order must be asc or desc"), "order")
	}
	id := r.PathValue("id")
	sr, err := g.loadResponse(r.Context(), tenantOf(principal(r)), id)
	if err != nil {
		return err
	}
	var raw []jsonx.Value
	if len(sr.Items) > 0 {
		if err := jsonx.Unmarshal(sr.Items, &raw); err != nil {
			return fmt.Errorf("gateway: stored input items of %q: %w", id, err)
		}
	}
	items, ids := make([]jsonx.Value, len(raw)), make([]string, len(raw))
	for i, it := range raw {
		if items[i], ids[i], err = responseItem(id, i, it); err != nil {
			return fmt.Errorf("gateway: stored input item %d of %q: %w", i, id, err)
		}
	}
	if order == "desc" {
		slices.Reverse(items)
		slices.Reverse(ids)
	}
	start := 0
	if after := q.Get("after"); after != "" {
		i := slices.Index(ids, after)
		if i < 0 {
			return param(api.Errorf("invalid_request", "after: no input item %q in response %q", after, id), "after")
		}
		start = i + 1
	}
	end := min(start+limit, len(items))
	out := inputItemList{Object: "list", Data: items[start:end], HasMore: end < len(items)}
	if end > start {
		out.FirstID, out.LastID = &ids[start], &ids[end-1]
	}
	return writeJSON(w, http.StatusOK, &out)
}

// responseItem is a stored input item as the API lists it: with an id (the client's, else
// one derived from the response id and position, so pages stay stable), and a message in
// its full form — type "message", status "completed", content as an array of parts.
func responseItem(respID string, i int, raw jsonx.Value) (jsonx.Value, string, error) {
	var m map[string]jsonx.Value
	if err := jsonx.Unmarshal(raw, &m); err != nil {
		return nil, "", err
	}
	var typ, id string
	if v, ok := m["type"]; ok {
		_ = jsonx.Unmarshal(v, &typ)
	}
	if v, ok := m["id"]; ok {
		_ = jsonx.Unmarshal(v, &id)
	}
	if typ == "" {
		typ = "message" // the SDKs' "easy" input message
		m["type"] = jsonx.Value(`"message"`)
	}
	if typ == "message" {
		if _, ok := m["status"]; !ok {
			m["status"] = jsonx.Value(`"completed"`)
		}
		if c, ok := m["content"]; ok && len(c) > 0 && c[0] == '"' {
			var text string
			if err := jsonx.Unmarshal(c, &text); err != nil {
				return nil, "", err
			}
			parts, err := jsonx.Marshal([]map[string]string{{"type": "input_text", "text": text}})
			if err != nil {
				return nil, "", err
			}
			m["content"] = parts
		}
	}
	if id == "" {
		sum := sha256.Sum256([]byte(respID + "/" + strconv.Itoa(i)))
		id = itemPrefix(typ) + hex.EncodeToString(sum[:16])
		idJSON, err := jsonx.Marshal(id)
		if err != nil {
			return nil, "", err
		}
		m["id"] = idJSON
	}
	out, err := jsonx.Marshal(m)
	return out, id, err
}

// itemPrefix is the id prefix OpenAI gives items of a type.
func itemPrefix(typ string) string {
	switch typ {
	case "message":
		return "msg_"
	case "function_call":
		return "fc_"
	case "function_call_output":
		return "fco_"
	case "reasoning":
		return "rs_"
	}
	return "item_"
}
