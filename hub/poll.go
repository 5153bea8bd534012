package hub

import (
	"bytes"
	"context"
	"time"

	"github.com/livevote/livevote/vote"
)

// pollState is what the hub keeps of one watched poll. Every field is guarded by Hub.mu.
type pollState struct {
	poll *vote.Poll
	// clients are the poll's connections by audience; each client knows its index.
	clients [numAudiences][]*client
	// snap is the latest snapshot read and readAt when it was read (zero before the first read),
	// or when a tick last found it unchanged (see unchanged); fullAt is when it was read.
	snap           vote.Snapshot
	readAt, fullAt time.Time
	// last is, per audience, the latest message built; nil when none is kept.
	last [numAudiences]*message
	// failing is set while reads of the poll fail (so that only the change is logged).
	failing bool
}

// join registers the connection c with the poll, or refuses it with ErrClosed or ErrFull, and
// offers it its first message: the poll's latest snapshot when one was read within freshFor,
// else a snapshot read now. When that read fails, c is registered all the same and gets its
// first message from the first tick that reads the poll.
func (h *Hub) join(ctx context.Context, c *client, poll *vote.Poll) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return ErrClosed
	}
	if h.nconns.Load() >= int64(h.max) {
		h.mu.Unlock()
		h.stats.refused.Add(1)
		return ErrFull
	}
	p := h.polls[poll]
	if p == nil {
		p = &pollState{poll: poll}
		h.polls[poll] = p
		h.stats.polls.Store(int64(len(h.polls)))
	}
	c.poll = p
	c.idx = len(p.clients[c.aud])
	p.clients[c.aud] = append(p.clients[c.aud], c)
	h.hzCount[c.hz]++
	h.nconns.Add(1)
	h.stats.conns[c.aud].Add(1)
	h.conns.Add(1)
	fresh := !p.readAt.IsZero() && time.Since(p.readAt) < freshFor
	if fresh {
		h.greet(p, c)
	}
	h.mu.Unlock()

	if int64(c.hz) > h.stats.tickHz.Load() {
		select {
		case h.rate <- struct{}{}:
		default:
		}
	}
	if fresh {
		return nil
	}
	t := time.Now()
	s, err := h.read(ctx, poll, t)
	h.mu.Lock()
	flipped := h.take(p, s, t, err)
	if !p.readAt.IsZero() {
		h.greet(p, c)
	}
	h.mu.Unlock()
	if flipped {
		h.logRead(poll, err)
	}
	return nil
}

// leave unregisters the connection c; the poll is forgotten (and no longer read) when c was its
// last connection.
func (h *Hub) leave(c *client) {
	h.mu.Lock()
	p := c.poll
	cs := p.clients[c.aud]
	last := len(cs) - 1
	cs[c.idx] = cs[last]
	cs[c.idx].idx = c.idx
	cs[last] = nil
	p.clients[c.aud] = cs[:last]
	if len(p.clients[Public]) == 0 && len(p.clients[Organiser]) == 0 {
		delete(h.polls, p.poll)
		h.stats.polls.Store(int64(len(h.polls)))
	}
	h.hzCount[c.hz]--
	h.nconns.Add(-1)
	h.stats.conns[c.aud].Add(-1)
	h.mu.Unlock()
	h.conns.Done()
}

// rereadEvery is how long a tick may go on finding a poll unchanged before it reads the poll's
// snapshot all the same: the bound on how long a change that did not move the version (an instance
// of a version before it, a Redis failover to a replica behind that then counted to the same
// version) stays unseen.
const rereadEvery = 10 * time.Second

// versions reads the versions of the polls of the tick (h.watched) begun at t, bounded by
// snapshotTimeout; nil when that read fails (the tick then reads every poll's snapshot).
func (h *Hub) versions(ctx context.Context, t time.Time) []uint64 {
	ctx, cancel := context.WithTimeout(ctx, snapshotTimeout)
	defer cancel()
	v, err := h.src.Versions(ctx, h.watched)
	if err != nil || len(v) != len(h.watched) {
		return nil
	}
	return v
}

// unchanged reports whether a read of poll at t would show what its latest snapshot shows,
// so that the tick need not read it: the poll's version read at t is the snapshot's, reading the
// poll works, nothing in the snapshot changes with time alone between its reading and t
// (vote.Snapshot.Steady), and it was read less than rereadEvery before t. The snapshot then counts
// as read at t (as a joining connection's first message, say). A poll nobody watches any more is
// unchanged.
func (h *Hub) unchanged(poll *vote.Poll, version uint64, t time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.polls[poll]
	if p == nil {
		return true
	}
	if p.readAt.IsZero() || p.failing || p.snap.Version != version || !p.snap.Steady(t) || t.Sub(p.fullAt) >= rereadEvery {
		return false
	}
	if t.After(p.readAt) {
		p.snap.At, p.readAt = t, t
	}
	return true
}

// take records the outcome of one read of poll p, begun at t: the snapshot s, or the error err
// (after which the poll is quiet: nothing is offered while reads fail). It reports whether reading
// the poll went from working to failing or back. The caller holds h.mu.
func (h *Hub) take(p *pollState, s vote.Snapshot, t time.Time, err error) (flipped bool) {
	if err != nil {
		flipped, p.failing = !p.failing, true
		return flipped
	}
	flipped, p.failing = p.failing, false
	h.apply(p, s, t)
	return flipped
}

// apply makes s, read at t, the poll's latest snapshot, unless a read begun later is in already,
// and when its content changed offers each audience's connections one new message (only when
// that audience's content changed: the public does not see held ballots, nor the tally while it
// is hidden). The caller holds h.mu.
func (h *Hub) apply(p *pollState, s vote.Snapshot, t time.Time) {
	if !p.readAt.IsZero() && !t.After(p.readAt) {
		return
	}
	first := p.readAt.IsZero()
	changed := first || !sameContent(p.snap, s)
	p.snap, p.readAt, p.fullAt = s, t, t
	if !changed {
		return
	}
	for a := range Audience(numAudiences) {
		if len(p.clients[a]) == 0 {
			p.last[a] = nil
			continue
		}
		m, err := encode(s, a, t)
		if err != nil {
			h.log.Error("live updates: cannot encode snapshot", "poll", p.poll.ID, "err", err)
			continue
		}
		old := p.last[a]
		p.last[a] = m
		if old != nil && bytes.Equal(old.content, m.content) {
			continue
		}
		for _, c := range p.clients[a] {
			c.offer(m)
		}
	}
}

// greet offers c the poll's latest snapshot, encoding it for c's audience unless the message of
// that read is built already. The caller holds h.mu and p has been read.
func (h *Hub) greet(p *pollState, c *client) {
	m := p.last[c.aud]
	if m == nil || !m.readAt.Equal(p.readAt) {
		var err error
		if m, err = encode(p.snap, c.aud, p.readAt); err != nil {
			h.log.Error("live updates: cannot encode snapshot", "poll", p.poll.ID, "err", err)
			return
		}
		p.last[c.aud] = m
	}
	c.offer(m)
}
