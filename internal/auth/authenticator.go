package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth/oidc"
	"github.com/sluicehq/sluice/internal/secret"
	"github.com/sluicehq/sluice/internal/store"
)

// Config configures an Authenticator.
type Config struct {
	// Required refuses requests without a valid credential. Only --demo turns it off.
	Required bool
	// MasterKey, when set, authenticates as an organization admin: the bootstrap credential.
	MasterKey secret.Secret
	// Pepper keys the hash of virtual keys; see Hasher.
	Pepper secret.Secret
	// Verifier checks bearer JWTs; nil disables JWT authentication.
	Verifier *oidc.Verifier
	// GroupTeams maps an IdP group to a team name; the first mapped group is the principal's
	// team. GroupRoles maps an IdP group or role claim to a role; the strongest wins.
	GroupTeams map[string]string
	GroupRoles map[string]store.Role
}

// Authenticator authenticates requests from memory.
type Authenticator struct {
	cfg        Config
	hasher     Hasher
	masterHash []byte
	idx        atomic.Pointer[index]
	jwts       jwtCache
	log        *slog.Logger
	syncMu     sync.Mutex
}

// New returns an Authenticator with an empty index; Load or Sync fills it.
func New(cfg Config, log *slog.Logger) *Authenticator {
	a := &Authenticator{cfg: cfg, hasher: NewHasher(cfg.Pepper), log: log}
	if !cfg.MasterKey.IsZero() {
		sum := sha256.Sum256([]byte(cfg.MasterKey.Reveal()))
		a.masterHash = sum[:]
	}
	a.idx.Store(&index{version: -1})
	return a
}

// Hasher returns the key hasher, for issuing keys.
func (a *Authenticator) Hasher() Hasher { return a.hasher }

// Load swaps in an index built from snap.
func (a *Authenticator) Load(snap *store.Snapshot) { a.idx.Store(buildIndex(snap)) }

// Sync reloads the index when the store's version moved. Admin changes call it at once, so a
// revoked key stops working on this node for the very next request.
func (a *Authenticator) Sync(ctx context.Context, st store.Store) error {
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	v, err := st.Version(ctx)
	if err != nil {
		return err
	}
	if v == a.idx.Load().version {
		return nil
	}
	snap, err := st.Snapshot(ctx)
	if err != nil {
		return err
	}
	a.Load(snap)
	a.jwts.clear() // team and role mappings may have changed
	return nil
}

// Run keeps the index current, for changes made through other nodes, until ctx ends.
func (a *Authenticator) Run(ctx context.Context, st store.Store, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.Sync(ctx, st); err != nil && ctx.Err() == nil {
				a.log.Warn("auth: refreshing keys from the store failed; serving the last snapshot", "err", err)
			}
		}
	}
}

var anonymous = &Principal{Kind: KindAnonymous, Role: store.RoleMember}

var masterPrincipal = &Principal{Kind: KindMaster, Role: store.RoleAdmin, KeyName: "master"}

// Authenticate returns the request's principal, or a 401 *api.Error.
func (a *Authenticator) Authenticate(r *http.Request) (*Principal, error) {
	token := credential(r)
	if token == "" {
		if !a.cfg.Required {
			return anonymous, nil
		}
		return nil, api.Errorf("missing_api_key", "You didn't provide an API key. Send it as \"Authorization: Bearer sk-sluice-...\".")
	}
	if a.masterHash != nil {
		sum := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(sum[:], a.masterHash) == 1 {
			return masterPrincipal, nil
		}
	}
	var p *Principal
	var err error
	if LooksLikeKey(token) || a.cfg.Verifier == nil || strings.Count(token, ".") != 2 {
		p, err = a.byKey(token)
	} else {
		p, err = a.byJWT(r.Context(), token)
	}
	if err != nil && !a.cfg.Required {
		// SDKs always send some key; where none is required an unknown one is no credential.
		return anonymous, nil
	}
	return p, err
}

func (a *Authenticator) byKey(token string) (*Principal, error) {
	// A map lookup by digest: the timing of a miss reveals nothing about any stored key.
	var buf [sha256.Size]byte
	e := a.idx.Load().byHash[string(a.hasher.AppendHash(buf[:0], token))]
	if e == nil {
		return nil, api.Errorf("invalid_api_key", "Incorrect API key provided: %s. Keys are issued by your Sluice administrator.", redact(token))
	}
	if e.expiresAt != nil && !time.Now().Before(*e.expiresAt) {
		return nil, api.Errorf("key_expired", "The API key %s expired at %s.", redact(token), e.expiresAt.UTC().Format(time.RFC3339))
	}
	return &e.principal, nil
}

// credential finds the caller's secret wherever its SDK puts it: OpenAI's bearer token,
// Anthropic's x-api-key, Azure's api-key, Gemini's x-goog-api-key.
func credential(r *http.Request) string {
	if v := r.Header.Get("Authorization"); v != "" {
		if tok, ok := strings.CutPrefix(v, "Bearer "); ok {
			return strings.TrimSpace(tok)
		}
	}
	for _, h := range [...]string{"X-Api-Key", "Api-Key", "X-Goog-Api-Key"} {
		if v := r.Header.Get(h); v != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// redact shows only what identifies a key to its owner.
func redact(token string) string {
	if len(token) > displayPrefixLen {
		return token[:displayPrefixLen] + "…"
	}
	if len(token) > 4 {
		return token[:4] + "…"
	}
	return "…"
}

// ErrModelDenied is wrapped by Authorize's error.
var ErrModelDenied = errors.New("auth: model not allowed")

// Authorize checks that p may call model: a 403 naming the model otherwise.
func Authorize(p *Principal, model string) error {
	if p.MayUse(model) {
		return nil
	}
	e := api.NewError("model_access_denied", "Your API key is not allowed to use the model `"+model+"`.", ErrModelDenied)
	e.Param = "model"
	return e
}
