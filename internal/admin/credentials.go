package admin

import (
	"context"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/secret"
	"github.com/sluicehq/sluice/internal/store"
)

// Credentials configures the provider-credential endpoints: the sealer that encrypts them,
// and what to do after a change (rebuild the routing table that uses them).
type Credentials struct {
	Sealer   *secret.Sealer
	OnChange func(ctx context.Context) error
}

// WithCredentials enables /admin/v1/credentials.
func (a *API) WithCredentials(c Credentials) *API {
	a.creds = c
	return a
}

type credentialInput struct {
	Provider string        `json:"provider"`
	Name     string        `json:"name"`
	Secret   secret.Secret `json:"secret"`
}

// credentialView never carries the secret: it goes in, it never comes out.
type credentialView struct {
	ID        string    `json:"id"`
	Object    string    `json:"object"`
	Provider  string    `json:"provider"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

func viewCredential(c store.ProviderCredential) credentialView {
	return credentialView{ID: c.ID, Object: "provider_credential", Provider: c.Provider, Name: c.Name, CreatedAt: c.CreatedAt}
}

// CredentialAAD binds a ciphertext to its provider and name.
func CredentialAAD(provider, name string) []byte { return []byte(provider + "/" + name) }

func (a *API) sealer() (*secret.Sealer, error) {
	if a.creds.Sealer == nil {
		return nil, api.Errorf("unsupported_endpoint", "storing provider credentials needs auth.credentials_key in the configuration")
	}
	return a.creds.Sealer, nil
}

func (a *API) createCredential(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	s, err := a.sealer()
	if err != nil {
		return 0, nil, err
	}
	var in credentialInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if in.Secret.IsZero() {
		return 0, nil, api.Errorf("invalid_request", "secret is required")
	}
	ct, nonce, err := s.Seal(in.Secret, CredentialAAD(in.Provider, in.Name))
	if err != nil {
		return 0, nil, err
	}
	c, err := a.store.CreateCredential(r.Context(), store.ProviderCredential{Provider: in.Provider, Name: in.Name, Ciphertext: ct, Nonce: nonce})
	if err != nil {
		return 0, nil, err
	}
	if err := a.audit(r, p, "credential.create", "credential", c.ID, nil, viewCredential(c)); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, viewCredential(c), a.credentialsChanged(r.Context())
}

func (a *API) listCredentials(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	opts, err := listOptions(r)
	if err != nil {
		return 0, nil, err
	}
	pg, err := a.store.ListCredentials(r.Context(), r.URL.Query().Get("provider"), opts)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(pg, viewCredential), nil
}

func (a *API) deleteCredential(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	before, err := a.store.GetCredential(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if err := a.store.DeleteCredential(r.Context(), before.ID); err != nil {
		return 0, nil, err
	}
	if err := a.audit(r, p, "credential.delete", "credential", before.ID, viewCredential(before), nil); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.credentialsChanged(r.Context())
}

func (a *API) credentialsChanged(ctx context.Context) error {
	if a.creds.OnChange == nil {
		return nil
	}
	return a.creds.OnChange(context.WithoutCancel(ctx))
}
