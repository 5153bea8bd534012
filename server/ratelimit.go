package server

import (
	"fmt"
	"github.com/livevote/livevote/server/access"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// ipCeiling is how many times the per-client limit one source may make in all.
const ipCeiling = 10

// pageFactor is how many times the per-client limit one source may open pages a minute.
const pageFactor = 5

// tooMany answers 429 rate_limited with Retry-After.
func tooMany(c *fiber.Ctx, retry time.Duration, err error) error {
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(retry.Seconds()))))
	return err
}

// rateLimit limits API requests in this instance (sliding windows of a minute). Each client may
// make s.limit requests a minute: a voter (by the voter cookie) for requests with a valid cookie,
// else the client's source (an IPv4 address, an IPv6 /64). Each source may make ipCeiling times
// that in all, cookies or not. Over a limit it answers 429 rate_limited with Retry-After. A limit
// of 0 turns both off.
//
// The venue case decides the keys: hundreds of phones behind one IP (the ceremony Wi-Fi) each make
// about four API requests to vote (the ballot, a challenge, the vote, the receipt), and only the
// first, the one that gets the voter cookie, has no cookie. With the default of 600, 600 phones
// may open the ballot from one address within the same minute, each then has its own 600, and the
// address may carry 6,000 requests a minute. A subnet an organiser trusts (in any poll) has no
// source limit at all, only the per-voter one. A script that does not keep cookies stays limited
// to 600 a minute per source; one that mints cookies to 6,000.
func (s *server) rateLimit() fiber.Handler {
	if s.limit <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	perSource := access.NewLimiter(ipCeiling * s.limit)
	perClient := access.NewLimiter(s.limit)
	return func(c *fiber.Ctx) error {
		now := time.Now()
		a := s.proxies.ClientIP(c)
		src := access.RateSource(a)
		trusted := s.fraud.TrustedAnywhere(a)
		retry, ok := time.Duration(0), true
		if !trusted {
			retry, ok = perSource.Allow(perSource.PrefixKey(src), now)
		}
		if ok {
			if id := s.keys.Voter(c); id != "" {
				retry, ok = perClient.Allow(perClient.Key(id), now)
			} else if !trusted {
				retry, ok = perClient.Allow(perClient.PrefixKey(src), now)
			}
		}
		if ok {
			return c.Next()
		}
		if poll, vote := s.voteRequest(c); vote {
			s.reportVote(poll, false, errRateLimited, now)
		}
		return tooMany(c, retry, errRateLimited)
	}
}

// pageLimit limits the pages (the ballot, the screen, the live page, the receipt, the console) to
// pageFactor times the per-client limit a minute per source (3,000 with the default of 600): a
// venue of a few thousand phones behind one address opens its ballots over a few minutes, a
// script that mints a voter cookie and a challenge with each ballot page does not get more. A
// subnet an organiser trusts has no limit; 0 (LIVEVOTE_RATE_LIMIT=0) turns it off. The pages'
// files (/static/...) are not limited: browsers cache them. A browser asking for HTML gets the
// refusal as a sentence in English and Chinese; a program the API's JSON error.
func (s *server) pageLimit() fiber.Handler {
	if s.limit <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	perSource := access.NewLimiter(pageFactor * s.limit)
	return func(c *fiber.Ctx) error {
		a := s.proxies.ClientIP(c)
		if s.fraud.TrustedAnywhere(a) {
			return c.Next()
		}
		retry, ok := perSource.Allow(perSource.PrefixKey(access.RateSource(a)), time.Now())
		switch {
		case ok:
			return c.Next()
		case strings.Contains(c.Get(fiber.HeaderAccept), "text/html"):
			// A person's browser: a sentence in both languages rather than the API's JSON.
			secs := int(math.Ceil(retry.Seconds()))
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
			c.Set(fiber.HeaderCacheControl, "no-store")
			c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
			return c.Status(fiber.StatusTooManyRequests).SendString(fmt.Sprintf(
				"Too many pages opened from your network: please try again in %d seconds.\n您所在网络打开的页面过多：请在 %d 秒后重试。\n", secs, secs))
		}
		return tooMany(c, retry, errRateLimited)
	}
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
