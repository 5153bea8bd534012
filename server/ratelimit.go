package server

import (
	"fmt"
	"github.com/livevote/livevote/server/access"
	"hash/maphash"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// ipCeiling is how many times the per-client limit one source may make in all.
const ipCeiling = 10

// pageFactor is how many times the per-client limit one source may open pages a minute.
const pageFactor = 5

// rateSource is what the rate limits count an address by: an IPv4 address, the /64 of an IPv6
// one (what one subscriber gets: rotating addresses inside it makes no new source).
func rateSource(a netip.Addr) netip.Prefix { return access.Prefix(a, 32, 64) }

// trustedAnywhere reports whether a is in a subnet the organiser trusts in some poll.
func (s *server) trustedAnywhere(a netip.Addr) bool {
	for _, pf := range s.fraud {
		if pf.isTrusted(a) {
			return true
		}
	}
	return false
}

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
	perSource := newSlidingLimiter(ipCeiling * s.limit)
	perClient := newSlidingLimiter(s.limit)
	return func(c *fiber.Ctx) error {
		now := time.Now()
		a := s.proxies.ClientIP(c)
		src := rateSource(a)
		trusted := s.trustedAnywhere(a)
		retry, ok := time.Duration(0), true
		if !trusted {
			retry, ok = perSource.allow(perSource.prefixKey(src), now)
		}
		if ok {
			if id := s.keys.Voter(c); id != "" {
				retry, ok = perClient.allow(perClient.key(id), now)
			} else if !trusted {
				retry, ok = perClient.allow(perClient.prefixKey(src), now)
			}
		}
		if ok {
			return c.Next()
		}
		if pf, vote := s.voteRequest(c); vote {
			s.reportVote(pf, false, errRateLimited, now)
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
	perSource := newSlidingLimiter(pageFactor * s.limit)
	return func(c *fiber.Ctx) error {
		a := s.proxies.ClientIP(c)
		if s.trustedAnywhere(a) {
			return c.Next()
		}
		retry, ok := perSource.allow(perSource.prefixKey(rateSource(a)), time.Now())
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
// fraud state of its poll (nil for an unknown poll).
func (s *server) voteRequest(c *fiber.Ctx) (*pollFraud, bool) {
	if c.Method() != fiber.MethodPost {
		return nil, false
	}
	rest, ok := strings.CutPrefix(c.Path(), "/api/v1/polls/")
	if !ok {
		return nil, false
	}
	poll, ok := strings.CutSuffix(rest, "/votes")
	if !ok || strings.Contains(poll, "/") {
		return nil, false
	}
	return s.fraud[poll], true
}

// maxTracked is the most keys one limiter tracks at once. Over it, tracking a new key forgets an
// arbitrary one (its count starts again): a flood of sources can at most reset some counts, never
// grow the memory. 250,000 keys take about 10 MB; no night has that many active in two minutes
// from one instance without some of them being the flood.
const maxTracked = 250_000

// limitKey is what a limiter counts by: a 64-bit hash of the key (maphash, with the limiter's own
// seed; 250,000 keys collide with odds of about 1 in 300 million). Fixed-size keys keep an entry
// small whatever the key (a voter id, an address, a prefix).
type limitKey uint64

// slidingLimiter allows max requests per key in a sliding window of a minute, estimated from the
// count of the current minute and the one before it (weighted by its share of the window).
// Refused requests are not counted. Its memory is bounded: it tracks at most maxTracked keys, and
// the map is rebuilt (not only emptied) once a minute, so that it shrinks after a flood (Go maps
// never give back their buckets). Safe for concurrent use.
type slidingLimiter struct {
	max  int
	cap  int // most keys tracked: maxTracked (tests set less)
	seed maphash.Seed

	mu      sync.Mutex
	windows map[limitKey]rateWindow
	sweepAt int64 // Unix minute of the next sweep of old windows
}

type rateWindow struct {
	minute    int64 // Unix minute of cur
	cur, prev int32
}

func newSlidingLimiter(max int) *slidingLimiter {
	return &slidingLimiter{max: max, cap: maxTracked, seed: maphash.MakeSeed(), windows: map[limitKey]rateWindow{}}
}

// key returns the limiter's key of a string.
func (l *slidingLimiter) key(s string) limitKey { return limitKey(maphash.String(l.seed, s)) }

// prefixKey returns the limiter's key of a prefix (an address's /32 or /64).
func (l *slidingLimiter) prefixKey(p netip.Prefix) limitKey {
	b := p.Addr().As16()
	var buf [17]byte
	copy(buf[:], b[:])
	buf[16] = byte(p.Bits())
	return limitKey(maphash.Bytes(l.seed, buf[:]))
}

// allow counts one request of key at now and reports whether it is within the limit; when it is
// not, it returns how long until it would be (if no other request came).
func (l *slidingLimiter) allow(key limitKey, now time.Time) (time.Duration, bool) {
	return l.check(key, now, true)
}

// peek reports what allow would, without counting a request.
func (l *slidingLimiter) peek(key limitKey, now time.Time) (time.Duration, bool) {
	return l.check(key, now, false)
}

func (l *slidingLimiter) check(key limitKey, now time.Time, count bool) (time.Duration, bool) {
	minute := now.Unix() / 60
	elapsed := float64(now.UnixNano()%int64(time.Minute)) / float64(time.Minute)
	l.mu.Lock()
	defer l.mu.Unlock()
	if minute >= l.sweepAt {
		l.sweep(minute)
	}
	w, ok := l.windows[key]
	if !ok {
		w = rateWindow{minute: minute}
	}
	switch {
	case w.minute == minute-1:
		w.minute, w.prev, w.cur = minute, w.cur, 0
	case w.minute < minute-1:
		w.minute, w.prev, w.cur = minute, 0, 0
	}
	if float64(w.prev)*(1-elapsed)+float64(w.cur)+1 <= float64(l.max) {
		if count {
			w.cur++
			l.store(key, w, ok)
		}
		return 0, true
	}
	if ok {
		l.windows[key] = w // the minutes moved on
	}
	// Room for one more: within this minute once enough of prev has slid out, else in the next
	// minute once enough of cur has.
	room := float64(l.max - 1)
	cur, prev := int(w.cur), int(w.prev)
	var wait float64 // minutes
	if cur <= l.max-1 && prev > 0 {
		wait = (1 - (room-float64(cur))/float64(prev)) - elapsed
	} else {
		wait = (1 - elapsed) + (1 - room/float64(cur))
	}
	return max(time.Duration(wait*float64(time.Minute)), time.Second), false
}

// store keeps w for key (known: the key is tracked already), forgetting an arbitrary other key
// when a new one would go over l.cap. l.mu must be held.
func (l *slidingLimiter) store(key limitKey, w rateWindow, known bool) {
	if !known && len(l.windows) >= l.cap {
		for k := range l.windows {
			delete(l.windows, k)
			break
		}
	}
	l.windows[key] = w
}

// sweep forgets the windows older than the minute before minute, into a new map sized for what is
// left. l.mu must be held.
func (l *slidingLimiter) sweep(minute int64) {
	live := 0
	for _, w := range l.windows {
		if w.minute >= minute-1 {
			live++
		}
	}
	kept := make(map[limitKey]rateWindow, live)
	for k, w := range l.windows {
		if w.minute >= minute-1 {
			kept[k] = w
		}
	}
	l.windows = kept
	l.sweepAt = minute + 1
}

// tracked returns how many keys l tracks (for tests and benchmarks).
func (l *slidingLimiter) tracked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.windows)
}
