package admin

// route is one admin endpoint; the OpenAPI document is generated from this table, so the
// two cannot disagree.
type route struct {
	method, path, summary string
	request, response     string // schema names in openapi.go; "" for none
	list                  bool   // response is a page of the schema
	h                     handler
}

func (a *API) routes() []route {
	return append([]route{
		{"GET", "/admin/v1/teams", "List teams (non-admins: their own)", "", "Team", true, a.listTeams},
		{"POST", "/admin/v1/teams", "Create a team (admin)", "TeamInput", "Team", false, a.createTeam},
		{"GET", "/admin/v1/teams/{id}", "Get a team", "", "Team", false, a.getTeam},
		{"PATCH", "/admin/v1/teams/{id}", "Update a team's name or metadata (admin)", "TeamInput", "Team", false, a.updateTeam},
		{"DELETE", "/admin/v1/teams/{id}", "Delete a team without projects or keys (admin)", "", "", false, a.deleteTeam},
		{"GET", "/admin/v1/projects", "List projects of ?team_id=", "", "Project", true, a.listProjects},
		{"POST", "/admin/v1/projects", "Create a project (admin, team_admin)", "ProjectInput", "Project", false, a.createProject},
		{"GET", "/admin/v1/projects/{id}", "Get a project", "", "Project", false, a.getProject},
		{"PATCH", "/admin/v1/projects/{id}", "Rename a project (admin, team_admin)", "ProjectInput", "Project", false, a.updateProject},
		{"DELETE", "/admin/v1/projects/{id}", "Delete a project without keys (admin, team_admin)", "", "", false, a.deleteProject},
		{"GET", "/admin/v1/users", "List users (admin; team_admin with ?team_id=)", "", "User", true, a.listUsers},
		{"POST", "/admin/v1/users", "Create a user (admin)", "UserInput", "User", false, a.createUser},
		{"GET", "/admin/v1/users/{id}", "Get a user (admin, or oneself)", "", "User", false, a.getUser},
		{"PATCH", "/admin/v1/users/{id}", "Update a user (admin)", "UserInput", "User", false, a.updateUser},
		{"DELETE", "/admin/v1/users/{id}", "Delete a user without keys (admin)", "", "", false, a.deleteUser},
		{"GET", "/admin/v1/keys", "List keys (filters: team_id, owner_kind, owner_id, include_revoked)", "", "APIKey", true, a.listKeys},
		{"POST", "/admin/v1/keys", "Issue a key; the secret is in this response only", "KeyInput", "IssuedKey", false, a.createKey},
		{"GET", "/admin/v1/keys/{id}", "Get a key (never its secret)", "", "APIKey", false, a.getKey},
		{"PATCH", "/admin/v1/keys/{id}", "Update a key's name, models, expiry, limits or tags", "KeyInput", "APIKey", false, a.updateKey},
		{"POST", "/admin/v1/keys/{id}/revoke", "Revoke a key, effective at once", "", "APIKey", false, a.revokeKey},
		{"POST", "/admin/v1/keys/{id}/rotate", "Replace a key's secret", "", "IssuedKey", false, a.rotateKey},
		{"GET", "/admin/v1/models", "List models managed through this API", "", "ModelRoute", true, a.listModels},
		{"POST", "/admin/v1/models", "Add a model: a config models[] entry as JSON, checked against the running configuration (admin)", "ModelSpec", "ModelRoute", false, a.createModel},
		{"GET", "/admin/v1/models/{id}", "Get a managed model", "", "ModelRoute", false, a.getModel},
		{"PUT", "/admin/v1/models/{id}", "Replace a managed model's spec (admin)", "ModelSpec", "ModelRoute", false, a.replaceModel},
		{"DELETE", "/admin/v1/models/{id}", "Delete a managed model (admin)", "", "", false, a.deleteModel},
		{"GET", "/admin/v1/credentials", "List provider credentials (admin; never their secrets)", "", "Credential", true, a.listCredentials},
		{"POST", "/admin/v1/credentials", "Store a provider credential, encrypted (admin)", "CredentialInput", "Credential", false, a.createCredential},
		{"DELETE", "/admin/v1/credentials/{id}", "Delete a provider credential (admin)", "", "", false, a.deleteCredential},
		{"GET", "/admin/v1/logs", "List request logs (filters: since, until, key_id, user_id, team_id, model, provider, status, error_type, metadata.<tag>)", "", "RequestLog", true, a.listLogs},
		{"GET", "/admin/v1/logs/{id}", "Get one request log with its kept prompt and answer bodies (admin; team_admin of its team)", "", "RequestLogDetail", false, a.getLog},
		{"GET", "/admin/v1/budgets", "List budgets, from the config file and this API (source: file|api), with their current spend and forecast (admin; others: their teams')", "", "BudgetStatus", true, a.listBudgets},
		{"GET", "/admin/v1/budgets/{id}/status", "A budget's spend, reservations, period, reset and forecast", "", "BudgetStatus", false, a.budgetStatus},
		{"GET", "/admin/v1/budgets/events", "List budget alerts (filter: budget_id; admin)", "", "BudgetEvent", true, a.listBudgetEvents},
		{"GET", "/admin/v1/guardrails", "List the guardrail policies in force (admin)", "", "GuardrailPolicyList", false, a.listGuardrails},
		{"POST", "/admin/v1/guardrails/dry-run", "Run guardrail policies over a text and show every verdict (admin)", "GuardrailDryRunInput", "GuardrailDryRun", false, a.dryRun},
		{"GET", "/admin/v1/analytics/usage", "Usage, cost and error rate of request logs: group_by=model,provider,key,user,team,project,route,status,error_type,upstream_model,error_code,cache_result,metadata.<tag>; bucket=hour|day|month; order_by=requests|cost|tokens|errors; top=N; source=rollup|log (default: rollups when they can answer); the /admin/v1/logs filters (from/to alias since/until)", "", "UsageList", false, a.analyticsUsage},
		{"GET", "/admin/v1/analytics/latency", "Latency and time-to-first-token percentiles (p50, p90, p99) per model (estimates within 19% + 1 ms from rollups); source=rollup|log; the /admin/v1/logs filters", "", "LatencyList", false, a.analyticsLatency},
		{"POST", "/admin/v1/analytics/rollups/rebuild", "Recompute the hourly rollups of ?from= to ?to= from the request log (admin)", "", "RollupRebuild", false, a.rebuildRollups},
		{"GET", "/admin/v1/audit", "List audit events (filters: actor, action, resource_kind, resource_id, since, until)", "", "AuditEvent", true, a.listAudit},
	}, append(a.guardrailPolicyRoutes(), a.budgetDefRoutes()...)...)
}
