package hub_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/livevote/livevote/hub"
)

// TestIdleConnectionHoldsNoWriter: a connection's writer runs while it has something to do and
// ends once it is done, so that an idle connection holds no goroutine but its reader (the one that
// called Serve). The pings still go every 20 s, a change after a long idle still reaches every
// client with the next seq, and a client that stopped reading while idle is evicted at its next
// write. Writers are counted by the connections' gates (Hub.Writers), against a figure that is
// not 0 too, so that the count cannot pass by counting nothing.
func TestIdleConnectionHoldsNoWriter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := start(t, hub.Options{}, "p")
		defer hs.stop()
		autoPong := func(f *fakeConn) { f.autoPong = true }
		pub := hs.serve("p", hub.Public, 4, autoPong)
		org := hs.serve("p", hub.Organiser, 10, autoPong)
		stuck := hs.serve("p", hub.Public, 4, autoPong)
		synctest.Wait()
		if n := hs.h.Writers(); n != 0 {
			t.Errorf("%d writer goroutines once the first messages are out, want 0", n)
		}

		time.Sleep(61 * time.Second)
		synctest.Wait()
		if n := hs.h.Writers(); n != 0 {
			t.Errorf("%d writer goroutines after a minute of pings, want 0", n)
		}
		for _, c := range []*served{pub, org, stuck} {
			var pings []time.Duration
			for _, f := range c.all() {
				if f.op == opPing {
					pings = append(pings, f.at.Sub(c.joined))
				}
			}
			if len(pings) != 3 || pings[0] != 20*time.Second || pings[2] != 60*time.Second {
				t.Errorf("pings at %v, want every 20 s", pings)
			}
			if !c.running() || len(c.texts()) != 1 {
				t.Errorf("after a minute without change: running %v, %d messages, want still served and 1",
					c.running(), len(c.texts()))
			}
		}

		stuck.stall()
		hs.src.vote("p")
		changed := time.Now()
		time.Sleep(300 * time.Millisecond)
		synctest.Wait()
		if n := hs.h.Writers(); n != 1 {
			t.Errorf("%d writers once the change went out, want 1 (the one blocked writing to the stalled client)", n)
		}
		time.Sleep(1700 * time.Millisecond)
		synctest.Wait()
		for _, c := range []*served{pub, org} {
			fs := c.texts()
			if len(fs) != 2 {
				t.Fatalf("%d messages after one change, want 2", len(fs))
			}
			if m := decode(t, fs[1]); m.Seq != 2 || m.Ballots != 4 {
				t.Errorf("message after the idle minute: seq %d ballots %d, want 2 and 4", m.Seq, m.Ballots)
			}
			if !c.running() {
				t.Errorf("a reading client was disconnected")
			}
		}
		if err := stuck.wait(t, 0); !errors.Is(err, hub.ErrEvicted) {
			t.Errorf("Serve of the client that stopped reading returned %v, want ErrEvicted", err)
		}
		if d := stuck.ended.Sub(changed); d > 1100*time.Millisecond {
			t.Errorf("client that stopped reading evicted %v after the change, want within a tick and 1 s", d)
		}
		if got := hs.h.Stats().Evictions; got != 1 {
			t.Errorf("Stats().Evictions = %d, want 1", got)
		}
		if n := hs.h.Writers(); n != 0 {
			t.Errorf("%d writer goroutines a second after the change went out, want 0", n)
		}
	})
}

// TestWriterComesAndGoesInOrderRealClock: ticks back to back to many connections at once, some
// bringing a change and some not: writers are queued, run and end all the time. Whatever the interleaving, no two writes to a connection
// overlap (the fake reports it), every connection's messages are in order with consecutive seq,
// each gets the last change, the writers end once they are done, and nothing is left running.
func TestWriterComesAndGoesInOrderRealClock(t *testing.T) {
	const conns, rounds = 20, 500
	src := newFakeSource("p")
	p := src.poll("p")
	h, err := hub.New(src, hub.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h.Unthrottle()
	ctx, cancel := context.WithCancel(context.Background())
	var served sync.WaitGroup
	fakes := make([]*fakeConn, conns)
	for i := range fakes {
		fakes[i] = newFakeConn(t)
		aud := hub.Audience(i % 2)
		served.Go(func() {
			if err := h.Serve(ctx, fakes[i], p, aud, hub.MaxHz); err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	votes := 0
	for round := range rounds {
		if round%3 != 2 {
			src.vote("p")
			votes++
		}
		h.Tick(ctx)
	}
	final := int64(3 + votes)
	for _, f := range fakes {
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			if fs := f.texts(); len(fs) > 0 && decode(t, fs[len(fs)-1]).Ballots == final {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a connection did not get the last change within 5 s")
			}
		}
	}
	for deadline := time.Now().Add(5 * time.Second); h.Writers() != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d writers 5 s after the last change went out, want 0", h.Writers())
		}
	}
	cancel()
	served.Wait()
	for _, f := range fakes {
		var last int64
		for i, fr := range f.texts() {
			m := decode(t, fr)
			if m.Seq != int64(i+1) || m.Ballots <= last {
				t.Fatalf("message %d: seq %d ballots %d after %d: out of order", i, m.Seq, m.Ballots, last)
			}
			last = m.Ballots
		}
		if fs := f.all(); fs[len(fs)-1].closeCode() != 1001 {
			t.Errorf("a connection did not end with close 1001")
		}
	}
	goleak.VerifyNone(t)
}
