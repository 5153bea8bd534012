package access

import (
	"fmt"
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

// tooMany sets Retry-After and returns err, which the error handler answers 429 rate_limited.
func tooMany(c *fiber.Ctx, retry time.Duration, err error) error {
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(retry.Seconds()))))
	return err
}

// RateLimit limits API requests in this instance (sliding windows of a minute). Each client may
// make limit requests a minute: a voter (by the voter cookie, which keys signed) for requests
// with a valid cookie, else the client's source (an IPv4 address, an IPv6 /64). Each source may
// make ipCeiling times that in all, cookies or not. Over a limit it calls refused, when not nil
// (with the time the request was looked at), and answers ErrRateLimited with Retry-After. A
// limit of 0 turns both off.
//
// The venue case decides the keys: hundreds of phones behind one IP (the ceremony Wi-Fi) each make
// about four API requests to vote (the ballot, a challenge, the vote, the receipt), and only the
// first, the one that gets the voter cookie, has no cookie. With the default of 600, 600 phones
// may open the ballot from one address within the same minute, each then has its own 600, and the
// address may carry 6,000 requests a minute. A trusted source (from) has no source limit at all,
// only the per-voter one. A script that does not keep cookies stays limited to 600 a minute per
// source; one that mints cookies to 6,000.
func RateLimit(limit int, from Sources, keys Keys, refused func(c *fiber.Ctx, at time.Time)) fiber.Handler {
	if limit <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	perSource := NewLimiter(ipCeiling * limit)
	perClient := NewLimiter(limit)
	return func(c *fiber.Ctx) error {
		now := time.Now()
		a, trusted := from.of(c)
		src := RateSource(a)
		retry, ok := time.Duration(0), true
		if !trusted {
			retry, ok = perSource.Allow(perSource.PrefixKey(src), now)
		}
		if ok {
			if id := keys.Voter(c); id != "" {
				retry, ok = perClient.Allow(perClient.Key(id), now)
			} else if !trusted {
				retry, ok = perClient.Allow(perClient.PrefixKey(src), now)
			}
		}
		if ok {
			return c.Next()
		}
		if refused != nil {
			refused(c, now)
		}
		return tooMany(c, retry, ErrRateLimited)
	}
}

// PageLimit limits the pages (the ballot, the screen, the live page, the receipt, the console) to
// pageFactor times the per-client limit a minute per source (3,000 with the default of 600): a
// venue of a few thousand phones behind one address opens its ballots over a few minutes, a
// script that mints a voter cookie and a challenge with each ballot page does not get more. A
// trusted source (from) has no limit; 0 (LIVEVOTE_RATE_LIMIT=0) turns it off. The pages' files
// (/static/...) are not limited: browsers cache them. A browser asking for HTML gets the refusal
// as a sentence in English and Chinese; a program ErrRateLimited (the API's JSON error).
func PageLimit(limit int, from Sources) fiber.Handler {
	if limit <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	perSource := NewLimiter(pageFactor * limit)
	return func(c *fiber.Ctx) error {
		a, trusted := from.of(c)
		if trusted {
			return c.Next()
		}
		retry, ok := perSource.Allow(perSource.PrefixKey(RateSource(a)), time.Now())
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
		return tooMany(c, retry, ErrRateLimited)
	}
}
