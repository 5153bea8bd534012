package access

import (
	"hash/maphash"
	"net/netip"
	"sync"
	"time"
)

// RateSource is what the rate limits count an address by: an IPv4 address, the /64 of an IPv6
// one (what one subscriber gets: rotating addresses inside it makes no new source).
func RateSource(a netip.Addr) netip.Prefix { return Prefix(a, 32, 64) }

// maxTracked is the most keys one limiter tracks at once. Over it, tracking a new key forgets an
// arbitrary one (its count starts again): a flood of sources can at most reset some counts, never
// grow the memory. 250,000 keys take about 10 MB; no night has that many active in two minutes
// from one instance without some of them being the flood.
const maxTracked = 250_000

// LimitKey is what a Limiter counts by: a 64-bit hash of the key (maphash, with the limiter's own
// seed; 250,000 keys collide with odds of about 1 in 300 million). Fixed-size keys keep an entry
// small whatever the key (a voter id, an address, a prefix).
type LimitKey uint64

// Limiter allows max requests per key in a sliding window of a minute, estimated from the
// count of the current minute and the one before it (weighted by its share of the window).
// Refused requests are not counted. Its memory is bounded: it tracks at most maxTracked keys, and
// the map is rebuilt (not only emptied) once a minute, so that it shrinks after a flood (Go maps
// never give back their buckets). Safe for concurrent use.
type Limiter struct {
	max  int
	cap  int // most keys tracked: maxTracked (tests set less)
	seed maphash.Seed

	mu      sync.Mutex
	windows map[LimitKey]rateWindow
	sweepAt int64 // Unix minute of the next sweep of old windows
}

type rateWindow struct {
	minute    int64 // Unix minute of cur
	cur, prev int32
}

// NewLimiter returns a Limiter of max requests a minute per key.
func NewLimiter(max int) *Limiter {
	return &Limiter{max: max, cap: maxTracked, seed: maphash.MakeSeed(), windows: map[LimitKey]rateWindow{}}
}

// Key returns the limiter's key of a string.
func (l *Limiter) Key(s string) LimitKey { return LimitKey(maphash.String(l.seed, s)) }

// PrefixKey returns the limiter's key of a prefix (an address's /32 or /64).
func (l *Limiter) PrefixKey(p netip.Prefix) LimitKey {
	b := p.Addr().As16()
	var buf [17]byte
	copy(buf[:], b[:])
	buf[16] = byte(p.Bits())
	return LimitKey(maphash.Bytes(l.seed, buf[:]))
}

// Allow counts one request of key at now and reports whether it is within the limit; when it is
// not, it returns how long until it would be (if no other request came).
func (l *Limiter) Allow(key LimitKey, now time.Time) (time.Duration, bool) {
	return l.check(key, now, true)
}

// Peek reports what Allow would, without counting a request.
func (l *Limiter) Peek(key LimitKey, now time.Time) (time.Duration, bool) {
	return l.check(key, now, false)
}

func (l *Limiter) check(key LimitKey, now time.Time, count bool) (time.Duration, bool) {
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
func (l *Limiter) store(key LimitKey, w rateWindow, known bool) {
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
func (l *Limiter) sweep(minute int64) {
	live := 0
	for _, w := range l.windows {
		if w.minute >= minute-1 {
			live++
		}
	}
	kept := make(map[LimitKey]rateWindow, live)
	for k, w := range l.windows {
		if w.minute >= minute-1 {
			kept[k] = w
		}
	}
	l.windows = kept
	l.sweepAt = minute + 1
}

// tracked returns how many keys l tracks (for tests and benchmarks).
func (l *Limiter) tracked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.windows)
}
