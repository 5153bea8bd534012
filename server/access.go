package server

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/server/access"
)

// What the server hands the middleware of package access (who a request is, and the limits):
// its tokens and keys, where requests come from with the subnets organisers trust in the polls'
// fraud state, and the report of a vote that the rate limit refused.

// guardTokens reads each request's token once and limits wrong tokens per source
// (access.TokenGuard), on every route; live updates carry theirs as wsauth.go says.
func (s *server) guardTokens() fiber.Handler {
	return access.TokenGuard{Tokens: s.tokens, Keys: s.keys, Live: liveToken, From: s.sources(),
		Wrong: s.wrong, Now: s.now, Log: s.log}.Handler()
}

// rateLimit limits the API's requests per voter and per source (access.RateLimit); a refused
// vote is counted as one.
func (s *server) rateLimit() fiber.Handler {
	return access.RateLimit(s.limit, s.sources(), s.keys, func(c *fiber.Ctx, at time.Time) {
		if poll, vote := s.voteRequest(c); vote {
			s.reportVote(poll, false, access.ErrRateLimited, at)
		}
	})
}

// pageLimit limits the pages per source (access.PageLimit).
func (s *server) pageLimit() fiber.Handler { return access.PageLimit(s.limit, s.sources()) }

// sources are where requests come from: a subnet an organiser trusts in some poll has no limit
// of its own.
func (s *server) sources() access.Sources {
	return access.Sources{Proxies: s.proxies, Trusted: s.fraud.TrustedAnywhere}
}

// voteRequest reports whether the request is a vote (POST /api/v1/polls/{poll}/votes), and the
// id of its poll.
func (s *server) voteRequest(c *fiber.Ctx) (string, bool) {
	if c.Method() != fiber.MethodPost {
		return "", false
	}
	rest, ok := strings.CutPrefix(c.Path(), "/api/v1/polls/")
	if !ok {
		return "", false
	}
	poll, ok := strings.CutSuffix(rest, "/votes")
	if !ok || strings.Contains(poll, "/") {
		return "", false
	}
	return poll, true
}
