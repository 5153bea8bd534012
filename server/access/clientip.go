package access

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Proxies is the set of addresses whose X-Forwarded-For is believed.
type Proxies []netip.Prefix

// ParseProxies reads a list of IPs and CIDR prefixes.
func ParseProxies(list []string) (Proxies, error) {
	var out Proxies
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", s, err)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", s, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Trusted reports whether a is the address of a trusted proxy.
func (ps Proxies) Trusted(a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP is the address of the client: the socket peer, unless the peer is a trusted proxy; then
// X-Forwarded-For is read from the right, skipping trusted proxies, and the first other address
// is the client (what a client writes at the left of the header is never believed). The address
// has no zone: fe80::1%eth0 and fe80::1%eth1 are one client (a zone is the proxy's interface, or
// whatever the client wrote, and must not make new sources).
func (ps Proxies) ClientIP(c *fiber.Ctx) netip.Addr {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	if len(ps) == 0 || !ps.Trusted(peer) {
		return peer
	}
	hops := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer
		}
		if a = a.Unmap().WithZone(""); !ps.Trusted(a) {
			return a
		}
	}
	return peer
}

// Sources say where requests come from, for the limits per source: the client's address behind
// the trusted proxies, and whether an organiser trusts its subnet (in some poll: such a source
// has no limit of its own, only the per-voter one).
type Sources struct {
	Proxies Proxies
	Trusted func(netip.Addr) bool // nil: no subnet is trusted
}

// of returns the address of the request's client and whether its subnet is trusted.
func (s Sources) of(c *fiber.Ctx) (netip.Addr, bool) {
	a := s.Proxies.ClientIP(c)
	return a, s.Trusted != nil && s.Trusted(a)
}
