package admin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/guardrail"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/store"
)

// GuardrailPolicies wires the stored-policy endpoints to the gateway: Check validates a policy
// as if stored (spec set) or deleted (spec nil) against the running configuration, and
// OnChange recompiles the guardrails after a change.
type GuardrailPolicies struct {
	Check    func(ctx context.Context, name string, spec []byte) error
	OnChange func(ctx context.Context) error
	// Judge answers the judge checks of inline dry-run policies.
	Judge guardrail.Judge
}

// WithGuardrailPolicies enables /admin/v1/guardrails/policies.
func (a *API) WithGuardrailPolicies(g GuardrailPolicies) *API {
	a.guardrailPolicies = &g
	return a
}

// maxPolicySpec bounds a stored policy's spec.
const maxPolicySpec = 256 << 10

// storedPolicyView shows one version of a stored policy, its spec as it was given.
type storedPolicyView struct {
	Name      string      `json:"name"`
	Object    string      `json:"object"`
	Version   int64       `json:"version"`
	Spec      jsonx.Value `json:"spec"`
	UpdatedAt time.Time   `json:"updated_at"`
	UpdatedBy string      `json:"updated_by"`
}

func viewStoredPolicy(p store.GuardrailPolicy) storedPolicyView {
	return storedPolicyView{Name: p.Name, Object: "guardrail_policy", Version: p.Version, Spec: jsonx.Value(p.Spec),
		UpdatedAt: p.UpdatedAt, UpdatedBy: p.UpdatedBy}
}

func init() {
	schemas["GuardrailPolicySpec"] = object(nil, map[string]any{"name": str(), "restore": map[string]any{"type": "boolean"},
		"checks": map[string]any{"type": "array", "description": "checks in the config file's shape (guardrails.policies[].checks)",
			"items": map[string]any{"type": "object"}},
		"attach": object(nil, map[string]any{"org": map[string]any{"type": "boolean"}, "teams": strs(), "routes": strs(),
			"key_tags": map[string]any{"type": "array", "items": object([]string{"tag"}, map[string]any{"tag": str(), "value": str()})}})})
	schemas["StoredGuardrailPolicy"] = object([]string{"name", "version", "spec"}, map[string]any{"name": str(), "object": str(),
		"version": integer(), "spec": ref("GuardrailPolicySpec"), "updated_at": timeT(), "updated_by": str()})
}

func (a *API) guardrailPolicyRoutes() []route {
	return []route{
		{"GET", "/admin/v1/guardrails/policies", "List guardrail policies stored through this API (admin)", "", "StoredGuardrailPolicy", true, a.listStoredPolicies},
		{"POST", "/admin/v1/guardrails/policies", "Store a guardrail policy: a config guardrails.policies[] entry with its attach, as JSON (admin)", "GuardrailPolicySpec", "StoredGuardrailPolicy", false, a.createStoredPolicy},
		{"GET", "/admin/v1/guardrails/policies/{name}", "Get a stored guardrail policy (admin)", "", "StoredGuardrailPolicy", false, a.getStoredPolicy},
		{"PUT", "/admin/v1/guardrails/policies/{name}", "Replace a stored guardrail policy's spec, as a new version; If-Match: <version> refuses a lost update (admin)", "GuardrailPolicySpec", "StoredGuardrailPolicy", false, a.replaceStoredPolicy},
		{"DELETE", "/admin/v1/guardrails/policies/{name}", "Delete a stored guardrail policy; its versions stay (admin)", "", "", false, a.deleteStoredPolicy},
		{"GET", "/admin/v1/guardrails/policies/{name}/versions", "List a stored guardrail policy's versions, newest first (admin)", "", "StoredGuardrailPolicy", true, a.listStoredPolicyVersions},
	}
}

// readPolicySpec reads a policy spec and the name it gives.
func readPolicySpec(r *http.Request) (string, []byte, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxPolicySpec))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return "", nil, api.Errorf("invalid_request", "the policy must be at most %d bytes", maxPolicySpec)
		}
		return "", nil, api.NewError("request_aborted", "the request body could not be read", err)
	}
	var head struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return "", nil, api.NewError("invalid_json", "the body must be a policy object: "+err.Error(), err)
	}
	return head.Name, raw, nil
}

func (a *API) checkStoredPolicy(ctx context.Context, name string, spec []byte) error {
	if a.guardrailPolicies == nil || a.guardrailPolicies.Check == nil {
		return nil
	}
	err := a.guardrailPolicies.Check(ctx, name, spec)
	var e *api.Error
	if err != nil && !errors.As(err, &e) {
		return api.NewError("invalid_request", err.Error(), err)
	}
	return err
}

func (a *API) storedPoliciesChanged(ctx context.Context) error {
	if a.guardrailPolicies == nil || a.guardrailPolicies.OnChange == nil {
		return nil
	}
	return a.guardrailPolicies.OnChange(context.WithoutCancel(ctx))
}

func (a *API) listStoredPolicies(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	ps, err := a.store.ListGuardrailPolicies(r.Context())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(store.Page[store.GuardrailPolicy]{Items: ps}, viewStoredPolicy), nil
}

func (a *API) getStoredPolicy(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	g, err := a.store.GetGuardrailPolicy(r.Context(), r.PathValue("name"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewStoredPolicy(g), nil
}

func (a *API) createStoredPolicy(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	name, spec, err := readPolicySpec(r)
	if err != nil {
		return 0, nil, err
	}
	if name == "" {
		return 0, nil, api.Errorf("invalid_request", "policy: name: is required")
	}
	if err := a.checkStoredPolicy(r.Context(), name, spec); err != nil {
		return 0, nil, err
	}
	g, err := a.store.CreateGuardrailPolicy(r.Context(), store.GuardrailPolicy{Name: name, Spec: spec, UpdatedBy: actorID(p)})
	if err != nil {
		return 0, nil, err
	}
	if err := a.audit(r, p, "guardrail_policy.create", "guardrail_policy", g.Name, nil, viewStoredPolicy(g)); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, viewStoredPolicy(g), a.storedPoliciesChanged(r.Context())
}

func (a *API) replaceStoredPolicy(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	before, err := a.store.GetGuardrailPolicy(r.Context(), r.PathValue("name"))
	if err != nil {
		return 0, nil, err
	}
	var want int64
	if m := r.Header.Get("If-Match"); m != "" {
		if want, err = strconv.ParseInt(m, 10, 64); err != nil || want < 1 {
			return 0, nil, api.Errorf("invalid_request", "If-Match must be a policy version number")
		}
	}
	_, spec, err := readPolicySpec(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.checkStoredPolicy(r.Context(), before.Name, spec); err != nil {
		return 0, nil, err
	}
	g, err := a.store.UpdateGuardrailPolicy(r.Context(), store.GuardrailPolicy{Name: before.Name, Version: want, Spec: spec, UpdatedBy: actorID(p)})
	if err != nil {
		return 0, nil, err
	}
	if err := a.audit(r, p, "guardrail_policy.update", "guardrail_policy", g.Name, viewStoredPolicy(before), viewStoredPolicy(g)); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewStoredPolicy(g), a.storedPoliciesChanged(r.Context())
}

func (a *API) deleteStoredPolicy(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	before, err := a.store.GetGuardrailPolicy(r.Context(), r.PathValue("name"))
	if err != nil {
		return 0, nil, err
	}
	if err := a.checkStoredPolicy(r.Context(), before.Name, nil); err != nil {
		return 0, nil, err
	}
	if err := a.store.DeleteGuardrailPolicy(r.Context(), before.Name); err != nil {
		return 0, nil, err
	}
	if err := a.audit(r, p, "guardrail_policy.delete", "guardrail_policy", before.Name, viewStoredPolicy(before), nil); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.storedPoliciesChanged(r.Context())
}

func (a *API) listStoredPolicyVersions(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	opts, err := listOptions(r)
	if err != nil {
		return 0, nil, err
	}
	pg, err := a.store.ListGuardrailPolicyVersions(r.Context(), r.PathValue("name"), opts)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(pg, viewStoredPolicy), nil
}

// compileOptions are the options for policies compiled here (the dry-run's inline policy).
func (a *API) compileOptions() []guardrail.Option {
	if a.guardrailPolicies == nil || a.guardrailPolicies.Judge == nil {
		return nil
	}
	return []guardrail.Option{guardrail.WithJudge(a.guardrailPolicies.Judge)}
}
