package fraud

import (
	"context"
	"net/netip"
	"strings"

	"github.com/livevote/livevote/vote"
)

// MaxTrusted is the most trusted subnets of one poll.
const MaxTrusted = 100

// ParseSubnet reads a subnet an organiser trusts: a CIDR prefix (or one address) of at least /8
// for IPv4 and /16 for IPv6, normalised (203.0.113.7/24 is 203.0.113.0/24; an address is /32 or
// /128).
func ParseSubnet(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return p, false
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return p, false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr().Unmap(); a.Is4() && p.Addr().Is4In6() {
		p = netip.PrefixFrom(a, p.Bits()-96)
	}
	if p.Bits() < 8 || p.Addr().Is6() && p.Bits() < 16 {
		return p, false
	}
	return p.Masked(), true
}

// TrustedSubnets reads p's trusted subnets from the store (every instance's), and keeps them for
// Trusted.
func (c *Checks) TrustedSubnets(ctx context.Context, p *vote.Poll) ([]string, error) {
	list, err := c.store.Trusted(ctx, p)
	if err != nil {
		return nil, err
	}
	c.keepTrusted(p, list)
	return list, nil
}

// SetTrusted marks subnet trusted in p, or no longer trusted, for every instance, and returns
// the poll's trusted subnets.
func (c *Checks) SetTrusted(ctx context.Context, p *vote.Poll, subnet netip.Prefix, trusted bool) ([]string, error) {
	list, err := c.store.SetTrusted(ctx, p, subnet.String(), trusted)
	if err != nil {
		return nil, err
	}
	c.keepTrusted(p, list)
	c.log.Info("trusted subnets changed", "poll", p.ID, "subnet", subnet.String(), "trusted", trusted)
	return list, nil
}

func (c *Checks) keepTrusted(p *vote.Poll, list []string) {
	if ps := c.polls[p.ID]; ps != nil {
		ps.setTrusted(list)
	}
}

// trustedHashes are the source hashes the signals overview marks trusted: those of trusted
// single addresses, and of the /24s (/48s) of trusted prefixes of exactly that size or smaller.
func (c *Checks) trustedHashes(ps *pollState) map[string]bool {
	out := map[string]bool{}
	for _, p := range *ps.trusted.Load() {
		a := p.Addr()
		if p.Bits() == a.BitLen() {
			out[c.hashes.SourceHash("ip", a)] = true
		}
		subnet := 24 // the subnet a source is counted in: /24, /48 for IPv6
		if a.Is6() {
			subnet = 48
		}
		if p.Bits() >= subnet {
			out[c.hashes.SubnetHash(a)] = true
		}
	}
	return out
}
