package server

import (
	"context"
	"encoding/hex"
	"net/netip"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/fraud"
	"github.com/livevote/livevote/vote"
)

// pollFraud is what the server keeps of a poll for the fraud checks: the velocity of its
// candidates, its trusted subnets (as the sampler last read them from the store), and the counts
// of vote results and signals not yet added to the store's fraud counters.
type pollFraud struct {
	poll     *vote.Poll
	velocity *fraud.Velocity
	trusted  atomic.Pointer[[]netip.Prefix]
	results  []atomic.Int64 // by voteResults index
	signals  []atomic.Int64 // by vote.Signals index
}

func newPollFraud(p *vote.Poll) *pollFraud {
	pf := &pollFraud{
		poll:     p,
		velocity: fraud.NewVelocity(p),
		results:  make([]atomic.Int64, len(voteResults)),
		signals:  make([]atomic.Int64, len(vote.Signals)),
	}
	pf.trusted.Store(&[]netip.Prefix{})
	return pf
}

// isTrusted reports whether the address is in a subnet the organiser trusts.
func (pf *pollFraud) isTrusted(a netip.Addr) bool {
	for _, p := range *pf.trusted.Load() {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// setTrusted replaces the poll's trusted subnets with list (CIDR prefixes as the store keeps
// them; any that do not parse are skipped).
func (pf *pollFraud) setTrusted(list []string) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p)
		}
	}
	pf.trusted.Store(&out)
}

// take returns the counts not yet added to the store and zeroes them.
func (pf *pollFraud) take() vote.FraudCounts {
	c := vote.FraudCounts{Results: map[string]int64{}, Signals: map[string]int64{}}
	for i := range pf.results {
		if n := pf.results[i].Swap(0); n != 0 {
			c.Results[voteResults[i]] = n
		}
	}
	for i := range pf.signals {
		if n := pf.signals[i].Swap(0); n != 0 {
			c.Signals[string(vote.Signals[i])] = n
		}
	}
	return c
}

// giveBack returns counts that could not be added to the store, for the next flush.
func (pf *pollFraud) giveBack(c vote.FraudCounts) {
	for name, n := range c.Results {
		pf.results[voteResultIndex[name]].Add(n)
	}
	for name, n := range c.Signals {
		pf.signals[signalIndex[vote.Signal(name)]].Add(n)
	}
}

// flush adds this instance's counts to the store's fraud counters.
func (s *server) flush(ctx context.Context, pf *pollFraud) error {
	c := pf.take()
	if len(c.Results)+len(c.Signals) == 0 {
		return nil
	}
	if err := s.store.AddFraudCounts(ctx, pf.poll, c); err != nil {
		pf.giveBack(c)
		return err
	}
	return nil
}

// sourceOf hashes the client address of the request (see proxies.clientIP), its /24 (IPv4) or
// /48 (IPv6), and its group (groupHash: its /16 or /32 with the request's User-Agent and
// Accept-Language) with the deployment's secret: the store never sees an address nor a header,
// and every instance computes the same hashes.
func (s *server) sourceOf(c *fiber.Ctx, pf *pollFraud) vote.Origin {
	a := s.proxies.clientIP(c)
	if !a.IsValid() {
		return vote.Origin{}
	}
	return vote.Origin{IP: s.keys.sourceHash("ip", a), Subnet: s.keys.subnetHash(a),
		Group:   s.keys.groupHash(a, c.Get(fiber.HeaderUserAgent), c.Get(fiber.HeaderAcceptLanguage)),
		Trusted: pf.isTrusted(a), Local: a.IsLoopback()}
}

// Group hashes read at most this much of each header (a longer User-Agent is a tool's, held by
// its other signals; no browser sends an Accept-Language this long).
const (
	groupAgentMax    = 512
	groupLanguageMax = 128
)

// groupOf is the /16 (IPv4) or /32 (IPv6) of an address's group: a network large enough that a
// farm spread over its /24s stays in it, small enough that one carrier's or provider's voters
// do not all share one group with every other network.
func groupOf(a netip.Addr) netip.Prefix { return prefixOf(a, 16, 32) }

// subnetOf is the /24 (IPv4) or /48 (IPv6) an address is counted in.
func subnetOf(a netip.Addr) netip.Prefix { return prefixOf(a, 24, 48) }

// prefixOf is the prefix of a of v4 bits (IPv4) or v6 bits (IPv6).
func prefixOf(a netip.Addr, v4, v6 int) netip.Prefix {
	bits := v4
	if a.Is6() {
		bits = v6
	}
	p, _ := a.Prefix(bits)
	return p
}

// sourceHash is the keyed hash of an address (kind "ip"): 64 bits in hex. subnetHash is that of
// the address's /24 or /48 (kind "net").
func (k keys) sourceHash(kind string, a netip.Addr) string {
	var buf [64]byte
	return k.hashSource(kind, a.AppendTo(buf[:0]))
}

func (k keys) subnetHash(a netip.Addr) string {
	var buf [64]byte
	return k.hashSource("net", subnetOf(a).AppendTo(buf[:0]))
}

// groupHash is the keyed hash (kind "grp") of the sources that behave alike: the address's /16
// or /32 (groupOf), the User-Agent and the Accept-Language value, as the request sent them (the
// first groupAgentMax and groupLanguageMax bytes). It allocates only the string it returns.
func (k keys) groupHash(a netip.Addr, agent, language string) string {
	var buf [64 + groupAgentMax + groupLanguageMax + 2]byte
	text := append(groupOf(a).AppendTo(buf[:0]), 0)
	text = append(append(text, agent[:min(len(agent), groupAgentMax)]...), 0)
	text = append(text, language[:min(len(language), groupLanguageMax)]...)
	return k.hashSource("grp", text)
}

// hashSource is HMAC(source key, kind 0 text 0), the first 8 bytes in hex. It allocates only the
// string it returns: the vote path calls it three times.
func (k keys) hashSource(kind string, text []byte) string {
	sum := k.source.digest(func(msg []byte) []byte {
		return append(append(append(append(msg, kind...), 0), text...), 0)
	})
	var out [16]byte
	hex.Encode(out[:], sum[:8])
	return string(out[:])
}
