package sched

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// probe is a gate's look as a test sees it. look counts its calls in plain fields,
// written by whichever goroutine is the writer: the race detector reports any two calls that the
// gate does not order. It also reports overlapping calls itself, and records the newest signal it
// saw (gen, counted up by the test before each signal).
type probe struct {
	t       *testing.T
	in      atomic.Int32  // calls of look under way
	gen     atomic.Int64  // the test's signals, counted before each one
	block   chan struct{} // when not nil, look waits for a token on it
	entered chan struct{} // when not nil, look sends on it as it starts
	fail    int           // the call of look that reports false (0: none)

	// goroutines counts the writer goroutines the gate started and has not seen end.
	goroutines atomic.Int32

	// Owned by the writer.
	looks int   // calls of look
	seen  int64 // gen when the last call began
}

func (p *probe) look() bool {
	if n := p.in.Add(1); n != 1 {
		p.t.Errorf("%d calls of look at once, want 1", n)
	}
	defer p.in.Add(-1)
	g := p.gen.Load()
	if g < p.seen {
		p.t.Errorf("look saw signal %d after signal %d: out of order", g, p.seen)
	}
	p.seen = g
	p.looks++
	if p.entered != nil {
		p.entered <- struct{}{}
	}
	if p.block != nil {
		<-p.block
	}
	runtime.Gosched() // widen the window for another writer
	return p.looks != p.fail
}

// newGate returns a gate over p's look that starts each writer in a goroutine of its own, which p
// counts.
func newGate(p *probe) *Gate {
	g := new(Gate)
	g.Init(p.look, func(writer func()) {
		p.goroutines.Add(1)
		go func() {
			defer p.goroutines.Add(-1)
			writer()
		}()
	})
	return g
}

// Many goroutines signal (starting a writer, or running it themselves): whatever the
// interleaving, look never runs twice at once, each call sees the signals of the calls before it
// (and the race detector finds no unordered access to what look keeps), and at the end of each
// round the last signal was seen: no signal is lost, whether the writer was looking or ending at
// that moment.
func TestGateOneWriterNoLostWakeUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &probe{t: t}
		g := newGate(p)
		const rounds, signallers, signals = 200, 4, 25
		for round := range rounds {
			var wg sync.WaitGroup
			for i := range signallers {
				wg.Go(func() {
					for j := range signals {
						p.gen.Add(1)
						if (i+j+round)%3 == 0 {
							g.RunHere()
						} else {
							g.Signal()
						}
					}
				})
			}
			// One more signal, once everything has settled: the writer has ended, so this one
			// starts one.
			wg.Wait()
			synctest.Wait()
			p.gen.Add(1)
			g.Signal()
			synctest.Wait()
			// (busy's lock also orders the last writer's changes before the reads below.)
			if g.Busy() || p.goroutines.Load() != 0 {
				t.Fatalf("round %d: a writer is left with nothing to look at", round)
			}
			if p.seen != p.gen.Load() {
				t.Fatalf("round %d: the last look saw signal %d of %d: a signal was lost", round, p.seen, p.gen.Load())
			}
		}
		if p.looks < rounds || p.looks > rounds*signallers*signals {
			t.Errorf("%d looks for %d signals in %d rounds", p.looks, rounds*signallers*signals, rounds)
		}
	})
}

// When no writer runs, runHere runs look in the caller: it has run when runHere returns.
func TestGateRunHereRunsInTheCaller(t *testing.T) {
	p := &probe{t: t}
	g := newGate(p)
	g.RunHere()
	if p.looks != 1 || g.Busy() || p.goroutines.Load() != 0 {
		t.Errorf("after runHere: %d looks, busy %v, %d writer goroutines; want 1, not busy, 0",
			p.looks, g.Busy(), p.goroutines.Load())
	}
}

// Signals while the writer looks return at once (the writer may be blocked in a write) and make
// it look once more when it is done: they are not lost, and they do not start a second writer.
func TestGateSignalsWhileLookingLookOnceMore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &probe{t: t, block: make(chan struct{}), entered: make(chan struct{})}
		g := newGate(p)
		g.Signal()
		<-p.entered // the writer is in look, blocked
		p.gen.Add(1)
		g.Signal()
		p.gen.Add(1)
		g.RunHere() // returns at once: a writer runs
		if n := p.goroutines.Load(); n != 1 {
			t.Errorf("%d writer goroutines after signals to a busy writer, want 1: none started", n)
		}
		p.block <- struct{}{}
		<-p.entered // the one more look
		p.block <- struct{}{}
		synctest.Wait()
		if g.Busy() {
			t.Errorf("the writer is left running with nothing to look at")
		}
		if p.looks != 2 || p.seen != 2 {
			t.Errorf("%d looks, the last seeing signal %d; want 2 and 2", p.looks, p.seen)
		}
	})
}

// Once look returns false the gate is closed: done is closed, look never runs again, and no
// signal starts a writer.
func TestGateClosesWhenLookEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &probe{t: t, fail: 2}
		g := newGate(p)
		g.Signal()
		synctest.Wait()
		select {
		case <-g.Done():
			t.Fatalf("done closed before look returned false")
		default:
		}
		g.Signal() // the second look returns false
		synctest.Wait()
		select {
		case <-g.Done():
		default:
			t.Fatalf("done not closed after look returned false")
		}
		g.Signal()
		g.RunHere()
		synctest.Wait()
		if busy := g.Busy(); p.looks != 2 || busy || p.goroutines.Load() != 0 {
			t.Errorf("after closing: %d looks, busy %v, %d writer goroutines; want 2, not busy, 0",
				p.looks, busy, p.goroutines.Load())
		}
	})
}
