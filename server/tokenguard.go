package server

import (
	"github.com/livevote/livevote/server/access"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// wrongTokenLimit is how many wrong tokens one source may send a minute (sliding; the default of
// Config.WrongTokens) before every request of it that carries a token is refused: a person who
// mistyped tries a few times; a script guessing tokens (issue 24 found 470 a second on live
// updates) gets ten a minute.
const wrongTokenLimit = 10

// guardTokens limits wrong tokens per source (an IPv4 address, an IPv6 /64) on every route that
// reads one: the API (an Authorization header) and live updates (a subprotocol or an
// Authorization header; wsauth.go). A request that carries a token no role has is counted as a
// failure, logged (the source and where, never the token) and passed on: the handler answers it
// as before (401 on an organiser route, the public's answer on a public one). Once a source has
// sent wrongTokenLimit of them within a minute, every request of it that carries a token, right
// or wrong, is answered 429 rate_limited with Retry-After before the token is looked at
// (answering a right one would tell a guesser when it found it). A subnet an organiser trusts
// (the venue, where the organiser's laptop and the screen share the public's address) is never
// refused. A request without a token is not concerned. The handlers still check the token's
// rights (roles.go).
func (s *server) guardTokens() fiber.Handler {
	if s.wrong == 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	failures := access.NewLimiter(s.wrong)
	return func(c *fiber.Ctx) error {
		path := c.Path()
		var where string
		switch {
		case strings.HasPrefix(path, "/api/"):
			where = "api"
		case strings.HasPrefix(path, "/ws/"):
			where = "live"
		default:
			return c.Next()
		}
		var token string
		var sent bool
		if where == "live" {
			var err error
			if token, sent, err = liveToken(c); err != nil {
				return c.Next() // the handler answers with err
			}
		} else {
			token, sent = bearer(c)
		}
		if !sent {
			return c.Next()
		}
		a := s.proxies.ClientIP(c)
		if s.fraud.TrustedAnywhere(a) {
			return c.Next()
		}
		src := access.RateSource(a)
		key, now := failures.PrefixKey(src), time.Now()
		if retry, ok := failures.Peek(key, now); !ok {
			return tooMany(c, retry, errTooManyFailures)
		}
		if s.roleOf(token, "") != rolePublic {
			return c.Next()
		}
		if retry, ok := failures.Allow(key, now); !ok {
			return tooMany(c, retry, errTooManyFailures)
		}
		s.log.Warn("wrong token", "source", src.String(), "where", where)
		return c.Next() // the handler answers as to anyone with a wrong token (401, or the public's)
	}
}
