package server

import (
	"net/netip"
	"sync"
)

// Reasons a live-updates connection is refused, as Observer.LiveRefused reports them (a small
// fixed set: metric label values).
const (
	refusedFull     = "full"     // every connection of the hub is taken
	refusedReserved = "reserved" // the public's share is taken: the rest is kept for organisers
	refusedSource   = "source"   // the client's source has its allowance of connections
	refusedOrigin   = "origin"   // an Origin LIVEVOTE_WS_ORIGINS does not list
)

// liveSlots shares the hub's connections (LIVEVOTE_WS_MAX_CONNS) between two pools and sources,
// so that no client can lock the big screen and the organiser console out:
//
//   - the reserved pool (connections with a role's token: the organiser's console, the auditor's,
//     the big screen with the operator's token or a screen token) keeps a reserve: public
//     connections may take all but `reserved` of max; reserved ones may take any free one;
//   - one source (an IPv4 address, an IPv6 /64) may hold at most perSource public connections
//     (by default a twentieth of max: four addresses cannot take the public's share). A venue of
//     more phones behind one address than that watches when the organiser trusts its subnet for
//     the poll (the venue's Wi-Fi, as for the rate limit): a trusted subnet has no allowance.
//
// The server asks allow before the upgrade (to answer with an HTTP error) and acquire once the
// connection is upgraded (the count that holds: two upgrades may pass allow at once); release
// returns the slot when the connection's handler ends. Safe for concurrent use.
type liveSlots struct {
	max, reserved, perSource int

	mu        sync.Mutex
	public    int
	organiser int // connections of the reserved pool
	bySource  map[netip.Prefix]int
}

// newLiveSlots shares max connections; reserved and perSource as in LiveLimits.
func newLiveSlots(max, reserved, perSource int) *liveSlots {
	return &liveSlots{max: max, reserved: reserved, perSource: perSource, bySource: map[netip.Prefix]int{}}
}

// refusal returns why a connection from src (reserved: of the reserved pool; exempt: no source
// allowance) cannot be admitted now, or "". s.mu must be held.
func (s *liveSlots) refusal(reserved bool, src netip.Prefix, exempt bool) string {
	switch {
	case s.public+s.organiser >= s.max:
		return refusedFull
	case reserved:
		return ""
	case s.public >= s.max-s.reserved:
		return refusedReserved
	case !exempt && s.bySource[src] >= s.perSource:
		return refusedSource
	}
	return ""
}

// allow reports why a connection would be refused now ("" when it would be admitted); it takes
// no slot.
func (s *liveSlots) allow(reserved bool, src netip.Prefix, exempt bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refusal(reserved, src, exempt)
}

// acquire takes a slot for a connection from src (reserved: of the reserved pool), or returns
// why it cannot. A taken slot must be given back with release, once.
func (s *liveSlots) acquire(reserved bool, src netip.Prefix, exempt bool) (release func(), reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if reason := s.refusal(reserved, src, exempt); reason != "" {
		return nil, reason
	}
	if reserved {
		s.organiser++
		return func() { s.mu.Lock(); s.organiser--; s.mu.Unlock() }, ""
	}
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
