package bedrock

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/encoding/httpbinding"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/provider"
)

// signingService is SigV4's service name for bedrock-runtime.
const signingService = "bedrock"

// newSignedRequest builds POST {base}/model/{modelId}{op} and signs it with SigV4.
//
// The model id is escaped as the AWS SDKs escape a URI label, every byte but A-Z a-z 0-9 - . _ ~,
// so "anthropic.claude-3-5-sonnet-20240620-v1:0" travels as "...-v1%3A0" and ARNs keep their
// slashes inside one path segment. The signature covers the escaped path escaped once more, as
// SigV4 prescribes for services other than S3; the signer does that from URL.EscapedPath.
func (a Adapter) newSignedRequest(ctx context.Context, t *provider.Target, op string, body []byte, accept string) (*http.Request, error) {
	u := t.BaseURL + "/model/" + httpbinding.EscapePath(t.Model, true) + op
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("bedrock: new request: %w", err)
	}
	for k, vs := range t.Headers {
		r.Header[k] = slices.Clone(vs) // the signer writes headers in place; config is shared
	}
	r.Header.Set("Content-Type", contentJSON)
	r.Header.Set("Accept", accept)
	if err := a.sign(ctx, r, body, t); err != nil {
		return nil, err
	}
	return r, nil
}

// sign adds X-Amz-Date, X-Amz-Security-Token (with a session token) and Authorization. The
// payload hash is the hex SHA-256 of the body, which Bedrock recomputes: a body changed in
// transit fails the signature.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
func (a Adapter) sign(ctx context.Context, r *http.Request, body []byte, t *provider.Target) error {
	s := t.Settings
	if s.AWSAccessKeyID.IsZero() || s.AWSSecretAccessKey.IsZero() {
		return api.NewError("upstream_auth_error", fmt.Sprintf(
			"provider %q has no AWS credentials: set aws_access_key_id and aws_secret_access_key", t.Provider), nil)
	}
	if s.Region == "" {
		return api.NewError("upstream_auth_error", fmt.Sprintf(
			"provider %q has no region to sign requests for: set region", t.Provider), nil)
	}
	creds := aws.Credentials{
		AccessKeyID:     s.AWSAccessKeyID.Reveal(),
		SecretAccessKey: s.AWSSecretAccessKey.Reveal(),
		SessionToken:    s.AWSSessionToken.Reveal(),
	}
	sum := sha256.Sum256(body)
	// A signer per request: the SDK's signer caches the derived signing key by region, service,
	// access key id and day, not by secret, so a shared one would keep signing with an old secret
	// after a reload changed only the secret. Deriving the key costs four HMACs.
	if err := v4.NewSigner().SignHTTP(ctx, creds, r, hex.EncodeToString(sum[:]), signingService, s.Region, a.now()); err != nil {
		return api.NewError("upstream_auth_error", "signing the request for the provider failed", fmt.Errorf("bedrock: sign: %w", err))
	}
	return nil
}
