package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// ignoredExtra are request members, outside api.ChatRequest's typed fields, that cannot change
// the answer: bookkeeping for the caller or for the provider's own storage and prompt cache.
var ignoredExtra = map[string]bool{
	"metadata": true, "store": true, "prompt_cache_key": true, "safety_identifier": true,
	"service_tier": true,
}

// Key returns the cache key of req served by route for namespace: hex SHA-256 over the
// namespace and the canonical encoding (RFC 8785: sorted members, normalized numbers) of the
// request without the fields that cannot change the answer (model — the route stands for it —,
// stream, stream_options, user, and ignoredExtra).
func Key(namespace, route string, req *api.ChatRequest) (string, error) {
	doc, err := canonical(route, req, len(req.Messages))
	if err != nil {
		return "", err
	}
	return digest(namespace, doc), nil
}

// Scope is Key with the last message left out: requests of one scope differ at most in their
// final message, which is what the semantic index compares.
func Scope(namespace, route string, req *api.ChatRequest) (string, error) {
	doc, err := canonical(route, req, len(req.Messages)-1)
	if err != nil {
		return "", err
	}
	return digest(namespace, doc), nil
}

func digest(namespace string, doc []byte) string {
	h := sha256.New()
	h.Write([]byte(namespace))
	h.Write([]byte{0})
	h.Write(doc)
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

type keyDoc struct {
	Route string           `json:"route"`
	Req   *api.ChatRequest `json:"req"`
}

func canonical(route string, req *api.ChatRequest, messages int) ([]byte, error) {
	r := *req
	r.Model, r.Stream, r.StreamOptions, r.User = "", false, nil, ""
	r.Messages = req.Messages[:messages]
	extra, err := filterExtra(req.Extra)
	if err != nil {
		return nil, err
	}
	r.Extra = extra
	b, err := jsonx.Marshal(keyDoc{Route: route, Req: &r})
	if err != nil {
		return nil, fmt.Errorf("cache: encode key: %w", err)
	}
	v := jsontext.Value(b)
	if err := v.Canonicalize(); err != nil {
		return nil, fmt.Errorf("cache: canonicalize key: %w", err)
	}
	return v, nil
}

// filterExtra drops the ignored members from the request's unknown members.
func filterExtra(extra jsonx.Value) (jsonx.Value, error) {
	if len(extra) == 0 {
		return nil, nil
	}
	var m map[string]jsonx.Value
	if err := jsonx.Unmarshal(extra, &m); err != nil {
		return nil, fmt.Errorf("cache: read extra members: %w", err)
	}
	for k := range m {
		if ignoredExtra[k] {
			delete(m, k)
		}
	}
	if len(m) == 0 {
		return nil, nil
	}
	b, err := jsonx.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("cache: encode extra members: %w", err)
	}
	return b, nil
}
