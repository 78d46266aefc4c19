package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/auth/oidc"
	"github.com/sluicehq/sluice/internal/secret"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/sqlite"
)

// issuer is a local OpenID provider with one RSA key.
type issuer struct {
	srv *httptest.Server
	key *rsa.PrivateKey
}

func newIssuer(t testing.TB) *issuer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{key: key}
	mux := http.NewServeMux()
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	return is
}

func (is *issuer) token(t testing.TB, iss, aud, kid string, exp time.Time, groups []string) string {
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: is.key}, (&jose.SignerOptions{}).WithHeader("kid", kid).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{"iss": iss, "aud": aud, "sub": "u-123", "email": "dana@example.com",
		"exp": exp.Unix(), "iat": time.Now().Add(-time.Minute).Unix(), "groups": groups}
	raw, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

type fixture struct {
	a                      *auth.Authenticator
	st                     store.Store
	is                     *issuer
	good, revoked, expired string
}

func setup(t testing.TB) *fixture {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	is := newIssuer(t)
	v, err := oidc.NewVerifier(ctx, oidc.Config{Issuer: is.srv.URL, Audience: []string{"sluice"}}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New(auth.Config{Required: true, MasterKey: secret.New("sk-master"), Pepper: secret.New("pepper"), Verifier: v,
		GroupTeams: map[string]string{"ml-engineers": "ml"}, GroupRoles: map[string]store.Role{"sluice-admins": store.RoleAdmin}}, slog.New(slog.DiscardHandler))
	team, err := st.CreateTeam(ctx, store.Team{Name: "ml", Metadata: map[string]string{auth.TeamModelsKey: "gpt-4o*, openai/*"}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{a: a, st: st, is: is}
	issue := func(models []string, exp *time.Time) (string, store.APIKey) {
		plain, prefix, err := auth.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		k, err := st.CreateKey(ctx, store.APIKey{Prefix: prefix, Hash: a.Hasher().Hash(plain), OwnerKind: store.OwnerTeam,
			OwnerID: team.ID, Models: models, ExpiresAt: exp})
		if err != nil {
			t.Fatal(err)
		}
		return plain, k
	}
	f.good, _ = issue([]string{"gpt-4o-mini"}, nil)
	var rk store.APIKey
	f.revoked, rk = issue(nil, nil)
	if _, err := st.RevokeKey(ctx, rk.ID); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	f.expired, _ = issue(nil, &past)
	if err := a.Sync(ctx, st); err != nil {
		t.Fatal(err)
	}
	return f
}

func request(header, value string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	if header != "" {
		r.Header.Set(header, value)
	}
	return r
}

func code(err error) string {
	var e *api.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestAuthenticationMatrix(t *testing.T) {
	f := setup(t)
	now := time.Now()
	for _, tc := range []struct {
		name, header, value, code string
	}{
		{"missing key", "", "", "missing_api_key"},
		{"bad key", "Authorization", "Bearer sk-sluice-nope", "invalid_api_key"},
		{"revoked key", "Authorization", "Bearer " + f.revoked, "invalid_api_key"},
		{"expired key", "Authorization", "Bearer " + f.expired, "key_expired"},
		{"good key", "Authorization", "Bearer " + f.good, ""},
		{"good key as x-api-key", "X-Api-Key", f.good, ""},
		{"master key", "Authorization", "Bearer sk-master", ""},
		{"jwt wrong issuer", "Authorization", "Bearer " + f.is.token(t, "https://evil.example", "sluice", "k1", now.Add(time.Hour), nil), "invalid_token"},
		{"jwt wrong audience", "Authorization", "Bearer " + f.is.token(t, f.is.srv.URL, "other", "k1", now.Add(time.Hour), nil), "invalid_token"},
		{"jwt expired", "Authorization", "Bearer " + f.is.token(t, f.is.srv.URL, "sluice", "k1", now.Add(-time.Hour), nil), "invalid_token"},
		{"jwt unknown kid", "Authorization", "Bearer " + f.is.token(t, f.is.srv.URL, "sluice", "k9", now.Add(time.Hour), nil), "invalid_token"},
		{"good jwt", "Authorization", "Bearer " + f.is.token(t, f.is.srv.URL, "sluice", "k1", now.Add(time.Hour), []string{"ml-engineers"}), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.a.Authenticate(request(tc.header, tc.value))
			if got := code(err); got != tc.code {
				t.Fatalf("Authenticate = %v (code %q), want code %q", err, got, tc.code)
			}
		})
	}
}

func TestModelAccess(t *testing.T) {
	f := setup(t)
	p, err := f.a.Authenticate(request("Authorization", "Bearer "+f.good))
	if err != nil {
		t.Fatal(err)
	}
	for model, ok := range map[string]bool{"gpt-4o-mini": true, "gpt-4o": false, "claude": false} {
		err := auth.Authorize(p, model)
		if (err == nil) != ok {
			t.Errorf("key restricted to gpt-4o-mini: Authorize(%q) = %v", model, err)
		}
		if err != nil && (code(err) != "model_access_denied" || api.AsError(err).Status != 403) {
			t.Errorf("Authorize(%q) = %v, want 403 model_access_denied", model, err)
		}
	}
	// A JWT user mapped to team ml gets the team's policy: gpt-4o* and openai/*.
	tok := f.is.token(t, f.is.srv.URL, "sluice", "k1", time.Now().Add(time.Hour), []string{"ml-engineers", "sluice-admins"})
	jp, err := f.a.Authenticate(request("Authorization", "Bearer "+tok))
	if err != nil {
		t.Fatal(err)
	}
	if jp.TeamName != "ml" || jp.Role != store.RoleAdmin {
		t.Errorf("JWT principal team %q role %q, want ml and admin from the group mappings", jp.TeamName, jp.Role)
	}
	for model, ok := range map[string]bool{"gpt-4o": true, "openai/o3": true, "anthropic/claude": false} {
		if (auth.Authorize(jp, model) == nil) != ok {
			t.Errorf("team policy: Authorize(%q) allowed=%v, want %v", model, !ok, ok)
		}
	}
}

func TestRevocationAppliesAtNextSync(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	r := request("Authorization", "Bearer "+f.good)
	p, err := f.a.Authenticate(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.RevokeKey(ctx, p.KeyID); err != nil {
		t.Fatal(err)
	}
	if err := f.a.Sync(ctx, f.st); err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.Authenticate(r); code(err) != "invalid_api_key" {
		t.Fatalf("revoked key after sync: %v", err)
	}
}

func TestKeysAreStoredHashed(t *testing.T) {
	plain, prefix, err := auth.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(plain) < 50 || prefix != plain[:len(prefix)] || !auth.LooksLikeKey(plain) {
		t.Fatalf("NewKey = %q, %q", plain, prefix)
	}
	peppered, plainHash := auth.NewHasher(secret.New("p")).Hash(plain), auth.NewHasher(secret.Secret{}).Hash(plain)
	if string(peppered) == string(plainHash) || string(peppered) == plain {
		t.Errorf("the pepper does not change the hash")
	}
}

// BenchmarkAuthenticateKey is the per-request cost of key auth plus the model check.
func BenchmarkAuthenticateKey(b *testing.B) {
	f := setup(b)
	r := request("Authorization", "Bearer "+f.good)
	b.ReportAllocs()
	for b.Loop() {
		p, err := f.a.Authenticate(r)
		if err != nil || auth.Authorize(p, "gpt-4o-mini") != nil {
			b.Fatal(err)
		}
	}
}

func TestNotRequiredTreatsUnknownKeysAsAnonymous(t *testing.T) {
	a := auth.New(auth.Config{Required: false}, slog.New(slog.DiscardHandler))
	for _, v := range []string{"", "Bearer sk-test", "Bearer sk-sluice-unknown"} {
		p, err := a.Authenticate(request("Authorization", v))
		if err != nil || p.Kind != auth.KindAnonymous {
			t.Errorf("Authorization %q with auth not required: %v, %v; want anonymous", v, p, err)
		}
	}
}
