package hub

import (
	"fmt"
	"net/netip"
	"sync"

	"github.com/livevote/livevote/vote"
)

// Limits share the hub's connections between two pools and between sources, so that no client
// can lock the big screen and the organiser console out:
//
//   - the reserved pool (connections with a role's credential: the organiser's console, the
//     auditor's, the big screen with the operator's token or a screen token) keeps a reserve:
//     public connections may take all but Reserved of MaxConns; reserved ones may take any free one;
//   - one source (an IPv4 address, an IPv6 /64) may hold at most PerSource public connections
//     (by default a twentieth of MaxConns: four addresses cannot take the public's share). A venue
//     of more phones behind one address than that watches when the organiser trusts its subnet
//     for the poll (the venue's Wi-Fi, as for the rate limit): such a source is exempt.
//
// Zero values take the defaults.
type Limits struct {
	// MaxConns is the most connections at once (0: DefaultMaxConns).
	MaxConns int
	// Reserved of them are kept for the reserved pool (0: 1 % of MaxConns, at least 1 and at most
	// 100); it must be less than MaxConns.
	Reserved int
	// PerSource is the most public connections of one source (0: a twentieth of MaxConns).
	PerSource int
}

// withDefaults fills the zero values of l, and refuses a reserve that leaves the public nothing.
func (l Limits) withDefaults() (Limits, error) {
	if l.MaxConns <= 0 {
		l.MaxConns = DefaultMaxConns
	}
	if l.Reserved <= 0 {
		l.Reserved = min(max(l.MaxConns/100, 1), 100)
	}
	if l.PerSource <= 0 {
		l.PerSource = max(l.MaxConns/20, 1)
	}
	if l.Reserved >= l.MaxConns {
		return l, fmt.Errorf("hub: %d live connections reserved for organisers, of %d: keep some for the public", l.Reserved, l.MaxConns)
	}
	return l, nil
}

// Ticket is a live-updates connection as the server decided it before the upgrade: which poll it
// watches and how, and where it counts. It says who the client is, not how the server knows
// (tokens, roles and the client's address are the server's).
type Ticket struct {
	Poll     *vote.Poll
	Audience Audience
	Hz       int          // as Serve takes it
	Reserved bool         // a role's connection: the reserved pool
	Source   netip.Prefix // what a public connection counts against: an IPv4 address, an IPv6 /64
	Exempt   bool         // the source has no allowance (a subnet the organiser trusts)
}

// Why admission refuses a connection (Check, Enter): a small fixed set, fit for metric label
// values.
const (
	RefusedFull     = "full"     // every connection of the hub is taken
	RefusedReserved = "reserved" // the public's share is taken: the rest is kept for the reserved pool
	RefusedSource   = "source"   // the client's source has its allowance of connections
)

// Check reports why a connection with ticket t would be refused now, "" when it would be
// admitted. It takes no slot: a handler asks it before the upgrade, to answer a refusal with an
// HTTP error, then takes the slot with Enter once the connection is upgraded.
func (h *Hub) Check(t Ticket) string {
	h.slots.mu.Lock()
	defer h.slots.mu.Unlock()
	return h.slots.refusal(t)
}

// Enter takes a slot for a connection with ticket t, or returns why it cannot (two upgrades may
// pass Check at once: this is the count that holds). The slot must be given back with release,
// once, after Serve has returned.
func (h *Hub) Enter(t Ticket) (release func(), reason string) {
	return h.slots.acquire(t)
}

// slots counts the connections that Enter admitted, by pool and by source. Safe for concurrent
// use.
type slots struct {
	Limits

	mu        sync.Mutex
	public    int
	organiser int // connections of the reserved pool
	bySource  map[netip.Prefix]int
}

// refusal returns why the connection of t cannot be admitted now, or "". s.mu must be held.
func (s *slots) refusal(t Ticket) string {
	switch {
	case s.public+s.organiser >= s.MaxConns:
		return RefusedFull
	case t.Reserved:
		return ""
	case s.public >= s.MaxConns-s.Reserved:
		return RefusedReserved
	case !t.Exempt && s.bySource[t.Source] >= s.PerSource:
		return RefusedSource
	}
	return ""
}

// acquire is Enter.
func (s *slots) acquire(t Ticket) (release func(), reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if reason := s.refusal(t); reason != "" {
		return nil, reason
	}
	if t.Reserved {
		s.organiser++
		return func() { s.mu.Lock(); s.organiser--; s.mu.Unlock() }, ""
	}
	src := t.Source
	s.public++
	s.bySource[src]++
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.public--
		if s.bySource[src]--; s.bySource[src] <= 0 {
			delete(s.bySource, src)
		}
	}, ""
}
