package server

import (
	"slices"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/hub/hubws"
	"github.com/livevote/livevote/server/access"
)

// refusedOrigin is why checkWSOrigin refuses a live-updates request, as Observer.LiveRefused
// reports it beside the hub's admission reasons (hub.RefusedFull, ...).
const refusedOrigin = "origin" // an Origin LIVEVOTE_WS_ORIGINS does not list

// checkWSOrigin checks a live-updates request first: it is an upgrade, and its Origin is allowed
// (when LIVEVOTE_WS_ORIGINS lists some); then withPoll finds the poll. (The hub's upgrade
// checks no Origin: this is the one check.)
func (s *server) checkWSOrigin() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !hubws.IsUpgrade(c) {
			return errUpgradeRequired
		}
		if len(s.origins) > 0 && !slices.Contains(s.origins, c.Get(fiber.HeaderOrigin)) {
			s.obs.LiveRefused(refusedOrigin)
			return errOriginNotAllowed
		}
		return c.Next()
	}
}

// handleLive is the hub's handler of live updates (package hub/hubws), which upgrades and serves
// the connection, with the server's say on who the request is (liveTicket) and on how a refusal
// is answered (refuseLive). Connections end with 1001 when s.ctx is done.
func (s *server) handleLive() fiber.Handler {
	return hubws.Handler(s.hub, hubws.Options{Ticket: s.liveTicket, Refused: s.refuseLive, Ctx: s.ctx, Logger: s.log})
}

// liveTicket decides who a live-updates request is, after checkWSOrigin and withPoll: hz is 1 to
// hub.MaxHz, the token when given (a subprotocol or an Authorization header, never the URL:
// wsauth.go) is a role's. Organisers and auditors watch the organiser's snapshots (the public's
// with view=public: the big screen signed in with such a token); the operator and a screen token
// of the poll watch the public's; all of them in the reserved pool. A public connection counts
// against its source (access.RateSource), unless the organiser trusts its subnet for the poll.
// The token is never logged.
func (s *server) liveTicket(c *fiber.Ctx) (hub.Ticket, error) {
	p := pollOf(c)
	hz, err := queryInt(c, "hz", hub.DefaultHz, 1, hub.MaxHz)
	if err != nil {
		return hub.Ticket{}, err
	}
	cred, sent, err := access.TokenOf(c) // read once, by the token guard (access.go)
	if err != nil {
		return hub.Ticket{}, err
	}
	view, err := queryValue(c, "view", "")
	if err != nil || (view != "" && view != "public") {
		return hub.Ticket{}, errInvalidRequest
	}
	t := hub.Ticket{Poll: p, Audience: hub.Public, Hz: hz}
	if sent {
		switch r := cred.On(p.ID); {
		case r.Can(access.RightRead):
			t.Reserved = true
			if view == "" {
				t.Audience = hub.Organiser
			}
		case r.Can(access.RightResults):
			t.Reserved = true // the big screen: the public's view, in the reserve
		default:
			return hub.Ticket{}, access.Authorise(r, access.RightRead)
		}
	}
	a := s.proxies.ClientIP(c)
	t.Source, t.Exempt = access.RateSource(a), s.fraud.Trusted(p, a)
	return t, nil
}

// refuseLive counts a live-updates request the hub's admission refused, and answers it with
// errTooManyLive (503, when it is refused before the upgrade).
func (s *server) refuseLive(reason string) error {
	s.obs.LiveRefused(reason)
	return errTooManyLive
}
