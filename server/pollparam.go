package server

import (
	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/vote"
)

// pollLocal is the key under which withPoll and withPollPage keep the request's poll.
const pollLocal = "livevote.poll"

// withPoll looks up the poll named by the :poll parameter once, for every handler after it on
// the route (they read it with pollOf); an unknown poll is answered 404 poll_not_found. Put it
// after the checks that docs/API.md answers first (rate limit, body size, origin, token, right).
func (s *server) withPoll() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, ok := s.polls[c.Params("poll")]
		if !ok {
			return vote.ErrPollNotFound
		}
		c.Locals(pollLocal, p)
		return c.Next()
	}
}

// withPollPage is withPoll for pages: an unknown poll gets the "not found" page (404) with the
// pages' headers.
func (s *server) withPollPage() fiber.Handler {
	missing := s.pages.Missing()
	return func(c *fiber.Ctx) error {
		p, ok := s.polls[c.Params("poll")]
		if !ok {
			return missing(c)
		}
		c.Locals(pollLocal, p)
		return c.Next()
	}
}

// pollOf returns the poll that withPoll or withPollPage found for this request; nil on a route
// without either (the ballot at /, which has no poll of its own).
func pollOf(c *fiber.Ctx) *vote.Poll {
	p, _ := c.Locals(pollLocal).(*vote.Poll)
	return p
}
