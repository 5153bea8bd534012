package access

import (
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// WrongTokenLimit is how many wrong tokens one source may send a minute (sliding; the server's
// default) before every request of it that carries a token is refused: a person who mistyped
// tries a few times; a script guessing tokens (issue 24 found 470 a second on live updates) gets
// ten a minute.
const WrongTokenLimit = 10

// TokenGuard reads the token of every request that may carry one, once: the API's (an
// Authorization header) and live updates' (Live: a subprotocol or an Authorization header). What
// the token proves is kept for the request's handlers (RoleOf, TokenOf, Require); a live token
// that cannot be read is kept as its error, which the live-updates handler answers with.
//
// It limits wrong tokens per source (an IPv4 address, an IPv6 /64) when Wrong > 0. A request that
// carries a token no role has is counted as a failure, logged (the source and where, never the
// token) and passed on: the handler answers it as to anyone with a wrong token (401 on an
// organiser route, the public's answer on a public one). Once a source has sent Wrong of them
// within a minute, every request of it that carries a token, right or wrong, is answered
// ErrTooManyFailures with Retry-After before the token is looked at (answering a right one would
// tell a guesser when it found it). A trusted source (From) is never refused. A request without
// a token is not concerned.
type TokenGuard struct {
	Tokens Tokens
	Keys   Keys // checks screen tokens
	// Live returns the token of a live-updates request (GET /ws/...), whether one was sent, and
	// why it could not be read.
	Live  func(*fiber.Ctx) (string, bool, error)
	From  Sources
	Wrong int              // wrong tokens a source may send a minute; 0: no limit
	Now   func() time.Time // the screen tokens' clock
	Log   *slog.Logger
}

// Handler returns the guard's middleware, for every route.
func (g TokenGuard) Handler() fiber.Handler {
	var failures *Limiter
	if g.Wrong > 0 {
		failures = NewLimiter(g.Wrong)
	}
	return func(c *fiber.Ctx) error {
		path := c.Path()
		var where, token string
		var sent bool
		switch {
		case hasPrefixFold(path, "/api/"):
			where = "api"
			token, sent = Bearer(c)
		case hasPrefixFold(path, "/ws/"):
			where = "live"
			var err error
			if token, sent, err = g.Live(c); err != nil {
				c.Locals(tokenLocal, tokenFound{err: err})
				return c.Next() // the handler answers with err
			}
		default:
			return c.Next()
		}
		if !sent {
			return c.Next()
		}
		var key LimitKey
		var src netip.Prefix
		limited, now := false, time.Now()
		if failures != nil {
			if a, trusted := g.From.of(c); !trusted {
				limited, src = true, RateSource(a)
				key = failures.PrefixKey(src)
				if retry, ok := failures.Peek(key, now); !ok {
					return tooMany(c, retry, ErrTooManyFailures)
				}
			}
		}
		cred := credential(g.Tokens, g.Keys, token, g.Now())
		c.Locals(tokenLocal, tokenFound{cred: cred, sent: true})
		if !limited || cred.On("") != RolePublic {
			return c.Next()
		}
		if retry, ok := failures.Allow(key, now); !ok {
			return tooMany(c, retry, ErrTooManyFailures)
		}
		g.Log.Warn("wrong token", "source", src.String(), "where", where)
		return c.Next() // the handler answers as to anyone with a wrong token (401, or the public's)
	}
}

// hasPrefixFold reports whether path begins with prefix in any case: Fiber routes paths without
// regard to case (/API/v1/... is /api/v1/...), so the guard must see them as the routes do.
func hasPrefixFold(path, prefix string) bool {
	return len(path) >= len(prefix) && strings.EqualFold(path[:len(prefix)], prefix)
}
