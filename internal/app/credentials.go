package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/internal/admin"
	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/store"
)

// resolveCredentials fills the API key of each provider that names a stored credential,
// decrypting it with the credentials key. A missing or undecryptable credential is a
// configuration problem, reported like any other.
func (a *App) resolveCredentials(ctx context.Context, cfg *config.Config) error {
	var ps config.Problems
	for name, p := range cfg.Providers {
		if p.Credential == "" {
			continue
		}
		path := "providers." + name + ".credential"
		if a.sealer == nil {
			ps.Add(nil, path, "needs auth.credentials_key to decrypt stored credentials")
			continue
		}
		c, err := a.findCredential(ctx, name, p.Credential)
		if errors.Is(err, errNoCredential) {
			// Expected at bootstrap: the config names it before an admin stores it; storing
			// it through the admin API rebuilds the table.
			a.log.Warn("provider credential not stored yet; the provider has no key until it is", "provider", name, "credential", p.Credential)
			continue
		}
		if err != nil {
			ps.Add(nil, path, "%v", err)
			continue
		}
		key, err := a.sealer.Open(c.Ciphertext, c.Nonce, admin.CredentialAAD(c.Provider, c.Name))
		if err != nil {
			ps.Add(nil, path, "%v", err)
			continue
		}
		p.APIKey = key
		cfg.Providers[name] = p
	}
	return ps.Err()
}

func (a *App) findCredential(ctx context.Context, provider, name string) (store.ProviderCredential, error) {
	opts := store.ListOptions{Limit: store.MaxLimit}
	for {
		page, err := a.store.ListCredentials(ctx, provider, opts)
		if err != nil {
			return store.ProviderCredential{}, err
		}
		for _, c := range page.Items {
			if c.Name == name {
				return c, nil
			}
		}
		if page.Next == "" {
			return store.ProviderCredential{}, fmt.Errorf("%w: %q for provider %q", errNoCredential, name, provider)
		}
		opts.After = page.Next
	}
}

var errNoCredential = errors.New("no stored credential")

// storeChanged rebuilds the routing table after a stored credential or model changed.
func (a *App) storeChanged(context.Context) error { return a.Reload() }

// credentialsStamp identifies the stored credentials' state (storing one again seals it under
// a new nonce), so that a credential stored through another node's admin API rebuilds this
// node's table as well. Empty without auth.credentials_key: then none is ever used.
func (a *App) credentialsStamp(ctx context.Context) string {
	if a.sealer == nil {
		return ""
	}
	var b strings.Builder
	opts := store.ListOptions{Limit: store.MaxLimit}
	for {
		page, err := a.store.ListCredentials(ctx, "", opts)
		if err != nil {
			return ""
		}
		for _, c := range page.Items {
			fmt.Fprintf(&b, "|%s:%x", c.ID, c.Nonce)
		}
		if page.Next == "" {
			return b.String()
		}
		opts.After = page.Next
	}
}
