package ratelimit

import (
	"testing"

	"github.com/sluicehq/sluice/internal/jsonx"
)

// FuzzApplyRemote feeds any decoded report to ApplyRemote: it never panics, and whatever it
// applies leaves no identity locked out beyond what one local request could do.
func FuzzApplyRemote(f *testing.F) {
	f.Add([]byte(`[{"scope":"key","id":"k","rpm":10,"requests":3}]`))
	f.Add([]byte(`[{"scope":"model","id":"k","model":"m","tpm":1000,"tokens":-50},{"scope":"team","id":"ml","rpm":1,"tpm":1,"requests":9223372036854775807,"tokens":9223372036854775807}]`))
	f.Add([]byte(`[{"scope":"user","id":"u","tpm":9223372036854775807,"tokens":-9223372036854775808}]`))
	f.Add([]byte(`[{"scope":"key","id":"k","tpm":72057594037927936,"tokens":-4611686018427387904}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var cs []Consumption
		if jsonx.Unmarshal(body, &cs) != nil {
			return
		}
		l, _ := newTestLimiter()
		now := l.now()
		_ = l.ApplyRemote(cs)
		for i := range l.shards {
			for k, e := range l.shards[i].m {
				if r, tk := e.reqTAT.Load()-now, e.tokTAT.Load()-now; r > maxCostPeriods*period || tk > maxCostPeriods*period {
					t.Fatalf("%+v: arrival times %d and %d ns ahead after %s, want at most %d", k, r, tk, body, maxCostPeriods*period)
				}
			}
		}
	})
}
