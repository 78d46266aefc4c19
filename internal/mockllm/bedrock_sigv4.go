package mockllm

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Signature Version 4 verification, as AWS does it: the signature is recomputed from the request
// as received — method, escaped path, query, the headers named in SignedHeaders, the SHA-256 of
// the body and the X-Amz-Date — with the AWS SDK's own signer, and compared in constant time.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html

const (
	brSigningAlgorithm = "AWS4-HMAC-SHA256"
	brSigningService   = "bedrock"
	brAmzDateFormat    = "20060102T150405Z"
	brMaxClockSkew     = 5 * time.Minute // AWS refuses signatures dated further from its clock
)

// brAuthorization is the parsed Authorization header:
// AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex
type brAuthorization struct {
	keyID, date, region, service string
	signedHeaders                []string
	signature                    string
}

func brParseAuthorization(h string) (brAuthorization, bool) {
	rest, ok := strings.CutPrefix(h, brSigningAlgorithm+" ")
	if !ok {
		return brAuthorization{}, false
	}
	var a brAuthorization
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			scope := strings.Split(v, "/")
			if len(scope) != 5 || scope[4] != "aws4_request" {
				return brAuthorization{}, false
			}
			a.keyID, a.date, a.region, a.service = scope[0], scope[1], scope[2], scope[3]
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
		case "Signature":
			a.signature = v
		}
	}
	return a, a.keyID != "" && len(a.signedHeaders) > 0 && a.signature != ""
}

// brVerifySigV4 reports whether r is signed with the key pair, or the 403 AWS would answer.
func brVerifySigV4(r *http.Request, body []byte, keyID, secret string, now time.Time) (failure, bool) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return brDenied("MissingAuthenticationTokenException", "Missing Authentication Token"), false
	}
	a, ok := brParseAuthorization(auth)
	if !ok {
		return brDenied("IncompleteSignatureException", "Authorization header requires 'Credential', 'Signature' and "+
			"'SignedHeaders' parameters of the "+brSigningAlgorithm+" algorithm. Authorization="+auth), false
	}
	if subtle.ConstantTimeCompare([]byte(a.keyID), []byte(keyID)) != 1 {
		return brDenied("UnrecognizedClientException", "The security token included in the request is invalid."), false
	}
	if a.service != brSigningService {
		return brDenied("InvalidSignatureException", fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", brSigningService)), false
	}
	date, err := time.Parse(brAmzDateFormat, r.Header.Get("X-Amz-Date"))
	if err != nil {
		return brDenied("IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."), false
	}
	if d := now.Sub(date); d > brMaxClockSkew || d < -brMaxClockSkew {
		return brDenied("InvalidSignatureException", fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 5 min.)",
			date.Format(brAmzDateFormat), now.Add(-brMaxClockSkew).UTC().Format(brAmzDateFormat), now.UTC().Format(brAmzDateFormat))), false
	}
	want, err := brSignature(r, body, a, secret, date)
	if err != nil || subtle.ConstantTimeCompare([]byte(want), []byte(a.signature)) != 1 {
		return brDenied("InvalidSignatureException", "The request signature we calculated does not match the signature you provided. "+
			"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."), false
	}
	return failure{}, true
}

// brSignature recomputes the signature of r over the headers it claims to have signed.
func brSignature(r *http.Request, body []byte, a brAuthorization, secret string, date time.Time) (string, error) {
	u := &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	req := &http.Request{Method: r.Method, URL: u, Host: r.Host, Header: http.Header{}}
	for _, name := range a.signedHeaders {
		switch name {
		case "host": // the signer takes it from req.Host
		case "content-length":
			req.ContentLength = r.ContentLength
		default:
			req.Header[http.CanonicalHeaderKey(name)] = r.Header.Values(name)
		}
	}
	creds := aws.Credentials{AccessKeyID: a.keyID, SecretAccessKey: secret, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	sum := sha256.Sum256(body)
	// A signer per check: the SDK's signer caches derived keys by access key id, not by secret,
	// and servers of one process may share a key id with different secrets.
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, req, hex.EncodeToString(sum[:]), a.service, a.region, date); err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	got, ok := brParseAuthorization(req.Header.Get("Authorization"))
	if !ok || !slices.Equal(got.signedHeaders, a.signedHeaders) {
		return "", fmt.Errorf("signed headers differ: %v", got.signedHeaders)
	}
	return got.signature, nil
}

func brDenied(typ, msg string) failure {
	return failure{Status: http.StatusForbidden, Code: typ, Message: msg}
}
