package server_test

import (
	"testing"

	"github.com/livevote/livevote/vote/memstore"
)

// TestZonedForwardedFor: behind a trusted proxy, an IPv6 address with a zone (fe80::1%eth0) is
// one source whatever its zone: a client cannot become new sources by writing new zones.
func TestZonedForwardedFor(t *testing.T) {
	e := newEnv(t, memstore.New(), nil, withProxies("127.0.0.1"), withRateLimit(1))
	c := e.anonymous() // no voter cookie: limited per client IP
	c.mustGet("/api/v1/polls", 200, "X-Forwarded-For", "fe80::1%eth0")
	for _, zoned := range []string{"fe80::1%eth1", "fe80::1%25", "fe80::1", "fe80::1%eth0"} {
		if r := c.get("/api/v1/polls", "X-Forwarded-For", zoned); r.Status != 429 {
			t.Errorf("%s after fe80::1%%eth0 = %d, want 429 (the same source)", zoned, r.Status)
		}
	}
	c.mustGet("/api/v1/polls", 200, "X-Forwarded-For", "fe80:0:0:1::2%eth0") // another /64 (one /64 is one source: issue 24)
}
