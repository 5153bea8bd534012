package server

import (
	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/vote"
)

// sourceOf hashes the client address of the request (see access.Proxies.ClientIP), its /24 (IPv4) or
// /48 (IPv6), and its group (access.Keys.GroupHash: its /16 or /32 with the request's User-Agent and
// Accept-Language) with the deployment's secret, and asks the fraud checks whether the organiser
// trusts its subnet: the store never sees an address nor a header,
// and every instance computes the same hashes.
func (s *server) sourceOf(c *fiber.Ctx, p *vote.Poll) vote.Origin {
	a := s.proxies.ClientIP(c)
	if !a.IsValid() {
		return vote.Origin{}
	}
	return vote.Origin{IP: s.keys.SourceHash("ip", a), Subnet: s.keys.SubnetHash(a),
		Group:   s.keys.GroupHash(a, c.Get(fiber.HeaderUserAgent), c.Get(fiber.HeaderAcceptLanguage)),
		Trusted: s.fraud.Trusted(p, a), Local: a.IsLoopback()}
}
