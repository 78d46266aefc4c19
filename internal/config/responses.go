package config

import (
	"fmt"
	"time"
)

// DefaultResponsesRetention is how long stored Responses API responses are kept: 30 days,
// OpenAI's own retention for stored responses.
const DefaultResponsesRetention = 30 * 24 * time.Hour

// Responses configures the Responses API (POST /v1/responses) and the responses it stores.
type Responses struct {
	// Store keeps responses, per tenant, for previous_response_id and GET/DELETE
	// /v1/responses/{id}; a request's own store:false still opts it out. Default true.
	Store *bool `yaml:"store"`
	// Retention is how long a stored response lives. Default 720h (30 days).
	Retention time.Duration `yaml:"retention"`
}

// Stores resolves the Store default.
func (r Responses) Stores() bool { return r.Store == nil || *r.Store }

func (c *Config) responsesDefaults() { setDefault(&c.Responses.Retention, DefaultResponsesRetention) }

func (c *Config) validateResponses(src *Source, ps *Problems) {
	if c.Responses.Retention < 0 {
		ps.Add(src, "responses.retention", "must not be negative")
	}
	for _, name := range sortedKeys(c.Providers) {
		switch v := c.Providers[name].ResponsesAPI; v {
		case "", ResponsesNative, ResponsesTranslate:
		default:
			ps.Add(src, "providers."+name+".responses_api", "must be native or translate, got %q", v)
		}
	}
	for i, m := range c.Models {
		for j, t := range m.Targets {
			switch t.API {
			case "", TargetAPIChat, TargetAPIResponses:
			default:
				ps.Add(src, fmt.Sprintf("models[%d].targets[%d].api", i, j), "must be chat or responses, got %q", t.API)
			}
		}
	}
}

// Values of providers.<name>.responses_api.
const (
	ResponsesNative    = "native"
	ResponsesTranslate = "translate"
)

// Values of models[].targets[].api.
const (
	TargetAPIChat      = "chat"
	TargetAPIResponses = "responses"
)
