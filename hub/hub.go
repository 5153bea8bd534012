// Package hub fans out live snapshots of polls to WebSocket connections (docs/API.md, "Live updates").
//
// The hub does not hear about single votes. It ticks at the highest rate any connected client
// asked for (at most MaxHz), reads one snapshot per watched poll from its Source, and when the
// content changed encodes it once per audience and offers the same bytes to the one-slot mailbox
// of every connection of that poll and audience (latest wins). A connection's writer empties its
// mailbox no more often than the client's hz, pings, and cuts the connection off when a write does
// not finish in time; the goroutine that called Serve is the connection's reader. The writer runs,
// never more than one at a time per connection, when the connection has something to do (a
// message, a ping, its end), and ends when it is done, so that an idle connection holds no
// goroutine but its reader. A tick's writers run on a bounded pool of goroutines (one while they
// keep pace with the tick, more only when they fall behind it or writes to slow clients stall
// them: busyWriters, drainPercent, maxWriters), not on one runnable goroutine per connection, so
// that the rest of the process (a vote) finds a processor free instead of queueing behind a whole
// tick's writes (see hub/internal/sched). Nothing on the tick path waits for a client.
//
// The server decides who a request is (its role, its address); the hub admits it into its pools
// (Limits), upgrades and serves it: package hub/hubws is the hub's handler on Fiber. hub itself
// imports the standard library, vote and its scheduling (hub/internal/sched) only: the
// connection of fasthttp/websocket fits Conn as it is, and the vote store is a Source.
package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livevote/livevote/hub/internal/sched"
	"github.com/livevote/livevote/vote"
)

// Source gives the hub snapshots of polls: the vote store (vote.Snapshots) is one as it is.
// Snapshot reads the poll's state and counts at one moment; now is the time of reading. Versions
// reads, in one cheap step, the version of each of polls (vote.Snapshots.Versions), which the tick
// asks before it reads a snapshot: a poll whose version is its latest snapshot's, and whose
// snapshot nothing changes with time alone (vote.Snapshot.Steady), is not read. A Source must be
// safe for concurrent use: the tick reads one poll at a time, and a connection joining a poll
// nobody watched reads it from the joining goroutine.
type Source interface {
	Snapshot(ctx context.Context, p *vote.Poll, now time.Time) (vote.Snapshot, error)
	Versions(ctx context.Context, polls []*vote.Poll) ([]uint64, error)
}

// Limits of the hub.
const (
	DefaultHz       = 4      // updates per second for a client that asks for none
	MaxHz           = 10     // the most updates per second a client gets, and the fastest tick
	DefaultMaxConns = 20_000 // Options.MaxConns when zero
)

// Timing of the hub's reads.
const (
	// snapshotTimeout bounds one snapshot read from the Source.
	snapshotTimeout = time.Second

	// freshFor is how old a poll's latest snapshot may be to serve as a joining connection's first
	// message; older, the joining connection reads one. A watched poll is read at least once a second.
	freshFor = 2 * time.Second
)

// busyWriters, maxWriters and drainPercent bound the goroutines that run connections' writers at
// once (timers' writers apart: a ping or a held message runs in its timer's goroutine;
// sched.NewWriters):
//   - One while the writes keep pace: a tick's fan-out then takes one processor, and a vote's
//     goroutines find another free (BENCHMARKS.md, "One writer goroutine": vote p99 at 10,000
//     dashboards 10-14 ms against 23-39 with 64; 7-9 ms since the writers stopped yielding).
//   - Up to all processors but one (GOMAXPROCS-1, which main raises by one) while one goroutine
//     would not write a tick's messages within drainPercent of the tick's interval (the pace rule,
//     sched.Writers.SetDrain): the next tick would replace the messages not yet written, and the
//     screens would miss a tick. On a slower machine one core does not keep up with 10,000
//     dashboards at 4 Hz (BENCHMARKS.md, "part 5": 80-100% of the ticks delivered with one,
//     96.8-100% with the rule while that machine was at its slowest, every tick once it was
//     faster; TestEveryTickDeliveredWhenOneWriterFallsBehind).
//   - Up to maxWriters when the writers stall (every one blocked in a write to a slow client, each
//     for at most writeWait): enough that a few such clients hold up little.
//
// The goroutines started beyond one end when the queue empties.
const (
	busyWriters  = 1
	maxWriters   = 64
	drainPercent = 60
)

// Errors Serve returns; callers test them with errors.Is.
var (
	// ErrFull refuses a connection over Options.MaxConns (Full reports it before the upgrade).
	ErrFull = errors.New("hub: too many connections")
	// ErrClosed refuses a connection once Run is shutting down (its ctx is done) or has ended.
	ErrClosed = errors.New("hub: shut down")
	// ErrFlood ends a connection whose client sent too many messages.
	ErrFlood = errors.New("hub: client sent too many messages")
	// ErrEvicted ends a connection a write to which failed or did not finish in time: a client
	// that does not read, or a connection that broke while a write was under way. It wraps the
	// write's error.
	ErrEvicted = errors.New("hub: connection evicted")
)

// Options configure a Hub. The zero value is ready to use.
type Options struct {
	// Limits share the connections (admission.go): Limits.MaxConns bounds Serve, the rest Check
	// and Enter.
	Limits
	// Logger receives a line when reading a poll starts failing and when it works again; nil
	// means no logging. Failed reads are counted in Stats either way.
	Logger *slog.Logger
}

// Hub fans out live snapshots to connections. Create it with New, run its tick with Run, and
// serve each connection with Serve (after Check and Enter, when the connection is to count in
// the pools and sources of Limits; package hub/hubws does all of it for a Fiber route). All
// methods are safe for concurrent use.
type Hub struct {
	src   Source
	max   int
	log   *slog.Logger
	slots slots // admission (Check, Enter)

	// rate holds a token when a joining client may have raised the tick rate.
	rate chan struct{}
	// noThrottle makes connections ignore their hz (benchmarks only; set before any Serve).
	noThrottle bool
	// watched is the tick's scratch list of polls to read; only the tick uses it.
	watched []*vote.Poll
	// bufs holds the writers' message buffers (*[]byte): a writer takes one for a write only.
	bufs sync.Pool
	// writers runs the connections' writers that signals start.
	writers *sched.Writers

	mu      sync.Mutex
	polls   map[*vote.Poll]*pollState // polls with at least one connection
	hzCount [MaxHz + 1]int            // connections by hz
	running bool                      // Run was called
	closed  bool                      // Run has ended or is ending: no new connections
	conns   sync.WaitGroup            // one per registered connection

	nconns atomic.Int64 // registered connections, for Full without the lock
	stats  counters
}

// New returns a hub that reads snapshots from src, or an error when opts.Limits keep no
// connection for the public. Connections may be served before Run starts (they get their first
// snapshot, and updates once Run ticks).
func New(src Source, opts Options) (*Hub, error) {
	limits, err := opts.Limits.withDefaults()
	if err != nil {
		return nil, err
	}
	h := &Hub{
		src:   src,
		max:   limits.MaxConns,
		log:   opts.Logger,
		slots: slots{Limits: limits, bySource: map[netip.Prefix]int{}},
		rate:  make(chan struct{}, 1),
		polls: make(map[*vote.Poll]*pollState),
	}
	h.writers = sched.NewWriters(busyWriters, max(busyWriters, runtime.GOMAXPROCS(0)-1), maxWriters)
	h.bufs.New = func() any {
		b := make([]byte, 0, 1024)
		return &b
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.stats.tickHz.Store(1)
	return h, nil
}

// Full reports whether the hub has Options.MaxConns connections, so that the server can refuse an
// upgrade with 503 before it happens. It takes no lock; Serve checks again under it.
func (h *Hub) Full() bool { return h.nconns.Load() >= int64(h.max) }

// Run ticks until ctx is done: at the highest hz of the connected clients (1 Hz when none), it
// reads the watched polls' versions, one snapshot per poll that changed, and offers what changed
// to the connections. When ctx is done it closes every connection with close code 1001 (going
// away), refuses new ones with ErrClosed, and returns nil once every connection has been
// unregistered (once every Serve has returned or is returning). Run may be called once; a second
// call returns an error.
func (h *Hub) Run(ctx context.Context) error {
	h.mu.Lock()
	if h.running {
		h.mu.Unlock()
		return errors.New("hub: Run called more than once")
	}
	h.running = true
	h.mu.Unlock()

	hz := h.tickHz()
	t := time.NewTicker(h.tickEvery(hz))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			h.shutdown()
			return nil
		case <-h.rate:
		case <-t.C:
			h.tick(ctx)
		}
		if want := h.tickHz(); want != hz {
			hz = want
			t.Reset(h.tickEvery(hz))
		}
	}
}

// tickEvery records hz as the tick's rate and returns its interval. The writers then drain a
// tick's messages within drainPercent of it (sched.Writers.SetDrain).
func (h *Hub) tickEvery(hz int) time.Duration {
	h.stats.tickHz.Store(int64(hz))
	every := time.Second / time.Duration(hz)
	h.writers.SetDrain(every * drainPercent / 100)
	return every
}

// tickHz is the rate the tick should run at: the highest hz of the connected clients, 1 if none.
func (h *Hub) tickHz() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	for hz := MaxHz; hz > 1; hz-- {
		if h.hzCount[hz] > 0 {
			return hz
		}
	}
	return 1
}

// tick reads the versions of every watched poll, one snapshot of every poll that changed (see
// unchanged), and publishes what changed.
func (h *Hub) tick(ctx context.Context) {
	start := time.Now()
	h.mu.Lock()
	h.watched = h.watched[:0]
	for poll := range h.polls {
		h.watched = append(h.watched, poll)
	}
	h.mu.Unlock()

	versions := h.versions(ctx, start)
	for i, poll := range h.watched {
		if ctx.Err() != nil {
			return
		}
		if versions != nil && h.unchanged(poll, versions[i], start) {
			continue
		}
		t := time.Now()
		s, err := h.read(ctx, poll, t)
		h.mu.Lock()
		p := h.polls[poll]
		flipped := p != nil && h.take(p, s, t, err)
		h.mu.Unlock()
		if flipped {
			h.logRead(poll, err)
		}
	}
	h.stats.lastTick.Store(int64(time.Since(start)))
}

// read reads one snapshot of the poll from the source, bounded by snapshotTimeout.
func (h *Hub) read(ctx context.Context, poll *vote.Poll, now time.Time) (vote.Snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, snapshotTimeout)
	defer cancel()
	s, err := h.src.Snapshot(ctx, poll, now)
	h.stats.lastRead.Store(int64(time.Since(now)))
	if err != nil {
		h.stats.readErrors.Add(1)
		return s, fmt.Errorf("hub: read snapshot of %q: %w", poll.ID, err)
	}
	return s, nil
}

// logRead logs that reading the poll started failing (err not nil) or works again.
func (h *Hub) logRead(poll *vote.Poll, err error) {
	if err != nil {
		h.log.Warn("live updates stalled: cannot read snapshot", "poll", poll.ID, "err", err)
		return
	}
	h.log.Info("live updates resumed", "poll", poll.ID)
}

// shutdown refuses new connections, asks every connection to close with 1001, and waits until
// all of them are unregistered.
func (h *Hub) shutdown() {
	h.mu.Lock()
	h.closed = true
	for _, p := range h.polls {
		for _, cs := range p.clients {
			for _, c := range cs {
				c.stop(closeGoingAway, "going away")
			}
		}
	}
	h.mu.Unlock()
	h.conns.Wait()
}
