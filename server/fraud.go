package server

import (
	"context"
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

// sourceOf hashes the client address of the request (see access.Proxies.ClientIP), its /24 (IPv4) or
// /48 (IPv6), and its group (access.Keys.GroupHash: its /16 or /32 with the request's User-Agent and
// Accept-Language) with the deployment's secret: the store never sees an address nor a header,
// and every instance computes the same hashes.
func (s *server) sourceOf(c *fiber.Ctx, pf *pollFraud) vote.Origin {
	a := s.proxies.ClientIP(c)
	if !a.IsValid() {
		return vote.Origin{}
	}
	return vote.Origin{IP: s.keys.SourceHash("ip", a), Subnet: s.keys.SubnetHash(a),
		Group:   s.keys.GroupHash(a, c.Get(fiber.HeaderUserAgent), c.Get(fiber.HeaderAcceptLanguage)),
		Trusted: pf.isTrusted(a), Local: a.IsLoopback()}
}
