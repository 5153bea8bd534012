package redisstore

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/livevote/livevote/vote"
)

// pollKeys are the keys of one poll (see Store).
type pollKeys struct {
	poll                                                     *vote.Poll
	tag                                                      string
	state, voters, receipts, tally, heldTally, ballots, held string
	minutes, hours, log, pending, waiting, why, void         string
	version                                                  string
	noChallenge                                              string // a ballot's challenge key when it has none

	windows atomic.Pointer[sourceWindows] // the last source keys of the cast script
}

// keysOf returns the keys of p, built once per poll and kept by the store (the vote path needs
// them for every ballot): the last poll's at once, any other's from the map.
func (s *Store) keysOf(p *vote.Poll) *pollKeys {
	if k := s.lastKeys.Load(); k != nil && k.poll == p {
		return k
	}
	if k, ok := s.keys.Load(p); ok {
		s.lastKeys.Store(k.(*pollKeys))
		return k.(*pollKeys)
	}
	t := "{lv:" + p.ID + "}"
	k := &pollKeys{
		poll: p, tag: t, state: t + ":state", voters: t + ":voters", receipts: t + ":receipts",
		tally: t + ":tally", heldTally: t + ":heldtally", ballots: t + ":ballots", held: t + ":held",
		minutes: t + ":m", hours: t + ":h", log: t + ":log", pending: t + ":pending",
		waiting: t + ":waiting", why: t + ":why", void: t + ":void", version: t + ":version",
		noChallenge: t + ":pow:",
	}
	actual, _ := s.keys.LoadOrStore(p, k)
	s.lastKeys.Store(actual.(*pollKeys))
	return actual.(*pollKeys)
}

// sourceWindows are the ten source keys of the cast script for one minute and hour bucket.
type sourceWindows struct {
	minute, hour int64
	keys         [10]string
}

// sourceKeys returns the source keys of the cast script for the buckets starting at minute and
// hour (Unix seconds); they change once a minute, so the last set is kept.
func (k *pollKeys) sourceKeys(minute, hour int64) *[10]string {
	if w := k.windows.Load(); w != nil && w.minute == minute && w.hour == hour {
		return &w.keys
	}
	w := &sourceWindows{minute: minute, hour: hour, keys: [10]string{
		k.sources("ip", time.Minute, minute), k.sources("ip", time.Minute, minute-60),
		k.sources("net", time.Minute, minute), k.sources("net", time.Minute, minute-60),
		k.sources("ip", time.Hour, hour), k.sources("ip", time.Hour, hour-3600),
		k.sources("net", time.Hour, hour), k.sources("net", time.Hour, hour-3600),
		k.sources("grp", time.Hour, hour), k.sources("grp", time.Hour, hour-3600),
	}}
	k.windows.Store(w)
	return &w.keys
}

func (k *pollKeys) challenge(c string) string { return k.tag + ":pow:" + c }

// choices is the key of the choice counters of the hour that starts at hour (Unix seconds).
func (k *pollKeys) choices(hour int64) string { return k.tag + ":ch:h:" + strconv.FormatInt(hour, 10) }

// sources is the key of the sorted set of the sources of kind ("ip" or "net", or "grp" by the
// hour only) in the bucket of length step (a minute or an hour) that starts at start (Unix
// seconds).
func (k *pollKeys) sources(kind string, step time.Duration, start int64) string {
	w := ":m:"
	if step == time.Hour {
		w = ":h:"
	}
	return k.tag + ":src:" + kind + w + strconv.FormatInt(start, 10)
}
