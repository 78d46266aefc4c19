package store

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// ID prefixes, one per kind of row.
const (
	PrefixOrganization = "org_"
	PrefixTeam         = "team_"
	PrefixProject      = "proj_"
	PrefixUser         = "user_"
	PrefixKey          = "key_"
	PrefixCredential   = "cred_"
	PrefixModelRoute   = "route_"
	PrefixAudit        = "evt_"
)

// crockford is Crockford's base32 alphabet; it is in ASCII order, so the text sorts like
// the number.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

var idGen struct {
	sync.Mutex
	ms       uint64
	hi       uint16 // top 16 of the 80 random bits
	lo       uint64 // bottom 64
	haveLast bool
}

// NewID returns prefix followed by a 26-character ULID-like value: 48 bits of Unix
// milliseconds, then 80 random bits. Within one process IDs strictly increase: a second
// ID in the same millisecond (or after the clock stepped back) reuses the previous
// timestamp and adds one to the random part.
func NewID(prefix string) string {
	ms := uint64(time.Now().UnixMilli())
	var r [10]byte
	if _, err := rand.Read(r[:]); err != nil {
		panic("store: crypto/rand failed: " + err.Error()) // documented never to fail
	}

	idGen.Lock()
	if idGen.haveLast && ms <= idGen.ms {
		ms = idGen.ms
		idGen.lo++
		if idGen.lo == 0 {
			idGen.hi++
		}
	} else {
		idGen.hi = binary.BigEndian.Uint16(r[:2])
		idGen.lo = binary.BigEndian.Uint64(r[2:])
	}
	idGen.ms, idGen.haveLast = ms, true
	hi, lo := idGen.hi, idGen.lo
	idGen.Unlock()

	// 128 bits = ms(48) | hi(16) | lo(64), written as 26 base32 digits (130 bits, the
	// top two always zero).
	top := ms<<16 | uint64(hi) // the high 64 bits
	out := make([]byte, len(prefix)+26)
	copy(out, prefix)
	digits := out[len(prefix):]
	for i := 25; i >= 0; i-- {
		digits[i] = crockford[lo&31]
		lo = lo>>5 | top<<59
		top >>= 5
	}
	return string(out)
}
