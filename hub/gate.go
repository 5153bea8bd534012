package hub

import "sync"

// gate runs a connection's writer: a loop that calls look, the function that does whatever the
// connection has to write now, each time it is signalled. It starts the writer (a goroutine) when
// there is something to look at and none runs, keeps it waiting for the next signal while linger
// says more is coming soon, and otherwise lets it end: a connection with nothing to write holds no
// goroutine. (Ending the writer of an idle connection saves about 5 KB a dashboard: BENCHMARKS.)
//
// Who may call what:
//   - signal, runHere and release: any goroutine, at any time, concurrently, also after the gate
//     has closed. signal and release never block; runHere runs look in the caller when no writer
//     runs (for a goroutine that has nothing else to do, such as a timer's).
//   - look and linger are the gate's own: only the writer calls look, and linger is called with
//     the gate's lock held, so it must be quick and must not call the gate.
//   - done may be read by anyone.
//
// What it guarantees:
//   - One writer: at most one call of look runs at any moment, and each call happens after the
//     previous one returned (in the sense of the Go memory model), even when another goroutine
//     made it: what look keeps between calls needs no lock.
//   - No lost wake-up: after each call of signal or runHere, look is called again, all of it
//     after that call began, unless the gate has closed.
//   - Quiet: a writer that has nothing to look at ends unless linger reports true; a waiting
//     writer asks linger again when release is called, so linger turning false, followed by
//     release, ends it. release never starts a writer.
//   - Shutdown: when look returns false the gate closes: look is never called again, signals do
//     nothing, and done is closed.
//
// The gate's lock is held for a few instructions, never while look runs: a signal from the tick
// never waits for a write. (A compare-and-swap protocol over five states did the same without a
// lock; the fan-out benchmark showed no gain worth its subtlety.) Call init before anything else.
type gate struct {
	look   func() bool // does what is to write now; false closes the gate
	linger func() bool // whether a writer with nothing to look at waits for the next signal
	run    func()      // g.writer, made once so that starting a writer allocates only its goroutine
	done   chan struct{}

	mu      sync.Mutex
	woken   sync.Cond // signalled when state leaves gateWaiting
	state   gateState
	pending bool // something to look at: signalled since the writer last began to look
}

// gateState is what a gate's writer is doing.
type gateState uint8

const (
	gateIdle    gateState = iota // no writer: the next signal starts one
	gateRunning                  // the writer looks, or is about to look or end
	gateWaiting                  // the writer waits for a signal or a release
	gateClosed                   // look returned false: nothing starts a writer any more
)

// init makes g ready: look and linger are as described on gate.
func (g *gate) init(look, linger func() bool) {
	g.look, g.linger = look, linger
	g.run = g.writer
	g.done = make(chan struct{})
	g.woken.L = &g.mu
}

// signal makes the writer look after the call: it wakes a waiting writer, starts one in a
// goroutine of its own when none runs, or makes the running one look again before it waits or
// ends. It never blocks.
func (g *gate) signal() {
	if g.enter() {
		go g.run()
	}
}

// runHere is signal, but when no writer runs the caller becomes the writer: it returns once the
// writer has nothing more to do (or waits for the next signal, while linger reports true).
func (g *gate) runHere() {
	if g.enter() {
		g.writer()
	}
}

// enter records that there is something to look at and wakes a waiting writer. It reports true
// when no writer runs: the caller must then run g.writer, the only writer until it returns.
func (g *gate) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch g.state {
	case gateClosed:
		return false
	case gateWaiting:
		g.state = gateRunning
		g.woken.Signal()
	case gateIdle:
		g.state = gateRunning
		g.pending = true
		return true
	}
	g.pending = true
	return false
}

// release makes a waiting writer ask linger again (and end when it reports false). It never
// starts a writer and never blocks.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.state == gateWaiting {
		g.state = gateRunning
		g.woken.Signal()
	}
}

// writer is the writer: it looks while there is something to look at, waits while linger says
// so, and ends otherwise. Only the caller that enter told to run it does.
func (g *gate) writer() {
	g.mu.Lock()
	for {
		switch {
		case g.pending:
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
		case g.linger():
			g.state = gateWaiting
			for g.state == gateWaiting {
				g.woken.Wait()
			}
		default:
			g.state = gateIdle
			g.mu.Unlock()
			return
		}
	}
}
