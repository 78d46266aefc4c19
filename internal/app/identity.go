package app

import (
	"context"
	"fmt"

	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/auth/oidc"
	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/secret"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/postgres"
	"github.com/sluicehq/sluice/internal/store/sqlite"
)

// openIdentity opens the store, the OIDC verifier when configured, and builds the
// authenticator from a first snapshot, so the first request is already checked from memory.
func (a *App) openIdentity(ctx context.Context, cfg *config.Config, demo bool) error {
	st, err := openStore(ctx, cfg.Store)
	if err != nil {
		return err
	}
	required := cfg.Auth.AuthRequired()
	if demo && cfg.Auth.Required == nil {
		required = false // the demo's only provider is the built-in mock
	}
	acfg := auth.Config{Required: required, MasterKey: cfg.Auth.MasterKey, Pepper: cfg.Auth.KeyPepper}
	if o := cfg.Auth.OIDC; o != nil {
		v, err := oidc.NewVerifier(ctx, oidc.Config{Issuer: o.Issuer, Audience: o.Audience, JWKSURL: o.JWKSURL,
			GroupsClaim: o.GroupsClaim, RoleClaim: o.RoleClaim}, a.log)
		if err != nil {
			st.Close()
			return fmt.Errorf("app: auth.oidc: %w", err)
		}
		a.verifier, acfg.Verifier, acfg.GroupTeams = v, v, o.GroupTeams
		acfg.GroupRoles = make(map[string]store.Role, len(o.GroupRoles))
		for g, r := range o.GroupRoles {
			acfg.GroupRoles[g] = store.Role(r)
		}
	}
	if !cfg.Auth.CredentialsKey.IsZero() {
		if a.sealer, err = secret.NewSealer(cfg.Auth.CredentialsKey); err != nil {
			st.Close()
			return fmt.Errorf("app: auth.credentials_key: %w", err)
		}
	}
	a.store, a.auth = st, auth.New(acfg, a.log)
	if err := a.auth.Sync(ctx, st); err != nil {
		st.Close()
		return fmt.Errorf("app: load keys: %w", err)
	}
	if required && cfg.Auth.MasterKey.IsZero() {
		if page, err := st.ListKeys(ctx, store.KeyFilter{}, store.ListOptions{Limit: 1}); err == nil && len(page.Items) == 0 {
			a.log.Warn("authentication is required but no API key exists and no master key is set: " +
				"set SLUICE_MASTER_KEY (or auth.master_key), then create keys with `sluice keys create`")
		}
	}
	return nil
}

func openStore(ctx context.Context, cfg config.Store) (store.Store, error) {
	switch cfg.Driver {
	case "postgres":
		st, err := postgres.Open(ctx, cfg.DSN.Reveal())
		if err != nil {
			return nil, fmt.Errorf("app: open postgres store: %w", err)
		}
		return st, nil
	default:
		st, err := sqlite.Open(ctx, cfg.Path)
		if err != nil {
			return nil, fmt.Errorf("app: open sqlite store %s: %w", cfg.Path, err)
		}
		return st, nil
	}
}
