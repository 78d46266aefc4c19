package admin

import (
	"regexp"
	"strings"
)

// openAPI returns the OpenAPI 3.1 document of the admin API, built from the route table.
func (a *API) openAPI() map[string]any {
	paths := map[string]any{}
	for _, rt := range a.routes() {
		item, _ := paths[rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		item[strings.ToLower(rt.method)] = operation(rt)
	}
	paths["/admin/v1/logs/export"] = map[string]any{"get": map[string]any{
		"summary":   "Export request logs as JSON lines, or CSV with ?format=csv (same filters as /admin/v1/logs)",
		"responses": map[string]any{"200": map[string]any{"description": "one RequestLog per line", "content": map[string]any{"application/x-ndjson": map[string]any{}, "text/csv": map[string]any{}}}},
	}}
	paths["/admin/v1/audit/export"] = map[string]any{"get": map[string]any{
		"summary":   "Export audit events as JSON lines (same filters as /admin/v1/audit)",
		"responses": map[string]any{"200": map[string]any{"description": "one AuditEvent per line", "content": map[string]any{"application/x-ndjson": map[string]any{}}}},
	}}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Sluice admin API", "version": "1",
			"description": "Teams, projects, users, virtual keys and the audit log. Authenticate with the master key, a key of a user with a role, or an OIDC token."},
		"paths":      paths,
		"security":   []any{map[string]any{"bearer": []any{}}},
		"components": map[string]any{"schemas": schemas, "securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}}},
	}
}

var pathParam = regexp.MustCompile(`\{(\w+)\}`)

func operation(rt route) map[string]any {
	op := map[string]any{"summary": rt.summary}
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	if rt.list {
		for _, q := range []string{"limit", "after"} {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}})
		}
	}
	if params != nil {
		op["parameters"] = params
	}
	if rt.request != "" {
		op["requestBody"] = map[string]any{"required": true, "content": jsonContent(ref(rt.request))}
	}
	responses := map[string]any{"default": map[string]any{"description": "error", "content": jsonContent(ref("Error"))}}
	switch {
	case rt.response == "":
		responses["204"] = map[string]any{"description": "done"}
	case rt.list:
		responses["200"] = map[string]any{"description": "a page", "content": jsonContent(map[string]any{
			"type": "object", "required": []string{"object", "data"},
			"properties": map[string]any{"object": str(), "data": map[string]any{"type": "array", "items": ref(rt.response)}, "next": str()}})}
	case rt.method == "POST" && !strings.Contains(rt.path, "}/"):
		responses["201"] = map[string]any{"description": "created", "content": jsonContent(ref(rt.response))}
	default:
		responses["200"] = map[string]any{"description": "ok", "content": jsonContent(ref(rt.response))}
	}
	op["responses"] = responses
	return op
}

func jsonContent(schema any) map[string]any {
	return map[string]any{"application/json": map[string]any{"schema": schema}}
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
func str() map[string]any            { return map[string]any{"type": "string"} }
func strs() map[string]any           { return map[string]any{"type": "array", "items": str()} }
func strMap() map[string]any         { return map[string]any{"type": "object", "additionalProperties": str()} }
func timeT() map[string]any          { return map[string]any{"type": "string", "format": "date-time"} }
func integer() map[string]any        { return map[string]any{"type": "integer"} }

func object(required []string, props map[string]any) map[string]any {
	o := map[string]any{"type": "object", "properties": props}
	if required != nil {
		o["required"] = required
	}
	return o
}

var roles = map[string]any{"type": "string", "enum": []string{"admin", "team_admin", "member", "viewer"}}

var schemas = map[string]any{
	"Error": object([]string{"error"}, map[string]any{"error": object([]string{"message", "type"}, map[string]any{
		"message": str(), "type": str(), "param": str(), "code": str()})}),
	"Team":         object([]string{"id", "name"}, map[string]any{"id": str(), "object": str(), "name": str(), "metadata": strMap(), "created_at": timeT()}),
	"TeamInput":    object([]string{"name"}, map[string]any{"name": str(), "metadata": strMap()}),
	"Project":      object([]string{"id", "team_id", "name"}, map[string]any{"id": str(), "object": str(), "team_id": str(), "name": str(), "created_at": timeT()}),
	"ProjectInput": object([]string{"team_id", "name"}, map[string]any{"team_id": str(), "name": str()}),
	"User": object([]string{"id", "email", "role"}, map[string]any{"id": str(), "object": str(), "email": str(), "name": str(),
		"role": roles, "team_ids": strs(), "created_at": timeT()}),
	"UserInput": object([]string{"email"}, map[string]any{"email": str(), "name": str(), "role": roles, "team_ids": strs()}),
	"APIKey": object([]string{"id", "prefix", "owner_kind", "owner_id"}, map[string]any{"id": str(), "object": str(), "prefix": str(),
		"name": str(), "owner_kind": map[string]any{"type": "string", "enum": []string{"user", "team", "project"}}, "owner_id": str(),
		"team_id": str(), "project_id": str(), "models": strs(), "expires_at": timeT(), "revoked_at": timeT(), "rpm": integer(),
		"tpm": integer(), "budget_id": str(), "tags": strMap(), "created_at": timeT(), "last_rotated_at": timeT()}),
	"KeyInput": object(nil, map[string]any{"name": str(), "owner_kind": map[string]any{"type": "string", "enum": []string{"user", "team", "project"}},
		"owner_id": str(), "team_id": str(), "models": strs(), "expires_at": timeT(), "rpm": integer(), "tpm": integer(),
		"budget_id": str(), "tags": strMap()}),
	"Credential": object([]string{"id", "provider", "name"}, map[string]any{"id": str(), "object": str(), "provider": str(),
		"name": str(), "created_at": timeT()}),
	"CredentialInput": object([]string{"provider", "name", "secret"}, map[string]any{"provider": str(), "name": str(),
		"secret": map[string]any{"type": "string", "writeOnly": true}}),
	"ModelSpec": object([]string{"name", "targets"}, map[string]any{"name": str(),
		"strategy": map[string]any{"type": "string", "enum": []string{"weighted", "round_robin", "least_latency", "least_busy"}},
		"targets": map[string]any{"type": "array", "items": object([]string{"provider", "model"}, map[string]any{
			"provider": str(), "model": str(), "weight": integer(), "priority": integer()})},
		"fallbacks": strs(), "max_attempts": integer(), "timeout": str(), "ttft_timeout": str()}),
	"ModelRoute": object([]string{"id", "name", "spec"}, map[string]any{"id": str(), "object": str(), "name": str(),
		"spec": ref("ModelSpec"), "created_at": timeT(), "updated_at": timeT()}),
	"RequestLog": object([]string{"id", "at", "model", "status"}, map[string]any{"id": str(), "at": timeT(), "key_id": str(),
		"user_id": str(), "team_id": str(), "project_id": str(), "model": str(), "provider": str(), "upstream_model": str(),
		"route": str(), "attempts": integer(), "fallback": map[string]any{"type": "boolean"}, "status": integer(),
		"error_type": str(), "error_code": str(), "prompt_tokens": integer(), "completion_tokens": integer(),
		"cached_tokens": integer(), "cache_creation_tokens": integer(), "reasoning_tokens": integer(),
		"tokens_estimated": map[string]any{"type": "boolean"}, "cost_micro_usd": integer(), "latency_ms": integer(), "ttft_ms": integer(), "stream": map[string]any{"type": "boolean"},
		"metadata": strMap(), "guardrails": map[string]any{"type": "array", "items": object(nil, map[string]any{
			"rule": str(), "type": str(), "action": str(), "stage": str(), "count": integer()})}}),
	"RequestLogDetail": requestLogDetailSchema(),
	"GuardrailPolicyList": object([]string{"data"}, map[string]any{"object": str(), "data": map[string]any{"type": "array",
		"items": object([]string{"name", "checks"}, map[string]any{"name": str(), "object": str(), "restore": map[string]any{"type": "boolean"},
			"checks": map[string]any{"type": "array", "items": object([]string{"name", "kind", "action", "apply"},
				map[string]any{"name": str(), "kind": str(), "action": str(), "apply": str(), "stream": str()})}})}}),
	"GuardrailDryRunInput": object([]string{"text"}, map[string]any{"policies": strs(),
		"policy": map[string]any{"type": "object", "description": "one policy in the config file's shape (guardrails.policies[])"},
		"text":   str(), "stage": map[string]any{"type": "string", "enum": []string{"input", "output"}}}),
	"GuardrailDryRun": object([]string{"findings"}, map[string]any{"object": str(), "stage": str(),
		"findings": map[string]any{"type": "array", "items": object(nil, map[string]any{"rule": str(), "type": str(), "action": str(),
			"start": integer(), "end": integer(), "score": map[string]any{"type": "number"}})},
		"blocked": object(nil, map[string]any{"rule": str(), "type": str()}), "result": str(),
		"fired": map[string]any{"type": "array", "items": object(nil, map[string]any{"rule": str(), "type": str(), "action": str(), "stage": str(), "count": integer()})}}),
	"RollupRebuild": object([]string{"from", "to", "rows", "covered_from"}, map[string]any{"from": timeT(), "to": timeT(),
		"rows": integer(), "covered_from": timeT()}),
	"UsageList": object([]string{"object", "data"}, map[string]any{"object": str(), "source": str(), "data": map[string]any{"type": "array",
		"items": object([]string{"requests"}, map[string]any{"bucket": timeT(), "group": strMap(), "requests": integer(),
			"errors": integer(), "error_rate": map[string]any{"type": "number"}, "prompt_tokens": integer(),
			"completion_tokens": integer(), "cached_tokens": integer(), "cost_micro_usd": integer(),
			"avg_latency_ms": map[string]any{"type": "number"}})}}),
	"LatencyList": object([]string{"object", "data"}, map[string]any{"object": str(), "source": str(), "data": map[string]any{"type": "array",
		"items": object([]string{"model", "requests"}, map[string]any{"model": str(), "requests": integer(),
			"latency_ms_p50": integer(), "latency_ms_p90": integer(), "latency_ms_p99": integer(), "streams": integer(),
			"ttft_ms_p50": integer(), "ttft_ms_p90": integer(), "ttft_ms_p99": integer()})}}),
	"IssuedKey": object([]string{"key", "api_key"}, map[string]any{"key": str(), "api_key": ref("APIKey")}),
	"AuditEvent": object([]string{"id", "at", "actor", "action"}, map[string]any{"id": str(), "at": timeT(), "actor": str(),
		"actor_kind": str(), "action": str(), "resource_kind": str(), "resource_id": str(), "before": map[string]any{},
		"after": map[string]any{}, "source_ip": str(), "request_id": str()}),
}
