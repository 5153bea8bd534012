package server

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// ipCeiling is how many times the per-client limit one IP address may make in all.
const ipCeiling = 10

// rateLimit limits API requests in this instance (sliding windows of a minute). Each client may
// make s.limit requests a minute: a voter (by the voter cookie) for requests with a valid cookie,
// else the client IP. Each client IP may make ipCeiling times that in all, cookies or not. Over a
// limit it answers 429 rate_limited with Retry-After. A limit of 0 turns both off.
//
// The venue case decides the keys: hundreds of phones behind one IP (the ceremony Wi-Fi) each make
// about four API requests to vote (the ballot, a challenge, the vote, the receipt), and only the
// first, the one that gets the voter cookie, has no cookie. With the default of 600, 600 phones
// may open the ballot from one address within the same minute, each then has its own 600, and the
// address may carry 6,000 requests a minute. A subnet an organiser trusts (in any poll) has no IP
// limit at all, only the per-voter one. A script that does not keep cookies stays limited to 600
// a minute per address; one that mints cookies to 6,000.
func (s *server) rateLimit() fiber.Handler {
	if s.limit <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	perIP := newSlidingLimiter(ipCeiling * s.limit)
	perClient := newSlidingLimiter(s.limit)
	return func(c *fiber.Ctx) error {
		now := time.Now()
		a := s.proxies.clientIP(c)
		trusted := false
		for _, pf := range s.fraud {
			if trusted = pf.isTrusted(a); trusted {
				break
			}
		}
		var client string
		if id := s.keys.voter(c); id != "" {
			client = "voter:" + id
		} else if !trusted {
			client = "ip:" + a.String()
		}
		retry, ok := time.Duration(0), true
		if !trusted {
			retry, ok = perIP.allow(a.String(), now)
		}
		if ok && client != "" {
			retry, ok = perClient.allow(client, now)
		}
		if ok {
			return c.Next()
		}
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(retry.Seconds()))))
		if pf, vote := s.voteRequest(c); vote {
			s.reportVote(pf, false, errRateLimited, now)
		}
		return errRateLimited
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

// slidingLimiter allows max requests per key in a sliding window of a minute, estimated from the
// count of the current minute and the one before it (weighted by its share of the window).
// Refused requests are not counted. Safe for concurrent use.
type slidingLimiter struct {
	max int

	mu      sync.Mutex
	windows map[string]*rateWindow
	sweepAt int64 // Unix minute of the next sweep of old windows
}

type rateWindow struct {
	minute    int64 // Unix minute of cur
	cur, prev int
}

func newSlidingLimiter(max int) *slidingLimiter {
	return &slidingLimiter{max: max, windows: map[string]*rateWindow{}}
}

// allow counts one request of key at now and reports whether it is within the limit; when it is
// not, it returns how long until it would be (if no other request came).
func (l *slidingLimiter) allow(key string, now time.Time) (time.Duration, bool) {
	minute := now.Unix() / 60
	elapsed := float64(now.UnixNano()%int64(time.Minute)) / float64(time.Minute)
	l.mu.Lock()
	defer l.mu.Unlock()
	if minute >= l.sweepAt {
		for k, w := range l.windows {
			if w.minute < minute-1 {
				delete(l.windows, k)
			}
		}
		l.sweepAt = minute + 1
	}
	w := l.windows[key]
	if w == nil {
		w = &rateWindow{minute: minute}
		l.windows[key] = w
	}
	switch {
	case w.minute == minute-1:
		w.minute, w.prev, w.cur = minute, w.cur, 0
	case w.minute < minute-1:
		w.minute, w.prev, w.cur = minute, 0, 0
	}
	if float64(w.prev)*(1-elapsed)+float64(w.cur)+1 <= float64(l.max) {
		w.cur++
		return 0, true
	}
	// Room for one more: within this minute once enough of prev has slid out, else in the next
	// minute once enough of cur has.
	room := float64(l.max - 1)
	var wait float64 // minutes
	if w.cur <= l.max-1 && w.prev > 0 {
		wait = (1 - (room-float64(w.cur))/float64(w.prev)) - elapsed
	} else {
		wait = (1 - elapsed) + (1 - room/float64(w.cur))
	}
	return max(time.Duration(wait*float64(time.Minute)), time.Second), false
}
