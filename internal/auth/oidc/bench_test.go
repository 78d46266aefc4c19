package oidc

import (
	"context"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// BenchmarkVerify measures the request-path cost of one token: parse, key lookup, signature,
// claims. Run with -benchmem; allocations come mostly from go-jose's parser and Claims.Raw.
func BenchmarkVerify(b *testing.B) {
	ti := newTestIssuer(b, publicJWK("rsa-1", "RS256"), publicJWK("ec-1", "ES256"))
	v := ti.verifier(b, nil)
	for _, tc := range []struct {
		alg jose.SignatureAlgorithm
		kid string
	}{{jose.RS256, "rsa-1"}, {jose.ES256, "ec-1"}} {
		tok := sign(b, tc.alg, tc.kid, ti.claims(nil))
		b.Run(string(tc.alg), func(b *testing.B) {
			b.ReportAllocs()
			ctx := context.Background()
			for b.Loop() {
				if _, err := v.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
