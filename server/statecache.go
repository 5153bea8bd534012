package server

import (
	"context"
	"sync"
	"time"

	"github.com/livevote/livevote/vote"
)

// stateTTL is how long a poll's state read from the store is reused. The store enforces status
// atomically with every ballot, so a cached status only picks which error a refused vote gets and
// a cached difficulty lags an organiser's change by at most this long.
const stateTTL = 250 * time.Millisecond

// stateCache keeps each poll's state for stateTTL so that the vote path does not read it per
// request.
type stateCache struct {
	store interface {
		State(ctx context.Context, p *vote.Poll) (vote.State, error)
	}
	now func() time.Time

	mu      sync.Mutex
	entries map[string]stateEntry
}

type stateEntry struct {
	state vote.State
	read  time.Time
}

func newStateCache(store Store, now func() time.Time) *stateCache {
	return &stateCache{store: store, now: now, entries: map[string]stateEntry{}}
}

// get returns the poll's state, from the cache when fresh. Status is Effective now.
func (sc *stateCache) get(ctx context.Context, p *vote.Poll) (vote.State, error) {
	now := sc.now()
	sc.mu.Lock()
	e, ok := sc.entries[p.ID]
	sc.mu.Unlock()
	if !ok || now.Sub(e.read) > stateTTL || now.Before(e.read) {
		st, err := sc.store.State(ctx, p)
		if err != nil {
			return vote.State{}, err
		}
		e = stateEntry{state: st, read: now}
		sc.put(p, st)
	}
	e.state.Status = p.Effective(e.state.Status, now)
	return e.state, nil
}

// put records a state just read or written.
func (sc *stateCache) put(p *vote.Poll, st vote.State) {
	sc.mu.Lock()
	sc.entries[p.ID] = stateEntry{state: st, read: sc.now()}
	sc.mu.Unlock()
}
