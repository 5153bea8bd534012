package hub

import (
	"sync/atomic"
	"time"
)

// Stats are the hub's counters at one moment, for metrics (package monitoring reads them at each
// scrape, as client_golang's DBStatsCollector reads sql.DBStats). Arrays are indexed by Audience.
// Counters only grow, from New on.
type Stats struct {
	Conns    [numAudiences]int    // open connections
	Messages [numAudiences]uint64 // snapshot messages written
	// Evictions counts connections cut off because a write failed or did not finish in time.
	Evictions uint64
	// Floods counts connections closed because the client sent too many messages.
	Floods uint64
	// Refused counts connections refused with ErrFull.
	Refused uint64
	// ReadErrors counts snapshot reads from the Source that failed.
	ReadErrors uint64
	// Polls is the number of polls at least one connection watches (each is read once per tick).
	Polls int
	// TickHz is the tick rate: the highest hz of the connected clients (1 when none).
	TickHz int
	// LastTick is how long the last tick took: its snapshot reads, encoding and fan-out (the
	// fan-out ends when every mailbox has its message, not when every message is written).
	LastTick time.Duration
	// LastRead is how long the last snapshot read took.
	LastRead time.Duration
}

// counters are the live values behind Stats; every field is updated atomically.
type counters struct {
	conns      [numAudiences]atomic.Int64
	messages   [numAudiences]atomic.Uint64
	evictions  atomic.Uint64
	floods     atomic.Uint64
	refused    atomic.Uint64
	readErrors atomic.Uint64
	polls      atomic.Int64
	tickHz     atomic.Int64
	lastTick   atomic.Int64
	lastRead   atomic.Int64
}

// Stats returns the hub's counters. It takes no lock: cheap enough to call on every scrape. The
// fields are read one by one, so they need not agree with each other exactly.
func (h *Hub) Stats() Stats {
	c := &h.stats
	var s Stats
	for a := range numAudiences {
		s.Conns[a] = int(c.conns[a].Load())
		s.Messages[a] = c.messages[a].Load()
	}
	s.Evictions = c.evictions.Load()
	s.Floods = c.floods.Load()
	s.Refused = c.refused.Load()
	s.ReadErrors = c.readErrors.Load()
	s.Polls = int(c.polls.Load())
	s.TickHz = int(c.tickHz.Load())
	s.LastTick = time.Duration(c.lastTick.Load())
	s.LastRead = time.Duration(c.lastRead.Load())
	return s
}
