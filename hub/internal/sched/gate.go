// Package sched runs the hub's writes without letting them crowd out the rest of the process:
// one writer per connection at a time (Gate) and a bounded pool of goroutines for the writers
// (Writers). It knows nothing of connections or messages: a writer is a function. Only package
// hub uses it.
package sched

import "sync"

// Gate runs a connection's writer: a call of look, the function that does whatever the connection
// has to write now, each time it is signalled. It starts the writer when there is something to
// look at and none runs, and lets it end once nothing more is: a connection with nothing to write
// holds no goroutine. (Ending the writer of an idle connection saves about 5 KB a dashboard:
// BENCHMARKS.) Where the writer runs is start's choice: Writers (a bounded pool, so that a tick does not
// make every connection's goroutine runnable at once), or a goroutine of its own.
//
// Who may call what:
//   - Signal and RunHere: any goroutine, at any time, concurrently, also after the gate has
//     closed. Signal never blocks; RunHere runs look in the caller when no writer runs (for a
//     goroutine that has nothing else to do, such as a timer's).
//   - look is the gate's own: only the writer calls it.
//   - Done and Busy: anyone.
//
// What it guarantees:
//   - One writer: at most one call of look runs at any moment, and each call happens after the
//     previous one returned (in the sense of the Go memory model), even when another goroutine
//     made it: what look keeps between calls needs no lock.
//   - No lost wake-up: after each call of Signal or RunHere, look is called again, all of it
//     after that call began, unless the gate has closed.
//   - Quiet: a writer that has nothing more to look at ends.
//   - Shutdown: when look returns false the gate closes: look is never called again, signals do
//     nothing, and Done is closed.
//
// The gate's lock is held for a few instructions, never while look runs: a signal from the tick
// never waits for a write. (A compare-and-swap protocol over five states did the same without a
// lock; the fan-out benchmark showed no gain worth its subtlety.) Call Init before anything else.
type Gate struct {
	look  func() bool  // does what is to write now; false closes the gate
	start func(func()) // runs the writer (g.run) somewhere other than in the caller; must not block
	run   func()       // g.writer, made once so that starting a writer allocates nothing more
	done  chan struct{}

	mu      sync.Mutex
	state   gateState
	pending bool // something to look at: signalled since the writer last began to look
}

// gateState is what a gate's writer is doing.
type gateState uint8

const (
	gateIdle    gateState = iota // no writer: the next signal starts one
	gateRunning                  // the writer looks, or is about to look or end
	gateClosed                   // look returned false: nothing starts a writer any more
)

// Init makes g ready: look is as described on Gate, and start runs the writer when Signal starts
// one (nil: in a goroutine of its own; Writers.Run: on the pool).
func (g *Gate) Init(look func() bool, start func(func())) {
	g.look, g.start = look, start
	if g.start == nil {
		g.start = func(f func()) { go f() }
	}
	g.run = g.writer
	g.done = make(chan struct{})
}

// Signal makes the writer look after the call: it starts one (with start) when none runs, or
// makes the running one look again before it ends. It never blocks.
func (g *Gate) Signal() {
	if g.enter() {
		g.start(g.run)
	}
}

// RunHere is Signal, but when no writer runs the caller becomes the writer: it returns once the
// writer has nothing more to do.
func (g *Gate) RunHere() {
	if g.enter() {
		g.writer()
	}
}

// enter records that there is something to look at. It reports true when no writer runs: the
// caller must then run g.writer, the only writer until it returns.
func (g *Gate) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch g.state {
	case gateClosed:
		return false
	case gateIdle:
		g.state = gateRunning
		g.pending = true
		return true
	}
	g.pending = true
	return false
}

// writer is the writer: it looks while there is something to look at and ends otherwise. Only
// the caller that enter told to run it does.
func (g *Gate) writer() {
	g.mu.Lock()
	for g.pending {
		g.pending = false
		g.mu.Unlock()
		ok := g.look()
		g.mu.Lock()
		if !ok {
			g.state = gateClosed
			g.mu.Unlock()
			close(g.done)
			return
		}
	}
	g.state = gateIdle
	g.mu.Unlock()
}

// Done is closed once the gate has closed: look returned false and will not be called again.
func (g *Gate) Done() <-chan struct{} { return g.done }

// Busy reports whether a writer runs or is started (queued on the pool): for tests that count
// the writers of idle connections.
func (g *Gate) Busy() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.state == gateRunning
}
